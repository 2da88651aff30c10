"""The goal: make the classifier give up the gold label (an untargeted attack).

Every model query goes through `MisclassifyGoal.evaluate`, a generator that counts one
query per text against the example's `QueryBudget` and yields a `Logits` request for the
pairs its cache has not seen (scoring.py). A search never calls the model itself, so the
count is exact, and a repeated text still counts as a query (as it would without the cache).

Ties. fp32 logits of a pair differ by ~1e-7 with the forward pass it lands in (padding,
batch shape), which must not decide anything: probabilities are rounded to
`SCORE_DECIMALS` decimals and every comparison (score, prediction, success) uses the rounded
values; equal rounded scores go to the earlier candidate (searches keep candidates in the
order they generate them, and sort stably). Texts that tokenize alike share one cached logit
row, so they tie exactly.
"""

from dataclasses import dataclass

import torch

from xrobust.attacks.scoring import ExampleCache, Logits, ModelRunner, lookup
from xrobust.attacks.text import AttackText

SCORE_DECIMALS = 5  # 100x the fp32 noise of a probability measured across batch shapes (~1e-7)


@dataclass(frozen=True)
class GoalResult:
    text: AttackText
    score: float  # 1 - p(gold label), rounded to SCORE_DECIMALS: higher is closer to the goal
    prediction: int  # class index: the largest rounded probability, ties to the lowest index
    succeeded: bool  # prediction != gold


class QueryBudget:
    """Queries (texts scored by the model) allowed for one example; None means unlimited."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.used = 0

    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    def exhausted(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    def take(self, texts: list) -> list:
        """The texts the budget still allows (in order), counted as used."""
        remaining = self.remaining()
        taken = texts if remaining is None else texts[:remaining]
        self.used += len(taken)
        return taken


class MisclassifyGoal:
    def __init__(self, runner: ModelRunner):
        self.runner = runner  # answers the requests when an example is attacked alone (`Attack.run`)

    def evaluate(self, texts: list[AttackText], gold: int, budget: QueryBudget, cache: ExampleCache):
        """Generator: score as many of `texts` as the budget allows (in order); the rest are dropped.
        Returns their `GoalResult`s."""
        texts = budget.take(texts)
        if not texts:
            return []
        rows = cache.encode_pairs([t.pair() for t in texts])
        logits = yield from lookup(cache.logits, rows, Logits)
        return [goal_result(text, row, gold) for text, row in zip(texts, logits)]


def goal_result(text: AttackText, logits: torch.Tensor, gold: int) -> GoalResult:
    probabilities = [round(p, SCORE_DECIMALS) for p in torch.softmax(logits.float(), -1).tolist()]
    prediction = probabilities.index(max(probabilities))  # the first of equal maxima
    return GoalResult(text, round(1.0 - probabilities[gold], SCORE_DECIMALS), prediction, prediction != gold)
