"""MUSE bilingual dictionaries: word translations between English and 14 other languages.

The files (`muse/{src}-{tgt}.txt`, one `src tgt` pair a line) connect English with ar, bg,
de, el, es, fr, hi, ja, ko, ru, th, tr, vi and zh, in both directions, but no two
non-English languages directly. `translations(word, source, target)` therefore pivots
through English when neither side is English (de -> en -> fr), as PolyGloss does.

Nothing is read in the constructor: `BilingualLexicon.load(folder, pairs)` reads exactly
the files a caller needs, and a missing file raises a UserError saying where it was expected.

Chinese: the MUSE zh side is written in traditional characters, while XNLI and PAWS-X zh are
simplified. `load` therefore converts with OpenCC: every traditional zh headword is also
filed under its simplified form (so "发展" finds "發展"), and zh translations are written in
`chinese_script` (simplified by default, the script of the task data), so a code-switched
word matches the script of the zh text the model reads. The conversion runs from traditional
to simplified because that direction is nearly one-to-one per character, while simplified
to traditional must guess out of context (发 -> 發 or 髮, 干 -> 乾, 幹 or 干).
"""

import os
from pathlib import Path

from xrobust.errors import UserError

PIVOT = "en"
CHINESE = "zh"
CHINESE_SCRIPTS = ("simplified", "traditional")
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
    def load(cls, folder: Path, pairs, chinese_script: str = "simplified") -> "BilingualLexicon":
        if chinese_script not in CHINESE_SCRIPTS:
            raise UserError(f"chinese_script: {chinese_script!r} is not one of {', '.join(CHINESE_SCRIPTS)}")
        for source, target in pairs:
            for language in (source, target):
                if language != PIVOT and language not in MUSE_LANGUAGES:
                    raise UserError(f"--languages/--embed-languages: no MUSE dictionary for {language!r} "
                                    "(use the neighbors or typo recipes for it); "
                                    f"there are en<->{','.join(MUSE_LANGUAGES)}")
        tables = {(s, t): read_muse_file(folder / f"{s}-{t}.txt") for s, t in sorted(pairs)}
        if any(CHINESE in pair for pair in tables):
            tables = with_simplified_chinese(tables, chinese_script)
        return cls(tables)

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

    def headwords(self, source: str, target: str) -> list[str]:
        """The words a loaded `source`-`target` dictionary translates, in file order."""
        table = self._tables.get((source, target))
        if table is None:
            raise KeyError(f"dictionary {source}-{target} was not loaded")
        return list(table)

    def has_source(self, source: str) -> bool:
        """Whether any loaded dictionary translates from `source`."""
        return any(s == source for s, _ in self._tables)

    def has_translation(self, word: str, source: str) -> bool:
        """Whether a loaded dictionary from `source` (into any language) has `word`."""
        return any(self._direct(word, s, t) for s, t in self._tables if s == source)

    def _direct(self, word: str, source: str, target: str) -> list[str]:
        table = self._tables.get((source, target))
        if table is None:
            raise KeyError(f"dictionary {source}-{target} was not loaded")
        return table.get(word) or table.get(word.lower(), [])


def with_simplified_chinese(tables: dict[tuple[str, str], dict[str, list[str]]], chinese_script: str):
    """The tables with zh headwords also filed in simplified characters and zh translations
    written in `chinese_script` (the MUSE files themselves are traditional)."""
    from opencc import OpenCC  # imported here: only dictionaries with a zh side need it

    to_simplified = OpenCC("t2s").convert
    out = {}
    for (source, target), table in tables.items():
        if source == CHINESE:
            converted = {word: list(words) for word, words in table.items()}
            for word, words in table.items():
                merged = converted.setdefault(to_simplified(word), [])
                merged.extend(w for w in words if w not in merged)  # 發 and 髮 both become 发
            table = converted
        if target == CHINESE and chinese_script == "simplified":
            table = {word: list(dict.fromkeys(to_simplified(w) for w in words)) for word, words in table.items()}
        out[(source, target)] = table
    return out
