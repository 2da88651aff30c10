"""Compare finished runs across intermediate conditions, methods and seeds: the tables a
robust-training or intermediate-task study reports.

Runs are grouped by task, intermediate condition and method. The condition is what the
encoder was trained on before the target task: "none", the run's own intermediate stage
("mnli"), or stages inherited from another run's checkpoint ("mnli (inherited)", see
results/lineage.py). A method's own options name its group when they are not the defaults
(e.g. "adv (adv-eps=0.1, adv-steps=1)"), and so do the intermediate-stage options of a
condition. Each group gives, over its seeds, the mean and standard deviation of every
language's zero-shot accuracy and of the average, and, where the runs hold a
`generalized.json` (from `xrobust evaluate --generalized`), the same for the mean of the
same-language (diagonal) and mixed-language (off-diagonal) cells.

Differences are paired, with a 95% t-interval: each method against the baseline method
under the same condition, and each condition against the baseline condition with the same
method. With three seeds, an interval that straddles zero is the honest answer. Pairing:
a run carries two seeds, that of the first stage its encoder went through (for a run that
inherits nothing, its own seed) and its own. Two groups pair on both when that matches the
most runs, else on the run's own seed (runs from one shared stage, one per --seed), else on
the stage's seed (one stage per seed, target runs all with the same --seed); a pairing seed
must be unique within each group.

Runs that differ in a setting other than those that name their group, the seed and the
output folder are refused: comparing them would mix two questions.
"""

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.errors import UserError
from xrobust.evaluation.generalized import same_and_mixed
from xrobust.results.lineage import InheritedStage, base_model, inherited_stages, intermediate_condition, pairing_seeds
from xrobust.results.rundir import read_json
from xrobust.robust.objectives import OBJECTIVES, method_options
from xrobust.training.config import TrainConfig, settings_before_defaults_changed

# Settings that may differ between the runs of one comparison: the seed and folder, and
# each method's and condition's own options (which name the group, see method_label and
# condition_label; a method's are its `options` in robust/objectives.py). `model` names a
# checkpoint for runs that inherit stages; the encoder their lineage started from is compared instead.
PER_RUN = {"seed", "output_dir", "model"}
ALL_METHOD_OPTIONS = {"method"} | method_options()
CONDITION_OPTIONS = ("intermediate_epochs", "max_intermediate_examples")  # used only with --intermediate
ALL_CONDITION_OPTIONS = {"intermediate", *CONDITION_OPTIONS}


@dataclass
class RunResult:
    path: Path
    task: str
    condition: str  # e.g. "none", "mnli", "mnli (inherited)"
    method: str  # the method and its non-default options, e.g. "adv (adv-eps=0.1)"
    seed: int
    config: dict  # every setting, those added since the run was made at their defaults
    inherited: list[InheritedStage]
    accuracy: dict[str, float]
    average: float
    generalized: dict | None  # {"same": mean of diagonal cells, "mixed": mean of off-diagonal cells}
    train_seconds: float

    @property
    def pair_seeds(self) -> tuple[int, int]:
        return pairing_seeds(self.inherited, self.seed)


@dataclass
class Group:
    task: str
    condition: str
    method: str
    runs: list[RunResult] = field(default_factory=list)

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]

    @property
    def label(self) -> str:
        return f"{self.condition} / {self.method}"


def load_run(path: Path) -> RunResult:
    """A finished run folder; settings added to xrobust since it was made take their defaults."""
    defaults = TrainConfig().to_dict()
    if not (path / "metrics.json").is_file():
        raise UserError(f"{path}: no metrics.json (not a finished xrobust run)")
    metrics = read_json(path / "metrics.json")
    saved = read_json(path / "config.json")
    # Settings added to xrobust after the run was made take their defaults (what the run used).
    config = {**defaults, **saved.get("config", {}), **settings_before_defaults_changed(saved.get("config", {}))}
    if "inherited" in saved:
        inherited = [InheritedStage.from_dict(s) for s in saved["inherited"]]
    else:  # made before runs recorded their lineage: read it from the checkpoint it started from
        inherited = inherited_stages(config["model"])
    return RunResult(path, metrics["task"], condition_label(config, inherited, defaults),
                     method_label(config, defaults), metrics["seed"], config, inherited, metrics["accuracy"],
                     metrics["average"], _generalized_summary(path, metrics),
                     sum(s["train_seconds"] for s in metrics["stages"]))


def method_label(config: dict, defaults: dict) -> str:
    """The method, with each of its options that is not the default (the default synonym table
    is the one that is named "counterfitted_neighbors.json", wherever it lives)."""
    changed = []
    for key in OBJECTIVES[config["method"]].options if config["method"] in OBJECTIVES else ():
        value = config[key]
        if key == "synonyms":
            if value and Path(value).name != "counterfitted_neighbors.json":
                changed.append(f"synonyms={Path(value).name}")
        elif value != defaults[key]:
            shown = ",".join(value) if isinstance(value, list) else value  # synonym_source: as on the command line
            changed.append(f"{key.replace('_', '-')}={shown}")
    return config["method"] + (f" ({', '.join(changed)})" if changed else "")


def condition_label(config: dict, inherited: list[InheritedStage], defaults: dict) -> str:
    """The intermediate condition, with the run's own intermediate-stage options that are not
    the defaults (they say what that stage was, as a method's options say what it was)."""
    label = intermediate_condition(inherited, config["intermediate"])
    if not config["intermediate"]:
        return label
    changed = [f"{k.replace('_', '-')}={config[k]}" for k in CONDITION_OPTIONS if config[k] != defaults[k]]
    return label + (f" ({', '.join(changed)})" if changed else "")


def _generalized_summary(path: Path, metrics: dict) -> dict | None:
    found = [p for p in sorted(path.rglob("generalized.json"))
             if (g := read_json(p)).get("task") == metrics["task"] and g.get("split") == metrics["split"]]
    if not found:
        return None
    if len(found) > 1:
        raise UserError(f"{path}: several generalized.json for {metrics['task']}/{metrics['split']} "
                        f"({', '.join(str(p.relative_to(path)) for p in found)}); keep one")
    accuracy = read_json(found[0])["accuracy"]
    same, mixed = same_and_mixed(accuracy)
    return {"same": same, "mixed": mixed, "languages": list(accuracy)}


def group_runs(runs: list[RunResult]) -> list[Group]:
    """Groups in first-seen order; refuses mixed settings, repeated seeds, and runs of one
    condition that inherited different kinds of stage."""
    groups: dict[tuple[str, str, str], Group] = {}
    for run in runs:
        group = groups.setdefault((run.task, run.condition, run.method), Group(run.task, run.condition, run.method))
        _check_fits(group, run)
        group.runs.append(run)
    by_task: dict[str, list[RunResult]] = {}
    for run in runs:
        by_task.setdefault(run.task, []).append(run)
    for task_runs in by_task.values():
        first = task_runs[0]
        for run in task_runs[1:]:
            differ = sorted(k for k in set(_compared(first)) | set(_compared(run))
                            if _compared(first).get(k) != _compared(run).get(k))
            if differ:
                raise UserError(f"{run.path}: settings differ from {first.path} ({', '.join(differ)}); "
                                "compare runs that differ only in intermediate condition, method and seed")
        if len({tuple(r.generalized["languages"]) for r in task_runs if r.generalized}) > 1:
            raise UserError(f"{first.task}: the runs' generalized.json cover different languages")
    return list(groups.values())


def _check_fits(group: Group, run: RunResult) -> None:
    for other in group.runs:
        if other.pair_seeds == run.pair_seeds:
            stage = f", stage seed {run.pair_seeds[0]}" if run.inherited else ""
            raise UserError(f"{run.path}: same task, condition, method and seed ({run.seed}{stage}) as {other.path}")
        if len(other.inherited) != len(run.inherited):
            raise UserError(f"{run.path}: inherits {len(run.inherited)} stage(s), {other.path} "
                            f"{len(other.inherited)}, under the same condition")
        for mine, theirs in zip(run.inherited, other.inherited):
            differ = mine.same_training(theirs)
            if differ:
                raise UserError(f"{run.path}: its inherited {mine.stage} differs from that of {other.path} "
                                f"({', '.join(differ)}); runs of one condition must inherit the same kind of stage")


def _compared(run: RunResult) -> dict:
    """The settings that must agree between all runs of a task."""
    ignored = PER_RUN | ALL_METHOD_OPTIONS | ALL_CONDITION_OPTIONS  # these name the group or the run
    settings = {k: v for k, v in run.config.items() if k not in ignored}
    settings["base model"] = base_model(run.inherited, run.config["model"])
    return settings


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def t95(df: int) -> float:
    """Two-sided 95% quantile of Student's t with `df` degrees of freedom."""
    from scipy.stats import t  # imported here: scipy is slow to import and only compare needs it

    return float(t.ppf(0.975, df))


def paired_difference(values: list[float], baseline: list[float]) -> tuple[float, float, float] | None:
    """Mean of the per-seed differences and its 95% t-interval; None below two pairs."""
    diffs = [v - b for v, b in zip(values, baseline)]
    if len(diffs) < 2:
        return None
    mean, std = mean_std(diffs)
    half = t95(len(diffs) - 1) * std / math.sqrt(len(diffs))
    return mean, mean - half, mean + half


# How two groups' runs may pair, in order of preference (see the module docstring).
PAIRINGS = (("stage and run seed", lambda r: r.pair_seeds), ("seed", lambda r: r.seed),
            ("stage seed", lambda r: r.pair_seeds[0]))


def pair_runs(group: Group, base: Group) -> tuple[str, list[tuple[RunResult, RunResult]]]:
    """(what the runs were paired by, [(run, baseline run)]) in the group's run order."""
    best = ("seed", [])
    for name, key in PAIRINGS:
        keys, base_keys = [key(r) for r in group.runs], [key(r) for r in base.runs]
        if len(set(keys)) < len(keys) or len(set(base_keys)) < len(base_keys):
            continue  # not one-to-one
        by_key = dict(zip(base_keys, base.runs))
        pairs = [(r, by_key[k]) for r, k in zip(group.runs, keys) if k in by_key]
        if len(pairs) > len(best[1]):
            best = (name, pairs)
    name, pairs = best
    if name == "stage and run seed" and all(a.pair_seeds[0] == a.seed and b.pair_seeds[0] == b.seed
                                            for a, b in pairs):
        name = "seed"  # neither side inherits a stage: the two seeds are one
    return name, pairs


def summarise(groups: list[Group], baseline: str = "standard", baseline_condition: str = "none") -> dict:
    """Everything the table and plot show, as plain JSON."""
    out = {}
    for task in dict.fromkeys(g.task for g in groups):
        task_groups = [g for g in groups if g.task == task]
        languages = list(task_groups[0].runs[0].accuracy)
        conditions = list(dict.fromkeys(g.condition for g in task_groups))
        rows = []
        for group in task_groups:
            row = {"condition": group.condition, "method": group.method, "seeds": group.seeds,
                   "stage_seeds": [r.pair_seeds[0] for r in group.runs],
                   "accuracy": {lang: mean_std([r.accuracy[lang] for r in group.runs]) for lang in languages},
                   "average": mean_std([r.average for r in group.runs]),
                   "train_minutes": mean_std([r.train_seconds / 60 for r in group.runs])}
            if all(r.generalized for r in group.runs):
                row["generalized_same"] = mean_std([r.generalized["same"] for r in group.runs])
                row["generalized_mixed"] = mean_std([r.generalized["mixed"] for r in group.runs])
            for kind, match in (("method", lambda g: g.condition == group.condition and g.method == baseline),
                                ("condition", lambda g: g.method == group.method and g.condition == baseline_condition)):
                base = next((g for g in task_groups if match(g)), None)
                if base is not None and base is not group:
                    row["vs_" + kind] = _differences(group, base, baseline if kind == "method" else baseline_condition,
                                                     languages)
            rows.append(row)
        has = {kind: any("vs_" + kind in row for row in rows) for kind in ("method", "condition")}
        out[task] = {"languages": languages, "conditions": conditions,
                     "baseline": baseline if has["method"] or any(g.method == baseline for g in task_groups) else None,
                     "baseline_condition": baseline_condition if has["condition"] else None,
                     "groups": rows}
    return out


def _differences(group: Group, base: Group, against: str, languages: list[str]) -> dict:
    """Paired differences (group - base) of the average, every language and, where both have
    it, the generalized mixed-language mean."""
    paired_by, pairs = pair_runs(group, base)

    def diff(value) -> dict | None:
        result = paired_difference([value(a) for a, _ in pairs], [value(b) for _, b in pairs])
        return None if result is None else {"mean": result[0], "ci95": [result[1], result[2]]}

    out = {"baseline": against, "paired_by": paired_by, "pairs": [[str(a.path), str(b.path)] for a, b in pairs],
           "average": diff(lambda r: r.average),
           "accuracy": {lang: diff(lambda r, lang=lang: r.accuracy[lang]) for lang in languages}}
    if all(r.generalized for r in group.runs + base.runs):
        out["generalized_mixed"] = diff(lambda r: r.generalized["mixed"])
    return out


def comparison_table(summary: dict) -> str:
    """Markdown, per task: a summary table (averages, generalized setting, differences from the
    baselines, training time), every language's accuracy (mean +- std over seeds), then every
    language's paired difference from the baselines."""
    lines = []
    for task, result in summary.items():
        languages, rows = result["languages"], result["groups"]
        baseline, baseline_condition = result["baseline"], result["baseline_condition"]
        # a study of methods alone keeps its old table: the condition column appears when it says something
        show_condition = result["conditions"] != ["none"]
        lead = (["condition"] if show_condition else []) + ["method"]
        head = lead + ["seeds", "average"]
        generalized = any("generalized_mixed" in row for row in rows)
        if generalized:
            head += ["generalized: same language", "generalized: mixed languages"]
        versus = [(kind, against) for kind, against in (("method", baseline), ("condition", baseline_condition))
                  if against and any("vs_" + kind in row for row in rows)]
        if baseline and not versus:
            versus = [("method", baseline)]  # the column says there is nothing to compare with (yet)
        for kind, against in versus:
            head += [f"average - {against} (95% CI)"] + ([f"mixed - {against} (95% CI)"] if generalized else [])
        head.append("train minutes (wall, as run)")
        lines += [f"{task}: zero-shot accuracy, mean +- std over seeds", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in rows:
            cells = _lead(row, show_condition) + [_seeds(row), f"**{_pm(row['average'])}**"]
            if generalized:
                cells += [_pm(row[k]) if k in row else "-" for k in ("generalized_same", "generalized_mixed")]
            for kind, _ in versus:
                diff = row.get("vs_" + kind) or {}
                cells.append(_difference(diff.get("average")))
                if generalized:
                    cells.append(_difference(diff.get("generalized_mixed")))
            cells.append(f"{row['train_minutes'][0]:.1f}")
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "| " + " | ".join(lead + languages) + " |", "|" + "---|" * (len(lead) + len(languages))]
        for row in rows:
            lines.append("| " + " | ".join(_lead(row, show_condition) +
                                           [_pm(row["accuracy"][lang]) for lang in languages]) + " |")
        differences = [(row, row["vs_" + kind]) for kind, _ in versus for row in rows if "vs_" + kind in row]
        if differences:
            lines += ["", f"{task}: paired differences per language, mean [95% t-interval]", "",
                      "| " + " | ".join(lead + ["minus", "paired by"] + languages + ["average"]) + " |",
                      "|" + "---|" * (len(lead) + 3 + len(languages))]
            for row, diff in differences:
                cells = _lead(row, show_condition) + [diff["baseline"], f"{diff['paired_by']} (n={len(diff['pairs'])})"]
                cells += [_difference(diff["accuracy"][lang]) for lang in languages] + [_difference(diff["average"])]
                lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _lead(row: dict, show_condition: bool) -> list[str]:
    return ([row["condition"]] if show_condition else []) + [row["method"]]


def _seeds(row: dict) -> str:
    """The runs' own seeds, and the seed of the stage they inherit where it differs."""
    own, stage = row["seeds"], row["stage_seeds"]
    if own == stage:
        return ",".join(map(str, own))
    if len(set(stage)) == 1:
        return f"{','.join(map(str, own))} (stage seed {stage[0]})"
    return ",".join(f"{s} (stage {t})" for s, t in zip(own, stage))


def _difference(diff: dict | None) -> str:
    return f"{diff['mean']:+.3f} [{diff['ci95'][0]:+.3f}, {diff['ci95'][1]:+.3f}]" if diff else "-"


def _pm(value: tuple[float, float]) -> str:
    return f"{value[0]:.3f} +- {value[1]:.3f}"


def comparison_plot(summary: dict, path: Path) -> None:
    """Per task, grouped bars (one per condition and method) for every language and the
    average, with the seed standard deviation as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axes = plt.subplots(len(summary), 1, figsize=(11, 3.3 * len(summary)), squeeze=False)
    for axis, (task, result) in zip(axes[:, 0], summary.items()):
        labels = result["languages"] + ["avg"]
        rows = result["groups"]
        show_condition = result["conditions"] != ["none"]
        width = 0.8 / len(rows)
        for i, row in enumerate(rows):
            values = [row["accuracy"][lang] for lang in result["languages"]] + [row["average"]]
            x = np.arange(len(labels)) + (i - (len(rows) - 1) / 2) * width
            name = " / ".join(_lead(row, show_condition))
            axis.bar(x, [v[0] for v in values], width, yerr=[v[1] for v in values], capsize=2,
                     label=f"{name} (n={len(row['seeds'])})")
        axis.set_xticks(np.arange(len(labels)), labels)
        means = [row["accuracy"][lang][0] for row in rows for lang in result["languages"]]
        axis.set_ylim(max(0.0, min(means) - 0.1), min(1.0, max(means) + 0.08))
        axis.set_ylabel("accuracy")
        by = "condition and method" if show_condition else "method"
        axis.set_title(f"{task}: zero-shot accuracy by {by} (bars: mean over seeds, whiskers: std)", fontsize=9)
        # below the axes: method labels with their options are long
        axis.legend(fontsize=7, ncol=min(3, len(rows)), loc="upper center", bbox_to_anchor=(0.5, -0.08))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
