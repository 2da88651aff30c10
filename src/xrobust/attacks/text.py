"""The text an attack works on: a sentence pair split into words, and the records of what changed.

A pair is kept as word pieces (`lexicon.words.split_words`, lossless), so a replacement
swaps one word and leaves spacing and punctuation untouched. Each side carries its own
language: in the generalized setting sentence1 and sentence2 are in different languages.
`AttackText` is immutable; `replace` returns a new one that remembers every change.
"""

from dataclasses import dataclass, field

from xrobust.lexicon.words import Piece, join, split_words, word_indices

SIDES = ("sentence1", "sentence2")


@dataclass(frozen=True)
class WordChange:
    """One replaced word: `word_index` counts words (not pieces) within its side."""

    side: str
    word_index: int
    original: str
    replacement: str


@dataclass(frozen=True)
class Position:
    """A word slot of the pair: which side, and which word of that side."""

    side: str
    word_index: int


@dataclass(frozen=True)
class AttackText:
    pieces: dict[str, tuple[Piece, ...]]  # side -> pieces
    languages: dict[str, str]  # side -> language
    changes: tuple[WordChange, ...] = field(default=())

    @classmethod
    def from_pair(cls, sentence1: str, sentence2: str, language1: str, language2: str) -> "AttackText":
        return cls({"sentence1": tuple(split_words(sentence1, language1)),
                    "sentence2": tuple(split_words(sentence2, language2))},
                   {"sentence1": language1, "sentence2": language2})

    def sentence(self, side: str) -> str:
        return join(list(self.pieces[side]))

    def pair(self) -> tuple[str, str]:
        return self.sentence("sentence1"), self.sentence("sentence2")

    def words(self, side: str) -> list[str]:
        return [p.text for p in self.pieces[side] if p.is_word]

    def positions(self) -> list[Position]:
        return [Position(side, i) for side in SIDES for i in range(len(self.words(side)))]

    def word_at(self, position: Position) -> str:
        return self.words(position.side)[position.word_index]

    def word_count(self) -> int:
        return sum(len(self.words(side)) for side in SIDES)

    def changed_positions(self) -> set[Position]:
        return {Position(c.side, c.word_index) for c in self.changes}

    def replace(self, position: Position, replacement: str) -> "AttackText":
        """A new text with one word replaced (an empty replacement deletes the word, for
        leave-one-out importance). A word changed twice keeps its first original."""
        side = position.side
        pieces = list(self.pieces[side])
        piece_index = word_indices(pieces)[position.word_index]
        original = pieces[piece_index].text
        pieces[piece_index] = Piece(replacement, True)
        earlier = [c for c in self.changes if (c.side, c.word_index) == (side, position.word_index)]
        first_original = earlier[0].original if earlier else original
        changes = tuple(c for c in self.changes if c not in earlier)
        if replacement != first_original:
            changes += (WordChange(side, position.word_index, first_original, replacement),)
        return AttackText({**self.pieces, side: tuple(pieces)}, self.languages, changes)

    def fraction_changed(self) -> float:
        return len(self.changes) / max(1, self.word_count())
