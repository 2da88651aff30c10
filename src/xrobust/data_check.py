"""`xrobust data check DIR`: validate every task file of an XTREME-layout folder."""

import re
from pathlib import Path

from xrobust.errors import UserError
from xrobust.tasks import TASKS
from xrobust.tasks.xtreme import parse_file

FILE_NAME = re.compile(r"^(?P<split>[a-z]+)(?:-(?P<lang>[a-z]{2,3}))?\.tsv$")


def check_folder(root: Path) -> tuple[list[str], int]:
    """Return (report lines, number of problems)."""
    if not root.is_dir():
        raise UserError(f"{root}: no such folder")
    folders = [root] if root.name in {t.folder for t in TASKS.values()} else sorted(p for p in root.iterdir() if p.is_dir())
    by_folder = {t.folder: t for t in TASKS.values()}
    lines, problems = [], 0
    for folder in folders:
        task = by_folder.get(folder.name)
        if task is None:
            lines.append(f"{folder}: not a known task folder (known: {', '.join(sorted(by_folder))}); skipped")
            continue
        files = sorted(folder.glob("*.tsv"))
        if not files:
            lines.append(f"{folder}: no .tsv files")
            problems += 1
        for path in files:
            match = FILE_NAME.match(path.name)
            if not match or (task.file_has_language and not match["lang"]):
                lines.append(f"{path}: unexpected file name (expected {{split}}-{{lang}}.tsv)")
                problems += 1
                continue
            language = match["lang"] or "en"
            _, report = parse_file(path, task, match["split"], language)
            blank = f", {len(report.blank_lines)} empty or untranslated (lines {_short(report.blank_lines)})" \
                if report.blank_lines else ""
            lines.append(f"{path}: {report.rows} rows{blank}")
            lines.extend(f"  {problem}" for problem in report.problems)
            problems += len(report.problems)
    lines.append(f"{problems} problem(s) found" if problems else "no problems found")
    return lines, problems


def _short(numbers: list[int], limit: int = 8) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (f", ... ({len(numbers)} in all)" if len(numbers) > limit else "")
