"""Constraints: which words may change, and which perturbed texts are acceptable.

Two kinds, both cheap to ask before any model query:
- position constraints (`may_change(text, position)`) decide which word slots a search
  may touch: the sides of the pair, stopwords, the maximum fraction of words changed;
- text constraints (`accepts(original, candidates)`) judge whole candidate texts, batched:
  the minimum similarity to the original under the encoder runs one forward per chunk.

`violations(original, perturbed, constraints)` re-checks a finished adversarial text
against every constraint; the runner and the tests use it.
"""

import math

import torch

from xrobust.attacks.text import SIDES, AttackText, Position
from xrobust.errors import UserError
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


class NoStopwords:
    """Stopwords (lexicon/stopwords.py, per language) stay as they are."""

    def may_change(self, text: AttackText, position: Position) -> bool:
        return not is_stopword(text.word_at(position), text.languages[position.side])

    def accepts(self, original: AttackText, candidates: list[AttackText]) -> list[bool]:
        return [not any(is_stopword(c.original, original.languages[c.side]) for c in t.changes)
                for t in candidates]


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
    Encoder that TextFooler uses, available for every language the encoder reads."""

    def __init__(self, model, tokenizer, threshold: float, max_length: int = 128, batch_size: int = 32):
        if not -1 <= threshold <= 1:
            raise UserError(f"--min-similarity: {threshold} must be in [-1, 1]")
        self.model = model
        self.tokenizer = tokenizer
        self.threshold = threshold
        self.max_length = max_length
        self.batch_size = batch_size

    def may_change(self, text: AttackText, position: Position) -> bool:
        return True

    def accepts(self, original: AttackText, candidates: list[AttackText]) -> list[bool]:
        return [s >= self.threshold for s in self.similarities(original, candidates)]

    def similarities(self, original: AttackText, candidates: list[AttackText]) -> list[float]:
        """The lowest similarity over each candidate's changed sides (1.0 if nothing changed)."""
        jobs = [(i, side) for i, t in enumerate(candidates) for side in sorted({c.side for c in t.changes})]
        sides = sorted({side for _, side in jobs})
        reference = dict(zip(sides, self.embed([original.sentence(s) for s in sides])))
        lowest = [1.0] * len(candidates)
        if jobs:
            vectors = self.embed([candidates[i].sentence(side) for i, side in jobs])
            for (i, side), vector in zip(jobs, vectors):
                lowest[i] = min(lowest[i], float(vector @ reference[side]))
        return lowest

    @torch.no_grad()
    def embed(self, sentences: list[str]) -> torch.Tensor:
        """Unit-length sentence vectors [n, hidden], `batch_size` sentences per forward pass."""
        out = []
        encoder = self.model.encoder
        device = next(encoder.parameters()).device
        for start in range(0, len(sentences), self.batch_size):
            batch = self.tokenizer(sentences[start:start + self.batch_size], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="pt").to(device)
            hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            out.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu())
        return torch.cat(out) if out else torch.empty((0, 0))


def violations(original: AttackText, perturbed: AttackText, constraints) -> list[str]:
    """Names of the constraints the perturbed text breaks (empty: it obeys all of them)."""
    return [type(c).__name__ for c in constraints if not c.accepts(original, [perturbed])[0]]
