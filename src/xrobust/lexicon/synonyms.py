"""Synonym tables (word -> neighbours), such as the counter-fitted neighbours of Robust-XLT.

Two look-ups: `exact` matches a token exactly as written, as Robust-XLT's rs-da does (the
counter-fitted keys are lower-case, so capitalised tokens have no neighbours); `choices`
and `neighbours` are case-insensitive and give replacements the original's capitalisation
(`words.restore_case`), for attacks and the `case-insensitive` rs-da rule.
"""

import json
import os
from pathlib import Path

from xrobust.errors import UserError
from xrobust.lexicon.words import restore_case

DEFAULT_FILE = "counterfitted_neighbors.json"


def default_synonyms_path() -> Path:
    root = os.environ.get("XROBUST_RESOURCES")
    if not root:
        raise UserError("--synonyms: not given and XROBUST_RESOURCES is not set "
                        f"(point it at a folder holding {DEFAULT_FILE})")
    return Path(root) / DEFAULT_FILE


class SynonymTable:
    def __init__(self, neighbours: dict[str, list[str]]):
        # As written in the file, for exact look-ups (keys with no neighbours dropped).
        self._exact = {word: list(words) for word, words in neighbours.items() if words}
        # Keys lower-cased once; neighbours equal to the word itself are dropped.
        self._table = {}
        for word, words in neighbours.items():
            key = word.lower()
            merged = self._table.setdefault(key, [])
            merged.extend(w for w in words if w.lower() != key and w not in merged)

    @classmethod
    def load(cls, path: Path) -> "SynonymTable":
        if not path.is_file():
            raise UserError(f"{path}: synonym table not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise UserError(f"{path}: not a JSON synonym table ({err})") from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: expected a JSON object mapping words to lists of neighbours")
        return cls(data)

    def exact(self, word: str) -> list[str]:
        """The neighbours listed for `word` exactly as written ([] when it is not a key)."""
        return self._exact.get(word, [])

    def neighbours(self, word: str) -> list[str]:
        return self._table.get(word.lower(), [])

    def choices(self, word: str) -> list[str]:
        """The word itself followed by its neighbours, each written with the word's
        capitalisation ("Big" -> ["Big", "Large", "Huge"]); just [word] when it has none."""
        return [word] + [restore_case(word, n) for n in self.neighbours(word)]

    def __contains__(self, word: str) -> bool:
        return bool(self._table.get(word.lower()))

    def __len__(self) -> int:
        return len(self._table)
