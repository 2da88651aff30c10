"""`--workers N` schedules like the in-process runner: a failed unit leaves its error line and
the units that need it are skipped, the others still run. (Results equal to one worker's:
the slow test in test_study_end_to_end.py.)"""

import re

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
