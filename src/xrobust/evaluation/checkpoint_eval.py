"""`xrobust evaluate`: score a trained checkpoint (or a run directory's selected one)."""

from pathlib import Path

from xrobust.encoders.classifier import HEAD_CONFIG, load_classifier
from xrobust.errors import UserError
from xrobust.evaluation.zero_shot import evaluate_languages
from xrobust.results.plots import accuracy_plot
from xrobust.results.rundir import read_json, write_json
from xrobust.tasks import get_task, parse_languages


def resolve_checkpoint(path: str) -> tuple[Path, Path | None]:
    """(checkpoint folder, run directory or None) from a run directory or a checkpoint folder."""
    folder = Path(path)
    if not folder.exists():
        raise UserError(f"CHECKPOINT {folder}: no such folder")
    if (folder / HEAD_CONFIG).is_file():
        run_dir = folder.parent if (folder.parent / "config.json").is_file() else None
        return folder, run_dir
    if (folder / "model" / HEAD_CONFIG).is_file():
        return folder / "model", folder
    raise UserError(f"CHECKPOINT {folder}: neither a run directory (with model/) nor an xrobust checkpoint folder")


def pick_head(head_config: dict, task_name: str, option: str = "--task") -> str:
    """The head that scores `task_name`: its own, or one with the same labels (MNLI <-> XNLI)."""
    task = get_task(task_name)
    if task_name in head_config["heads"]:
        return task_name
    for head, labels in head_config["heads"].items():
        if tuple(labels) == task.label_names:
            return head
    raise UserError(f"{option} {task_name}: the checkpoint has heads for {', '.join(head_config['heads'])} "
                    f"whose labels differ from {task_name}'s")


def evaluate_checkpoint(checkpoint: str, task_name: str, split: str, languages: str | None, data_dir,
                        output_dir: str | None, max_examples: int | None, batch_size: int,
                        max_length: int | None) -> tuple[dict, Path]:
    folder, run_dir = resolve_checkpoint(checkpoint)
    task = get_task(task_name)
    chosen = parse_languages("--languages", languages, task)
    model, tokenizer, head_config = load_classifier(folder)
    head = pick_head(head_config, task_name)
    if head != task_name:  # the model's head is named after the task it was trained on
        model.heads[task_name] = model.heads[head]
    train_config = read_json(run_dir / "config.json")["config"] if run_dir else {}
    out = Path(output_dir) if output_dir else (run_dir or folder) / "evaluations" / f"{task_name}-{split}"
    metrics = evaluate_languages(
        model, tokenizer, task, data_dir, split, chosen, max_examples=max_examples,
        max_length=max_length or train_config.get("max_length", 128), batch_size=batch_size, output_dir=out)
    metrics = {
        "task": task_name, "split": split, "model": train_config.get("model", str(folder)),
        "method": train_config.get("method", "unknown"), "intermediate": train_config.get("intermediate", []),
        "seed": train_config.get("seed"), "checkpoint": str(folder), **metrics,
    }
    write_json(out / "metrics.json", metrics)
    accuracy_plot(metrics, out / "accuracy.png")
    return metrics, out
