"""Runs started from another run's checkpoint record the stages they inherit, and `compare`
sets intermediate conditions against each other with paired differences (tiny runs)."""

import hashlib
import json
import math
import statistics

import pytest

from xrobust.cli import main
from xrobust.errors import UserError
from xrobust.results.lineage import inherited_stages, intermediate_condition
from xrobust.training.config import TrainConfig
from xrobust.evaluation.trained_run import train_and_evaluate

SEEDS = (1, 2)


def tiny_config(model, data, out, **overrides) -> TrainConfig:
    # two epochs each: enough for the tiny runs to differ between conditions somewhere (see the compare test)
    values = dict(task="pawsx", model=str(model), data_dir=str(data), output_dir=str(out), epochs=2,
                  intermediate_epochs=2,
                  batch_size=4, learning_rate=3e-3, head_learning_rate=1e-2, warmup_ratio=0.0,
                  checkpoint_every=0, max_length=32, dropout=0.0, eval_languages=["en", "de"])
    values.update(overrides)
    return TrainConfig(**values)


def read(path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def runs(tiny_model_dir, tiny_data_module, tmp_path_factory):
    """Per seed: a run with its own MNLI stage ("after"), a run from that stage's best
    ("from_stage") and a run from the plain encoder ("plain"); and a run from the first
    from_stage run's model ("chained")."""
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for seed in SEEDS:
        after = train_and_evaluate(tiny_config(tiny_model_dir, tiny_data_module, root / f"after-s{seed}", seed=seed,
                                               intermediate=["mnli"]))
        out["after", seed] = after
        out["from_stage", seed] = train_and_evaluate(tiny_config(after / "stage-1-mnli" / "best", tiny_data_module,
                                                                 root / f"from-stage-s{seed}", seed=seed))
        out["plain", seed] = train_and_evaluate(tiny_config(tiny_model_dir, tiny_data_module, root / f"plain-s{seed}",
                                                            seed=seed))
    out["chained", 1] = train_and_evaluate(tiny_config(out["from_stage", 1] / "model", tiny_data_module,
                                                       root / "chained-s1", seed=1))
    return out


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_run_from_a_stage_records_the_inherited_stage(runs, tiny_model_dir, tiny_data_module):
    source, run = runs["after", 1], runs["from_stage", 1]
    config, metrics = read(run / "config.json"), read(run / "metrics.json")
    assert config["intermediate_condition"] == metrics["intermediate_condition"] == "mnli (inherited)"
    assert metrics["intermediate"] == []  # it trained no intermediate stage itself
    (stage,) = config["inherited"]
    assert metrics["inherited"] == config["inherited"]
    assert stage["run"] == str(source.resolve()) and stage["config_sha256"] == sha256(source / "config.json")
    assert stage["stage"] == "stage-1-mnli" and stage["checkpoint"] == "stage-1-mnli/best"
    assert stage["tasks"] == ["mnli"] and stage["languages"] == ["en"] and stage["method"] == "standard"
    assert stage["epochs"] == 2 and stage["seed"] == 1 and stage["model"] == str(tiny_model_dir)
    assert stage["train_examples"] == {"mnli": 24} and stage["dev_examples"] == {"mnli": 3}
    mnli = tiny_data_module.parent / "mnli"
    assert stage["files"] == {
        str(mnli / "train.tsv"): {"rows": 24, "kept": 24, "blank_lines": [], "sha256": sha256(mnli / "train.tsv")},
        str(mnli / "dev.tsv"): {"rows": 3, "kept": 3, "blank_lines": [], "sha256": sha256(mnli / "dev.tsv")}}
    # the source run itself trained its MNLI stage; a run from the plain encoder inherits nothing
    assert read(source / "metrics.json")["intermediate_condition"] == "mnli"
    assert read(runs["plain", 1] / "metrics.json")["intermediate_condition"] == "none"
    assert read(runs["plain", 1] / "config.json")["inherited"] == []


def test_a_chain_keeps_the_whole_lineage(runs):
    first, second, run = runs["after", 1], runs["from_stage", 1], runs["chained", 1]
    metrics = read(run / "metrics.json")
    assert metrics["intermediate_condition"] == "mnli > pawsx (inherited)"
    mnli, pawsx = metrics["inherited"]
    assert (mnli["run"], mnli["stage"]) == (str(first.resolve()), "stage-1-mnli")
    assert (pawsx["run"], pawsx["stage"], pawsx["checkpoint"]) == (str(second.resolve()), "stage-1-pawsx", "model")
    assert pawsx["config_sha256"] == sha256(second / "config.json")
    assert pawsx["model"] == str(first / "stage-1-mnli" / "best") and pawsx["train_examples"] == {"pawsx": 32}


def test_the_printed_table_names_the_inherited_condition(runs, tiny_data_module, capsys):
    run = runs["from_stage", 2]
    config = read(run / "config.json")["config"]
    train_and_evaluate(TrainConfig(**config))  # finished: prints its table without training
    assert "intermediate: mnli (inherited), seed 2)" in capsys.readouterr().out


def test_a_stage_that_has_not_finished_is_refused(tmp_path):
    run = tmp_path / "run"
    best = run / "stage-1-mnli" / "best"
    best.mkdir(parents=True)
    (best / "xrobust_head.json").write_text("{}")
    (run / "config.json").write_text(json.dumps({"config": {"seed": 1}}))
    with pytest.raises(UserError, match="stage-1-mnli of .* has not finished"):
        inherited_stages(str(best))
    assert inherited_stages(str(tmp_path)) == []  # not a checkpoint in a run: a plain encoder


def test_condition_names():
    assert intermediate_condition([], []) == "none" and intermediate_condition([], ["mnli", "xnli"]) == "mnli+xnli"


def test_compare_sets_the_inherited_condition_against_none(runs, tmp_path, capsys):
    plain = [runs["plain", s] for s in SEEDS]
    inherited = [runs["from_stage", s] for s in SEEDS]
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, plain + inherited), "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    summary = read(out / "comparison.json")["pawsx"]
    assert summary["conditions"] == ["none", "mnli (inherited)"] and summary["baseline_condition"] == "none"
    none_row, mnli_row = summary["groups"]
    assert [(r["condition"], r["method"], r["seeds"]) for r in summary["groups"]] == [
        ("none", "standard", [1, 2]), ("mnli (inherited)", "standard", [1, 2])]
    diff = mnli_row["vs_condition"]
    assert "vs_condition" not in none_row and diff["baseline"] == "none" and diff["paired_by"] == "seed"
    assert diff["pairs"] == [[str(b), str(a)] for a, b in zip(plain, inherited)]
    differences = []
    for language in ("en", "de"):  # the same numbers from the runs' own metrics, paired by seed
        per_seed = [read(b / "metrics.json")["accuracy"][language] - read(a / "metrics.json")["accuracy"][language]
                    for a, b in zip(plain, inherited)]
        differences += per_seed
        mean, half = statistics.fmean(per_seed), 12.706 * statistics.stdev(per_seed) / math.sqrt(2)
        assert diff["accuracy"][language]["mean"] == pytest.approx(mean)
        assert diff["accuracy"][language]["ci95"] == pytest.approx([mean - half, mean + half], abs=1e-3)
        assert mnli_row["accuracy"][language][0] == pytest.approx(
            statistics.fmean(read(b / "metrics.json")["accuracy"][language] for b in inherited))
    assert any(differences), "the tiny runs should differ somewhere, else this test checks little"
    assert "| mnli (inherited) | standard | 1,2 |" in printed
    assert "pawsx: paired differences per language" in printed
    assert f"| mnli (inherited) | standard | none | seed (n=2) | {_signed(diff['accuracy']['en'])} |" in printed


def _signed(d) -> str:
    return f"{d['mean']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]"


def test_compare_refuses_runs_from_different_base_encoders(runs, tmp_path, capsys):
    """A run from a stage is compared by the encoder its lineage started from: the plain
    encoder's runs agree, a run started from another checkpoint's stage does not."""
    chained = runs["chained", 1]  # condition "mnli > pawsx (inherited)", base encoder the tiny one
    assert main(["compare", str(runs["plain", 1]), str(chained), str(runs["from_stage", 1])]) == 0
    capsys.readouterr()
    assert main(["compare", str(runs["plain", 1]), str(runs["after", 1]), "--baseline-condition", "xnli"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--baseline-condition xnli: no such condition among the runs (none, mnli (intermediate-epochs=2))" in err
