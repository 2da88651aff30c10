"""Character-level typos a person would make (DeepWordBug, Gao et al. 2018; homoglyphs from
TextBugger, Li et al. 2019), per script.

Typo models (`model`):
- `script` (default): the errors of the way each script is typed.
  - Latin, Cyrillic: adjacent swaps, deletions, doubled letters, keyboard neighbours (QWERTY,
    JCUKEN) and Latin/Cyrillic/Greek homoglyphs; Greek: the same without a keyboard table.
  - Chinese (Han in a zh sentence): pinyin input picks a wrong character with the same or a
    near reading (typo_cjk.py): one character replaced by a known character sharing a toneless
    pinyin (pypinyin, heteronyms included), then by near-pinyin ones (z/zh, n/l, an/ang, ...).
  - Japanese (a ja sentence): kana confusions (dakuten/handakuten on or off, small vs large
    kana, a long vowel mark dropped or added in katakana) and a kanji replaced by a known kanji
    with the same reading (pykakasi), as a wrong IME conversion does.
  - Korean (Hangul): the two-set (Dubeolsik) keyboard acts on jamo: one jamo of a syllable
    replaced by its keyboard neighbour of the same kind, and the syllable recomposed (`jamo`).
  - other scripts (Arabic, Devanagari, Thai, ...): swaps, deletions, doubled graphemes only.
- `codepoint`: the former model: scripts without a keyboard table also get the neighbouring
  code points of the same script (`国` -> `囼`, which no one types by mistake); kept as an option.

Edits work on grapheme clusters (`\\X`), so a Hindi or Thai vowel sign stays with its
consonant. "Known" characters (the replacements Chinese and Japanese edits may put in) are
those of the tokenizer's vocabulary within the common national character sets (GB 2312,
JIS X 0208), so replacements are characters an input method offers, not rare code points.
When there are more candidates than `max_candidates`, a sample is drawn with a generator
seeded by (seed, word): deterministic.
"""

import random
import unicodedata

import regex as re

from xrobust.attacks.transformations import keep_valid
from xrobust.attacks.transformations.typo_cjk import (CjkTypos, hangul_edits, is_hangul, keyboard_neighbours,
                                                      known_han_characters, uses_cjk_model)
from xrobust.lexicon.words import script_of

TYPO_MODELS = ("script", "codepoint")
GRAPHEME = re.compile(r"\X")
QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
JCUKEN_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ",
              "A": "А", "B": "В", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т",
              "X": "Х", "v": "ν", "u": "υ"}
HOMOGLYPHS.update({v: k for k, v in list(HOMOGLYPHS.items())})


KEYBOARD = {**keyboard_neighbours(QWERTY_ROWS), **keyboard_neighbours(JCUKEN_ROWS)}


class Typos:
    name = "typo"

    def __init__(self, max_candidates: int = 20, seed: int = 0, model: str = "script",
                 known_characters: dict[str, tuple[str, ...]] | None = None):
        """`known_characters`: language (zh, ja) -> the characters Chinese/Japanese edits may
        put in, most frequent first; default: the national character set in code-point order."""
        if model not in TYPO_MODELS:
            from xrobust.errors import UserError

            raise UserError(f"--typo-model: {model!r} is not one of {', '.join(TYPO_MODELS)}")
        self.max_candidates = max_candidates
        self.seed = seed
        self.model = model
        self.cjk = CjkTypos(known_characters or {})

    @classmethod
    def for_tokenizer(cls, tokenizer, max_candidates: int = 20, seed: int = 0, model: str = "script") -> "Typos":
        """Known characters from the tokenizer's vocabulary (lower ids first: sentencepiece
        numbers frequent pieces first)."""
        return cls(max_candidates, seed, model, known_han_characters(tokenizer.get_vocab()))

    def candidates(self, word: str, language: str) -> list[str]:
        if self.model == "script" and (is_hangul(word) or uses_cjk_model(word, language)):
            edits = hangul_edits(word) if is_hangul(word) else self.cjk.edits(word, language)
        else:
            edits = self._edits(GRAPHEME.findall(word))
        edits = list(dict.fromkeys(edits))
        if len(edits) > self.max_candidates * 2:
            edits = random.Random(f"{self.seed}:{word}").sample(edits, self.max_candidates * 2)
        return keep_valid(word, language, edits, self.max_candidates)

    def _edits(self, chars: list[str]):
        n = len(chars)
        for i in range(n):
            for other in self._near_keys(chars[i]):
                yield "".join(chars[:i] + [other] + chars[i + 1:])
            if chars[i] in HOMOGLYPHS:
                yield "".join(chars[:i] + [HOMOGLYPHS[chars[i]]] + chars[i + 1:])
            if n > 1 and i + 1 < n and chars[i] != chars[i + 1]:
                yield "".join(chars[:i] + [chars[i + 1], chars[i]] + chars[i + 2:])
            if n > 2:
                yield "".join(chars[:i] + chars[i + 1:])
            yield "".join(chars[:i + 1] + [chars[i]] + chars[i + 1:])  # a doubled key

    def _near_keys(self, grapheme: str) -> list[str]:
        lower = grapheme.lower()
        if lower in KEYBOARD:
            keys = list(KEYBOARD[lower])
            return [k.upper() for k in keys] if grapheme != lower else keys
        if self.model != "codepoint" or len(grapheme) != 1 or not grapheme.isalpha():
            return []
        return codepoint_neighbours(grapheme)


def codepoint_neighbours(char: str) -> list[str]:
    """The letters one code point away in the same script and category (`codepoint` model)."""
    script = script_of(char)
    near = []
    for step in (-1, 1):
        try:
            other = chr(ord(char) + step)
        except ValueError:
            continue
        if other.isalpha() and unicodedata.category(other) == unicodedata.category(char) \
                and script_of(other) == script:
            near.append(other)
    return near
