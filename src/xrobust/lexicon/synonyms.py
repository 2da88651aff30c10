"""Synonym tables (word -> neighbours), such as the counter-fitted neighbours of Robust-XLT.

Two look-ups: `exact` matches a token exactly as written, as Robust-XLT's rs-da does (the
counter-fitted keys are lower-case, so capitalised tokens have no neighbours); `choices`
and `neighbours` are case-insensitive and give replacements the original's capitalisation
(`words.restore_case`), for attacks and the `case-insensitive` rs-da rule.

A table declares its language: looked up by spelling alone, an English table "finds" German
`die` (died), `hat` (sombrero) or `war` (warfare), so every user of a table asks
`table_for(language)` first and leaves words of other languages alone. Files come in two
formats: a plain JSON object word -> neighbours (the counter-fitted table; English), or the
per-language format `{"language": "de", "synonyms": {word: [neighbours]}}` (docs/attacks.md,
"Synonym sources"), which `xrobust lexicon synonyms` writes and `--synonym-source FILE` reads.
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
    def __init__(self, neighbours: dict[str, list[str]], language: str = "en", source: str = "counter-fitted"):
        self.language = language  # the one language whose words the table's keys are
        self.source = source  # the named source it came from, for records and messages
        # As written in the file, for exact look-ups (keys with no neighbours dropped).
        self._exact = {word: list(words) for word, words in neighbours.items() if words}
        # Keys lower-cased once; neighbours equal to the word itself are dropped.
        self._table = {}
        for word, words in neighbours.items():
            key = word.lower()
            merged = self._table.setdefault(key, [])
            merged.extend(w for w in words if w.lower() != key and w not in merged)

    @classmethod
    def load(cls, path: Path, source: str = "counter-fitted") -> "SynonymTable":
        """A plain word -> neighbours object is English (the counter-fitted format); the
        per-language format names its language."""
        if not path.is_file():
            raise UserError(f"{path}: synonym table not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise UserError(f"{path}: not a JSON synonym table ({err})") from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: expected a JSON object mapping words to lists of neighbours")
        language = "en"
        if is_language_table(data):
            language, data = data["language"], data["synonyms"]
        bad = next((k for k, v in data.items() if not isinstance(v, list)
                    or not all(isinstance(w, str) for w in v)), None)
        if bad is not None:
            raise UserError(f"{path}: entry {bad!r} is not a list of words")
        return cls(data, language, source)

    def table_for(self, language: str) -> "SynonymTable | None":
        """This table for words of `language`, or None: its keys are another language's."""
        return self if language == self.language else None

    def record(self) -> dict:
        """What a run records of the table (config.json, augment.json, smoothing metrics)."""
        return {"source": self.source, "entries": len(self)}

    def to_json(self) -> dict:
        """The per-language file format (keys as written, neighbours in order)."""
        return {"language": self.language, "source": self.source, "synonyms": self._exact}

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


def is_language_table(data: dict) -> bool:
    """Whether a parsed JSON file is in the per-language format (other keys, such as the
    `source` and `consistency` an export records, are ignored on reading)."""
    return isinstance(data.get("language"), str) and isinstance(data.get("synonyms"), dict)
