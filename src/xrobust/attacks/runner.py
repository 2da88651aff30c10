"""`xrobust attack`: load a checkpoint and a task's examples, run one recipe per language,
resume what an interrupted run left, and write the outputs.

Outputs (in the output directory):
- adversarial/{recipe}-{lang}.jsonl: one attacked example a line, in input order, appended and
  flushed as soon as an example and all before it are finished, so a crash loses only the
  examples in flight (those sharing forward passes, `attack_batch_size`); a restart reads the
  finished ids, drops a torn last line, and attacks only the rest.
- adversarial/{recipe}.config.json: the attack settings; a restart with other settings is
  refused rather than mixing two attacks in one file.
- robustness.json: per recipe, the settings and metrics per language and overall
  (embedding-pgd: accuracy per eps), merged with the other recipes already there.

Under a launcher (torchrun, accelerate launch) process r attacks every N-th example still to
do and appends its rows to its own `.{recipe}-{lang}.process{r}.jsonl` (as crash-safe as the
one file); the main process then merges them into adversarial/{recipe}-{lang}.jsonl in input
order and writes robustness.json: the same files as one process. A restart, on any number of
processes, first merges what a killed run left in those files.
"""

import dataclasses
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from xrobust.attacks.attack import AttackResult
from xrobust.attacks.constraints import MaxWordsChanged, ModifiableSides
from xrobust.attacks.metrics import markdown_table, pgd_table, summarize_languages
from xrobust.attacks.pgd import pgd_accuracy_curve
from xrobust.attacks.recipes import PGD_RECIPE, RecipeInputs, build_recipe, check_recipe_languages, meaning_note
from xrobust.attacks.text import AttackText
from xrobust.encoders.checkpoints import pick_head, resolve_checkpoint
from xrobust.encoders.classifier import load_classifier
from xrobust.encoders.devices import resolve_precision
from xrobust.encoders.pairs import encode_pairs
from xrobust.encoders.processes import Processes, current_processes
from xrobust.errors import UserError
from xrobust.progress import progress_bar
from xrobust.results.rundir import environment, read_json, write_json
from xrobust.tasks import Example, evenly_spaced, get_task, load_examples


@dataclass(frozen=True)
class AttackConfig:
    checkpoint: str
    task: str
    recipe: str
    languages: tuple[str, ...]
    data_dir: str
    resources: str
    output_dir: str = ""  # default: <run or checkpoint>/attacks/<task>-<split>
    split: str = "dev"
    max_examples: int | None = None  # per language, evenly spaced rows (as `evaluate`)
    query_budget: int | None = 2000
    seed: int = 0
    batch_size: int = 32  # rows per forward pass
    attack_batch_size: int = 256  # rows each round scores together across examples; 1 = one example at a time
    max_length: int = 128
    max_candidates: int = 20
    max_words_changed: float = 0.2
    min_similarity: float | None = None
    sides: tuple[str, ...] = ("sentence1", "sentence2")
    beam_width: int = 4
    embed_languages: tuple[str, ...] = ()
    synonym_sources: tuple[str, ...] = ("counter-fitted",)  # synonym-*: where each language's synonyms come from
    edit_numbers: bool = False  # lift the NoNumberEdits constraint (numbers stay by default)
    typo_model: str = "script"  # typo-greedy: "script" (per-script input errors) or "codepoint"
    sentence1_language: str | None = None  # generalized setting: sentence1 from this language's file
    eps: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.5, 1.0)
    pgd_steps: int = 10
    precision: str = "auto"  # fp32, bf16, fp16 or auto (encoders/devices.py); scores compared in fp32

    def output_folder(self, folder: Path, run_dir: Path | None) -> Path:
        return Path(self.output_dir) if self.output_dir else (run_dir or folder) / "attacks" / f"{self.task}-{self.split}"


def run_attack(config: AttackConfig) -> tuple[dict, Path, str]:
    """Attack every language; return (this recipe's robustness entry, output folder, table)."""
    task = get_task(config.task)
    check_options(config)  # before the slow model load
    processes = current_processes()
    folder, run_dir = resolve_checkpoint(config.checkpoint)
    out = config.output_folder(folder, run_dir)
    # every recipe keeps its partial results in adversarial/ (word attacks: a line per example;
    # PGD: a curve per language), so the same command resumes after a crash
    settings_file = out / "adversarial" / f"{config.recipe}.config.json"
    config = _keep_recorded_precision(settings_file, config)  # before the check writes a new file
    processes.on_main(lambda: _check_same_settings(settings_file, config))
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    model, tokenizer, head_config = load_classifier(folder)
    # this process's device: the GPU where there is one (under a launcher, the one Accelerate gives
    # it), else the CPU; a single process once stayed on the CPU even beside a GPU
    model.to(processes.device)
    head = pick_head(head_config, config.task)
    precision = resolve_precision(config.precision, next(model.parameters()).device)
    examples, skipped = {}, {}
    for language in config.languages:
        examples[language], skipped[language] = _load_pairs(config, task, language)
    if config.recipe == PGD_RECIPE:
        entry = _run_pgd(config, model, tokenizer, task, head, examples, out, processes, precision.autocast_dtype)
        table = pgd_table(entry["languages"])
    else:
        entry = _run_word_attack(config, model, tokenizer, task, head, examples, out, processes,
                                 precision.autocast_dtype)
        table = markdown_table(config.recipe, entry)
        note = meaning_note(config.recipe, config.languages, tuple(config.synonym_sources))
        if note:
            entry["meaning_note"] = note
            table += f"\n\nNote: {note}."
    entry["precision"] = {"used": precision.name, "reason": precision.reason}
    entry["skipped"] = skipped  # rows not attacked, by reason: nothing is dropped silently
    if processes.is_main:
        _merge_robustness(out, config, folder, entry)
    return entry, out, table


def check_options(config: AttackConfig) -> None:
    """Option errors that need no model or data, raised as UserErrors naming the option."""
    if config.query_budget is not None and config.query_budget < 1:
        raise UserError(f"--query-budget: {config.query_budget} must be at least 1")
    if config.recipe == PGD_RECIPE:
        return
    ModifiableSides(_sides(config))
    MaxWordsChanged(config.max_words_changed)
    check_recipe_languages(config.recipe, _changeable_languages(config), config.embed_languages,
                           config.synonym_sources)


def _load_pairs(config: AttackConfig, task, language: str) -> tuple[list[Example], dict]:
    """The language's examples and the count of rows skipped, by reason. Blank or untranslated (`NS`)
    rows are skipped as `evaluate` skips them; in the generalized setting sentence1 is taken from
    the row with the same id in `sentence1_language`'s file, and ids missing there are skipped."""
    loaded, report = load_examples(config.data_dir, task, config.split, language)
    chosen = evenly_spaced(loaded, report.rows, config.max_examples)
    skipped = {"blank_rows_in_file": report.skipped}
    if not config.sentence1_language:
        return chosen, skipped
    other, _ = load_examples(config.data_dir, task, config.split, config.sentence1_language)
    by_id = {e.id: e for e in other}
    skipped["no_sentence1"] = sum(e.id not in by_id for e in chosen)
    if skipped["no_sentence1"]:
        print(f"{language}: {skipped['no_sentence1']} pairs have no {config.sentence1_language} sentence1; skipped")
    return [dataclasses.replace(e, sentence1=by_id[e.id].sentence1) for e in chosen if e.id in by_id], skipped


def _run_word_attack(config, model, tokenizer, task, head, examples, out: Path,
                     processes: Processes = Processes(), autocast_dtype=None) -> dict:
    inputs = RecipeInputs(
        model=model, tokenizer=tokenizer, task=task, head=head, languages=_changeable_languages(config),
        resources=Path(config.resources), sides=_sides(config), max_words_changed=config.max_words_changed,
        min_similarity=config.min_similarity, max_candidates=config.max_candidates, beam_width=config.beam_width,
        embed_languages=config.embed_languages, synonym_sources=config.synonym_sources, query_budget=config.query_budget, batch_size=config.batch_size,
        max_length=config.max_length, seed=config.seed, edit_numbers=config.edit_numbers,
        typo_model=config.typo_model, data_dir=None if config.data_dir == "hub" else Path(config.data_dir),
        autocast_dtype=autocast_dtype)
    attack = build_recipe(config.recipe, inputs)
    rows_by_language = {}
    for language, pairs in examples.items():
        path = out / "adversarial" / f"{config.recipe}-{language}.jsonl"
        order = {e.id: i for i, e in enumerate(pairs)}
        rows = processes.on_main(lambda: merge_process_rows(path, order))
        done = {row["id"] for row in rows}
        todo = [e for e in pairs if e.id not in done]
        finished, sink_path = len(pairs) - len(todo), path
        if processes.distributed:
            # Every N-th example, not a block: an attack's cost varies, and neighbours in the
            # (evenly spaced) rows are no more alike than any others.
            todo = todo[processes.index::processes.count]
            sink_path = process_rows_path(path, processes.index)
        language1 = config.sentence1_language or language
        attacked = [(AttackText.from_pair(e.sentence1, e.sentence2, language1, language), task.label_index(e.label))
                 for e in todo]
        with open(sink_path, "a", encoding="utf-8") as sink, \
                progress_bar(total=len(pairs), initial=finished, desc=f"{config.recipe} {language}",
                             unit="ex") as bar:
            # Results come in the order of `todo`, each once it and all before it are done.
            for example, result in zip(todo, attack.run_many(attacked, config.attack_batch_size)):
                row = result_row(example, result, task.label_names)
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                sink.flush()
                os.fsync(sink.fileno())  # the line is on disk before the next one is written
                rows.append(row)
                bar.update(1)
        if processes.distributed:
            rows = processes.on_main(lambda: merge_process_rows(path, order))
        wanted = {e.id for e in pairs}
        rows_by_language[language] = [r for r in rows if r["id"] in wanted]
    return {"config": _jsonable(config), **summarize_languages(rows_by_language)}


def _sides(config: AttackConfig) -> tuple[str, ...]:
    if config.sentence1_language and tuple(config.sides) != ("sentence2",):
        if tuple(config.sides) != ("sentence1", "sentence2"):
            raise UserError("--sides: with --sentence1-language only sentence2 (the target-language side) may change")
        return ("sentence2",)  # the generalized setting attacks only the target-language side
    return tuple(config.sides)


def _changeable_languages(config: AttackConfig) -> tuple[str, ...]:
    languages = set(config.languages)
    if "sentence1" in _sides(config) and config.sentence1_language:
        languages.add(config.sentence1_language)
    return tuple(sorted(languages))


def result_row(example: Example, result: AttackResult, label_names) -> dict:
    original, perturbed = result.original, result.perturbed
    return {
        "id": example.id,
        "language": example.language,
        "languages": dict(original.languages),
        "label": example.label,
        "original": {"sentence1": original.sentence("sentence1"), "sentence2": original.sentence("sentence2")},
        "perturbed": {"sentence1": perturbed.sentence("sentence1"), "sentence2": perturbed.sentence("sentence2")},
        "success": result.success,
        "status": result.status,
        "prediction_before": label_names[result.prediction_before] if result.prediction_before >= 0 else None,
        "prediction_after": label_names[result.prediction_after] if result.prediction_after >= 0 else None,
        "queries": result.queries,
        "words_changed": len(perturbed.changes),
        "fraction_changed": round(perturbed.fraction_changed(), 4),
        "changes": [dataclasses.asdict(c) for c in perturbed.changes],
        "seconds": round(result.seconds, 4),
    }


def read_finished(path: Path) -> list[dict]:
    """Rows already written. A torn last line (a crash mid-write) is cut off the file, so the
    example is attacked again; a bad line anywhere else is an error naming the line."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    rows, good_end, line_number = [], 0, 0
    for line_number, line in enumerate(data.split(b"\n"), 1):
        end = good_end + len(line) + 1
        if not line.strip():
            good_end = min(end, len(data))
            continue
        try:
            rows.append(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError):
            if end <= len(data):  # a complete line (followed by a newline) that is not JSON
                raise UserError(f"{path}:{line_number}: not a JSON line; delete the file to start over") from None
            break
        if end > len(data):  # valid JSON but no newline: the write was cut short
            rows.pop()
            break
        good_end = end
    if good_end < len(data):
        with open(path, "r+b") as handle:
            handle.truncate(good_end)
    return rows


def process_rows_path(path: Path, process: int) -> Path:
    """Where process `process` appends its rows of `path` under a launcher."""
    return path.with_name(f".{path.stem}.process{process}.jsonl")


def merge_process_rows(path: Path, order: dict[str, int]) -> list[dict]:
    """The finished rows of `path`. Rows that processes left in their own files are first
    merged into it, in input order (`order`: id -> position; rows of examples no longer asked
    for keep their place after them); without such files `path` is only read, as always."""
    parts = sorted(path.parent.glob(f".{path.stem}.process*.jsonl"))
    if not parts:
        return read_finished(path)
    rows, seen = [], set()
    for row in read_finished(path) + [row for part in parts for row in read_finished(part)]:
        if row["id"] not in seen:  # a merge killed between its rename and its deletes leaves copies
            seen.add(row["id"])
            rows.append(row)
    rows.sort(key=lambda row: order.get(row["id"], len(order)))
    staging = path.with_name(f".{path.name}.tmp")
    with open(staging, "w", encoding="utf-8") as sink:
        sink.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        sink.flush()
        os.fsync(sink.fileno())
    staging.replace(path)
    for part in parts:
        part.unlink()
    return rows


def _run_pgd(config, model, tokenizer, task, head, examples, out: Path, processes: Processes = Processes(),
             autocast_dtype=None) -> dict:
    """A curve per language, each written to adversarial/embedding-pgd-<language>.json when it is
    done: a resumed attack reuses the curves of the languages it finished (same settings, the
    settings file says; same rows, the file's ids say)."""
    special = set(tokenizer.all_special_ids)
    curves = {}
    for language, pairs in examples.items():
        path = out / "adversarial" / f"{PGD_RECIPE}-{language}.json"
        ids = [e.id for e in pairs]
        saved = read_json(path) if path.is_file() else None
        if saved and saved["ids"] == ids:
            curves[language] = saved["curve"]
            continue
        start = time.perf_counter()
        encoded = encode_pairs(tokenizer, pairs, task, config.max_length)
        if processes.distributed:
            curves[language] = _pgd_curve_sharded(model, head, encoded, tokenizer.pad_token_id, special, config,
                                                  processes, autocast_dtype)
        else:
            curves[language] = pgd_accuracy_curve(model, head, encoded, tokenizer.pad_token_id, special, config.eps,
                                                  config.pgd_steps, config.batch_size,
                                                  desc=f"embedding-pgd {language}", autocast_dtype=autocast_dtype)
        curves[language]["seconds"] = round(time.perf_counter() - start, 2)
        curve = curves[language]
        processes.on_main(lambda: write_json(path, {"ids": ids, "curve": curve}))
    return {"config": _jsonable(config), "languages": curves}


def _pgd_curve_sharded(model, head, encoded, pad_id, special, config, processes: Processes,
                       autocast_dtype=None) -> dict:
    """Each process attacks a block of the pairs; the curve is merged from counts: correct pairs
    per eps, and the token norms weighted by each block's movable tokens."""
    block = encoded.select(processes.shard(len(encoded)))
    tokens = sum(t not in special for ids in block.input_ids for t in ids)  # pgd.py's movable tokens
    curve = (pgd_accuracy_curve(model, head, block, pad_id, special, config.eps, config.pgd_steps,
                                config.batch_size, autocast_dtype=autocast_dtype) if len(block) else None)
    parts = processes.gather([(len(block), tokens, curve)])
    n = sum(size for size, _, _ in parts)
    token_count = sum(count for _, count, _ in parts)
    correct = [sum(round(c["accuracy"][i] * size) for size, _, c in parts if c) for i in range(len(config.eps))]
    norm_sum = sum(c["mean_token_norm"] * count for _, count, c in parts if c)
    return {"eps": [float(e) for e in config.eps], "accuracy": [c / max(1, n) for c in correct],
            "n": n, "steps": config.pgd_steps, "mean_token_norm": norm_sum / max(1, token_count)}


def _keep_recorded_precision(path: Path, config: AttackConfig) -> AttackConfig:
    """An attack resumed with `--precision auto` (the default) goes on in the precision it was
    started with, as a training run does; an explicit other precision is refused by the check."""
    if config.precision != "auto" or not path.is_file():
        return config
    return dataclasses.replace(config, precision=read_json(path).get("precision", "fp32"))  # fp32: before --precision


def _check_same_settings(path: Path, config: AttackConfig) -> None:
    settings = _jsonable(config)
    # Languages and example counts may grow between runs; the attack itself must not change.
    # How many examples share forward passes changes speed, not results (goal.py: ties).
    for key in ("languages", "max_examples", "output_dir", "attack_batch_size"):
        settings.pop(key)
    if path.is_file():
        before = read_json(path)
        before.setdefault("precision", "fp32")  # attacks written before --precision existed ran in fp32
        changed = sorted(k for k in settings if before.get(k) != settings[k])
        if changed:
            raise UserError(f"{path}: this output directory holds an attack with other settings "
                            f"({', '.join(changed)}); use another --output-dir or delete it")
    else:
        write_json(path, settings)


def _merge_robustness(out: Path, config: AttackConfig, folder: Path, entry: dict) -> None:
    path = out / "robustness.json"
    report = read_json(path) if path.is_file() else {}
    report.update({"task": config.task, "split": config.split, "checkpoint": str(folder)})
    # what produced it and when it finished, as a run's config.json records (results/rundir.py)
    report.setdefault("recipes", {})[config.recipe] = {
        **entry, "environment": environment(), "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_json(path, report)


def _jsonable(config: AttackConfig) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(config)))
