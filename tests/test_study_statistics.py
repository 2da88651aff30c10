"""The study's statistics against values computed by hand (formulas in the comments)."""

import dataclasses
from pathlib import Path

import pytest

from xrobust.study.collect import CellResult
from xrobust.study.spec import load_spec
from xrobust.study.statistics import (compare, contrasts, holm, mean_interval, paired_by_example, paired_by_seed,
                                      summarise_study)

SMOKE = Path(__file__).resolve().parents[1] / "studies" / "smoke.toml"


def test_mean_interval_is_the_student_t_interval():
    # mean 0.6, sd 0.1, t(0.975, 2) = 4.302653: half-width 4.302653 * 0.1 / sqrt(3) = 0.248414
    estimate = mean_interval([0.5, 0.6, 0.7])
    assert estimate.mean == pytest.approx(0.6)
    assert estimate.ci95 == pytest.approx((0.351586, 0.848414), abs=1e-6)
    assert mean_interval([0.7]).ci95 is None


def test_paired_by_seed():
    # differences 0.1, 0.2, 0.2: mean 1/6, sd 0.057735, se 1/30, t = 5 with 2 df;
    # p = 1 - 5 / sqrt(27) = 0.037750 (t with 2 df has cdf 1/2 + t / (2 sqrt(t^2 + 2)));
    # interval 1/6 -+ 4.302653 / 30 = [0.023245, 0.310088]
    result = paired_by_seed([0.6, 0.7, 0.8], [0.5, 0.5, 0.6])
    assert result.difference == pytest.approx(1 / 6)
    assert result.p == pytest.approx(0.037750, abs=1e-6)
    assert result.ci95 == pytest.approx((0.023245, 0.310088), abs=1e-6)
    assert (result.n, result.test) == (3, "paired t (seeds)")
    assert paired_by_seed([0.6, 0.7], [0.5, 0.6]).p == 0.0  # the same gain every seed: no spread
    assert paired_by_seed([0.6, 0.7], [0.6, 0.7]).p == 1.0


def test_paired_by_example_is_mcnemar_exact():
    # 10 rows: 5 right only with the condition, 1 right only with the baseline, 2 right in both.
    # Exact McNemar: two-sided binomial on 6 discordant rows, P = 2 * (1 + 6) / 64 = 0.21875;
    # difference (7 - 3) / 10 = 0.4
    condition = {f"r{i}": ok for i, ok in enumerate([1, 1, 1, 1, 1, 0, 1, 1, 0, 0])}
    baseline = {f"r{i}": ok for i, ok in enumerate([0, 0, 0, 0, 0, 1, 1, 1, 0, 0])}
    result = paired_by_example(condition, baseline)
    assert result.difference == pytest.approx(0.4)
    assert result.p == pytest.approx(0.21875)
    low, high = result.ci95
    assert low < 0.4 < high and -1 <= low and high <= 1
    assert paired_by_example(condition, condition).p == 1.0


def test_holm():
    # sorted: 0.01 * 4 = 0.04; 0.03 * 3 = 0.09; 0.04 * 2 = 0.08 -> 0.09 (monotone); 0.5 * 1 = 0.5
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.6, 0.6]) == [1.0, 1.0]


def _cell(condition, method, seed, en, de):
    rows = lambda bits: {f"dev-{i + 1}": bool(b) for i, b in enumerate(bits)}
    return CellResult(condition, method, seed, {"en": rows(en), "de": rows(de)}, {}, {}, None)


def test_comparisons_on_a_small_fixture():
    spec = dataclasses.replace(load_spec(SMOKE), seeds=(1, 2), attacks=())
    cells = [  # accuracy en / de per seed
        _cell("none", "standard", 1, [1, 1, 0, 0], [1, 0, 0, 0]),  # 0.50 / 0.25
        _cell("none", "standard", 2, [1, 1, 1, 0], [1, 0, 0, 0]),  # 0.75 / 0.25
        _cell("mnli", "standard", 1, [1, 1, 1, 0], [1, 1, 0, 0]),  # 0.75 / 0.50
        _cell("mnli", "standard", 2, [1, 1, 1, 1], [1, 1, 1, 0]),  # 1.00 / 0.75
        _cell("none", "rs-da", 1, [1, 1, 0, 0], [1, 0, 0, 0]),     # identical to the baseline
    ]
    summary = summarise_study(spec, cells)
    group = next(g for g in summary["groups"] if (g["condition"], g["method"]) == ("mnli", "standard"))
    assert group["metrics"]["clean"]["en"]["mean"] == pytest.approx(0.875)
    assert group["metrics"]["clean"]["average"]["mean"] == pytest.approx(0.75)  # (0.625 + 0.875) / 2
    rows = {(r["condition"], r["method"], r["language"]): r for r in compare(spec, cells)}
    en = rows[("mnli", "standard", "en")]
    # differences 0.25, 0.25 (no spread); de: 0.25, 0.5 -> mean 0.375, sd 0.176777, se 0.125,
    # t = 3 with 1 df: p = 1 - 2 atan(3) / pi = 0.204833
    assert (en["difference"], en["p"], en["test"]) == (0.25, 0.0, "paired t (seeds)")
    de = rows[("mnli", "standard", "de")]
    assert de["difference"] == pytest.approx(0.375)
    assert de["p"] == pytest.approx(0.204833, abs=1e-6)
    # rs-da has one seed in common with the baseline: paired by row, no discordant rows
    same = rows[("none", "rs-da", "average")]
    assert (same["test"], same["n"], same["difference"], same["p"]) == ("McNemar exact (rows)", 8, 0.0, 1.0)
    # Holm within the clean-accuracy family of 6 comparisons (2 groups x en, de, average)
    family = [r for r in rows.values() if r["metric"] == "clean"]
    assert len(family) == 6
    # average: differences 0.25, 0.375 -> t = 5 with 1 df, p = 1 - 2 atan(5) / pi = 0.125666.
    # Holm over (0, 0.125666, 0.204833, 1, 1, 1): 0 * 6, 0.125666 * 5 = 0.628330, 0.204833 * 4 = 0.819332, 1...
    assert rows[("mnli", "standard", "average")]["p_holm"] == pytest.approx(0.628330, abs=1e-5)
    assert de["p_holm"] == pytest.approx(0.819332, abs=1e-5)
    assert rows[("none", "rs-da", "en")]["p_holm"] == 1.0
    assert sorted(r["p_holm"] for r in family) == pytest.approx(sorted(holm([r["p"] for r in family])))


def test_conditions_that_differ_only_in_languages_and_interactions_are_contrasted():
    spec = load_spec(SMOKE)
    multi = next(c for c in spec.conditions if c.name == "xnli-multi")
    english = dataclasses.replace(multi, name="xnli-en", languages=("en",))
    spec = dataclasses.replace(spec, seeds=(1, 2), attacks=(), conditions=(*spec.conditions, english))
    found = {(c.question, c.condition, c.method): c for c in contrasts(spec)}
    # xnli-multi (de, fr) and xnli-en share task, split, size and epochs: multi against English, per method
    languages = found[("languages", "xnli-multi", "standard")]
    assert languages.terms == ((1, "xnli-multi", "standard"), (-1, "xnli-en", "standard"))
    assert ("languages", "mnli", "standard") not in found  # mnli differs in task, not only languages
    assert found[("interaction", "mnli", "rs-da")].terms == (
        (1, "mnli", "rs-da"), (-1, "mnli", "standard"), (-1, "none", "rs-da"), (1, "none", "standard"))

    # interaction by seed: (mnli/rs-da - mnli/standard) - (none/rs-da - none/standard) in en
    # seed 1: (1.00 - 0.50) - (0.75 - 0.50) = 0.25; seed 2: (0.75 - 0.75) - (0.75 - 0.50) = -0.25
    en = {("none", "standard", 1): [1, 1, 0, 0], ("none", "standard", 2): [1, 1, 0, 0],
          ("none", "rs-da", 1): [1, 1, 1, 0], ("none", "rs-da", 2): [1, 1, 1, 0],
          ("mnli", "standard", 1): [1, 1, 0, 0], ("mnli", "standard", 2): [1, 1, 1, 0],
          ("mnli", "rs-da", 1): [1, 1, 1, 1], ("mnli", "rs-da", 2): [1, 1, 1, 0]}
    cells = [_cell(c, m, s, bits, [0, 0, 0, 0]) for (c, m, s), bits in en.items()]
    rows = {(r["question"], r["condition"], r["method"], r["language"]): r for r in compare(spec, cells)}
    interaction = rows[("interaction", "mnli", "rs-da", "en")]
    assert interaction["difference"] == pytest.approx(0.0)
    assert interaction["n"] == 2 and interaction["p"] == pytest.approx(1.0)  # t = 0
    assert interaction["against"] == "(mnli / standard) + (none / rs-da) - (none / standard)"
    # no xnli cells finished: no languages contrast yet, and nothing is invented for it
    assert not any(q == "languages" for q, *_ in rows)
    # one family per metric holds every contrast: Holm over all of them
    family = [r for r in rows.values() if r["metric"] == "clean"]
    assert sorted(r["p_holm"] for r in family) == pytest.approx(sorted(holm([r["p"] for r in family])))
