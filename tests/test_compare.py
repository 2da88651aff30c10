"""`xrobust compare`: mean +- std over seeds, paired differences, refusal of mixed settings."""

import json
import math

import pytest

from xrobust.cli import main
from xrobust.results.compare import group_runs, load_run, paired_difference, summarise, t95


def fake_run(root, name, method, seed, accuracy, generalized=None, **config_changes):
    run = root / name
    run.mkdir(parents=True)
    config = {"task": "xnli", "method": method, "seed": seed, "output_dir": str(run), "learning_rate": 5e-5,
              "adv_steps": 3}
    config.update(config_changes)
    (run / "config.json").write_text(json.dumps({"config": config}))
    metrics = {"task": "xnli", "split": "dev", "method": method, "seed": seed, "accuracy": accuracy,
               "average": sum(accuracy.values()) / len(accuracy), "stages": [{"train_seconds": 60.0}]}
    (run / "metrics.json").write_text(json.dumps(metrics))
    if generalized:
        folder = run / "evaluations" / "xnli-dev-generalized"
        folder.mkdir(parents=True)
        (folder / "generalized.json").write_text(json.dumps({"task": "xnli", "split": "dev", "accuracy": generalized}))
    return run


def test_mean_std_and_paired_difference_over_seeds(tmp_path):
    runs = [fake_run(tmp_path, "s1", "standard", 1, {"en": 0.50, "de": 0.40}),
            fake_run(tmp_path, "s2", "standard", 2, {"en": 0.60, "de": 0.40}),
            fake_run(tmp_path, "a1", "adv", 1, {"en": 0.60, "de": 0.50}, adv_steps=1),
            fake_run(tmp_path, "a2", "adv", 2, {"en": 0.60, "de": 0.60}, adv_steps=1)]
    summary = summarise(group_runs([load_run(r) for r in runs]))["xnli"]
    standard, adv = summary["methods"]
    assert adv["method"] == "adv (adv-steps=1)"  # a method's non-default options name its group
    assert standard["seeds"] == [1, 2] and standard["accuracy"]["en"] == pytest.approx((0.55, math.sqrt(0.005)))
    assert adv["average"] == pytest.approx((0.575, math.sqrt(2 * 0.025 ** 2)))
    # per-seed differences of the average: +0.10 and +0.10 -> zero spread
    assert adv["average_vs_standard"]["mean"] == pytest.approx(0.10)
    assert adv["average_vs_standard"]["ci95"] == pytest.approx([0.10, 0.10])


def test_method_options_split_groups(tmp_path):
    runs = [fake_run(tmp_path, "a", "rs-da", 1, {"en": 0.5}, synonyms="/x/counterfitted_neighbors.json",
                     synonym_lookup="published"),
            fake_run(tmp_path, "b", "rs-da", 1, {"en": 0.6}, synonyms="/y/counterfitted_neighbors.json",
                     substitution="per-pair", synonym_lookup="published"),
            # written before the published rule existed: it looked words up case-insensitively
            fake_run(tmp_path, "c", "rs-da", 1, {"en": 0.6}, synonyms="/y/counterfitted_neighbors.json")]
    groups = group_runs([load_run(r) for r in runs])
    assert [g.method for g in groups] == ["rs-da", "rs-da (substitution=per-pair)",
                                          "rs-da (synonym-lookup=case-insensitive)"]


def test_paired_interval_uses_student_t():
    mean, low, high = paired_difference([0.3, 0.5, 0.4], [0.2, 0.2, 0.2])
    half = t95(2) * 0.1 / math.sqrt(3)
    assert (mean, low, high) == pytest.approx((0.2, 0.2 - half, 0.2 + half))
    assert t95(2) == 4.303 and t95(11) == t95(10) and t95(100) == 1.96
    assert paired_difference([0.3], [0.2]) is None  # one pair: no interval


def test_generalized_cells_are_split_into_same_and_mixed(tmp_path):
    cells = {"en": {"en": 0.8, "de": 0.6}, "de": {"en": 0.4, "de": 0.7}}
    run = load_run(fake_run(tmp_path, "s1", "standard", 1, {"en": 0.8, "de": 0.7}, generalized=cells))
    assert run.generalized["same"] == pytest.approx(0.75) and run.generalized["mixed"] == pytest.approx(0.5)


def test_runs_with_other_settings_are_refused_in_one_line(tmp_path, capsys):
    a = fake_run(tmp_path, "a", "standard", 1, {"en": 0.5})
    b = fake_run(tmp_path, "b", "rs-da", 1, {"en": 0.5}, learning_rate=1e-4)
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "settings differ" in err and "learning_rate" in err
    c = fake_run(tmp_path, "c", "standard", 1, {"en": 0.6})
    assert main(["compare", str(a), str(c)]) == 2
    assert "same task, method and seed" in capsys.readouterr().err
    assert main(["compare", str(tmp_path)]) == 2
    assert "no metrics.json" in capsys.readouterr().err
    assert main(["compare", str(a), "--baseline", "adv"]) == 2
    assert "--baseline adv: no such method among the runs (standard)" in capsys.readouterr().err


def test_cli_prints_and_writes_table_json_and_plot(tmp_path, capsys):
    runs = [fake_run(tmp_path, f"{m}{s}", m, s, {"en": 0.5 + s / 100, "de": 0.4}) for m in ("standard", "rs-ri")
            for s in (1, 2, 3)]
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, runs), "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| rs-ri | 1,2,3 | **0.460 +- 0.005** |" in printed
    assert (out / "comparison.md").read_text() in printed
    assert json.loads((out / "comparison.json").read_text())["xnli"]["baseline"] == "standard"
    assert (out / "comparison.png").stat().st_size > 10_000
