"""Constraints: which words may change, and which perturbed texts are acceptable.

Two kinds, both cheap to ask before any model query:
- position constraints (`may_change(text, position)`) decide which word slots a search
  may touch: the sides of the pair, stopwords, negations, numbers, the maximum fraction of
  words changed (the last three also refuse candidates that would insert such a word);
- text constraints (`accepts(original, candidates)`) judge whole candidate texts, batched:
  the minimum similarity to the original runs the encoder, and in a search asks for it
  through `judge` (a generator, scoring.py), so its rows share forward passes across examples.

`violations(original, perturbed, constraints)` re-checks a finished adversarial text
against every constraint; the runner and the tests use it.
"""

import math
from collections.abc import Callable

from xrobust.attacks.goal import SCORE_DECIMALS
from xrobust.attacks.scoring import ExampleCache, ModelRunner, Vectors, drive, lookup
from xrobust.attacks.text import SIDES, AttackText, Position
from xrobust.errors import UserError
from xrobust.lexicon.negations import is_negation
from xrobust.lexicon.numbers import is_number, is_quantity_word
from xrobust.lexicon.stopwords import is_stopword


class ModifiableSides:
    """Only words of these sides may change. In the generalized setting (sentence1 and
    sentence2 in different languages) the runner passes only the target-language side."""

    def __init__(self, sides: tuple[str, ...]):
        unknown = [s for s in sides if s not in SIDES]
        if unknown or not sides:
            raise UserError(f"--sides: {','.join(unknown) or 'nothing'} given; choose sentence1, sentence2 or both")
        self.sides = tuple(sides)

    def may_change(self, text: AttackText, position: Position) -> bool:
        return position.side in self.sides

    def accepts(self, original: AttackText, candidates: list[AttackText]) -> list[bool]:
        return [all(c.side in self.sides for c in t.changes) for t in candidates]


class ProtectedWords:
    """Words of a kind (`is_protected(word, language)`) stay as they are; with `no_insert`, no
    replacement may be of that kind either. The subclasses below name the kind, so that
    `violations()` reports which guard refused a change."""

    def __init__(self, is_protected: Callable[[str, str], bool], no_insert: bool = True):
        self.protected, self.no_insert = is_protected, no_insert

    def may_change(self, text: AttackText, position: Position) -> bool:
        return not self.protected(text.word_at(position), text.languages[position.side])

    def accepts(self, original: AttackText, candidates: list[AttackText]) -> list[bool]:
        return [not any(self.protected(c.original, original.languages[c.side])
                        or (self.no_insert and self.protected(c.replacement, original.languages[c.side]))
                        for c in t.changes)
                for t in candidates]


class NoStopwords(ProtectedWords):
    """Stopwords (lexicon/stopwords.py, per language) stay as they are. Inserting one is
    refused only where asked (`no_insert`): the neighbours recipe, whose embedding neighbours
    are often function words ("aufgestellt" -> "nicht"); synonym tables rarely list them."""

    def __init__(self, no_insert: bool = False):
        super().__init__(is_stopword, no_insert)


class NoNegations(ProtectedWords):
    """Negations (lexicon/negations.py) are neither changed nor inserted: either turns a
    paraphrase or an entailment into a contradiction."""

    def __init__(self):
        super().__init__(is_negation)


class NoNumberEdits(ProtectedWords):
    """Numbers (lexicon/numbers.py: digits, Han numerals, number words) are neither changed
    nor inserted: `第 39 話` -> `第 339 話` names another episode, a label change rather than a
    perturbation. In zh, ja and ko the counter or date unit after a number stays too (`1972 年`
    -> `1972 和`). On by default in every word-level recipe; `--edit-numbers` lifts it."""

    def __init__(self):
        super().__init__(is_number)

    def may_change(self, text: AttackText, position: Position) -> bool:
        language = text.languages[position.side]
        return not is_quantity_word(text.words(position.side), position.word_index, language)

    def accepts(self, original: AttackText, candidates: list[AttackText]) -> list[bool]:
        plain = super().accepts(original, candidates)
        return [ok and not any(is_quantity_word(original.words(c.side), c.word_index, original.languages[c.side])
                               for c in t.changes)
                for ok, t in zip(plain, candidates)]


class MaxWordsChanged:
    """At most `fraction` of the pair's words change (at least one word may always change)."""

    def __init__(self, fraction: float):
        if not 0 < fraction <= 1:
            raise UserError(f"--max-words-changed: {fraction} must be in (0, 1]")
        self.fraction = fraction

    def limit(self, text: AttackText) -> int:
        return max(1, math.floor(self.fraction * text.word_count()))

    def may_change(self, text: AttackText, position: Position) -> bool:
        return position in text.changed_positions() or len(text.changes) < self.limit(text)

    def accepts(self, original: AttackText, candidates: list[AttackText]) -> list[bool]:
        return [len(t.changes) <= self.limit(original) for t in candidates]


class MinSimilarity:
    """Each changed sentence keeps cosine similarity >= `threshold` to its original under the
    encoder (mean-pooled last layer, as E5 embeds text): a stand-in for the Universal Sentence
    Encoder that TextFooler uses, available for every language the encoder reads.

    In a search, `judge` yields its `Vectors` request so the sentences of many examples share
    forward passes; `accepts` and `similarities` answer alone. Similarities are rounded to
    `SCORE_DECIMALS` before the comparison, for the reason scores are (goal.py)."""

    def __init__(self, model, tokenizer, threshold: float, max_length: int = 128, batch_size: int = 32,
                 autocast_dtype=None):
        if not -1 <= threshold <= 1:
            raise UserError(f"--min-similarity: {threshold} must be in [-1, 1]")
        self.threshold = threshold
        self.runner = ModelRunner(model, tokenizer, "", max_length, batch_size, autocast_dtype)  # encoder only: no head

    def may_change(self, text: AttackText, position: Position) -> bool:
        return True

    def accepts(self, original: AttackText, candidates: list[AttackText]) -> list[bool]:
        return drive(self.judge(original, candidates, self._fresh_cache()), self.runner)

    def similarities(self, original: AttackText, candidates: list[AttackText]) -> list[float]:
        return drive(self._similarities(original, candidates, self._fresh_cache()), self.runner)

    def judge(self, original: AttackText, candidates: list[AttackText], cache: ExampleCache):
        """Generator: accept or not, per candidate."""
        similarities = yield from self._similarities(original, candidates, cache)
        return [s >= self.threshold for s in similarities]

    def _similarities(self, original: AttackText, candidates: list[AttackText], cache: ExampleCache):
        """The lowest similarity over each candidate's changed sides (1.0 if nothing changed)."""
        jobs = [(i, side) for i, t in enumerate(candidates) for side in sorted({c.side for c in t.changes})]
        sides = sorted({side for _, side in jobs})
        sentences = [original.sentence(s) for s in sides] + [candidates[i].sentence(side) for i, side in jobs]
        vectors = yield from lookup(cache.vectors, cache.encode_sentences(sentences), Vectors)
        reference = dict(zip(sides, vectors))
        lowest = [1.0] * len(candidates)
        for (i, side), vector in zip(jobs, vectors[len(sides):]):
            lowest[i] = min(lowest[i], round(float(vector @ reference[side]), SCORE_DECIMALS))
        return lowest

    def _fresh_cache(self) -> ExampleCache:
        return ExampleCache(self.runner.tokenizer, self.runner.max_length)


def violations(original: AttackText, perturbed: AttackText, constraints) -> list[str]:
    """Names of the constraints the perturbed text breaks (empty: it obeys all of them)."""
    return [type(c).__name__ for c in constraints if not c.accepts(original, [perturbed])[0]]
