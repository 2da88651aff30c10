"""The one record every task is mapped onto."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """A sentence pair with its gold label.

    `label` is the label as written in the data file ("0", "entailment", ...); the task's
    `label_names` maps it to a class index. `id` is stable across languages of a parallel
    split (the row number), so the same pair can be joined across languages.
    """

    id: str
    sentence1: str
    sentence2: str
    label: str
    language: str
