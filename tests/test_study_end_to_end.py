"""`xrobust study --spec studies/smoke.toml` end to end on the tiny encoder and tiny data;
a re-run runs nothing and writes the same study.json. The `slow` tests run it again (killed
and resumed, in workers, in shards) and compare every record with the uninterrupted run."""

import re
import signal
import subprocess
import sys
import time

import pytest

from study_fixtures import (RESOURCES, SMOKE_UNITS, one_torch_thread, smoke_arguments, study_records,
                            subprocess_env, write_smoke_data)
from xrobust.cli import main
from xrobust.results.rundir import read_json, read_jsonl


@pytest.fixture(scope="module")
def smoke_study(tmp_path_factory, tiny_model_dir):
    """tiny_data's rows (plus XNLI dev in de and fr for the multilingual condition), one run."""
    if not (RESOURCES / "counterfitted_neighbors.json").is_file():
        pytest.skip(f"rs-da needs {RESOURCES}/counterfitted_neighbors.json")
    root = tmp_path_factory.mktemp("study-data")
    study = root / "study"
    command = smoke_arguments(study, write_smoke_data(root), tiny_model_dir)
    with one_torch_thread():
        assert main(command) == 0
    return command, study


def _study_process(arguments: list[str]) -> list[str]:
    return [sys.executable, "-m", "xrobust.cli", *arguments]


def test_smoke_study_runs_end_to_end(smoke_study, capsys):
    command, study = smoke_study
    assert main(command[:5] + ["--status"]) == 0
    status = capsys.readouterr().out
    assert "26 units: 26 done, 0 running, 0 failed, 0 left" in status
    summary = (study / "study.json").read_text()
    assert '"cells_done": 6' in summary and '"attacks_done": 12' in summary and '"generalized_done": 6' in summary
    assert "6 of 6 cells, 12 of 12 attacks and 6 of 6 generalized matrices finished" in (study / "study.md").read_text()
    for name in ("study.md", "study.html"):
        assert (study / name).stat().st_size > 1000
    cell = study / "cells" / "mnli" / "rs-da" / "s42"
    assert (cell / "metrics.json").is_file() and (cell / "config.json").is_file()
    assert (cell / "attacks" / "typo-greedy" / "robustness.json").is_file()
    assert (cell / "evaluations" / "generalized" / "generalized.json").is_file()
    assert str(study / "intermediate" / "mnli" / "s42" / "model") in (cell / "config.json").read_text()


def test_a_rerun_runs_nothing_and_gives_the_same_study_json(smoke_study, capsys):
    command, study = smoke_study
    before = (study / "study.json").read_bytes()
    capsys.readouterr()
    assert main(command) == 0
    assert "study smoke: 0 units run now, 26 of 26 done" in capsys.readouterr().out
    assert (study / "study.json").read_bytes() == before


def test_report_rebuilds_from_the_folder_alone(smoke_study, capsys):
    _, study = smoke_study
    before = (study / "study.json").read_bytes()
    (study / "study.json").unlink()
    assert main(["study", "--output-dir", str(study), "--report"]) == 0
    assert (study / "study.json").read_bytes() == before


def test_the_multilingual_stage_trains_on_xnli_dev_rows_spread_over_german_and_french(smoke_study):
    _, study = smoke_study
    stage = read_json(study / "intermediate/xnli-multi/s42/stage-1-xnli-dev-de-fr/stage.json")
    # examples = 6: rows 1..6 of xnli dev, row i in ["de", "fr"][(i - 1) % 2]
    assert stage["sources"] == [{"task": "xnli", "split": "dev", "languages": ["de", "fr"], "pairs": 6,
                                 "pairs_per_language": {"de": 3, "fr": 3}, "rows": {"de": "1,3,5", "fr": "2,4,6"}}]
    # its English dev evaluation (4 evenly spaced rows of 12: 1, 4, 7, 10) leaves out the trained rows
    predicted = read_jsonl(study / "intermediate/xnli-multi/s42/predictions/dev-en.jsonl")
    assert [row["id"] for row in predicted] == ["dev-7", "dev-10"]


@pytest.mark.parametrize("condition, lineage", [
    ("none", ("none", [])),
    ("mnli", ("mnli (inherited)", [("stage-1-mnli", ["mnli"], ["en"])])),
    ("xnli-multi", ("xnli (inherited)", [("stage-1-xnli-dev-de-fr", ["xnli"], ["de", "fr"])])),
])
def test_each_cell_folder_says_which_condition_it_belongs_to(smoke_study, condition, lineage):
    _, study = smoke_study
    for method in ("standard", "rs-da"):
        metrics = read_json(study / "cells" / condition / method / "s42" / "metrics.json")
        recorded = [(s["stage"], s["tasks"], s["languages"]) for s in metrics["inherited"]]
        assert (metrics["intermediate_condition"], recorded) == lineage
        if condition != "none":
            assert metrics["inherited"][0]["run"] == str((study / "intermediate" / condition / "s42").resolve())
    groups = {g["condition"]: g["lineage"] for g in read_json(study / "study.json")["groups"]}
    assert groups[condition].startswith(lineage[0])


@pytest.mark.slow
def test_a_study_killed_mid_way_finishes_on_rerun_with_the_same_results(smoke_study, tiny_model_dir,
                                                                        tmp_path_factory, capsys):
    _, reference = smoke_study
    root = tmp_path_factory.mktemp("killed")
    study = root / "study"
    command = _study_process(smoke_arguments(study, write_smoke_data(root), tiny_model_dir))
    process = subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill while the first cell trains (both intermediate stages are done by then).
    started = study / "cells/none/standard/s42/config.json"
    deadline = time.time() + 300
    while not started.exists():
        assert process.poll() is None and time.time() < deadline, "the study ended before it could be killed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (study / "cells/none/standard/s42/metrics.json").exists()
    lock = study / ".study/cells__none__standard__s42.lock"
    assert lock.is_file()  # left behind by the killed process, which is gone: not a running unit
    assert main(smoke_arguments(study, root / "xtreme", tiny_model_dir)[:5] + ["--status"]) == 0
    assert f"{SMOKE_UNITS} units: 2 done, 0 running, 0 failed, {SMOKE_UNITS - 2} left" in capsys.readouterr().out

    finished = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert f"study smoke: {SMOKE_UNITS - 2} units run now, {SMOKE_UNITS} of {SMOKE_UNITS} done" in finished.stdout
    assert "resuming" in finished.stderr  # the killed cell's folder was taken up again, not replaced
    assert (study / "study.json").read_bytes() == (reference / "study.json").read_bytes()
    records = study_records(study, root)
    assert "cells/xnli-multi/rs-da/s42/attacks/typo-greedy/adversarial/typo-greedy-de.jsonl" in records
    assert records == study_records(reference, reference.parent)


@pytest.mark.slow
def test_two_workers_give_the_results_of_one(smoke_study, tiny_model_dir, tmp_path_factory, capsys):
    _, reference = smoke_study
    root = tmp_path_factory.mktemp("workers")
    study = root / "study"
    capsys.readouterr()
    assert main(smoke_arguments(study, write_smoke_data(root), tiny_model_dir) + ["--workers", "2"]) == 0
    output = capsys.readouterr()
    assert f"{SMOKE_UNITS} units run now, {SMOKE_UNITS} of {SMOKE_UNITS} done (2 workers)" in output.out
    assert re.search(r"2 workers, \d+ torch thread\(s\) each", output.err)
    assert (study / "study.json").read_bytes() == (reference / "study.json").read_bytes()
    assert study_records(study, root) == study_records(reference, reference.parent)


@pytest.mark.slow
def test_two_shards_at_once_give_the_results_of_one_run(smoke_study, tiny_model_dir, tmp_path_factory):
    _, reference = smoke_study
    root = tmp_path_factory.mktemp("shards")
    study = root / "study"
    command = _study_process(smoke_arguments(study, write_smoke_data(root), tiny_model_dir))
    study.mkdir()  # both shards start on an empty folder at the same time
    shards = [subprocess.Popen(command + ["--shard", f"{k}/2"], env=subprocess_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    outputs = [shard.communicate(timeout=900) for shard in shards]
    for shard, (out, err) in zip(shards, outputs):
        assert shard.returncode == 0, err[-2000:]
    # each shard ran its own half, and the other half's units it needed only when nobody ran them
    ran = [int(re.search(r"study smoke: (\d+) units run now", out).group(1)) for out, _ in outputs]
    assert sum(ran) == SMOKE_UNITS
    assert any(f"{SMOKE_UNITS} of {SMOKE_UNITS} done" in out for out, _ in outputs)  # the one that ended last
    assert (study / "study.json").read_bytes() == (reference / "study.json").read_bytes()
    assert study_records(study, root) == study_records(reference, reference.parent)


@pytest.mark.slow
def test_jobs_through_submitits_local_executor_give_the_results_of_one_run(smoke_study, tiny_model_dir,
                                                                           tmp_path_factory, capsys):
    """The local executor starts every job at once and ignores SLURM dependencies: cell jobs
    wait for (or run) their stage through the lock and result files."""
    pytest.importorskip("submitit")
    _, reference = smoke_study
    root = tmp_path_factory.mktemp("launcher")
    study = root / "study"
    capsys.readouterr()
    assert main(smoke_arguments(study, write_smoke_data(root), tiny_model_dir) + ["--launcher", "local", "--wait"]) == 0
    out = capsys.readouterr().out
    assert f"{SMOKE_UNITS} units: {SMOKE_UNITS} done, 0 running, 0 failed, 0 left" in out
    ran = [int(n) for n in re.findall(r"^\S+: (\d+) units run", out, flags=re.M)]
    assert len(ran) == 8 and sum(ran) == SMOKE_UNITS  # 8 jobs; every unit ran once, in one of them
    assert (study / "study.json").read_bytes() == (reference / "study.json").read_bytes()
    assert study_records(study, root) == study_records(reference, reference.parent)
