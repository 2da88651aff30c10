"""Reader for the XTREME folder layout: `{task}/{split}-{lang}.tsv`, three tab-separated columns.

Real data is messy: some translated PAWS-X rows are empty or hold the marker `NS` (not translated).
Such rows are not errors; they are counted and, under the default policy, skipped, and the
counts travel with the examples so that runs can record them. Structural defects (bad
column count, unknown label, invalid UTF-8, empty file) are errors naming file and line.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.errors import UserError
from xrobust.tasks.example import Example
from xrobust.tasks.registry import TaskSpec

UNTRANSLATED_MARKERS = frozenset({"NS"})  # the official PAWS-X release marks untranslated sentences so
BLANK_POLICIES = ("skip", "keep")


@dataclass
class FileReport:
    """What reading one file found: rows, and which rows were blank (empty or `NS`)."""

    path: str
    rows: int = 0
    kept: int = 0
    blank_lines: list[int] = field(default_factory=list)  # 1-based line numbers
    problems: list[str] = field(default_factory=list)  # "path:line: message"

    @property
    def skipped(self) -> int:
        return self.rows - self.kept


def data_dir_from(option_value: str | None) -> Path | str:
    """--data-dir, else $XROBUST_DATA; "hub" selects the Hugging Face hub."""
    value = option_value or os.environ.get("XROBUST_DATA")
    if not value:
        raise UserError(
            "--data-dir: not given and XROBUST_DATA is not set (point it at an XTREME-layout folder, or say 'hub')"
        )
    if value == "hub":
        return "hub"
    path = Path(value)
    if not path.is_dir():
        raise UserError(f"--data-dir: {path} is not a directory")
    return path


def task_file(data_dir: Path, task: TaskSpec, split: str, language: str) -> Path:
    folder = task_folder(data_dir, task)
    path = folder / task.file_name(split, language)
    if not path.is_file():
        raise UserError(f"{path}: no such file (split {split!r}, language {language!r})")
    return path


def task_folder(data_dir: Path, task: TaskSpec) -> Path:
    """`data_dir/{task}`; tasks outside XTREME (MNLI) may also sit beside the XTREME folder,
    as in `data/xtreme/` + `data/mnli/`."""
    candidates = [data_dir / task.folder]
    if not task.file_has_language:
        candidates.append(data_dir.parent / task.folder)
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise UserError(f"{candidates[0]}: no such folder (expected {task.folder}/ inside the data directory"
                    + (" or beside it" if len(candidates) > 1 else "") + ")")


def parse_file(path: Path, task: TaskSpec, split: str, language: str, blank_policy: str = "skip"):
    """Parse every row; return (examples, report). Problems are collected, not raised."""
    if blank_policy not in BLANK_POLICIES:
        raise UserError(f"--blank-policy: {blank_policy!r} is not one of {', '.join(BLANK_POLICIES)}")
    report = FileReport(path=str(path))
    examples: list[Example] = []
    raw = path.read_bytes()
    if not raw.strip():
        report.problems.append(f"{path}: file is empty")
        return examples, report
    for line_no, raw_line in enumerate(raw.split(b"\n"), start=1):
        raw_line = raw_line.rstrip(b"\r")
        if not raw_line.strip():
            continue  # trailing newline, blank separator lines
        report.rows += 1
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as err:
            report.problems.append(f"{path}:{line_no}: invalid UTF-8 at byte {err.start}")
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            report.problems.append(f"{path}:{line_no}: expected 3 tab-separated columns, found {len(fields)}")
            continue
        sentence1, sentence2, label = (f.strip() for f in fields)
        if label not in task.label_names:
            report.problems.append(
                f"{path}:{line_no}: unknown label {label!r} (expected one of {', '.join(task.label_names)})"
            )
            continue
        if _is_blank(sentence1) or _is_blank(sentence2):
            report.blank_lines.append(line_no)
            if blank_policy == "skip":
                continue
        examples.append(Example(f"{split}-{line_no}", sentence1, sentence2, label, language))
    report.kept = len(examples)
    return examples, report


def read_examples(data_dir: Path, task: TaskSpec, split: str, language: str, blank_policy: str = "skip"):
    """Examples of one split and language; raises UserError on the first structural problem."""
    path = task_file(data_dir, task, split, language)
    examples, report = parse_file(path, task, split, language, blank_policy)
    if report.problems:
        extra = f" (and {len(report.problems) - 1} more; run `xrobust data check`)" if len(report.problems) > 1 else ""
        raise UserError(report.problems[0] + extra)
    return examples, report


def _is_blank(sentence: str) -> bool:
    return not sentence or sentence in UNTRANSLATED_MARKERS
