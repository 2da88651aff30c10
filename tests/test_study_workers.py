"""`--workers N` schedules like the in-process runner: a failed unit leaves its error line and
the units that need it are skipped, the others still run. (Results equal to one worker's:
the slow test in test_study_end_to_end.py.)"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from study_fixtures import RESOURCES, SMOKE, SMOKE_UNITS, smoke_arguments
from xrobust.cli import main
from xrobust.study.plan import plan_units
from xrobust.study.spec import load_spec
from xrobust.study.workers import _with_dependencies


def test_a_unit_brings_what_it_needs_in_plan_order():
    units = {u.name: u for u in plan_units(load_spec(SMOKE))}
    wanted = [units["cells/mnli/rs-da/s42/attacks/typo-greedy"], units["cells/none/standard/s42"]]
    assert _with_dependencies(units, wanted) == ["intermediate/mnli/s42", "cells/none/standard/s42",
                                                 "cells/mnli/rs-da/s42", "cells/mnli/rs-da/s42/attacks/typo-greedy"]


def test_workers_must_be_at_least_one(tmp_path, capsys):
    assert main(["study", "--spec", str(SMOKE), "--output-dir", str(tmp_path / "s"), "--workers", "0"]) == 2
    assert capsys.readouterr().err == "xrobust: error: --workers 0: must be at least 1\n"
    assert not (tmp_path / "s").exists()


@pytest.mark.skipif(not (RESOURCES / "counterfitted_neighbors.json").is_file(), reason="rs-da needs resources")
def test_failures_and_skips_are_the_same_with_one_and_two_workers(tmp_path, tiny_model_dir, capsys):
    """No data files: every training unit fails at once (before any model loads), and every
    unit that needs one of them is skipped."""
    (tmp_path / "empty").mkdir()
    grids = []
    for workers in (1, 2):
        study = tmp_path / f"w{workers}"
        arguments = smoke_arguments(study, tmp_path / "empty", tiny_model_dir)
        assert main(arguments + ["--workers", str(workers)]) == 0
        summary = capsys.readouterr().out
        assert re.search(rf"0 units run now, 0 of {SMOKE_UNITS} done, 4 failed \(.*\), "
                         rf"{SMOKE_UNITS - 4} skipped because a unit they need failed", summary)
        assert main(arguments[:5] + ["--status"]) == 0
        grids.append(capsys.readouterr().out.split("\n", 1)[1])
    assert grids[0] == grids[1]
    assert "intermediate/xnli-multi/s42: " in grids[0] and "cells/none/rs-da/s42: " in grids[0]


def test_workers_end_when_the_study_process_is_killed(tmp_path):
    # A parent that starts one worker (with the study's initializer) on a long task and prints
    # the worker's pid; killed with SIGKILL, it cannot clean up: the worker must notice alone.
    script = tmp_path / "parent.py"
    script.write_text(
        "import multiprocessing, os, time\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from xrobust.study.workers import _start_worker\n"
        "if __name__ == '__main__':\n"
        "    context = multiprocessing.get_context('spawn')\n"
        "    slots = context.Queue(); slots.put(0)\n"
        "    pool = ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker, initargs=(slots, 1, []))\n"
        "    print(pool.submit(os.getpid).result(), flush=True)\n"
        "    pool.submit(time.sleep, 600)\n"
        "    time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.time() + 30
    while time.time() < deadline and _alive(worker):
        time.sleep(0.5)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child reaped by nobody yet is a zombie: it has ended
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "zombie" in status.read_text())
