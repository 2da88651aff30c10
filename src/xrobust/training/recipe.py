"""The training recipe, top to bottom: validate, load data and encoder, train each stage
(intermediate tasks first, then the target task), evaluate zero-shot, write the run.

Running the same command again resumes: finished stages are skipped, an unfinished stage
continues from its latest checkpoint, and a finished run just reports its metrics.

Under a launcher (`torchrun`, `accelerate launch`) every process runs this recipe: each reads
and tokenizes the data itself (no process waits for another's files), trains its share of
every step (loop.py) and scores its share of the evaluation; only the main process writes
the run directory, and the others wait for it where they read what it wrote.
"""

import dataclasses
import time
from pathlib import Path

import torch

from xrobust.encoders.classifier import PairClassifier, load_weights_into
from xrobust.encoders.devices import Precision, resolve_precision
from xrobust.encoders.loading import load_encoder, resolve_encoder
from xrobust.encoders.pairs import encode_pairs
from xrobust.encoders.processes import current_processes
from xrobust.errors import UserError
from xrobust.evaluation.zero_shot import evaluate_languages
from xrobust.lexicon.synonym_sources import SynonymLexicon, load_synonyms
from xrobust.progress import say
from xrobust.results.lineage import (SELECTED_MODEL, STAGE_BEST, InheritedStage, inherited_stages,
                                     intermediate_condition)
from xrobust.results.plots import accuracy_plot
from xrobust.results.report import accuracy_table
from xrobust.results.rundir import environment, file_sha256, read_json, write_json
from xrobust.tasks import evenly_spaced, get_task, load_examples, parse_languages
from xrobust.tasks.sources import TrainingSource, evenly_spaced_excluding, spread_over_languages
from xrobust.training.checkpoint import discard_resume_state
from xrobust.training.config import TrainConfig
from xrobust.training.loop import StagePlan, train_stage
from xrobust.training.preflight import check_evaluation_files, check_run_inputs

def default_output_dir(config: TrainConfig) -> str:
    """Deterministic, so that repeating a command finds (and resumes) its own run."""
    parts = [config.task]
    if config.intermediate:
        parts.append("after-" + "+".join(source.slug() for source in config.intermediate_sources()))
    parts += [config.method, Path(config.model.rstrip("/")).name, f"s{config.seed}"]
    return str(Path("runs") / "-".join(parts))


def run_training(config: TrainConfig) -> Path:
    config.validate()
    processes = current_processes(config.device)
    run_dir = Path(config.output_dir or default_output_dir(config))
    if (run_dir / "config.json").is_file():
        _same_run(run_dir, config)  # a folder holding another run is refused first
    check_run_inputs(config, run_dir)  # the model and the folder, before anything loads
    if (run_dir / "metrics.json").is_file():
        say(f"{run_dir}: run already finished; metrics below (delete the folder to train again)")
        metrics = read_json(run_dir / "metrics.json")
        print(accuracy_table(metrics))
        return run_dir

    # 1. Data: English training and dev pairs for every stage's tasks, read and checked first.
    torch.manual_seed(config.seed)
    source = resolve_encoder(config.model)
    inherited = inherited_stages(config.model)  # empty unless --model is a checkpoint inside an xrobust run
    data_files = {}
    used = {}  # (stage, task) -> the rows a stage trains on, per language
    stage_files: dict[str, list[str]] = {}  # stage name -> the data files it reads (its stage.json names them)

    def read(stage: str, task_name: str, split: str, language: str):
        examples, report = load_examples(config.data_dir, get_task(task_name), split, language, config.blank_policy)
        stage_files.setdefault(stage, []).append(report.path)
        data_files[report.path] = {"rows": report.rows, "kept": report.kept, "blank_lines": report.blank_lines,
                                   "sha256": None if report.path.startswith("hub:") else file_sha256(Path(report.path))}
        return examples, report

    def training_pairs(stage: str, source: TrainingSource, limit: int | None):
        if source.languages == ("en",):
            return read(stage, source.task, source.split, "en")[0][:limit]
        if str(config.data_dir) == "hub":
            raise UserError(f"--intermediate {source.task}:{source.split}: pairs spread over languages need an "
                            "XTREME-layout --data-dir")
        per_language = {lang: read(stage, source.task, source.split, lang) for lang in source.languages}
        return spread_over_languages(per_language, source.languages, source.split, limit)

    def selection_pairs(stage: str, source: TrainingSource, train: list):
        """English dev pairs for model selection, without the rows the stage trains on."""
        held_out = {e.id for e in train} if source.split == "dev" else set()
        dev, report = read(stage, source.task, "dev", "en")
        if not held_out:
            return evenly_spaced(dev, report.rows, config.max_dev_examples)
        return evenly_spaced_excluding(dev, held_out, config.max_dev_examples)

    # (stage name, sources, training-pair limit, epochs): intermediate tasks first, then the target
    stage_specs = []
    intermediate = config.intermediate_sources()
    if intermediate:
        stage_specs.append(("stage-1-" + "+".join(s.slug() for s in intermediate), intermediate,
                           config.max_intermediate_examples, config.intermediate_epochs))
    target = config.training_source()
    stage_specs.append((f"stage-{len(stage_specs) + 1}-{target.slug()}", [target],
                       config.max_train_examples, config.epochs))
    stage_data = []
    for name, sources, limit, epochs in stage_specs:
        data = {}
        for s in sources:
            train = training_pairs(name, s, limit)
            data[s.task] = (train, selection_pairs(name, s, train))
            used[name, s.task] = _rows_used(s, train)
        stage_data.append((name, data, epochs))
    # Rows the target stage trained on never count in its evaluation (when it trains on the
    # evaluation split, e.g. XNLI dev as an intermediate task trained as a run of its own).
    eval_excluded = {e.id for e in stage_data[-1][1][config.task][0]} if target.split == config.eval_split else set()
    synonyms = rs_da_record = None
    if config.method == "rs-da":  # the tables every rs-da batch draws its substitutions from, per language
        synonyms, rs_da_record = _rs_da_synonyms(config, stage_data, data_files)
    check_evaluation_files(config)  # found now, not after training
    device = processes.device
    requested = resolve_precision(config.precision, device)
    # on_main: once every process has read the folder, the main process writes into it
    precision = processes.on_main(lambda: _start_or_resume(run_dir, config, source.description, data_files,
                                                            inherited, requested, processes.count))
    say(f"precision: {precision.name} ({precision.reason})")
    if processes.distributed:
        say(f"{processes.count} processes on {device.type}: each optimizer step takes "
            f"{config.batch_size} x {config.gradient_accumulation} x {processes.count} pairs")
    if rs_da_record and processes.is_main:
        _record_in_config(run_dir, "rs_da", rs_da_record)
    loop_config = dataclasses.replace(config, precision=precision.name)  # what the loop computes in

    # 2. Encoder and tokenizer; every pair tokenized once.
    tokenizer, encoder = load_encoder(source)
    plans = [StagePlan(
        name=name,
        train={t: encode_pairs(tokenizer, tr, get_task(t), config.max_length) for t, (tr, _) in data.items()},
        dev={t: encode_pairs(tokenizer, dv, get_task(t), config.max_length) for t, (_, dv) in data.items()},
        label_names={t: list(get_task(t).label_names) for t in data},
        epochs=epochs,
        train_examples={t: tr for t, (tr, _) in data.items()} if synonyms else {},
        synonyms=synonyms,
    ) for name, data, epochs in stage_data]

    # 3. Stages: each one a new head on the encoder carried over from the stage before.
    model = None
    for index, plan in enumerate(plans):
        is_last = index == len(plans) - 1
        stage_dir = run_dir / plan.name
        best_dir = run_dir / SELECTED_MODEL if is_last else stage_dir / STAGE_BEST
        torch.manual_seed(config.seed + index)  # the new heads start the same, resumed or not
        heads = {t: len(names) for t, names in plan.label_names.items()}
        if model is None:
            model = PairClassifier(encoder, heads, pooling=config.pooling, dropout=config.dropout).to(device)
        else:
            model.replace_heads(heads)
        if (stage_dir / "stage.json").is_file():
            say(f"{plan.name}: finished earlier, reusing its selected weights")
        else:
            state = train_stage(plan, model, tokenizer, loop_config, stage_dir, best_dir, processes)
            if processes.is_main:
                _write_stage(run_dir, stage_dir, best_dir, plan, state, used, stage_files)
            processes.barrier()  # stage.json and the selected weights are on disk for every process
        load_weights_into(model, best_dir)  # model selection: carry the best weights on

    # 4. Zero-shot evaluation of the selected model in every target language.
    task = get_task(config.task)
    languages = parse_languages("--eval-languages", ",".join(config.eval_languages or []), task)
    metrics = evaluate_languages(
        model, tokenizer, task, config.data_dir, config.eval_split, languages,
        max_examples=config.max_eval_examples, max_length=config.max_length,
        batch_size=config.eval_batch_size, output_dir=run_dir, blank_policy=config.blank_policy,
        seed=config.seed, autocast_dtype=precision.autocast_dtype, exclude_ids=eval_excluded, processes=processes)
    if not processes.is_main:
        return run_dir
    stages = [read_json(run_dir / p.name / "stage.json") for p in plans]
    # the lineage as recorded when the run started (a resumed run keeps it even if the source moved)
    recorded = read_json(run_dir / "config.json").get("inherited")
    inherited = [InheritedStage.from_dict(s) for s in recorded] if recorded is not None else inherited
    metrics = {
        "task": config.task, "split": config.eval_split, "model": config.model, "encoder": source.description,
        "method": config.method,
        "intermediate": config.intermediate,  # the intermediate tasks this run trained itself
        "intermediate_condition": intermediate_condition(inherited, config.intermediate),
        "inherited": [s.to_dict() for s in inherited],
        "seed": config.seed,
        "precision": precision.name,
        **metrics,
        "checkpoint": SELECTED_MODEL,
        "blank_policy": config.blank_policy,
        "stages": [{k: s[k] for k in ("name", "tasks", "best_dev_score", "best_step", "steps", "train_seconds",
                                      "train_examples_per_second")} for s in stages],
    }
    write_json(run_dir / "metrics.json", metrics)
    accuracy_plot(metrics, run_dir / "accuracy.png")
    print(accuracy_table(metrics))
    return run_dir


def _write_stage(run_dir: Path, stage_dir: Path, best_dir: Path, plan: StagePlan, state, used: dict,
                 stage_files: dict) -> None:
    """stage.json: what the finished stage trained on and how it went; then drop its resume state."""
    write_json(stage_dir / "stage.json", {
        "name": plan.name, "tasks": list(plan.train), "epochs": plan.epochs,
        "languages": sorted({lang for t in plan.train for lang in used[plan.name, t]["languages"]}),
        "sources": [used[plan.name, t] for t in plan.train],
        "data_files": stage_files[plan.name],  # rows and sha256 of each: config.json's data_files
        "train_examples": {t: len(p) for t, p in plan.train.items()},
        "dev_examples": {t: len(p) for t, p in plan.dev.items()},
        "steps": state.step, "best_step": state.best_step, "best_dev_score": state.best_score,
        "history": state.history, "train_seconds": round(state.train_seconds, 2),
        "train_examples_per_second": round(state.examples_seen / max(state.train_seconds, 1e-9), 2),
        "selected": str(best_dir.relative_to(run_dir)),
    })
    discard_resume_state(stage_dir)  # the stage is done: its ~0.5 GB resume checkpoint is not needed


def _rs_da_synonyms(config: TrainConfig, stage_data: list, data_files: dict) -> tuple[SynonymLexicon, dict]:
    """The synonym tables of every language the stages train on, and per stage, task and
    language how many pairs rs-da can perturb (a language no source covers trains clean: an
    English table would rewrite German `die` as "died")."""
    from xrobust.encoders.loading import neighbour_encoder
    from xrobust.robust.augment import perturbable_by_language, side_languages

    languages = sorted({lang for _, data, _ in stage_data for train, _ in data.values()
                        for e in train for lang in side_languages(e)})
    # encoder-neighbours: the neighbours in the starting model's embeddings, fixed for the run
    synonyms = load_synonyms(tuple(config.synonym_source), languages,
                             Path(config.synonyms) if config.synonyms else None,
                             encoder=lambda: neighbour_encoder(config.model),
                             data_dir=Path(config.data_dir) if config.data_dir not in ("", "hub") else None)
    for path, role in synonyms.files.items():
        data_files[path] = {"role": role, "sha256": file_sha256(Path(path))}
    rule = config.substitution_rule()
    stages = {name: {task: perturbable_by_language(train, synonyms, rule) for task, (train, _) in data.items()}
              for name, data, _ in stage_data}
    uncovered = sorted(set(languages) - set(synonyms.tables))
    if uncovered:
        say(f"rs-da: no synonym source among {','.join(config.synonym_source)} covers {','.join(uncovered)}; "
            "those pairs train unperturbed (counts per language in config.json, rs_da)")
    return synonyms, {**synonyms.describe(), "uncovered_languages": uncovered, "stages": stages}


def _record_in_config(run_dir: Path, key: str, value: dict) -> None:
    """Add `key` to the run's config.json once (a resumed run finds it there already)."""
    recorded = read_json(run_dir / "config.json")
    if key not in recorded:
        write_json(run_dir / "config.json", {**recorded, key: value})


def _rows_used(source: TrainingSource, train: list) -> dict:
    """What a stage trains on, for stage.json: the source, and pairs and row ids per language."""
    rows: dict[str, list[int]] = {}
    for example in train:
        rows.setdefault(example.language, []).append(int(example.id.rsplit("-", 1)[1]) if "-" in example.id else -1)
    return {"task": source.task, "split": source.split, "languages": list(source.languages), "pairs": len(train),
            "pairs_per_language": {lang: len(r) for lang, r in rows.items()},
            "rows": {lang: _ranges(r) for lang, r in rows.items()}}


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 17, 31] -> "1-3,17,31": row numbers, compactly (each language's are a stride)."""
    out, numbers = [], sorted(numbers)
    start = previous = numbers[0] if numbers else None
    for n in numbers[1:] + [None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        out.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = n
    return ",".join(out)


def _same_run(run_dir: Path, config: TrainConfig) -> None:
    # Settings added since the run was made take their defaults (what the run used).
    path = run_dir / "config.json"
    saved = TrainConfig.from_dict(read_json(path)["config"], str(path)).to_dict()
    if saved != config.to_dict():
        changed = sorted(k for k in saved if saved.get(k) != config.to_dict().get(k))
        raise UserError(f"--output-dir {run_dir}: holds a different run (settings differ: {', '.join(changed)}); "
                        "choose another --output-dir or delete it")


def _start_or_resume(run_dir: Path, config: TrainConfig, encoder_description: str, data_files: dict,
                     inherited: list[InheritedStage], precision: Precision, processes: int) -> Precision:
    """Write the run's config.json (run_training has checked that an existing one is this
    run's); return the precision to use
    (a resumed run keeps the one it started with, wherever `auto` now points). A run resumes
    on as many processes as it started on: the optimizer steps and the learning-rate
    schedule are counted in steps of `processes` micro-batch shares."""
    if (run_dir / "config.json").is_file():
        recorded = read_json(run_dir / "config.json")
        started_on = recorded.get("processes", 1)
        if started_on != processes:
            raise UserError(f"--output-dir {run_dir}: this run was started on {started_on} process(es); resume it "
                            f"on {started_on} (now {processes})")
        say(f"{run_dir}: resuming")
        return Precision(**recorded["precision"]) if recorded.get("precision") else precision
    if run_dir.exists() and any(run_dir.iterdir()):
        raise UserError(f"--output-dir {run_dir}: exists and is not an xrobust run; choose another")
    write_json(run_dir / "config.json", {
        "config": config.to_dict(),
        "precision": dataclasses.asdict(precision),  # what `precision` (auto included) resolved to, and why
        "processes": processes,  # data-parallel processes: each optimizer step is batch x accumulation x this
        "encoder": encoder_description,
        # stages the starting encoder went through in other runs (see results/lineage.py)
        "inherited": [s.to_dict() for s in inherited],
        "intermediate_condition": intermediate_condition(inherited, config.intermediate),
        "data_files": data_files,
        "environment": environment(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    return precision
