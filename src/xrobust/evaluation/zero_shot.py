"""Zero-shot accuracy per language, the average over languages, and per-example predictions."""

import time
from pathlib import Path

import numpy as np
import torch

from xrobust.encoders.pairs import encode_pairs
from xrobust.encoders.predict import predict_logits
from xrobust.encoders.processes import Processes
from xrobust.evaluation.accuracy import accuracy_with_ci
from xrobust.progress import progress_bar
from xrobust.results.rundir import write_jsonl
from xrobust.tasks import TaskSpec, evenly_spaced, load_examples


def evaluate_languages(model, tokenizer, task: TaskSpec, data_dir, split: str, languages, *,
                       max_examples: int | None, max_length: int, batch_size: int, output_dir: Path,
                       blank_policy: str = "skip", seed: int = 0, autocast_dtype=None,
                       exclude_ids: set[str] = frozenset(), processes: Processes = Processes()) -> dict:
    """Score every language; write predictions/{split}-{lang}.jsonl; return the metrics.
    Rows in `exclude_ids` (pairs the model trained on, in any language) are left out.
    On several processes each scores a block of every language's rows; every process
    returns the metrics and the main process writes the predictions, in input order."""
    loaded = {}
    for language in languages:
        examples, report = load_examples(data_dir, task, split, language, blank_policy)
        examples = [e for e in examples if e.id not in exclude_ids]
        loaded[language] = (evenly_spaced(examples, report.rows, max_examples), report)
    total = sum(len(examples) for examples, _ in loaded.values())
    accuracy, ci95, counts, skipped = {}, {}, {}, {}
    start = time.perf_counter()
    with progress_bar(total=total, desc=f"evaluate {task.name}/{split}", unit="ex") as bar:
        for language, (examples, report) in loaded.items():
            bar.set_postfix(lang=language)
            pairs = encode_pairs(tokenizer, examples, task, max_length)
            logits = predict_logits(model, task.name, pairs, tokenizer.pad_token_id, batch_size,
                                    autocast_dtype=autocast_dtype, progress=bar, processes=processes)
            predicted = logits.argmax(-1).numpy()
            gold = np.array(pairs.labels)
            accuracy[language], ci95[language] = accuracy_with_ci(predicted == gold, seed=seed)
            counts[language] = len(examples)
            skipped[language] = report.skipped
            if processes.is_main:
                write_jsonl(output_dir / "predictions" / f"{split}-{language}.jsonl",
                            _prediction_rows(examples, task, predicted, torch.softmax(logits, -1)))
    seconds = time.perf_counter() - start
    return {
        "accuracy": accuracy,
        "ci95": ci95,
        "n": counts,
        "skipped_blank": skipped,
        **({"excluded_training_rows": len(exclude_ids)} if exclude_ids else {}),
        "average": float(np.mean(list(accuracy.values()))) if accuracy else float("nan"),
        "eval_seconds": round(seconds, 2),
        "eval_examples_per_second": round(total / seconds, 2) if seconds > 0 else None,
    }


def _prediction_rows(examples, task: TaskSpec, predicted, probabilities):
    for example, label_index, probs in zip(examples, predicted, probabilities):
        yield {
            "id": example.id,
            "language": example.language,
            "label": example.label,
            "prediction": task.label_names[int(label_index)],
            "correct": task.label_names[int(label_index)] == example.label,
            "probabilities": [round(float(p), 5) for p in probs],
        }
