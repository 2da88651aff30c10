"""The training recipe, top to bottom: validate, load data and encoder, train each stage
(intermediate tasks first, then the target task), evaluate zero-shot, write the run.

Running the same command again resumes: finished stages are skipped, an unfinished stage
continues from its latest checkpoint, and a finished run just reports its metrics.
"""

import time
from pathlib import Path

import torch

from xrobust.encoders.classifier import PairClassifier, load_weights_into
from xrobust.encoders.loading import load_encoder, resolve_encoder
from xrobust.errors import UserError
from xrobust.evaluation.zero_shot import evaluate_languages
from xrobust.lexicon.synonyms import SynonymTable, default_synonyms_path
from xrobust.progress import say
from xrobust.results.lineage import (SELECTED_MODEL, STAGE_BEST, InheritedStage, inherited_stages,
                                     intermediate_condition)
from xrobust.results.plots import accuracy_plot
from xrobust.results.report import accuracy_table
from xrobust.results.rundir import environment, file_sha256, read_json, write_json
from xrobust.tasks import evenly_spaced, get_task, load_examples, parse_languages
from xrobust.training.batching import encode_pairs
from xrobust.training.checkpoint import discard_resume_state
from xrobust.training.config import TrainConfig
from xrobust.training.loop import StagePlan, autocast_dtype, pick_device, train_stage

def default_output_dir(config: TrainConfig) -> str:
    """Deterministic, so that repeating a command finds (and resumes) its own run."""
    parts = [config.task]
    if config.intermediate:
        parts.append("after-" + "+".join(config.intermediate))
    parts += [config.method, Path(config.model.rstrip("/")).name, f"s{config.seed}"]
    return str(Path("runs") / "-".join(parts))


def run_training(config: TrainConfig) -> Path:
    config.validate()
    run_dir = Path(config.output_dir or default_output_dir(config))
    if (run_dir / "metrics.json").is_file() and _same_run(run_dir, config):
        say(f"{run_dir}: run already finished; metrics below (delete the folder to train again)")
        metrics = read_json(run_dir / "metrics.json")
        print(accuracy_table(metrics))
        return run_dir

    # 1. Data: English training and dev pairs for every stage's tasks, read and checked first.
    torch.manual_seed(config.seed)
    source = resolve_encoder(config.model)
    inherited = inherited_stages(config.model)  # empty unless --model is a checkpoint inside an xrobust run
    data_files = {}
    stage_files: dict[str, list[str]] = {}  # stage name -> the data files it reads (its stage.json names them)

    def english(stage: str, task_name: str, split: str, limit: int | None, spaced: bool):
        task = get_task(task_name)
        examples, report = load_examples(config.data_dir, task, split, "en", config.blank_policy)
        stage_files.setdefault(stage, []).append(report.path)
        examples = evenly_spaced(examples, report.rows, limit) if spaced else examples[:limit]
        data_files[report.path] = {"rows": report.rows, "kept": report.kept, "blank_lines": report.blank_lines,
                                   "sha256": None if report.path.startswith("hub:") else file_sha256(Path(report.path))}
        return examples

    # (stage name, tasks, training-pair limit, epochs): intermediate tasks first, then the target
    stage_specs = []
    if config.intermediate:
        stage_specs.append(("stage-1-" + "+".join(config.intermediate), config.intermediate,
                           config.max_intermediate_examples, config.intermediate_epochs))
    stage_specs.append((f"stage-{len(stage_specs) + 1}-{config.task}", [config.task],
                       config.max_train_examples, config.epochs))
    stage_data = [(name, {t: (english(name, t, "train", limit, False),
                              english(name, t, "dev", config.max_dev_examples, True))
                          for t in tasks}, epochs) for name, tasks, limit, epochs in stage_specs]
    synonyms = None
    if config.method == "rs-da":  # the table every rs-da batch draws its substitutions from
        table_path = Path(config.synonyms) if config.synonyms else default_synonyms_path()
        synonyms = SynonymTable.load(table_path)
        data_files[str(table_path)] = {"entries": len(synonyms), "sha256": file_sha256(table_path)}
    _start_or_resume(run_dir, config, source.description, data_files, inherited)

    # 2. Encoder and tokenizer; every pair tokenized once.
    tokenizer, encoder = load_encoder(source)
    device = pick_device(config.device)
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
            state = train_stage(plan, model, tokenizer, config, stage_dir, best_dir)
            write_json(stage_dir / "stage.json", {
                "name": plan.name, "tasks": list(plan.train), "languages": ["en"], "epochs": plan.epochs,
                "data_files": stage_files[plan.name],  # rows and sha256 of each: config.json's data_files
                "train_examples": {t: len(p) for t, p in plan.train.items()},
                "dev_examples": {t: len(p) for t, p in plan.dev.items()},
                "steps": state.step, "best_step": state.best_step, "best_dev_score": state.best_score,
                "history": state.history, "train_seconds": round(state.train_seconds, 2),
                "train_examples_per_second": round(state.examples_seen / max(state.train_seconds, 1e-9), 2),
                "selected": str(best_dir.relative_to(run_dir)),
            })
            discard_resume_state(stage_dir)  # the stage is done: its ~0.5 GB resume checkpoint is not needed
        load_weights_into(model, best_dir)  # model selection: carry the best weights on

    # 4. Zero-shot evaluation of the selected model in every target language.
    task = get_task(config.task)
    languages = parse_languages("--eval-languages", ",".join(config.eval_languages or []), task)
    metrics = evaluate_languages(
        model, tokenizer, task, config.data_dir, config.eval_split, languages,
        max_examples=config.max_eval_examples, max_length=config.max_length,
        batch_size=config.eval_batch_size, output_dir=run_dir, blank_policy=config.blank_policy,
        seed=config.seed, autocast_dtype=autocast_dtype(config.precision))
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


def _same_run(run_dir: Path, config: TrainConfig) -> bool:
    # Settings added since the run was made take their defaults (what the run used).
    path = run_dir / "config.json"
    saved = TrainConfig.from_dict(read_json(path)["config"], str(path)).to_dict()
    if saved != config.to_dict():
        changed = sorted(k for k in saved if saved.get(k) != config.to_dict().get(k))
        raise UserError(f"--output-dir {run_dir}: holds a different run (settings differ: {', '.join(changed)}); "
                        "choose another --output-dir or delete it")
    return True


def _start_or_resume(run_dir: Path, config: TrainConfig, encoder_description: str, data_files: dict,
                     inherited: list[InheritedStage]) -> None:
    if (run_dir / "config.json").is_file():
        _same_run(run_dir, config)
        say(f"{run_dir}: resuming")
        return
    if run_dir.exists() and any(run_dir.iterdir()):
        raise UserError(f"--output-dir {run_dir}: exists and is not an xrobust run; choose another")
    write_json(run_dir / "config.json", {
        "config": config.to_dict(),
        "encoder": encoder_description,
        # stages the starting encoder went through in other runs (see results/lineage.py)
        "inherited": [s.to_dict() for s in inherited],
        "intermediate_condition": intermediate_condition(inherited, config.intermediate),
        "data_files": data_files,
        "environment": environment(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
