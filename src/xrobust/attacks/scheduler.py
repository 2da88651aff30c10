"""Attacks batched across examples.

Each example's attack is a generator that yields model requests (scoring.py) and returns its
result. `interleave` keeps enough examples in flight that a round has at least `target_rows`
rows to score, answers all their pending requests together (`ModelRunner.answer`: one
length-sorted run of forward passes per kind), and hands each example its own answer. A
search step of one example is ~6 rows; a round of many examples fills whole forward passes.

With `target_rows=1` only one example is in flight at a time: that is the per-example attack,
the same code with a pool of one. Results do not depend on the pool (goal.py says how ties are
kept from depending on the forward pass a row lands in).
"""

import time
from collections.abc import Iterable, Iterator

from xrobust.attacks.scoring import ModelRunner


def interleave(jobs: Iterable, runner: ModelRunner, target_rows: int) -> Iterator[tuple[object, float]]:
    """(return value, seconds) of each job, in the order of `jobs`, each as soon as it and every
    job before it have finished. A job's seconds are the Python time spent advancing it plus its
    share (by rows) of the rounds it took part in, so they add up to the wall time."""
    jobs = iter(jobs)
    pending = {}  # slot -> (job, its request waiting for an answer)
    results = {}  # slot -> (return value, seconds), until every earlier slot is out
    seconds = {}
    admitted = emitted = 0
    more = True

    def advance(slot, job, answer):
        start = time.perf_counter()
        try:
            request = job.send(answer)
        except StopIteration as finished:
            pending.pop(slot, None)
            results[slot] = (finished.value, seconds.pop(slot) + time.perf_counter() - start)
            return
        pending[slot] = (job, request)
        seconds[slot] += time.perf_counter() - start

    while True:
        while more and sum(len(request.rows) for _, request in pending.values()) < target_rows:
            job = next(jobs, None)
            if job is None:
                more = False
                break
            seconds[admitted] = 0.0
            advance(admitted, job, None)  # runs the job up to its first request
            admitted += 1
        while emitted in results:
            yield results.pop(emitted)
            emitted += 1
        if not pending:
            return
        slots = list(pending)
        requests = [pending[slot][1] for slot in slots]
        start = time.perf_counter()
        answers = runner.answer(requests)
        elapsed = time.perf_counter() - start
        total_rows = sum(len(request.rows) for request in requests)
        for slot, request, answer in zip(slots, requests, answers):
            seconds[slot] += elapsed * len(request.rows) / total_rows
            advance(slot, pending[slot][0], answer)
