"""`--workers N`: a study's units in N worker processes on one machine.

The parent only schedules: it hands a unit to a free worker once every unit it depends on is
done (an intermediate stage before its cells, a cell before its attacks), and skips the
units whose dependency failed. Each worker runs one unit at a time, exactly as the
in-process runner does (the same lock, error line and result file), so a study may be run,
killed and resumed with any mix of `--workers` and `--shard`. A unit that another process
(a shard on another machine) holds is waited for, as the in-process runner waits.

Workers share the machine: each gets cores // N torch threads (two threads each on a busy
machine mostly spin-wait); where there are GPUs, worker i sees only GPU i % G (set in
CUDA_VISIBLE_DEVICES before it loads torch), so N = G runs one unit per GPU.
"""

import multiprocessing
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from pathlib import Path

from xrobust.progress import say
from xrobust.study.plan import Unit, state_file, unit_state

POLL_SECONDS = 2  # how often the parent looks again at units another process is running
_worker_scope = ExitStack()  # what a worker process keeps for its whole life


def run_in_workers(run, wanted: list[Unit], workers: int) -> None:
    """Run `wanted` and what they depend on in `workers` processes; fill run.outcome, run.ran,
    run.failed and run.blocked as the in-process runner does."""
    pending = _with_dependencies(run.units, wanted)  # plan order: dependencies first
    busy: dict = {}  # future -> unit name
    slots = multiprocessing.get_context("spawn").Queue()
    for slot in range(workers):
        slots.put(slot)
    threads = max(1, cores() // workers)
    devices = _visible_gpus()
    say(f"study {run.spec.name}: {workers} workers, {threads} torch thread(s) each"
        + (f", GPUs {','.join(devices)}" if devices else ""))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                             initargs=(slots, threads, devices)) as pool:
        while pending or busy:
            waiting_elsewhere = False
            for name in list(pending):
                unit = run.units[name]
                if any(run.outcome.get(d) is False for d in unit.depends):
                    say(f"{name}: skipped, {next(d for d in unit.depends if run.outcome.get(d) is False)} failed")
                    run.blocked.append(name)
                    run.outcome[name] = False
                    pending.remove(name)
                elif all(run.outcome.get(d) for d in unit.depends):
                    state = unit_state(run.study_dir, unit).state
                    if state == "done":
                        run.outcome[name] = True
                        pending.remove(name)
                    elif state == "running":  # another process has it: look again later
                        waiting_elsewhere = True
                    elif len(busy) < workers:
                        busy[pool.submit(_run_unit, run.spec, run.study_dir, run.settings, unit)] = name
                        pending.remove(name)
            if not busy:
                if pending and not waiting_elsewhere:
                    raise AssertionError(f"no unit can start: {pending[:3]}")  # the plan orders dependencies first
                time.sleep(POLL_SECONDS)
                continue
            finished, _ = wait(busy, timeout=POLL_SECONDS if waiting_elsewhere else None, return_when=FIRST_COMPLETED)
            for future in finished:
                name = busy.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise RuntimeError(f"a worker process died while running {name} (killed, or out of memory); "
                                       "run the same command again to resume") from None
                if result == "locked":  # taken by another process between our look and the worker's lock
                    pending.insert(_plan_index(run, pending, name), name)
                    continue
                run.outcome[name] = result == "done"
                (run.ran if result == "done" else run.failed).append(name)


def _with_dependencies(units: dict[str, Unit], wanted: list[Unit]) -> list[str]:
    needed: set[str] = set()
    stack = [u.name for u in wanted]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack += units[name].depends
    return [name for name in units if name in needed]  # units is in plan order


def _plan_index(run, pending: list[str], name: str) -> int:
    order = list(run.units)
    return sum(order.index(other) < order.index(name) for other in pending)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _visible_gpus() -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES names them; [] without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return []
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        return [d.strip() for d in visible.split(",") if d.strip()][:torch.cuda.device_count()]
    return [str(i) for i in range(torch.cuda.device_count())]


# ---- in the worker processes ----

def _start_worker(slots, threads: int, devices: list[str]) -> None:
    _exit_with_parent()
    slot = slots.get()
    if devices:  # before torch initialises CUDA in this process
        os.environ["CUDA_VISIBLE_DEVICES"] = devices[slot % len(devices)]
    import torch

    from xrobust.encoders.loading import reuse_tokenizers

    torch.set_num_threads(threads)
    _worker_scope.enter_context(reuse_tokenizers())  # a worker runs many units: parse the tokenizer once


def _exit_with_parent() -> None:
    """End this worker when the study's parent process is gone (killed, even with SIGKILL): a
    worker left behind would run units nobody schedules or reports, and hold their locks while
    a re-run starts. Its unit resumes from its latest checkpoint in the next run."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _run_unit(spec, study_dir: Path, settings, unit: Unit) -> str:
    """"done", "failed" (its error line written) or "locked" (another process holds it)."""
    from xrobust.study.run import StudyRun, UnitLock

    with UnitLock(state_file(study_dir, unit, ".lock")) as lock:
        if not lock.held:
            return "locked"
        return "done" if StudyRun(spec, study_dir, settings).run_unit(unit) else "failed"
