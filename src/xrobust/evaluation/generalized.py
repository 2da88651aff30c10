"""Generalized cross-lingual transfer (Lewis et al. 2020, MLQA's G-XLT): accuracy on pairs whose
sentence1 is in language l1 and sentence2 in l2, for every (l1, l2).

XTREME dev/test files are row-aligned across languages (line k is the same pair translated),
and `Example.id` is "{split}-{line}", so the pairs are joined by id. Alignment is checked:
files with different row counts, or a row whose label differs between languages, stop the
evaluation with the files named. Rows blank in either language are skipped and counted.
The diagonal (l1 == l2) is plain zero-shot accuracy.
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from xrobust.errors import UserError
from xrobust.tasks import Example, TaskSpec, evenly_spaced, load_examples

GENERALIZED_JSON = "generalized.json"
GENERALIZED_PNG = "generalized.png"


@dataclass
class ParallelSplit:
    """One split in several languages, each language's examples keyed by the shared row id."""

    rows: int  # rows per file (equal in every language)
    selected: int  # rows evaluated (all, or --max-examples evenly spaced)
    by_language: dict[str, dict[str, Example]]  # language -> id -> example (blank rows absent)


@dataclass
class GeneralizedResult:
    accuracy: dict[str, dict[str, float]]  # l1 (sentence1) -> l2 (sentence2) -> accuracy
    n: dict[str, dict[str, int]]  # pairs scored
    skipped_blank: dict[str, dict[str, int]]  # rows blank in l1 or l2

    def to_dict(self) -> dict:
        return asdict(self)


def load_parallel(data_dir, task: TaskSpec, split: str, languages: list[str],
                  max_examples: int | None = None) -> ParallelSplit:
    loaded = {lang: load_examples(data_dir, task, split, lang, "skip") for lang in languages}
    first = languages[0]
    rows = loaded[first][1].rows
    for lang in languages[1:]:
        report = loaded[lang][1]
        if report.rows != rows:
            raise UserError(f"--generalized: {loaded[first][1].path} has {rows} rows but {report.path} has "
                            f"{report.rows}; the files must be row-aligned translations of one another")
    by_language = {lang: {e.id: e for e in evenly_spaced(examples, rows, max_examples)}
                   for lang, (examples, _) in loaded.items()}
    for lang in languages[1:]:
        for row_id, example in by_language[lang].items():
            reference = by_language[first].get(row_id)
            if reference is not None and reference.label != example.label:
                line = row_id.rsplit("-", 1)[1]
                raise UserError(f"--generalized: {loaded[first][1].path}:{line} and {loaded[lang][1].path}:{line} "
                                f"have different labels ({reference.label} vs {example.label}); "
                                "the files are not row-aligned")
    selected = rows if max_examples is None else min(rows, max_examples)
    return ParallelSplit(rows, selected, by_language)


def cross_pairs(split: ParallelSplit, first: str, second: str) -> list[Example]:
    """Sentence1 from `first`, sentence2 from `second`, for the rows present (not blank) in both."""
    seconds = split.by_language[second]
    return [Example(e.id, e.sentence1, seconds[e.id].sentence2, e.label, f"{first}-{second}")
            for e in split.by_language[first].values() if e.id in seconds]


def generalized_accuracy(split: ParallelSplit, task: TaskSpec,
                         predict: Callable[[list[Example]], np.ndarray]) -> GeneralizedResult:
    """`predict(examples)` returns label indices; it is called once per (l1, l2), batched inside."""
    accuracy, counts, skipped = {}, {}, {}
    for first in split.by_language:
        accuracy[first], counts[first], skipped[first] = {}, {}, {}
        for second in split.by_language:
            pairs = cross_pairs(split, first, second)
            predicted = predict(pairs) if pairs else np.empty(0, dtype=int)
            gold = np.array([task.label_index(e.label) for e in pairs], dtype=int)
            accuracy[first][second] = float((predicted == gold).mean()) if pairs else float("nan")
            counts[first][second] = len(pairs)
            skipped[first][second] = split.selected - len(pairs)
    return GeneralizedResult(accuracy, counts, skipped)


def generalized_table(result: GeneralizedResult) -> str:
    """The matrix as Markdown: rows are sentence1's language, columns sentence2's."""
    languages = list(result.accuracy)
    lines = ["| s1 \\ s2 | " + " | ".join(languages) + " |", "|---" * (len(languages) + 1) + "|"]
    for first in languages:
        lines.append(f"| {first} | " + " | ".join(f"{result.accuracy[first][s]:.4f}" for s in languages) + " |")
    skipped = sum(v for row in result.skipped_blank.values() for v in row.values())
    lines += ["", f"Pairs per cell: {min(v for r in result.n.values() for v in r.values())}-"
                  f"{max(v for r in result.n.values() for v in r.values())}; "
                  f"rows skipped as blank in either language, over all cells: {skipped}."]
    return "\n".join(lines)


def plot_heatmap(result: GeneralizedResult, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    languages = list(result.accuracy)
    matrix = np.array([[result.accuracy[a][b] for b in languages] for a in languages])
    size = 1.0 + 0.6 * len(languages)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(matrix, cmap="viridis")
    ax.set_xticks(range(len(languages)), languages)
    ax.set_yticks(range(len(languages)), languages)
    ax.set_xlabel("sentence2 language")
    ax.set_ylabel("sentence1 language")
    ax.set_title(title)
    middle = np.nanmean(matrix) if np.isfinite(matrix).any() else 0.0
    for i in range(len(languages)):
        for j in range(len(languages)):
            ax.text(j, i, f"{100 * matrix[i, j]:.1f}", ha="center", va="center", fontsize=8,
                    color="black" if matrix[i, j] > middle else "white")
    fig.colorbar(image, ax=ax, label="accuracy")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def same_and_mixed(accuracy: dict[str, dict[str, float]]) -> tuple[float, float]:
    """(mean of the diagonal: zero-shot pairs, mean off it: sentence1 and sentence2 in different
    languages; nan for a one-language matrix) of a generalized.json accuracy matrix."""
    same = [row[a] for a, row in accuracy.items()]
    mixed = [value for a, row in accuracy.items() for b, value in row.items() if b != a]
    return sum(same) / len(same), sum(mixed) / len(mixed) if mixed else float("nan")
