"""Search methods. Each takes a `SearchProblem` and the scored clean text and returns the
best text it found. All candidates of a step go to `problem.score` in one call, which runs
them through the model in chunked batched forward passes and stops at the query budget.
"""

import math

from xrobust.attacks.attack import SearchProblem, best_of, better
from xrobust.attacks.goal import GoalResult


class GreedyWordImportance:
    """Rank word slots by leave-one-out importance (how much deleting the word lowers the gold
    probability, TextFooler's ranking), then visit them in that order, keeping at each slot
    the best replacement if it helps, until the label flips or the budget runs out."""

    name = "greedy"

    def run(self, problem: SearchProblem, start: GoalResult) -> GoalResult:
        positions = problem.positions(start.text)
        deleted = problem.score([start.text.replace(p, "") for p in positions])  # one query per slot
        # Results come back in order, cut at the budget; slots left unranked go last, in
        # reading order (sorted is stable).
        scores = [r.score for r in deleted] + [-math.inf] * (len(positions) - len(deleted))
        order = [p for _, p in sorted(zip(scores, positions), key=lambda pair: -pair[0])]
        best = start
        for position in order:
            if best.succeeded or problem.exhausted():
                break
            if not problem.may_change(best.text, position):
                continue
            results = problem.score(problem.expand(best.text, position))
            if results and better(best_of(results), best):
                best = best_of(results)
        return best


class BeamSearch:
    """Keep the `width` best texts; each step tries every candidate for every unchanged slot
    of every beam member at once, and stops at a success, at no improvement, or at the budget."""

    name = "beam"

    def __init__(self, width: int = 4):
        self.width = width

    def run(self, problem: SearchProblem, start: GoalResult) -> GoalResult:
        beam, best = [start], start
        while not best.succeeded and not problem.exhausted():
            candidates, seen = [], set()
            for member in beam:
                changed = member.text.changed_positions()
                for position in problem.positions(member.text):
                    if position in changed:
                        continue
                    for text in problem.expand(member.text, position):
                        if text.pair() not in seen:
                            seen.add(text.pair())
                            candidates.append(text)
            results = problem.score(candidates)
            if not results:
                break
            ranked = sorted(results, key=lambda r: (r.succeeded, r.score), reverse=True)
            if not better(ranked[0], best):
                break
            beam, best = ranked[:self.width], ranked[0]
        return best
