"""The goal: make the classifier give up the gold label (an untargeted attack).

Every model query goes through `MisclassifyGoal.evaluate`, which scores a whole list of
candidate texts in chunked, length-sorted forward passes (`evaluation.predict`) and counts
one query per text against the example's `QueryBudget`. A search never calls the model
itself, so the count is exact.
"""

from dataclasses import dataclass

import torch

from xrobust.attacks.text import AttackText
from xrobust.evaluation.predict import predict_logits
from xrobust.tasks import Example, TaskSpec
from xrobust.training.batching import encode_pairs


@dataclass(frozen=True)
class GoalResult:
    text: AttackText
    score: float  # 1 - p(gold label): higher is closer to the goal
    prediction: int  # class index
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


class MisclassifyGoal:
    def __init__(self, model, tokenizer, task: TaskSpec, head: str, max_length: int = 128, batch_size: int = 32):
        self.model = model
        self.tokenizer = tokenizer
        self.task = task
        self.head = head
        self.max_length = max_length
        self.batch_size = batch_size  # texts per forward pass; 1 reproduces an unbatched attack

    def evaluate(self, texts: list[AttackText], gold: int, budget: QueryBudget) -> list[GoalResult]:
        """Score as many of `texts` as the budget allows (in order); the rest are dropped."""
        remaining = budget.remaining()
        if remaining is not None:
            texts = texts[:remaining]
        if not texts:
            return []
        budget.used += len(texts)
        probabilities = torch.softmax(self.logits([t.pair() for t in texts]), -1)
        predictions = probabilities.argmax(-1).tolist()
        return [GoalResult(text, 1.0 - float(probs[gold]), prediction, prediction != gold)
                for text, probs, prediction in zip(texts, probabilities, predictions)]

    def logits(self, pairs: list[tuple[str, str]]) -> torch.Tensor:
        """Logits [len(pairs), num_labels]; `batch_size` pairs per forward pass."""
        filler = self.task.label_names[0]  # encode_pairs wants a label; it is not used here
        examples = [Example("", s1, s2, filler, "") for s1, s2 in pairs]
        encoded = encode_pairs(self.tokenizer, examples, self.task, self.max_length)
        return predict_logits(self.model, self.head, encoded, self.tokenizer.pad_token_id, self.batch_size)
