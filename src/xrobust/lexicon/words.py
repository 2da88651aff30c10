"""Split text into words and the spans between them, losslessly, in any script.

`split_words(text, language)` returns pieces whose concatenation is exactly `text`; a piece
is a word (letters, digits, inner apostrophes/hyphens) or the non-word text around words
(spaces, punctuation), so replacing words never moves punctuation.

Two rules, chosen by script rather than by language (a Chinese name in an English sentence
is still Chinese):
- scripts that separate words with spaces: a regular expression over Unicode classes;
- scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar):
  ICU's dictionary-based word break iterator (through the `icu4py` wheel, which bundles
  ICU and its dictionaries), applied to each run the regular expression found.
Korean separates words with spaces, so a particle stays attached to its noun ("학교에").
"""

import unicodedata
from dataclasses import dataclass

import regex as re  # the `regex` module knows Unicode classes: \p{M} keeps Hindi/Thai vowel signs in words
from icu4py.breakers import WordBreaker

# Words: runs of letters, combining marks and digits, with inner ' or - ("don't", "well-known").
WORD = re.compile(r"[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*")
WORD_CHARACTER = re.compile(r"[\p{L}\p{M}\p{N}_]")
# Scripts whose words are found by ICU's dictionaries rather than by spaces.
UNSPACED = re.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")


@dataclass(frozen=True)
class Piece:
    text: str
    is_word: bool


def split_words(text: str, language: str = "en") -> list[Piece]:
    pieces: list[Piece] = []
    position = 0
    for match in WORD.finditer(text):
        if match.start() > position:
            pieces.append(Piece(text[position : match.start()], False))
        pieces.extend(_split_run(match.group(), language))
        position = match.end()
    if position < len(text):
        pieces.append(Piece(text[position:], False))
    return pieces


def _split_run(run: str, language: str) -> list[Piece]:
    if not UNSPACED.search(run):
        return [Piece(run, True)]
    # Iterate over ICU's segments as strings: icu4py's `segments()` offsets count UTF-16
    # code units, which differ from Python's indices after any character outside the BMP.
    segments = list(WordBreaker(run, language))
    if "".join(segments) != run:  # never seen; the pieces must stay lossless whatever ICU does
        return [Piece(run, True)]
    return [Piece(s, bool(WORD_CHARACTER.search(s))) for s in segments if s]


def is_single_word(text: str, language: str) -> bool:
    pieces = split_words(text, language)
    return len(pieces) == 1 and pieces[0].is_word


def keep_valid(word: str, language: str, candidates, limit: int) -> list[str]:
    """The first `limit` distinct candidates that are single words different from `word`
    (so one replacement changes exactly one word slot)."""
    out: list[str] = []
    for candidate in candidates:
        if len(out) >= limit:
            break
        if candidate != word and candidate not in out and is_single_word(candidate, language):
            out.append(candidate)
    return out


def join(pieces: list[Piece]) -> str:
    return "".join(p.text for p in pieces)


def word_indices(pieces: list[Piece]) -> list[int]:
    return [i for i, p in enumerate(pieces) if p.is_word]


def restore_case(original: str, replacement: str) -> str:
    """Give `replacement` the capitalisation pattern of `original` (lower, Title or UPPER)."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def script_of(text: str) -> str | None:
    """The script of the first letter ('LATIN', 'CYRILLIC', 'CJK', 'HIRAGANA', ...)."""
    for char in text:
        if char.isalpha():
            try:
                return unicodedata.name(char).split()[0]
            except ValueError:
                return None
    return None
