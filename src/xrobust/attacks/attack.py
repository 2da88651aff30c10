"""An attack = goal + transformation + constraints + search, all passed to the constructor.

`Attack.attack(text, gold)` is one example's attack as a generator: it yields model requests
(scoring.py) and returns an `AttackResult`. It scores the clean pair, and if the model gets it
right hands the search a `SearchProblem`: the one object through which a search sees the
example (which word slots may change, the candidate texts for a slot, scoring under the
budget). `Attack.run_many` runs many examples at once with shared forward passes
(scheduler.py); `Attack.run` is the same with one example.
"""

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from xrobust.attacks.goal import GoalResult, MisclassifyGoal, QueryBudget
from xrobust.attacks.scheduler import interleave
from xrobust.attacks.scoring import ExampleCache
from xrobust.attacks.text import AttackText, Position

SUCCEEDED, FAILED, SKIPPED = "succeeded", "failed", "skipped"  # skipped: misclassified before any attack


@dataclass(frozen=True)
class AttackResult:
    original: AttackText
    perturbed: AttackText
    gold: int
    prediction_before: int
    prediction_after: int
    status: str
    queries: int
    seconds: float

    @property
    def success(self) -> bool:
        return self.status == SUCCEEDED


class SearchProblem:
    """One example's search space, scored against its own query budget. `expand` and `score`
    are generators (they may need the model): call them with `yield from`."""

    def __init__(self, original: AttackText, gold: int, goal: MisclassifyGoal, transformation, constraints,
                 budget: QueryBudget, cache: ExampleCache):
        self.original = original
        self.gold = gold
        self.goal = goal
        self.transformation = transformation
        self.constraints = constraints
        self.budget = budget
        self.cache = cache

    def may_change(self, text: AttackText, position: Position) -> bool:
        return all(c.may_change(text, position) for c in self.constraints)

    def positions(self, text: AttackText) -> list[Position]:
        return [p for p in text.positions() if self.may_change(text, p)]

    def expand(self, text: AttackText, position: Position):
        """Texts with the word at `position` replaced by each candidate the constraints accept."""
        language = text.languages[position.side]
        word = self.original.word_at(position)  # candidates for the original word, not a replacement
        texts = [text.replace(position, w) for w in self.transformation.candidates(word, language)]
        for constraint in self.constraints:  # cheap ones first (the recipes order them)
            if not texts:
                break
            if hasattr(constraint, "judge"):  # runs the model: its requests join the shared passes
                verdicts = yield from constraint.judge(self.original, texts, self.cache)
            else:
                verdicts = constraint.accepts(self.original, texts)
            texts = [t for t, ok in zip(texts, verdicts) if ok]
        return texts

    def score(self, texts: list[AttackText]):
        return (yield from self.goal.evaluate(texts, self.gold, self.budget, self.cache))

    def exhausted(self) -> bool:
        return self.budget.exhausted()


def better(a: GoalResult, b: GoalResult) -> bool:
    """Is `a` a better attack than `b`? A success beats a failure; then a lower gold probability
    (scores are rounded, goal.py, so noise in the last bits of a logit cannot decide)."""
    return (a.succeeded, a.score) > (b.succeeded, b.score)


def best_of(results: list[GoalResult]) -> GoalResult:
    """The first best result: ties go to the earlier candidate, which keeps attacks deterministic."""
    best = results[0]
    for result in results[1:]:
        if better(result, best):
            best = result
    return best


class Attack:
    def __init__(self, goal: MisclassifyGoal, transformation, constraints: list, search, query_budget: int | None):
        self.goal = goal
        self.transformation = transformation
        self.constraints = list(constraints)
        self.search = search
        self.query_budget = query_budget

    def run(self, text: AttackText, gold: int) -> AttackResult:
        return next(self.run_many([(text, gold)], target_rows=1))

    def run_many(self, examples: Iterable[tuple[AttackText, int]], target_rows: int) -> Iterator[AttackResult]:
        """Results in the order of `examples`, each as soon as it and all before it are done.
        Enough examples are in flight that each round scores >= `target_rows` rows together."""
        jobs = (self.attack(text, gold) for text, gold in examples)
        for result, seconds in interleave(jobs, self.goal.runner, target_rows):
            yield dataclasses.replace(result, seconds=seconds)

    def attack(self, text: AttackText, gold: int):
        """Generator: one example's attack; returns its AttackResult (seconds are the scheduler's)."""
        budget = QueryBudget(self.query_budget)
        cache = ExampleCache(self.goal.runner.tokenizer, self.goal.runner.max_length)
        clean = yield from self.goal.evaluate([text], gold, budget, cache)
        if not clean:  # a budget of 0 queries: nothing can be scored
            return AttackResult(text, text, gold, -1, -1, FAILED, 0, 0.0)
        start = clean[0]
        if start.succeeded:
            final, status = start, SKIPPED
        else:
            problem = SearchProblem(text, gold, self.goal, self.transformation, self.constraints, budget, cache)
            final = yield from self.search.run(problem, start)
            status = SUCCEEDED if final.succeeded else FAILED
        return AttackResult(text, final.text, gold, start.prediction, final.prediction, status, budget.used, 0.0)
