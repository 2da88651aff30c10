"""Registered tasks: their labels, languages and where their files and hub copies live."""

import difflib
from dataclasses import dataclass

from xrobust.errors import UserError


@dataclass(frozen=True)
class TaskSpec:
    name: str
    label_names: tuple[str, ...]  # class index i <-> label_names[i], as written in the files
    languages: tuple[str, ...]  # languages with evaluation data; training is English only
    folder: str  # sub-folder of an XTREME-layout data directory
    # Hugging Face hub: dataset id, how a language selects a config (None: single config),
    # column names for the two sentences, and split names.
    hub_id: str
    hub_language_configs: bool
    hub_columns: tuple[str, str]
    hub_splits: dict[str, str]
    # Some XTREME folders name files without a language (MNLI: train.tsv, dev.tsv).
    file_has_language: bool = True

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    def label_index(self, label: str) -> int:
        return self.label_names.index(label)

    def file_name(self, split: str, language: str) -> str:
        return f"{split}-{language}.tsv" if self.file_has_language else f"{split}.tsv"


NLI_LABELS = ("entailment", "neutral", "contradiction")  # the order XNLI and MNLI use on the hub

TASKS: dict[str, TaskSpec] = {
    "pawsx": TaskSpec(
        name="pawsx",
        label_names=("0", "1"),
        languages=("en", "de", "es", "fr", "ja", "ko", "zh"),
        folder="pawsx",
        hub_id="google-research-datasets/paws-x",
        hub_language_configs=True,
        hub_columns=("sentence1", "sentence2"),
        hub_splits={"train": "train", "dev": "validation", "test": "test"},
    ),
    "xnli": TaskSpec(
        name="xnli",
        label_names=NLI_LABELS,
        languages=("en", "ar", "bg", "de", "el", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"),
        folder="xnli",
        hub_id="facebook/xnli",
        hub_language_configs=True,
        hub_columns=("premise", "hypothesis"),
        hub_splits={"train": "train", "dev": "validation", "test": "test"},
    ),
    "mnli": TaskSpec(
        name="mnli",
        label_names=NLI_LABELS,
        languages=("en",),
        folder="mnli",
        hub_id="nyu-mll/multi_nli",
        hub_language_configs=False,
        hub_columns=("premise", "hypothesis"),
        hub_splits={"train": "train", "dev": "validation_matched"},
        file_has_language=False,
    ),
}


def did_you_mean(value: str, known) -> str:
    """" (did you mean 'xnli'?)" for a near miss, else ""."""
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise UserError(f"--task: unknown task {name!r}{did_you_mean(name, TASKS)}; "
                        f"known tasks: {', '.join(sorted(TASKS))}") from None


def parse_languages(option: str, value: str | None, task: TaskSpec) -> tuple[str, ...]:
    """`en,de` -> ('en', 'de'); None -> all of the task's languages."""
    if not value:
        return task.languages
    languages = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [lang for lang in languages if lang not in task.languages]
    if unknown:
        hint = did_you_mean(unknown[0], task.languages) if len(unknown) == 1 else ""
        raise UserError(
            f"{option}: {task.name} has no language {', '.join(unknown)}{hint}; it has {', '.join(task.languages)}"
        )
    return languages
