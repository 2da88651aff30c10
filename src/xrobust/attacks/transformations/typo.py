"""Character-level typos for any script (DeepWordBug, Gao et al. 2018; homoglyphs from
TextBugger, Li et al. 2019).

Edits work on grapheme clusters (`\\X`), so a Hindi or Thai vowel sign stays with its
consonant. Keyboard neighbours use QWERTY for Latin and JCUKEN for Cyrillic; other scripts
have no keyboard table here and use the neighbouring code points of the same script instead
(a letter a key-press away on most of their layouts is also a near code point). Homoglyphs
swap look-alike Latin, Cyrillic and Greek letters. When there are more candidates than
`max_candidates`, a sample is drawn with a generator seeded by (seed, word): deterministic.
"""

import random
import unicodedata

import regex as re

from xrobust.attacks.transformations import keep_valid
from xrobust.attacks.transformations.neighbors import script_of

GRAPHEME = re.compile(r"\X")
QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
JCUKEN_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ",
              "A": "А", "B": "В", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т",
              "X": "Х", "v": "ν", "u": "υ"}
HOMOGLYPHS.update({v: k for k, v in list(HOMOGLYPHS.items())})


def keyboard_neighbours(rows: tuple[str, ...]) -> dict[str, str]:
    """Keys left/right in the same row and the keys at the same index one row up or down."""
    out = {}
    for r, row in enumerate(rows):
        for i, key in enumerate(row):
            near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            near += [rows[o][i] for o in (r - 1, r + 1) if 0 <= o < len(rows) and i < len(rows[o])]
            out[key] = "".join(near)
    return out


KEYBOARD = {**keyboard_neighbours(QWERTY_ROWS), **keyboard_neighbours(JCUKEN_ROWS)}


class Typos:
    name = "typo"

    def __init__(self, max_candidates: int = 20, seed: int = 0):
        self.max_candidates = max_candidates
        self.seed = seed

    def candidates(self, word: str, language: str) -> list[str]:
        chars = GRAPHEME.findall(word)
        edits = list(dict.fromkeys(self._edits(chars)))
        if len(edits) > self.max_candidates * 2:
            edits = random.Random(f"{self.seed}:{word}").sample(edits, self.max_candidates * 2)
        return keep_valid(word, language, edits, self.max_candidates)

    def _edits(self, chars: list[str]):
        n = len(chars)
        for i in range(n):
            for other in _near_keys(chars[i]):
                yield "".join(chars[:i] + [other] + chars[i + 1:])
            if chars[i] in HOMOGLYPHS:
                yield "".join(chars[:i] + [HOMOGLYPHS[chars[i]]] + chars[i + 1:])
            if n > 1 and i + 1 < n and chars[i] != chars[i + 1]:
                yield "".join(chars[:i] + [chars[i + 1], chars[i]] + chars[i + 2:])
            if n > 2:
                yield "".join(chars[:i] + chars[i + 1:])
            yield "".join(chars[:i + 1] + [chars[i]] + chars[i + 1:])  # a doubled key


def _near_keys(grapheme: str) -> list[str]:
    lower = grapheme.lower()
    if lower in KEYBOARD:
        keys = list(KEYBOARD[lower])
        return [k.upper() for k in keys] if grapheme != lower else keys
    if len(grapheme) != 1 or not grapheme.isalpha():
        return []
    script = script_of(grapheme)
    near = []
    for step in (-1, 1):
        try:
            char = chr(ord(grapheme) + step)
        except ValueError:
            continue
        if char.isalpha() and unicodedata.category(char) == unicodedata.category(grapheme) \
                and script_of(char) == script:
            near.append(char)
    return near
