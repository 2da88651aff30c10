"""`xrobust compare`: mean +- std over seeds, paired differences, refusal of mixed settings."""

import json
import math

import pytest

from xrobust.cli import main
from xrobust.reports.compare import comparison_table, group_runs, load_run, paired_difference, summarise, t95


def fake_run(root, name, method, seed, accuracy, generalized=None, inherited=None, **config_changes):
    run = root / name
    run.mkdir(parents=True)
    config = {"task": "xnli", "method": method, "seed": seed, "output_dir": str(run), "learning_rate": 5e-5,
              "adv_steps": 3}
    config.update(config_changes)
    saved = {"config": config}
    if inherited is not None:
        saved["inherited"] = inherited
    (run / "config.json").write_text(json.dumps(saved))
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
    standard, adv = summary["groups"]
    assert adv["method"] == "adv (adv-steps=1)"  # a method's non-default options name its group
    assert standard["seeds"] == [1, 2] and standard["accuracy"]["en"] == pytest.approx((0.55, math.sqrt(0.005)))
    assert adv["average"] == pytest.approx((0.575, math.sqrt(2 * 0.025 ** 2)))
    # per-seed differences of the average: +0.10 and +0.10 -> zero spread
    assert adv["vs_method"]["average"]["mean"] == pytest.approx(0.10)
    assert adv["vs_method"]["average"]["ci95"] == pytest.approx([0.10, 0.10])
    assert adv["vs_method"]["accuracy"]["de"]["mean"] == pytest.approx(0.15)  # +0.10, +0.20
    assert adv["vs_method"]["paired_by"] == "seed" and "vs_condition" not in adv


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
    # every option of the method names it (robust/objectives.py), so the run is compared, not refused
    muse = fake_run(tmp_path, "d", "rs-da", 1, {"en": 0.6}, synonym_source=["counter-fitted", "muse-pivot"],
                    synonym_lookup="published")
    plain = fake_run(tmp_path, "e", "standard", 1, {"en": 0.5})
    assert [g.method for g in group_runs([load_run(r) for r in (plain, muse)])] == [
        "standard", "rs-da (synonym-source=counter-fitted,muse-pivot)"]


def test_paired_interval_uses_student_t():
    mean, low, high = paired_difference([0.3, 0.5, 0.4], [0.2, 0.2, 0.2])
    half = t95(2) * 0.1 / math.sqrt(3)
    assert (mean, low, high) == pytest.approx((0.2, 0.2 - half, 0.2 + half))
    assert t95(2) == pytest.approx(4.303, abs=5e-4) and t95(11) == pytest.approx(2.201, abs=5e-4)
    assert t95(100) == pytest.approx(1.984, abs=5e-4)  # not the normal 1.96: t has heavier tails
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
    assert "same task, condition, method and seed (1)" in capsys.readouterr().err
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


def mnli_stage(seed, epochs=1, run="/runs/mnli"):
    return {"run": f"{run}-s{seed}", "config_sha256": "0" * 64, "stage": "stage-1-mnli",
            "checkpoint": "stage-1-mnli/best", "tasks": ["mnli"], "languages": ["en"], "method": "standard",
            "epochs": epochs, "seed": seed, "train_examples": {"mnli": 4000}, "dev_examples": {"mnli": 500},
            "files": None, "model": "default"}


def test_one_stage_per_seed_pairs_by_the_stages_seed(tmp_path):
    """Target runs all with --seed 42, each from its own seed's MNLI stage: the stage's seed is
    what varies, so the runs pair with the plain runs of that seed."""
    plain = [fake_run(tmp_path, f"p{s}", "standard", s, {"en": 0.5 + s / 10}) for s in (1, 2, 3)]
    after = [fake_run(tmp_path, f"m{s}", "standard", 42, {"en": 0.5 + s / 10 + d}, inherited=[mnli_stage(s)],
                      model=f"/runs/mnli-s{s}/stage-1-mnli/best") for s, d in ((3, 0.05), (1, 0.01), (2, 0.03))]
    summary = summarise(group_runs([load_run(r) for r in plain + after]))["xnli"]
    none_row, mnli_row = summary["groups"]
    assert mnli_row["condition"] == "mnli (inherited)" and mnli_row["stage_seeds"] == [3, 1, 2]
    diff = mnli_row["vs_condition"]
    assert diff["paired_by"] == "stage seed"
    assert diff["pairs"] == [[str(after[0]), str(plain[2])], [str(after[1]), str(plain[0])],
                             [str(after[2]), str(plain[1])]]
    half = t95(2) * 0.02 / math.sqrt(3)  # per-pair differences +0.05, +0.01, +0.03: std 0.02
    assert diff["accuracy"]["en"]["mean"] == pytest.approx(0.03)
    assert diff["accuracy"]["en"]["ci95"] == pytest.approx([0.03 - half, 0.03 + half])
    assert "| mnli (inherited) | standard | 42 (stage 3),42 (stage 1),42 (stage 2) |" in comparison_table(
        {"xnli": summary})


def test_runs_of_one_condition_must_inherit_the_same_kind_of_stage(tmp_path, capsys):
    a = fake_run(tmp_path, "a", "standard", 1, {"en": 0.5}, inherited=[mnli_stage(1)], model="/x/best")
    b = fake_run(tmp_path, "b", "standard", 2, {"en": 0.5}, inherited=[mnli_stage(2, epochs=3)], model="/y/best")
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "its inherited stage-1-mnli differs from that of" in err and "(epochs)" in err
    c = fake_run(tmp_path, "c", "standard", 1, {"en": 0.5}, inherited=[mnli_stage(1)], model="/x/best")
    assert main(["compare", str(a), str(c)]) == 2
    assert "same task, condition, method and seed (1, stage seed 1)" in capsys.readouterr().err
    # a stage trained from another encoder is another question, named by the settings that differ
    d = fake_run(tmp_path, "d", "standard", 1, {"en": 0.5})
    e = fake_run(tmp_path, "e", "standard", 1, {"en": 0.5}, inherited=[{**mnli_stage(1), "model": "xlm-roberta-base"}])
    assert main(["compare", str(d), str(e)]) == 2
    assert "(base model); compare runs that differ only in" in capsys.readouterr().err


def test_runs_from_one_shared_stage_pair_by_their_own_seed(tmp_path):
    """One MNLI stage (seed 42) shared by target runs with seeds 1, 2: pairs with plain runs 1, 2."""
    plain = [fake_run(tmp_path, f"p{s}", "standard", s, {"en": 0.5, "de": 0.4 + s / 10}) for s in (1, 2)]
    after = [fake_run(tmp_path, f"m{s}", "standard", s, {"en": 0.6, "de": 0.4 + s / 5}, inherited=[mnli_stage(42)],
                      model="/runs/mnli-s42/stage-1-mnli/best") for s in (2, 1)]
    summary = summarise(group_runs([load_run(r) for r in plain + after]))["xnli"]
    diff = summary["groups"][1]["vs_condition"]
    assert diff["paired_by"] == "seed" and diff["pairs"] == [[str(after[0]), str(plain[1])],
                                                              [str(after[1]), str(plain[0])]]
    assert diff["accuracy"]["en"] == {"mean": pytest.approx(0.1), "ci95": pytest.approx([0.1, 0.1])}
    half = t95(1) * math.sqrt(0.005) / math.sqrt(2)  # de differences +0.2 (seed 2), +0.1 (seed 1)
    assert diff["accuracy"]["de"]["ci95"] == pytest.approx([0.15 - half, 0.15 + half])
    assert "| mnli (inherited) | standard | 2,1 (stage seed 42) |" in comparison_table({"xnli": summary})
