"""Plots written next to the numbers: easier to read across 15 languages than a table.

On floor 1 with report.py, for the same reason: evaluation (floor 4) writes accuracy.png
beside the metrics.json it writes, so the plot of one run's file cannot live in reports/.
"""

from pathlib import Path

from xrobust.results.report import condition_of


def accuracy_plot(metrics: dict, path: Path) -> None:
    """Bar per language with its 95% bootstrap interval; English first, then the others."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    languages = list(metrics["accuracy"])
    values = [metrics["accuracy"][lang] for lang in languages]
    low = [v - metrics["ci95"][lang][0] for lang, v in zip(languages, values)]
    high = [metrics["ci95"][lang][1] - v for lang, v in zip(languages, values)]
    figure, axis = plt.subplots(figsize=(max(4.0, 0.55 * len(languages) + 1.5), 3.2))
    colors = ["#1f77b4" if lang == "en" else "#ff7f0e" for lang in languages]
    axis.bar(languages, values, yerr=[low, high], color=colors, capsize=3)
    axis.axhline(metrics["average"], color="grey", linestyle="--", linewidth=1, label=f"average {metrics['average']:.3f}")
    axis.set_ylim(0, 1)
    axis.set_ylabel("accuracy")
    axis.set_title(f"{metrics['task']} {metrics['split']}: {metrics['method']}, intermediate {condition_of(metrics)}",
                   fontsize=9)
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
