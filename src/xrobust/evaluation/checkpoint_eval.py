"""`xrobust evaluate`: score a trained checkpoint (or a run directory's selected one).

The output folder gets evaluate.json first: every setting of the evaluation, resolved (the
languages, the max length taken from the run, the precision `auto` chose), so the folder says
how its numbers were made. The synonym tables a smoothed evaluation used are in its metrics.
"""

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from xrobust.encoders.checkpoints import pick_head, resolve_checkpoint
from xrobust.encoders.classifier import load_classifier
from xrobust.encoders.devices import resolve_precision
from xrobust.encoders.pairs import encode_pairs
from xrobust.encoders.predict import predict_logits
from xrobust.encoders.processes import Processes, current_processes
from xrobust.evaluation.generalized import (GENERALIZED_JSON, GENERALIZED_PNG, generalized_accuracy, load_parallel,
                                            plot_heatmap)
from xrobust.evaluation.smoothed import evaluate_smoothed, smoothed_predict_sharded
from xrobust.evaluation.zero_shot import evaluate_languages
from xrobust.lexicon.encoder_neighbours import NeighbourEncoder
from xrobust.lexicon.synonym_sources import SynonymLexicon, check_covered, load_synonyms
from xrobust.lexicon.synonym_sources import meaning_note as source_meaning_note
from xrobust.lexicon.synonyms import default_synonyms_path
from xrobust.results.plots import accuracy_plot
from xrobust.results.rundir import environment, read_json, write_json
from xrobust.robust.settings import SmoothingSettings
from xrobust.tasks import get_task, parse_languages


EVALUATE_JSON = "evaluate.json"


def evaluate_checkpoint(checkpoint: str, task_name: str, split: str, languages: str | None, data_dir,
                        output_dir: str | None, max_examples: int | None, batch_size: int,
                        max_length: int | None, smoothing: SmoothingSettings | None = None,
                        synonyms: str = "", generalized: bool = False,
                        precision: str = "auto") -> tuple[dict, Path]:
    """Plain zero-shot accuracy per language; or, with `smoothing`, the accuracy of the vote
    over perturbed copies; with `generalized`, the (sentence1 language x sentence2 language)
    matrix (voting too if `smoothing` is given). Returns (what was written, output folder).

    Under a launcher every process scores a block of each language's examples and the main
    process writes the merged results: the same files as one process."""
    processes = current_processes()
    folder, run_dir = resolve_checkpoint(checkpoint)
    task = get_task(task_name)
    chosen = parse_languages("--languages", languages, task)
    table = _synonym_table(smoothing, synonyms, chosen, data_dir)  # a bad path fails before the model loads
    model, tokenizer, head_config = load_classifier(folder)
    if table is not None:  # encoder-neighbours searches this checkpoint's input embeddings
        table = table(NeighbourEncoder(str(folder), tokenizer, model.word_embeddings().weight))
    # this process's device: the GPU where there is one (under a launcher, the one Accelerate gives
    # it), else the CPU; a single process once stayed on the CPU even beside a GPU
    model.to(processes.device)
    used = resolve_precision(precision, next(model.parameters()).device)
    head = pick_head(head_config, task_name)
    if head != task_name:  # the model's head is named after the task it was trained on
        model.heads[task_name] = model.heads[head]
    run_config = read_json(run_dir / "config.json") if run_dir else {}
    train_config = run_config.get("config", {})
    max_length = max_length or train_config.get("max_length", 128)
    variant = "-generalized" if generalized else ""
    if smoothing:
        variant += f"-smoothed-{smoothing.kind}-m{smoothing.copies}"
    out = Path(output_dir) if output_dir else (run_dir or folder) / "evaluations" / f"{task_name}-{split}{variant}"
    about = {
        "task": task_name, "split": split, "model": train_config.get("model", str(folder)),
        "method": train_config.get("method", "unknown"), "intermediate": train_config.get("intermediate", []),
        **({"intermediate_condition": run_config["intermediate_condition"]}
           if "intermediate_condition" in run_config else {}),
        "seed": train_config.get("seed"), "checkpoint": str(folder),
        "precision": {"used": used.name, "reason": used.reason},
    }
    if smoothing:
        about["smoothing"] = {**asdict(smoothing), "synonyms": synonyms if smoothing.kind == "synonyms" else None,
                              "synonym_tables": table.describe() if table else None,
                              "meaning_note": source_meaning_note(smoothing.synonym_sources, chosen)
                              if smoothing.kind == "synonyms" else None}
    if processes.is_main:
        write_json(out / EVALUATE_JSON, {
            "settings": {"checkpoint": checkpoint, "task": task_name, "split": split, "languages": list(chosen),
                         "data_dir": str(data_dir), "max_examples": max_examples, "batch_size": batch_size,
                         "max_length": max_length, "precision": {"asked": precision, "used": used.name,
                                                                 "reason": used.reason},
                         "generalized": generalized,
                         "smoothing": asdict(smoothing) if smoothing else None, "synonyms": synonyms},
            "checkpoint": str(folder),  # the weights the checkpoint argument resolved to
            "environment": environment(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })
    # Every forward pass of the evaluation under the chosen precision; logits are compared in fp32.
    device_type = next(model.parameters()).device.type
    with torch.inference_mode(), torch.autocast(device_type, dtype=used.autocast_dtype,
                                                enabled=used.autocast_dtype is not None):
        if generalized:
            return _evaluate_generalized(model, tokenizer, task, data_dir, split, chosen, max_examples, max_length,
                                         batch_size, smoothing, table, about, out, used.autocast_dtype,
                                         processes), out
        if smoothing:
            metrics = evaluate_smoothed(model, tokenizer, task, data_dir, split, chosen, smoothing, table,
                                        max_examples=max_examples, max_length=max_length, batch_size=batch_size,
                                        output_dir=out, processes=processes)
        else:
            metrics = evaluate_languages(
                model, tokenizer, task, data_dir, split, chosen, max_examples=max_examples,
                max_length=max_length, batch_size=batch_size, output_dir=out, autocast_dtype=used.autocast_dtype,
                processes=processes)
    metrics = {**about, **metrics}
    if processes.is_main:
        write_json(out / "metrics.json", metrics)
        accuracy_plot(metrics, out / "accuracy.png")
    return metrics, out


def _synonym_table(smoothing: SmoothingSettings | None, synonyms: str, languages,
                   data_dir) -> Callable[[NeighbourEncoder], SynonymLexicon] | None:
    """The tables of the chosen languages, to be loaded once the model is (encoder-neighbours
    needs it); a language no source covers is refused now."""
    if smoothing is None or smoothing.kind != "synonyms":
        return None
    counter_fitted = Path(synonyms) if synonyms else default_synonyms_path()
    check_covered(smoothing.synonym_sources, languages, "--synonym-source", counter_fitted)
    # "hub" passes through: synonym_sources reads no local vocabulary files for it
    return lambda encoder: load_synonyms(smoothing.synonym_sources, languages, counter_fitted, encoder=encoder,
                                         data_dir=Path(data_dir) if data_dir else None)


def _evaluate_generalized(model, tokenizer, task, data_dir, split, languages, max_examples, max_length,
                          batch_size, smoothing, table, about, out: Path, autocast_dtype=None,
                          processes: Processes = Processes()) -> dict:
    parallel = load_parallel(data_dir, task, split, languages, max_examples)

    def predict(examples):
        if smoothing:
            return smoothed_predict_sharded(model, tokenizer, task, examples, smoothing, table, max_length,
                                            batch_size, processes).labels
        pairs = encode_pairs(tokenizer, examples, task, max_length)
        return predict_logits(model, task.name, pairs, tokenizer.pad_token_id, batch_size,
                              autocast_dtype=autocast_dtype, processes=processes).argmax(-1).numpy()

    result = generalized_accuracy(parallel, task, predict)
    payload = {**result.to_dict(), **about, "rows_per_language": parallel.rows, "rows_selected": parallel.selected}
    if not processes.is_main:
        return payload
    write_json(out / GENERALIZED_JSON, payload)
    plot_heatmap(result, out / GENERALIZED_PNG, f"{about['task']}/{about['split']}: generalized cross-lingual accuracy")
    return payload
