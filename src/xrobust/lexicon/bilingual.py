"""MUSE bilingual dictionaries: word translations between English and 14 other languages.

The files (`muse/{src}-{tgt}.txt`, one `src tgt` pair a line) connect English with ar, bg,
de, el, es, fr, hi, ja, ko, ru, th, tr, vi and zh, in both directions, but no two
non-English languages directly. `translations(word, source, target)` therefore pivots
through English when neither side is English (de -> en -> fr), as PolyGloss does.

Nothing is read in the constructor: `BilingualLexicon.load(folder, pairs)` reads exactly
the files a caller needs, and a missing file raises a UserError saying where it was expected.
"""

import os
from pathlib import Path

from xrobust.errors import UserError

PIVOT = "en"
MUSE_LANGUAGES = ("ar", "bg", "de", "el", "es", "fr", "hi", "ja", "ko", "ru", "th", "tr", "vi", "zh")


def default_muse_dir() -> Path:
    root = os.environ.get("XROBUST_RESOURCES")
    if not root:
        raise UserError("--resources: not given and XROBUST_RESOURCES is not set "
                        "(point it at a folder holding muse/{src}-{tgt}.txt)")
    return Path(root) / "muse"


def read_muse_file(path: Path) -> dict[str, list[str]]:
    """word -> translations in file order (MUSE lists the most frequent sense first)."""
    if not path.is_file():
        raise UserError(f"{path}: MUSE dictionary not found (download it from "
                        "https://github.com/facebookresearch/MUSE#ground-truth-bilingual-dictionaries)")
    table: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise UserError(f"{path}:{line_number}: expected 'source target', got {line.strip()!r}")
            source, target = parts
            words = table.setdefault(source, [])
            if target not in words:
                words.append(target)
    return table


def pairs_needed(sources, targets) -> set[tuple[str, str]]:
    """The dictionary files that translating from every source into every target reads."""
    needed = set()
    for source in sources:
        for target in targets:
            if source == target:
                continue
            if PIVOT in (source, target):
                needed.add((source, target))
            else:
                needed.update({(source, PIVOT), (PIVOT, target)})
    return needed


class BilingualLexicon:
    def __init__(self, tables: dict[tuple[str, str], dict[str, list[str]]]):
        self._tables = tables

    @classmethod
    def load(cls, folder: Path, pairs) -> "BilingualLexicon":
        for source, target in pairs:
            for language in (source, target):
                if language != PIVOT and language not in MUSE_LANGUAGES:
                    raise UserError(f"--languages/--embed-languages: no MUSE dictionary for {language!r} "
                                    "(use the neighbors or typo recipes for it); "
                                    f"there are en<->{','.join(MUSE_LANGUAGES)}")
        return cls({(s, t): read_muse_file(folder / f"{s}-{t}.txt") for s, t in sorted(pairs)})

    def translations(self, word: str, source: str, target: str) -> list[str]:
        """Translations of `word`, tried as written and then lower-cased."""
        if source == target:
            return []
        if PIVOT in (source, target):
            return self._direct(word, source, target)
        out: list[str] = []
        for english in self._direct(word, source, PIVOT):
            out.extend(w for w in self._direct(english, PIVOT, target) if w not in out)
        return out

    def _direct(self, word: str, source: str, target: str) -> list[str]:
        table = self._tables.get((source, target))
        if table is None:
            raise KeyError(f"dictionary {source}-{target} was not loaded")
        return table.get(word) or table.get(word.lower(), [])
