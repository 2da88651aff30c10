"""Where a training stage's labelled pairs come from: a task, a split and languages.

English training pairs are the usual source (`mnli` = mnli's train split in English). A
multilingual intermediate stage can take a task's labelled dev files in several languages
(`xnli:dev:ar,bg,de`): row i of the split is taken in languages[i % len(languages)], so the
pair ids are those of the English source of the same size, spread over the languages. Only
the language changes between those two sources, which isolates what multilinguality does.
"""

from dataclasses import dataclass

from xrobust.errors import UserError
from xrobust.tasks.example import Example
from xrobust.tasks.registry import get_task, parse_languages
from xrobust.tasks.xtreme import FileReport

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class TrainingSource:
    task: str
    split: str = "train"
    languages: tuple[str, ...] = ("en",)

    @classmethod
    def parse(cls, text: str, option: str) -> "TrainingSource":
        """`task`, `task:split` or `task:split:lang,lang` (an --intermediate entry)."""
        parts = text.split(":")
        if len(parts) > 3 or not parts[0]:
            raise UserError(f"{option}: {text!r} is not TASK, TASK:SPLIT or TASK:SPLIT:LANG,LANG")
        task = get_task(parts[0])
        split = parts[1] if len(parts) > 1 and parts[1] else "train"
        if split not in SPLITS:
            raise UserError(f"{option}: {text!r}: unknown split {split!r} ({', '.join(SPLITS)})")
        languages = parse_languages(option, parts[2], task) if len(parts) > 2 else ("en",)
        if len(set(languages)) != len(languages):
            raise UserError(f"{option}: {text!r}: a language is listed twice")
        return cls(task.name, split, languages)

    @property
    def is_english_train(self) -> bool:
        return self.split == "train" and self.languages == ("en",)

    def slug(self) -> str:
        """A folder-friendly name: `mnli`, `xnli-dev-en`, `xnli-dev-14-languages`."""
        if self.is_english_train:
            return self.task
        languages = "-".join(self.languages) if len(self.languages) <= 3 else f"{len(self.languages)}-languages"
        return f"{self.task}-{self.split}-{languages}"


def spread_over_languages(per_language: dict[str, tuple[list[Example], FileReport]], languages: tuple[str, ...],
                          split: str, limit: int | None) -> list[Example]:
    """Row i (of the first `limit` rows) in languages[i % len(languages)]. The files of a
    parallel split have the same rows; a row that is blank in its language was skipped by
    the reader (and counted in its report), so it is simply missing here."""
    rows = {report.rows for _, report in per_language.values()}
    if len(rows) > 1:
        sizes = ", ".join(f"{report.path} ({report.rows})" for _, report in per_language.values())
        raise UserError(f"{split} files of different lengths cannot be spread over languages: {sizes}")
    total = rows.pop()
    count = total if limit is None else min(limit, total)
    by_id = {language: {e.id: e for e in examples} for language, (examples, _) in per_language.items()}
    picked = []
    for row in range(count):
        language = languages[row % len(languages)]
        example = by_id[language].get(f"{split}-{row + 1}")
        if example is not None:
            picked.append(example)
    return picked


def evenly_spaced_excluding(examples: list[Example], excluded: set[str], n: int | None) -> list[Example]:
    """At most `n` examples evenly spaced over those whose ids are not `excluded` (English dev
    pairs for model selection when the stage trains on dev rows)."""
    kept = [e for e in examples if e.id not in excluded]
    if n is None or n >= len(kept):
        return kept
    return [kept[i * len(kept) // n] for i in range(n)]
