"""Attack metrics per language and overall, computed from the jsonl rows (so a resumed run
counts the examples finished before the interruption too).

- clean accuracy: correct before the attack, over all examples;
- robust accuracy: still correct after the attack, over all examples; both with a 95%
  percentile-bootstrap interval over examples (as `evaluate` reports accuracy);
- attack success rate: successes over the examples that were correct before the attack;
- words perturbed: mean fraction of the pair's words changed, over successful attacks;
- queries: mean texts scored per attacked example (the clean pair included);
- seconds: total attack time.
"""

from xrobust.evaluation.accuracy import accuracy_with_ci


def summarize(rows: list[dict]) -> dict:
    n = len(rows)
    attacked = [r for r in rows if r["status"] != "skipped"]
    succeeded = [r for r in attacked if r["success"]]
    return {
        "n": n,
        "clean_accuracy": _ratio(len(attacked), n),
        "clean_accuracy_ci95": _interval([r["status"] != "skipped" for r in rows]),
        "robust_accuracy": _ratio(len(attacked) - len(succeeded), n),
        "robust_accuracy_ci95": _interval([r["status"] == "failed" for r in rows]),
        "attack_success_rate": _ratio(len(succeeded), len(attacked)),
        "mean_words_perturbed": _mean([r["fraction_changed"] for r in succeeded]),
        "mean_queries": _mean([r["queries"] for r in attacked]),
        "seconds": round(sum(r["seconds"] for r in rows), 2),
    }


def summarize_languages(rows_by_language: dict[str, list[dict]]) -> dict:
    """{"languages": {lang: summary}, "overall": summary of all rows together}."""
    every = [row for rows in rows_by_language.values() for row in rows]
    return {"languages": {lang: summarize(rows) for lang, rows in rows_by_language.items()},
            "overall": summarize(every)}


def markdown_table(recipe: str, summary: dict) -> str:
    lines = [f"Attack {recipe}", "",
             "| language | n | clean acc | robust acc | robust 95% CI | success rate | words perturbed | queries | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    named = list(summary["languages"].items()) + [("**overall**", summary["overall"])]
    for language, s in named:
        low, high = s["robust_accuracy_ci95"] or (None, None)
        lines.append(f"| {language} | {s['n']} | {_fmt(s['clean_accuracy'])} | {_fmt(s['robust_accuracy'])} | "
                     f"[{_fmt(low)}, {_fmt(high)}] | "
                     f"{_fmt(s['attack_success_rate'])} | {_fmt(s['mean_words_perturbed'])} | "
                     f"{_fmt(s['mean_queries'], 1)} | {s['seconds']} |")
    return "\n".join(lines)


def pgd_table(curves: dict) -> str:
    """Robust accuracy per eps (columns) and language (rows)."""
    eps = next(iter(curves.values()))["eps"]
    lines = ["Attack embedding-pgd (accuracy under an L2 ball of radius eps per token)", "",
             "| language | n | token norm | " + " | ".join(f"eps={e:g}" for e in eps) + " |",
             "|---|---|---|" + "---|" * len(eps)]
    for language, curve in curves.items():
        lines.append(f"| {language} | {curve['n']} | {curve['mean_token_norm']:.3f} | "
                     + " | ".join(f"{a:.4f}" for a in curve["accuracy"]) + " |")
    return "\n".join(lines)


def _interval(outcomes: list[bool]):
    """95% bootstrap interval of a 0/1 outcome per example (None without examples)."""
    if not outcomes:
        return None
    _, (low, high) = accuracy_with_ci(outcomes, seed=0)
    return [round(low, 4), round(high, 4)]


def _ratio(a: int, b: int):
    return round(a / b, 4) if b else None


def _mean(values):
    return round(sum(values) / len(values), 4) if values else None


def _fmt(value, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
