"""Compare finished runs across methods and seeds: the table a robust-training study reports.

Runs are grouped by task and method, a method's own options included when they are not
the defaults (e.g. "adv (adv-eps=0.1, adv-steps=1)"). Each group gives, over its seeds, the mean and
standard deviation of every language's zero-shot accuracy and of the average, and, where
the runs hold a `generalized.json` (from `xrobust evaluate --generalized`), the same for the
mean of the same-language (diagonal) and mixed-language (off-diagonal) cells. Against a
baseline method, differences are paired by seed (the same seed means the same data order
and head initialisation) and given with a 95% t-interval: with three seeds, an interval
that straddles zero is the honest answer.

Runs that differ in a setting other than the method, its own options, the seed and the
output folder are refused: comparing them would mix two questions.
"""

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.errors import UserError
from xrobust.results.rundir import read_json
from xrobust.training.config import TrainConfig

# Settings that may differ between the runs of one comparison: the seed and folder, and
# each method's own options (which name the group, see method_label).
PER_RUN = {"seed", "output_dir"}
METHOD_OPTIONS = {
    "standard": (),
    "rs-da": ("synonyms", "synonym_lookup", "substitution", "augment_copies", "augment_mode"),
    "rs-ri": ("noise", "noise_radius", "noise_sigma"),
    "adv": ("adv_eps", "adv_step_size", "adv_steps", "adv_norm", "adv_weight"),
    "freelb": ("adv_eps", "adv_step_size", "adv_steps", "adv_norm"),
}
ALL_METHOD_OPTIONS = {"method"} | {k for keys in METHOD_OPTIONS.values() for k in keys}
# Two-sided 95% quantiles of Student's t by degrees of freedom (no scipy needed).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
       10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


@dataclass
class RunResult:
    path: Path
    task: str
    method: str  # the method and its non-default options, e.g. "adv (adv-eps=0.1)"
    seed: int
    config: dict
    accuracy: dict[str, float]
    average: float
    generalized: dict | None  # {"same": mean of diagonal cells, "mixed": mean of off-diagonal cells}
    train_seconds: float


@dataclass
class Group:
    task: str
    method: str
    runs: list[RunResult] = field(default_factory=list)

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]


def load_run(path: Path) -> RunResult:
    if not (path / "metrics.json").is_file():
        raise UserError(f"{path}: no metrics.json (not a finished xrobust run)")
    metrics = read_json(path / "metrics.json")
    # Settings added to xrobust after the run was made take their defaults (what the run used).
    config = TrainConfig.from_dict(read_json(path / "config.json")["config"], str(path / "config.json")).to_dict()
    return RunResult(path, metrics["task"], method_label(config), metrics["seed"], config, metrics["accuracy"],
                     metrics["average"], _generalized_summary(path, metrics),
                     sum(s["train_seconds"] for s in metrics["stages"]))


def method_label(config: dict) -> str:
    """The method, with each of its options that is not the default (the default synonym table
    is the one that is named "counterfitted_neighbors.json", wherever it lives)."""
    defaults = TrainConfig().to_dict()
    changed = []
    for key in METHOD_OPTIONS.get(config["method"], ()):
        value = config[key]
        if key == "synonyms":
            if value and Path(value).name != "counterfitted_neighbors.json":
                changed.append(f"synonyms={Path(value).name}")
        elif value != defaults[key]:
            changed.append(f"{key.replace('_', '-')}={value}")
    return config["method"] + (f" ({', '.join(changed)})" if changed else "")


def _generalized_summary(path: Path, metrics: dict) -> dict | None:
    found = [p for p in sorted(path.rglob("generalized.json"))
             if (g := read_json(p)).get("task") == metrics["task"] and g.get("split") == metrics["split"]]
    if not found:
        return None
    if len(found) > 1:
        raise UserError(f"{path}: several generalized.json for {metrics['task']}/{metrics['split']} "
                        f"({', '.join(str(p.relative_to(path)) for p in found)}); keep one")
    accuracy = read_json(found[0])["accuracy"]
    languages = list(accuracy)
    same = [accuracy[a][a] for a in languages]
    mixed = [accuracy[a][b] for a in languages for b in languages if a != b]
    return {"same": sum(same) / len(same), "mixed": sum(mixed) / len(mixed) if mixed else float("nan"),
            "languages": languages}


def group_runs(runs: list[RunResult]) -> list[Group]:
    """Groups in first-seen order; refuses mixed settings and repeated seeds."""
    groups: dict[tuple[str, str], Group] = {}
    for run in runs:
        group = groups.setdefault((run.task, run.method), Group(run.task, run.method))
        if run.seed in group.seeds:
            other = next(r for r in group.runs if r.seed == run.seed)
            raise UserError(f"{run.path}: same task, method and seed as {other.path}")
        group.runs.append(run)
    by_task: dict[str, list[RunResult]] = {}
    for run in runs:
        by_task.setdefault(run.task, []).append(run)
    for task_runs in by_task.values():
        first = task_runs[0]
        for run in task_runs[1:]:
            ignored = PER_RUN | ALL_METHOD_OPTIONS  # these name the group
            differ = sorted(k for k in set(first.config) | set(run.config)
                            if k not in ignored and first.config.get(k) != run.config.get(k))
            if differ:
                raise UserError(f"{run.path}: settings differ from {first.path} ({', '.join(differ)}); "
                                "compare runs that differ only in method and seed")
        if len({tuple(r.generalized["languages"]) for r in task_runs if r.generalized}) > 1:
            raise UserError(f"{first.task}: the runs' generalized.json cover different languages")
    return list(groups.values())


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def t95(df: int) -> float:
    """Student's t quantile; between table entries, the next smaller df (a wider interval)."""
    return 1.96 if df > 30 else T95[max(k for k in T95 if k <= df)]


def paired_difference(values: list[float], baseline: list[float]) -> tuple[float, float, float] | None:
    """Mean of the per-seed differences and its 95% t-interval; None below two pairs."""
    diffs = [v - b for v, b in zip(values, baseline)]
    if len(diffs) < 2:
        return None
    mean, std = mean_std(diffs)
    half = t95(len(diffs) - 1) * std / math.sqrt(len(diffs))
    return mean, mean - half, mean + half


def summarise(groups: list[Group], baseline: str = "standard") -> dict:
    """Everything the table and plot show, as plain JSON."""
    out = {}
    for task in dict.fromkeys(g.task for g in groups):
        task_groups = [g for g in groups if g.task == task]
        languages = list(task_groups[0].runs[0].accuracy)
        base = next((g for g in task_groups if g.method == baseline), None)
        rows = []
        for group in task_groups:
            row = {"method": group.method, "seeds": group.seeds,
                   "accuracy": {lang: mean_std([r.accuracy[lang] for r in group.runs]) for lang in languages},
                   "average": mean_std([r.average for r in group.runs]),
                   "train_minutes": mean_std([r.train_seconds / 60 for r in group.runs])}
            if all(r.generalized for r in group.runs):
                row["generalized_same"] = mean_std([r.generalized["same"] for r in group.runs])
                row["generalized_mixed"] = mean_std([r.generalized["mixed"] for r in group.runs])
            if base is not None and group is not base:
                row["average_vs_" + baseline] = _paired(group, base, lambda r: r.average)
                if "generalized_mixed" in row and all(r.generalized for r in base.runs):
                    row["generalized_mixed_vs_" + baseline] = _paired(group, base, lambda r: r.generalized["mixed"])
            rows.append(row)
        out[task] = {"languages": languages, "baseline": baseline if base else None, "methods": rows}
    return out


def _paired(group: Group, base: Group, value) -> dict | None:
    seeds = [s for s in group.seeds if s in base.seeds]
    by_seed = {r.seed: r for r in group.runs}
    base_by_seed = {r.seed: r for r in base.runs}
    result = paired_difference([value(by_seed[s]) for s in seeds], [value(base_by_seed[s]) for s in seeds])
    return None if result is None else {"mean": result[0], "ci95": [result[1], result[2]], "seeds": seeds}


def comparison_table(summary: dict) -> str:
    """Markdown, per task: a summary table (averages, generalized setting, differences from the
    baseline, training time), then every language's accuracy; mean +- std over seeds."""
    lines = []
    for task, result in summary.items():
        languages, baseline, rows = result["languages"], result["baseline"], result["methods"]
        head = ["method", "seeds", "average"]
        generalized = any("generalized_mixed" in row for row in rows)
        if generalized:
            head += ["generalized: same language", "generalized: mixed languages"]
        if baseline:
            head += [f"average - {baseline} (95% CI)"] + ([f"mixed - {baseline} (95% CI)"] if generalized else [])
        head.append("train minutes (wall, as run)")
        lines += [f"{task}: zero-shot accuracy, mean +- std over seeds", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in rows:
            cells = [row["method"], ",".join(map(str, row["seeds"])), f"**{_pm(row['average'])}**"]
            if generalized:
                cells += [_pm(row[k]) if k in row else "-" for k in ("generalized_same", "generalized_mixed")]
            if baseline:
                cells.append(_difference(row.get("average_vs_" + baseline)))
                if generalized:
                    cells.append(_difference(row.get("generalized_mixed_vs_" + baseline)))
            cells.append(f"{row['train_minutes'][0]:.1f}")
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "| method | " + " | ".join(languages) + " |", "|---|" + "---|" * len(languages)]
        for row in rows:
            lines.append(f"| {row['method']} | " + " | ".join(_pm(row["accuracy"][lang]) for lang in languages) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _difference(diff: dict | None) -> str:
    return f"{diff['mean']:+.3f} [{diff['ci95'][0]:+.3f}, {diff['ci95'][1]:+.3f}]" if diff else "-"


def _pm(value: tuple[float, float]) -> str:
    return f"{value[0]:.3f} +- {value[1]:.3f}"


def comparison_plot(summary: dict, path: Path) -> None:
    """Per task, grouped bars (one per method) for every language and the average, with
    the seed standard deviation as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axes = plt.subplots(len(summary), 1, figsize=(11, 3.3 * len(summary)), squeeze=False)
    for axis, (task, result) in zip(axes[:, 0], summary.items()):
        labels = result["languages"] + ["avg"]
        rows = result["methods"]
        width = 0.8 / len(rows)
        for i, row in enumerate(rows):
            values = [row["accuracy"][lang] for lang in result["languages"]] + [row["average"]]
            x = np.arange(len(labels)) + (i - (len(rows) - 1) / 2) * width
            axis.bar(x, [v[0] for v in values], width, yerr=[v[1] for v in values], capsize=2,
                     label=f"{row['method']} (n={len(row['seeds'])})")
        axis.set_xticks(np.arange(len(labels)), labels)
        means = [row["accuracy"][lang][0] for row in rows for lang in result["languages"]]
        axis.set_ylim(max(0.0, min(means) - 0.1), min(1.0, max(means) + 0.08))
        axis.set_ylabel("accuracy")
        axis.set_title(f"{task}: zero-shot accuracy by method (bars: mean over seeds, whiskers: std)", fontsize=9)
        # below the axes: method labels with their options are long
        axis.legend(fontsize=7, ncol=min(3, len(rows)), loc="upper center", bbox_to_anchor=(0.5, -0.08))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
