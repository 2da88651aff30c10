"""The study's statistics, with scipy.stats:

- per condition x method x language: clean accuracy and robust accuracy per recipe, mean
  over seeds with a 95% t-interval (none with one seed);
- contrasts, per language and for the average over languages (`contrasts`): each
  (condition, method) against the baseline (none, standard); two conditions that differ only
  in their languages against each other, with each method (multilingual against English data
  of the same task, split and size); and, for each trained condition and robust method, the
  interaction (the method's gain after the condition minus its gain without one);
- a contrast is paired by seed (one-sample t-test and t-interval on the per-seed contrast)
  over the seeds every cell it names has; with one seed, a two-cell contrast is paired by
  example on the same dev rows (McNemar's exact test; a paired bootstrap interval over rows)
  and an interaction is not tested;
- p-values Holm-corrected within each metric (clean accuracy; robust accuracy under one
  recipe): the family is every contrast x language (and average) of that metric.
"""

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from xrobust.study.collect import ATTACK_SUMMARY, CellResult
from xrobust.study.spec import StudySpec

AVERAGE = "average"
BOOTSTRAP_SAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    mean: float
    ci95: tuple[float, float] | None  # None with a single value
    n: int  # seeds


@dataclass(frozen=True)
class Difference:
    difference: float  # condition/method minus baseline
    ci95: tuple[float, float] | None
    p: float
    test: str  # "paired t (seeds)" | "McNemar exact (rows)"
    n: int  # seeds or rows paired


def mean_interval(values: list[float]) -> Estimate:
    """Mean and its two-sided 95% Student-t interval over seeds."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return Estimate(mean, None, len(values))
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return Estimate(mean, (mean - half, mean + half), len(values))


def paired_by_seed(values: list[float], baseline: list[float]) -> Difference:
    """Mean per-seed difference, t-interval and paired t-test (two or more seeds)."""
    return seed_contrast(list(np.asarray(values, dtype=float) - np.asarray(baseline, dtype=float)))


def seed_contrast(diffs: list[float]) -> Difference:
    """Mean of per-seed contrasts, t-interval and one-sample t-test against 0 (the paired
    t-test when each contrast is a difference of two cells)."""
    diffs = np.asarray(diffs, dtype=float)
    estimate = mean_interval(list(diffs))
    if np.allclose(diffs, diffs[0]):  # no spread: t is 0/0 or infinite, scipy says nan
        p = 1.0 if np.isclose(diffs[0], 0) else 0.0
    else:
        p = float(stats.ttest_1samp(diffs, 0.0).pvalue)
    return Difference(estimate.mean, estimate.ci95, p, "paired t (seeds)", len(diffs))


def paired_by_example(correct: dict, baseline: dict, seed: int = 0) -> Difference:
    """Accuracy difference on the rows both scored: McNemar's exact test on the discordant rows
    and a 95% percentile bootstrap interval resampling rows (the same rows for both)."""
    rows = sorted(set(correct) & set(baseline))
    a = np.array([correct[r] for r in rows], dtype=float)
    b = np.array([baseline[r] for r in rows], dtype=float)
    only_a, only_b = int(((a == 1) & (b == 0)).sum()), int(((a == 0) & (b == 1)).sum())
    p = 1.0 if only_a + only_b == 0 else float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)
    if not rows:
        return Difference(float("nan"), None, 1.0, "McNemar exact (rows)", 0)
    samples = np.random.default_rng(seed).integers(0, len(rows), size=(BOOTSTRAP_SAMPLES, len(rows)))
    boot = (a[samples] - b[samples]).mean(axis=1)
    low, high = np.percentile(boot, [2.5, 97.5])
    return Difference(float((a - b).mean()), (float(low), float(high)), p, "McNemar exact (rows)", len(rows))


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment: the i-th smallest of m p-values is multiplied by m - i + 1,
    then made non-decreasing in that order (and capped at 1)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted, running = [0.0] * len(pvalues), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


# ---- the study's figures ----

def metrics_of(spec: StudySpec) -> list[tuple[str, tuple[str, ...]]]:
    """(metric, languages): "clean" and "robust:<recipe>" for every word-level attack."""
    from xrobust.attacks.recipes import PGD_RECIPE

    return [("clean", spec.evaluation.languages)] + [
        (f"robust:{a.recipe}", a.languages) for a in spec.attacks if a.recipe != PGD_RECIPE]


def outcomes(cell: CellResult, metric: str) -> dict[str, dict[str, bool]] | None:
    """language -> row -> correct for one metric; None where the cell lacks it (unfinished attack)."""
    if metric == "clean":
        return cell.clean
    return cell.robust.get(metric.split(":", 1)[1])


def accuracy(rows: dict[str, bool]) -> float:
    return sum(rows.values()) / len(rows) if rows else float("nan")


def summarise_study(spec: StudySpec, cells: list[CellResult]) -> dict:
    """Everything the report shows, as plain JSON (rounded, so that equal runs give equal files)."""
    groups = []
    for condition in spec.conditions:
        for method in spec.methods:
            mine = [c for c in cells if (c.condition, c.method) == (condition.name, method.label)]
            if mine:
                groups.append(_group(spec, condition.name, method.label, mine))
    planned = len(spec.conditions) * len(spec.methods) * len(spec.seeds)
    return _rounded({"study": spec.name, "task": spec.task, "split": spec.evaluation.split,
                     "baseline": {"condition": spec.baseline[0], "method": spec.baseline[1]},
                     "seeds": list(spec.seeds), "cells_done": len(cells), "cells_planned": planned,
                     # an unfinished study's figures may rest on fewer attacked cells than trained ones
                     "attacks_done": sum(len(c.robust) + bool(c.pgd) for c in cells),
                     "attacks_planned": planned * len(spec.attacks),
                     "generalized_done": sum(c.generalized is not None for c in cells),
                     "generalized_planned": planned if spec.evaluation.generalized else 0,
                     "groups": groups, "comparisons": compare(spec, cells)})


def _group(spec: StudySpec, condition: str, method: str, cells: list[CellResult]) -> dict:
    group = {"condition": condition, "method": method, "seeds": [c.seed for c in cells],
             # as the cells' metrics.json record it (collect.check_lineage made sure it is the spec's)
             "lineage": cells[0].lineage, "metrics": {}}
    for metric, languages in metrics_of(spec):
        have = [c for c in cells if outcomes(c, metric) is not None]
        if not have:
            continue
        per_language = {lang: [accuracy(outcomes(c, metric)[lang]) for c in have] for lang in languages}
        per_language[AVERAGE] = [float(np.mean([accuracy(outcomes(c, metric)[lang]) for lang in languages]))
                                 for c in have]
        group["metrics"][metric] = {lang: asdict(mean_interval(v)) for lang, v in per_language.items()}
    group["cells"] = [{"seed": c.seed, "dev_score": c.dev_score, "majority_share": c.majority_share} for c in cells]
    notes = {recipe: note for c in cells for recipe, note in c.attack_notes.items()}
    if notes:
        group["attack_notes"] = notes
    recipes = dict.fromkeys(r for c in cells for r in c.attack_summaries)
    if recipes:  # mean over the seeds whose attack finished (a rate is None where nothing was attacked)
        group["attacks"] = {recipe: {lang: {key: _mean_of([c.attack_summaries[recipe][lang][key] for c in cells
                                                            if recipe in c.attack_summaries])
                                            for key in ATTACK_SUMMARY}
                                     for lang in next(c.attack_summaries[recipe] for c in cells
                                                      if recipe in c.attack_summaries)}
                            for recipe in recipes}
    pgd = [c.pgd for c in cells if c.pgd]
    if pgd:
        group["pgd"] = {lang: {"eps": pgd[0][lang]["eps"],
                               "accuracy": list(np.mean([p[lang]["accuracy"] for p in pgd], axis=0))}
                        for lang in pgd[0]}
    matrices = [c.generalized for c in cells if c.generalized]
    if matrices:
        group["generalized"] = {l1: {l2: float(np.mean([m[l1][l2] for m in matrices])) for l2 in matrices[0][l1]}
                                for l1 in matrices[0]}
    return group


@dataclass(frozen=True)
class Contrast:
    """A signed sum of groups' accuracies, compared with 0 seed by seed."""
    question: str  # intermediate | robust | both | languages | interaction
    condition: str  # the group the contrast is about (its row in the tables)
    method: str
    against: str  # what it is compared with, in words: "none / standard"
    terms: tuple[tuple[int, str, str], ...]  # (+1 or -1, condition, method)


def contrasts(spec: StudySpec) -> list[Contrast]:
    """Every contrast the study's grid allows, in a fixed order (see the module's docstring)."""
    base_condition, base_method = spec.baseline
    found = []
    for condition in spec.conditions:
        for method in spec.methods:
            if (condition.name, method.label) == spec.baseline:
                continue
            question = ("intermediate" if method.label == base_method else
                        "robust" if condition.name == base_condition else "both")
            found.append(Contrast(question, condition.name, method.label, f"{base_condition} / {base_method}",
                                  ((1, condition.name, method.label), (-1, base_condition, base_method))))
    for condition, other in _differing_in_languages(spec):
        for method in spec.methods:
            found.append(Contrast("languages", condition.name, method.label, f"{other.name} / {method.label}",
                                  ((1, condition.name, method.label), (-1, other.name, method.label))))
    for condition in spec.conditions:
        for method in spec.methods:
            if condition.name == base_condition or method.label == base_method:
                continue
            found.append(Contrast(
                "interaction", condition.name, method.label,
                # "X vs A" reads X - A: the sum the interaction subtracts from X
                f"({condition.name} / {base_method}) + ({base_condition} / {method.label}) - ({base_condition} / "
                f"{base_method})",
                ((1, condition.name, method.label), (-1, condition.name, base_method),
                 (-1, base_condition, method.label), (1, base_condition, base_method))))
    return found


def _differing_in_languages(spec: StudySpec) -> list[tuple]:
    """(condition, other) for every two trained conditions that differ only in languages: the
    one with more languages against the one with fewer (spec order on a tie)."""
    trained = [c for c in spec.conditions if c.trains]
    same = lambda a, b: (a.task, a.split, a.examples, a.epochs) == (b.task, b.split, b.examples, b.epochs)
    pairs = []
    for i, a in enumerate(trained):
        for b in trained[i + 1:]:
            if same(a, b) and set(a.languages) != set(b.languages):
                pairs.append((b, a) if len(b.languages) > len(a.languages) else (a, b))
    return pairs


def compare(spec: StudySpec, cells: list[CellResult]) -> list[dict]:
    """Every contrast, per metric and language, Holm-corrected within each metric."""
    by_key = {(c.condition, c.method, c.seed): c for c in cells}
    rows = []
    for metric, languages in metrics_of(spec):
        family = []
        for contrast in contrasts(spec):
            seeds = [s for s in spec.seeds if all((c, m, s) in by_key and outcomes(by_key[(c, m, s)], metric)
                                                  is not None for _, c, m in contrast.terms)]
            if not seeds or (len(seeds) == 1 and len(contrast.terms) > 2):
                continue  # nothing to pair, or an interaction of single cells (no test for it)
            for language in (*languages, AVERAGE):
                result = _difference(contrast, [[by_key[(c, m, s)] for _, c, m in contrast.terms] for s in seeds],
                                     metric, languages, language)
                family.append({"question": contrast.question, "condition": contrast.condition,
                               "method": contrast.method, "against": contrast.against, "metric": metric,
                               "language": language, **asdict(result)})
        for row, adjusted in zip(family, holm([row["p"] for row in family])):
            row["p_holm"] = adjusted
        rows += family
    return rows


def _difference(contrast: Contrast, cells_per_seed: list[list[CellResult]], metric: str, languages,
                language: str) -> Difference:
    signs = [sign for sign, _, _ in contrast.terms]
    if len(cells_per_seed) >= 2:
        def value(cell):
            found = outcomes(cell, metric)
            if language == AVERAGE:
                return float(np.mean([accuracy(found[lang]) for lang in languages]))
            return accuracy(found[language])

        return seed_contrast([sum(sign * value(cell) for sign, cell in zip(signs, cells)) for cells in cells_per_seed])
    (a, b), = cells_per_seed
    langs = languages if language == AVERAGE else (language,)
    # rows of all languages pooled for the average (each language's rows are distinct examples)
    flat = lambda cell: {(lang, row): ok for lang in langs for row, ok in outcomes(cell, metric)[lang].items()}
    return paired_by_example(flat(a), flat(b), seed=a.seed)


def _mean_of(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _rounded(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value
