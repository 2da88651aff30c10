"""Markdown tables of run results.

This stays with the run-directory files (floor 1) rather than in reports/ (floor 5): it
renders one metrics.json as its writers print it (`xrobust train`, `xrobust evaluate`, on
the evaluation floor and above), imports nothing but the schema, and reads no other run.
reports/ holds what reads several runs and compares them.
"""


def condition_of(metrics: dict) -> str:
    """The intermediate condition: recorded by runs since they record inherited stages; older
    runs and evaluations name only the intermediate tasks they trained themselves."""
    return metrics.get("intermediate_condition") or ",".join(metrics.get("intermediate") or []) or "none"


def accuracy_table(metrics: dict) -> str:
    """One row per language: accuracy, 95% bootstrap interval, number of pairs."""
    lines = [
        f"{metrics['task']} / {metrics['split']} - zero-shot accuracy "
        f"(model: {metrics['model']}, method: {metrics['method']}, "
        f"intermediate: {condition_of(metrics)}, seed {metrics['seed']})",
        "",
        "| language | accuracy | 95% CI | n |",
        "|---|---|---|---|",
    ]
    for language, accuracy in metrics["accuracy"].items():
        low, high = metrics["ci95"][language]
        lines.append(f"| {language} | {accuracy:.4f} | [{low:.4f}, {high:.4f}] | {metrics['n'][language]} |")
    lines.append(f"| **average** | **{metrics['average']:.4f}** | | |")
    if metrics.get("encoder"):
        lines += ["", f"Encoder: {metrics['encoder']}."]
    return "\n".join(lines)
