"""Which checkpoint a command means, and which of its heads scores a task: every command
that loads a trained classifier (evaluate, attack, study) resolves it here."""

from pathlib import Path

from xrobust.encoders.classifier import HEAD_CONFIG
from xrobust.errors import UserError
from xrobust.results.rundir import read_json
from xrobust.tasks import get_task


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
    if (folder / "config.json").is_file() and "config" in read_json(folder / "config.json"):
        raise UserError(f"CHECKPOINT {folder}: an xrobust run that has not finished training (no selected model "
                        "yet); run the same `xrobust train` command to resume it")
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
