"""Search methods. Each `run(problem, start)` is a generator (it yields the model requests of
`problem.expand` and `problem.score`, attack.py) that returns the best text it found. All
candidates of a step go to `problem.score` in one call, which stops at the query budget; the
scheduler puts that call's rows into forward passes shared with other examples.
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
        deleted = yield from problem.score([start.text.replace(p, "") for p in positions])  # one query per slot
        # Results come back in order, cut at the budget; slots left unranked go last, in
        # reading order (sorted is stable; scores are rounded, goal.py, so equal ones really tie).
        scores = [r.score for r in deleted] + [-math.inf] * (len(positions) - len(deleted))
        order = [p for _, p in sorted(zip(scores, positions), key=lambda pair: -pair[0])]
        best = start
        for position in order:
            if best.succeeded or problem.exhausted():
                break
            if not problem.may_change(best.text, position):
                continue
            candidates = yield from problem.expand(best.text, position)
            results = yield from problem.score(candidates)
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
                    expanded = yield from problem.expand(member.text, position)
                    for text in expanded:
                        if text.pair() not in seen:
                            seen.add(text.pair())
                            candidates.append(text)
            results = yield from problem.score(candidates)
            if not results:
                break
            ranked = sorted(results, key=lambda r: (r.succeeded, r.score), reverse=True)  # stable: ties keep order
            if not better(ranked[0], best):
                break
            beam, best = ranked[:self.width], ranked[0]
        return best
