"""An attack = goal + transformation + constraints + search, all passed to the constructor.

`Attack.run(text, gold)` scores the clean pair, and if the model gets it right hands the
search a `SearchProblem`: the one object through which a search sees the example (which
word slots may change, the candidate texts for a slot, batched scoring under the budget).
"""

import time
from dataclasses import dataclass

from xrobust.attacks.goal import GoalResult, MisclassifyGoal, QueryBudget
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
    """One example's search space, scored against its own query budget."""

    def __init__(self, original: AttackText, gold: int, goal: MisclassifyGoal, transformation, constraints,
                 budget: QueryBudget):
        self.original = original
        self.gold = gold
        self.goal = goal
        self.transformation = transformation
        self.constraints = constraints
        self.budget = budget

    def may_change(self, text: AttackText, position: Position) -> bool:
        return all(c.may_change(text, position) for c in self.constraints)

    def positions(self, text: AttackText) -> list[Position]:
        return [p for p in text.positions() if self.may_change(text, p)]

    def expand(self, text: AttackText, position: Position) -> list[AttackText]:
        """Texts with the word at `position` replaced by each candidate the constraints accept."""
        language = text.languages[position.side]
        word = self.original.word_at(position)  # candidates for the original word, not a replacement
        texts = [text.replace(position, w) for w in self.transformation.candidates(word, language)]
        for constraint in self.constraints:  # cheap ones first (the runner orders them)
            if not texts:
                break
            texts = [t for t, ok in zip(texts, constraint.accepts(self.original, texts)) if ok]
        return texts

    def score(self, texts: list[AttackText]) -> list[GoalResult]:
        return self.goal.evaluate(texts, self.gold, self.budget)

    def exhausted(self) -> bool:
        return self.budget.exhausted()


def better(a: GoalResult, b: GoalResult) -> bool:
    """Is `a` a better attack than `b`? A success beats a failure; then a lower gold probability."""
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
        start_time = time.perf_counter()
        budget = QueryBudget(self.query_budget)
        clean = self.goal.evaluate([text], gold, budget)
        if not clean:  # a budget of 0 queries: nothing can be scored
            return AttackResult(text, text, gold, -1, -1, FAILED, 0, 0.0)
        start = clean[0]
        if start.succeeded:
            final, status = start, SKIPPED
        else:
            problem = SearchProblem(text, gold, self.goal, self.transformation, self.constraints, budget)
            final = self.search.run(problem, start)
            status = SUCCEEDED if final.succeeded else FAILED
        return AttackResult(text, final.text, gold, start.prediction, final.prediction, status, budget.used,
                            time.perf_counter() - start_time)
