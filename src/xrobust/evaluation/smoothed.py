"""Smoothed zero-shot accuracy per language: the majority vote over M perturbed copies, with
how often the vote was unanimous (a cheap signal of how stable predictions are)."""

import time
from pathlib import Path

import numpy as np
from xrobust.progress import progress_bar

from xrobust.evaluation.accuracy import accuracy_with_ci
from xrobust.results.rundir import write_jsonl
from xrobust.robust.settings import SmoothingSettings
from xrobust.robust.smoothing import smoothed_predict
from xrobust.tasks import TaskSpec, evenly_spaced, load_examples


def evaluate_smoothed(model, tokenizer, task: TaskSpec, data_dir, split: str, languages, settings: SmoothingSettings,
                      synonyms, *, max_examples: int | None, max_length: int, batch_size: int,
                      output_dir: Path, blank_policy: str = "skip") -> dict:
    """Score every language by vote; write predictions/{split}-{lang}.jsonl with the vote counts."""
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
            result = smoothed_predict(model, tokenizer, task, examples, settings, synonyms, max_length, batch_size,
                                      progress=bar)
            gold = np.array([task.label_index(e.label) for e in examples], dtype=int)
            accuracy[language], ci95[language] = accuracy_with_ci(result.labels == gold, seed=settings.seed)
            counts[language], skipped[language] = len(examples), report.skipped
            unanimous[language] = float(result.unanimous.mean()) if len(examples) else float("nan")
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
