"""Tasks: the Example record, the task registry, and readers (XTREME folders, HF hub)."""

from pathlib import Path

from xrobust.tasks.example import Example
from xrobust.tasks.registry import TASKS, TaskSpec, get_task, parse_languages
from xrobust.tasks.xtreme import FileReport, read_examples


def load_examples(data_dir: Path | str, task: TaskSpec, split: str, language: str, blank_policy: str = "skip"):
    """Examples of one split and language, with a report of what was skipped.

    `data_dir` is an XTREME-layout folder, or the string "hub" for the Hugging Face hub.
    """
    if str(data_dir) == "hub":
        from xrobust.tasks.hub import load_hub_examples

        examples, unlabeled = load_hub_examples(task, split, language)
        report = FileReport(path=f"hub:{task.hub_id}/{language}/{split}", rows=len(examples) + unlabeled)
        report.kept = len(examples)
        return examples, report
    return read_examples(Path(data_dir), task, split, language, blank_policy)


__all__ = ["Example", "TASKS", "TaskSpec", "get_task", "parse_languages", "load_examples", "FileReport"]


def evenly_spaced(examples: list[Example], total_rows: int, n: int | None) -> list[Example]:
    """At most `n` examples at evenly spaced rows of the file. The choice depends on row
    numbers only, so every language of a parallel split keeps the same pair ids (rows
    skipped as blank in one language are simply missing there)."""
    if n is None or n >= total_rows:
        return examples
    wanted = {f"{_split_of(examples)}-{i * total_rows // n + 1}" for i in range(n)}
    return [e for e in examples if e.id in wanted]


def _split_of(examples: list[Example]) -> str:
    return examples[0].id.rsplit("-", 1)[0] if examples else ""
