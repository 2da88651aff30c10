"""Split text into words and the spans between them, losslessly, in any script.

`split_words(text, language)` returns pieces whose concatenation is exactly `text`; a piece
is a word (letters, digits, inner apostrophes/hyphens) or the non-word text around words
(spaces, punctuation), so replacing words never moves punctuation. Chinese and Japanese
write no spaces: there each Han/kana character is its own word (a dictionary-driven
segmenter can refine that later); other scripts split on word characters.
"""

from dataclasses import dataclass

import regex as re  # the `regex` module knows Unicode classes: \p{M} keeps Hindi/Thai vowel signs in words

# Words: runs of letters, combining marks and digits, with inner ' or - ("don't", "well-known").
WORD = re.compile(r"[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CHARACTER_LANGUAGES = frozenset({"zh", "ja"})


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
        pieces.extend(_split_word(match.group(), language))
        position = match.end()
    if position < len(text):
        pieces.append(Piece(text[position:], False))
    return pieces


def _split_word(word: str, language: str) -> list[Piece]:
    if language not in CHARACTER_LANGUAGES or not CJK.search(word):
        return [Piece(word, True)]
    # Han and kana characters one by one; runs of other characters (Latin, digits) stay whole.
    out, run = [], ""
    for char in word:
        if CJK.match(char):
            if run:
                out.append(Piece(run, True))
                run = ""
            out.append(Piece(char, True))
        else:
            run += char
    if run:
        out.append(Piece(run, True))
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
