"""Smoothed zero-shot accuracy per language: the majority vote over M perturbed copies, with
how often the vote was unanimous (a cheap signal of how stable predictions are)."""

import time
from pathlib import Path

import numpy as np

from xrobust.encoders.processes import Processes
from xrobust.evaluation.accuracy import accuracy_with_ci
from xrobust.progress import progress_bar
from xrobust.results.rundir import write_jsonl
from xrobust.robust.settings import SmoothingSettings
from xrobust.robust.smoothing import SmoothedPredictions, examples_per_chunk, smoothed_predict
from xrobust.tasks import TaskSpec, evenly_spaced, load_examples


def evaluate_smoothed(model, tokenizer, task: TaskSpec, data_dir, split: str, languages, settings: SmoothingSettings,
                      synonyms, *, max_examples: int | None, max_length: int, batch_size: int,
                      output_dir: Path, blank_policy: str = "skip", processes: Processes = Processes()) -> dict:
    """Score every language by vote; write predictions/{split}-{lang}.jsonl with the vote counts
    (on several processes: the main process, after each voted on a block of the examples)."""
    loaded = {}
    for language in languages:
        examples, report = load_examples(data_dir, task, split, language, blank_policy)
        loaded[language] = (evenly_spaced(examples, report.rows, max_examples), report)
    accuracy, ci95, counts, skipped, unanimous = {}, {}, {}, {}, {}
    start = time.perf_counter()
    total = sum(len(examples) for examples, _ in loaded.values())
    with progress_bar(total=total, desc=f"smoothed {task.name}/{split} (M={settings.copies})", unit="ex") as bar:
        for language, (examples, report) in loaded.items():
            bar.set_postfix(lang=language)
            result = smoothed_predict_sharded(model, tokenizer, task, examples, settings, synonyms, max_length,
                                              batch_size, processes, progress=bar)
            gold = np.array([task.label_index(e.label) for e in examples], dtype=int)
            accuracy[language], ci95[language] = accuracy_with_ci(result.labels == gold, seed=settings.seed)
            counts[language], skipped[language] = len(examples), report.skipped
            unanimous[language] = float(result.unanimous.mean()) if len(examples) else float("nan")
            if not processes.is_main:
                continue
            write_jsonl(output_dir / "predictions" / f"{split}-{language}.jsonl", (
                {"id": e.id, "language": e.language, "label": e.label,
                 "prediction": task.label_names[int(p)], "correct": task.label_names[int(p)] == e.label,
                 "votes": [int(v) for v in votes]}
                for e, p, votes in zip(examples, result.labels, result.votes)))
    seconds = time.perf_counter() - start
    return {
        "accuracy": accuracy, "ci95": ci95, "n": counts, "skipped_blank": skipped,
        "average": float(np.mean(list(accuracy.values()))) if accuracy else float("nan"),
        "unanimous": unanimous,
        "eval_seconds": round(seconds, 2),
    }


def smoothed_predict_sharded(model, tokenizer, task: TaskSpec, examples, settings: SmoothingSettings, synonyms,
                             max_length: int, batch_size: int, processes: Processes,
                             progress=None) -> SmoothedPredictions:
    """`smoothed_predict` on several processes: each votes on a block of whole chunks (the draws
    are seeded by chunk number), and every process gets all votes, in input order: the same
    votes as one process."""
    if not processes.distributed:
        return smoothed_predict(model, tokenizer, task, examples, settings, synonyms, max_length, batch_size,
                                progress=progress)
    per_chunk = examples_per_chunk(batch_size, settings.copies)
    chunks = processes.shard(-(-len(examples) // per_chunk))
    mine = examples[chunks.start * per_chunk:chunks.stop * per_chunk]
    local = smoothed_predict(model, tokenizer, task, mine, settings, synonyms, max_length, batch_size,
                             first_chunk=chunks.start)
    parts = processes.gather([(local.labels, local.votes)] if mine else [])
    if progress is not None:
        progress.update(len(examples))
    if not parts:
        return SmoothedPredictions(np.empty(0, dtype=int), np.empty((0, len(task.label_names)), dtype=int))
    return SmoothedPredictions(np.concatenate([labels for labels, _ in parts]),
                               np.concatenate([votes for _, votes in parts]))
