"""The study's units, their dependencies, shards, and the --status grid read from the folders."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from xrobust.cli import main
from xrobust.errors import UserError
from xrobust.study.plan import STALE_SECONDS, parse_shard, plan_units, shard_units, state_file, status_table
from xrobust.study.spec import load_spec

SMOKE = Path(__file__).resolve().parents[1] / "studies" / "smoke.toml"


def test_smoke_units_and_dependencies():
    units = plan_units(load_spec(SMOKE))
    kinds = [u.kind for u in units]
    # 2 intermediate stages (mnli, xnli-multi) x 1 seed; 3 conditions x 2 methods cells;
    # per cell 2 attacks and the generalized matrix
    assert (kinds.count("intermediate"), kinds.count("cell"), kinds.count("attack"), kinds.count("generalized")) \
        == (2, 6, 12, 6)
    names = [u.name for u in units]
    assert len(set(names)) == len(names)
    by_name = {u.name: u for u in units}
    assert by_name["cells/mnli/rs-da/s42"].depends == ("intermediate/mnli/s42",)
    assert by_name["cells/none/standard/s42"].depends == ()
    assert by_name["cells/none/rs-da/s42/attacks/typo-greedy"].depends == ("cells/none/rs-da/s42",)
    for index, unit in enumerate(units):  # shards rely on dependencies coming first
        assert all(names.index(d) < index for d in unit.depends)


def test_shards_partition_the_units():
    units = plan_units(load_spec(SMOKE))
    halves = [shard_units(units, (k, 2)) for k in (1, 2)]
    assert halves[0] == units[0::2] and halves[1] == units[1::2]
    thirds = [u.name for k in (1, 2, 3) for u in shard_units(units, (k, 3))]
    assert sorted(thirds) == sorted(u.name for u in units)


@pytest.mark.parametrize("value", ["2", "0/2", "3/2", "a/b"])
def test_bad_shard_names_the_option(value):
    with pytest.raises(UserError, match=r"^--shard "):
        parse_shard(value)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_status_reads_done_running_failed_and_left_from_the_folders(tmp_path):
    spec = load_spec(SMOKE)
    units = {u.name: u for u in plan_units(spec)}
    (tmp_path / "intermediate/mnli/s42").mkdir(parents=True)
    (tmp_path / "intermediate/mnli/s42/metrics.json").write_text("{}")
    running = state_file(tmp_path, units["cells/none/standard/s42"], ".lock")
    running.parent.mkdir(parents=True, exist_ok=True)
    running.write_text(f"{socket.gethostname()} {os.getpid()}\n")
    crashed = state_file(tmp_path, units["cells/none/rs-da/s42"], ".lock")  # SIGKILLed: process gone
    crashed.write_text(f"{socket.gethostname()} {_dead_pid()}\n")
    old = state_file(tmp_path, units["cells/mnli/standard/s42"], ".lock")  # on another host, heartbeat stopped
    old.write_text("elsewhere 1\n")
    os.utime(old, (0, os.path.getmtime(old) - STALE_SECONDS - 5))
    state_file(tmp_path, units["intermediate/xnli-multi/s42"], ".error").write_text("intermediate xnli-multi: boom\n")

    table = status_table(spec, tmp_path)
    assert "26 units: 1 done, 1 running, 1 failed, 23 left" in table
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[3:] if line.startswith(("cells", "inter"))}
    assert rows["intermediate/mnli/s42"] == ["done"]
    assert rows["intermediate/xnli-multi/s42"] == ["failed"]
    assert rows["cells/none/standard/s42"] == ["running", "left", "left", "left"]
    assert rows["cells/none/rs-da/s42"][0] == "left"
    assert rows["cells/mnli/standard/s42"][0] == "left"
    assert "  intermediate/xnli-multi/s42: intermediate xnli-multi: boom" in table


def test_status_command_runs_nothing(tmp_path, capsys):
    study = tmp_path / "study"
    assert main(["study", "--spec", str(SMOKE), "--output-dir", str(study), "--status"]) == 0
    assert "26 units: 0 done, 0 running, 0 failed, 26 left" in capsys.readouterr().out
    assert not study.exists()


def test_a_bad_spec_exits_2_with_one_line_before_anything_trains(tmp_path, capsys, monkeypatch):
    import xrobust.evaluation.trained_run

    def must_not_train(config):
        raise AssertionError("trained despite a bad spec")

    monkeypatch.setattr(xrobust.evaluation.trained_run, "train_and_evaluate", must_not_train)
    bad = tmp_path / "bad.toml"
    bad.write_text(SMOKE.read_text().replace('name = "rs-da"', 'name = "rs-dx"'))
    study = tmp_path / "study"
    assert main(["study", "--spec", str(bad), "--output-dir", str(study)]) == 2
    err = capsys.readouterr().err
    assert err == (f"xrobust: error: {bad}: methods[1].name: unknown method 'rs-dx' "
                   "(standard, rs-da, rs-ri, adv, freelb)\n")
    assert not study.exists()


def test_a_folder_made_from_another_spec_is_refused(tmp_path, capsys):
    study = tmp_path / "study"
    study.mkdir()
    (study / "spec.toml").write_text(SMOKE.read_text().replace("seeds = [42]", "seeds = [1]"))
    assert main(["study", "--spec", str(SMOKE), "--output-dir", str(study), "--resources", str(tmp_path)]) == 2
    assert "holds a study made from another spec" in capsys.readouterr().err


def test_every_recipe_that_reads_resources_needs_the_folder_up_front(tmp_path, capsys, monkeypatch):
    # neighbors-greedy reads MUSE vocabularies: the recipe record, not its name, says so
    monkeypatch.delenv("XROBUST_RESOURCES", raising=False)
    spec = tmp_path / "neighbours.toml"
    text = SMOKE.read_text().split("[[attacks]]")[0].replace('name = "rs-da"\nsubstitution = "per-pair"', 'name = "rs-ri"')
    spec.write_text(text + '[[attacks]]\nrecipe = "neighbors-greedy"\nlanguages = ["de"]\nexamples = 2\n')
    study = tmp_path / "study"
    assert main(["study", "--spec", str(spec), "--output-dir", str(study), "--resources", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err == (f"xrobust: error: --resources: neighbors-greedy needs the resources folder "
                                       f"(counterfitted_neighbors.json, muse/); {tmp_path / 'none'} is not a folder\n")
    assert not study.exists()
