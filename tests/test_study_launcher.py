"""`--launcher slurm|local`: jobs (one per intermediate stage, one per cell with its attacks),
their dependencies, and the sbatch files submitit writes (a fake sbatch records them)."""

import os
import re
import stat

import pytest

from study_fixtures import RESOURCES, SMOKE, smoke_arguments
from xrobust.cli import main
from xrobust.errors import UserError
from xrobust.study.launcher import parse_launcher_options, plan_jobs
from xrobust.study.plan import plan_units
from xrobust.study.spec import load_spec

pytest.importorskip("submitit")


def test_a_job_per_stage_and_per_cell_with_what_runs_on_it():
    jobs = {job.name: job for job in plan_jobs(plan_units(load_spec(SMOKE)))}
    assert list(jobs)[:2] == ["intermediate/mnli/s42", "intermediate/xnli-multi/s42"]
    assert len(jobs) == 2 + 6
    cell = jobs["cells/xnli-multi/rs-da/s42"]
    assert cell.units == ("cells/xnli-multi/rs-da/s42", "cells/xnli-multi/rs-da/s42/attacks/typo-greedy",
                          "cells/xnli-multi/rs-da/s42/attacks/embedding-pgd",
                          "cells/xnli-multi/rs-da/s42/evaluations/generalized")
    assert cell.after == ("intermediate/xnli-multi/s42",)
    assert jobs["cells/none/standard/s42"].after == ()


def test_launcher_options_are_key_value_pairs():
    assert parse_launcher_options(["timeout_min=600", "slurm_partition=gpu", "mem_gb=7.5"]) == \
        {"timeout_min": 600, "slurm_partition": "gpu", "mem_gb": 7.5}
    with pytest.raises(UserError, match=r"^--launcher-option gpu: expected KEY=VALUE"):
        parse_launcher_options(["gpu"])


@pytest.fixture
def fake_sbatch(tmp_path, monkeypatch):
    """An `sbatch` that records each submission file and answers as SLURM does (and an
    `srun`, which submitit looks for to decide it is on a cluster)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "srun").chmod(0o755)
    script = bin_dir / "sbatch"
    script.write_text(f"#!/bin/sh\nn=$(($(ls {tmp_path}/submitted 2>/dev/null | wc -l) + 101))\n"
                      f"mkdir -p {tmp_path}/submitted\ncp \"$1\" {tmp_path}/submitted/$n.sh\n"
                      "echo \"Submitted batch job $n\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "submitted"


@pytest.mark.skipif(not (RESOURCES / "counterfitted_neighbors.json").is_file(), reason="rs-da needs resources")
def test_slurm_jobs_of_cells_depend_on_their_stage_job(tmp_path, tiny_model_dir, fake_sbatch, capsys):
    study = tmp_path / "study"
    arguments = smoke_arguments(study, tmp_path, tiny_model_dir)
    assert main(arguments + ["--launcher", "slurm", "--launcher-option", "slurm_partition=gpu",
                             "--launcher-option", "timeout_min=90"]) == 0
    out = capsys.readouterr().out
    assert "8 jobs submitted to slurm (intermediate/mnli/s42=101, intermediate/xnli-multi/s42=102, " in out
    files = {int(p.stem): p.read_text() for p in fake_sbatch.iterdir()}
    assert sorted(files) == list(range(101, 109))
    for number, text in files.items():
        assert "#SBATCH --partition=gpu" in text and "#SBATCH --time=90" in text
        dependency = re.search(r"#SBATCH --dependency=(\S+)", text)
        # jobs 101, 102: stages; 103-108: cells of none (no stage), mnli (after 101), xnli-multi (after 102)
        expected = {105: "afterany:101", 106: "afterany:101", 107: "afterany:102", 108: "afterany:102"}.get(number)
        assert (dependency.group(1) if dependency else None) == expected
    assert not (study / "cells").exists()  # submitted, not run here


def test_an_unknown_launcher_option_is_one_line(tmp_path, tiny_model_dir, capsys):
    arguments = smoke_arguments(tmp_path / "study", tmp_path, tiny_model_dir)
    assert main(arguments + ["--launcher", "local", "--launcher-option", "slurm_colour=red"]) == 2
    assert re.fullmatch(r"xrobust: error: --launcher local: Unknown argument 'colour' .*\n", capsys.readouterr().err)
    assert main(arguments + ["--launcher-option", "timeout_min=5"]) == 2
    assert capsys.readouterr().err == "xrobust: error: --launcher-option: only with --launcher\n"


def test_a_cell_job_reports_a_stage_that_failed_in_its_own_job_without_retrying_it(tmp_path, tiny_model_dir):
    from xrobust.study.launcher import run_job
    from xrobust.study.plan import state_file, unit_state
    from xrobust.study.run import RunSettings

    spec = load_spec(SMOKE, model=str(tiny_model_dir))
    units = {u.name: u for u in plan_units(spec)}
    stage = units["intermediate/mnli/s42"]
    state_file(tmp_path, stage, ".error").parent.mkdir(parents=True)
    state_file(tmp_path, stage, ".error").write_text("xnli: no data\n")
    job = next(j for j in plan_jobs(list(units.values())) if j.name == "cells/mnli/standard/s42")
    line = run_job(spec, tmp_path, RunSettings(str(tmp_path), str(RESOURCES)), job, threads=1)
    assert line == ("cells/mnli/standard/s42: 0 units run, skipped (a unit they need failed): " + ", ".join(job.units))
    assert unit_state(tmp_path, stage).error == "xnli: no data"  # left as it was: not run again
    assert not (tmp_path / "intermediate").exists() and not (tmp_path / "cells").exists()
