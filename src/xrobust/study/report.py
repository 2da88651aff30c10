"""The study's report, rebuilt from the folders alone: study.json (every figure), provenance.json
(code, machine and compute behind them), study.md (tables; plots in figures/) and study.html
(one self-contained page, plots embedded as base64 PNG).

The page opens with the answer, one sentence per question (QUESTIONS: an intermediate stage,
multilingual against English stage data, robust training, both, their interaction) and a table
of every contrast, then clean and robust accuracy per language, a heatmap of robust-accuracy
differences from the baseline, PGD curves and generalized matrices (each also summarised in a
table: accuracy per eps; same-language against mixed-language pairs).
"""

import base64
import html
import io
import re
from pathlib import Path

from xrobust.evaluation.generalized import same_and_mixed
from xrobust.results.rundir import write_json, write_text
from xrobust.study.collect import load_cells
from xrobust.study.provenance import provenance
from xrobust.study.spec import StudySpec
from xrobust.study.statistics import AVERAGE, summarise_study

ALPHA = 0.05
FIGURES = "figures"  # study.md's plots, as PNG files in the study folder


def write_report(spec: StudySpec, study_dir: Path) -> str:
    """Write the report's files; return a line naming them."""
    summary = summarise_study(spec, load_cells(spec, study_dir))
    # How it was made (commits, machines, times) lives beside study.json, not in it: equal
    # results give an equal study.json whoever ran them, wherever and however fast.
    made = {**provenance(spec, study_dir), "command": f"xrobust study --spec {spec.path} --output-dir {study_dir}"}
    write_json(study_dir / "study.json", summary)
    write_json(study_dir / "provenance.json", made)
    shown = {**summary, "provenance": made}
    rendered = figures(shown)
    write_text(study_dir / "study.md", markdown(shown, _write_figures(study_dir / FIGURES, rendered)))
    write_text(study_dir / "study.html", page(shown, rendered))
    return (f"report ({progress(summary)}) written to "
            f"{study_dir / 'study.md'}, study.html, study.json, provenance.json, {FIGURES}/")


def progress(summary: dict) -> str:
    """What has finished: "24 of 24 cells, 10 of 96 attacks and 3 of 24 generalized matrices finished"."""
    parts = [f"{summary['cells_done']} of {summary['cells_planned']} cells"]
    if summary.get("attacks_planned"):
        parts.append(f"{summary['attacks_done']} of {summary['attacks_planned']} attacks")
    if summary.get("generalized_planned"):
        parts.append(f"{summary['generalized_done']} of {summary['generalized_planned']} generalized matrices")
    return (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + " finished"


def _write_figures(folder: Path, rendered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each plot as a PNG file for study.md (the page embeds them); (title, path relative to
    the study folder). Files of an earlier report are replaced: plots come and go as cells finish."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    files = []
    for i, (title, png) in enumerate(rendered, 1):
        name = f"{i:02d}-" + "-".join(re.findall(r"[a-z0-9]+", title.lower())[:8]) + ".png"
        (folder / name).write_bytes(base64.b64decode(png))
        files.append((title, f"{FIGURES}/{name}"))
    return files


# ---- words ----

QUESTIONS = {  # contrast question -> what it asks (statistics.contrasts)
    "intermediate": "Does an intermediate stage change accuracy (each stage against no stage, standard training)?",
    "languages": "Does multilingual intermediate data change it beyond English data of the same task, split "
                 "and size?",
    "robust": "Does robust training change it (no intermediate stage)?",
    "both": "Stage and robust training together, against neither?",
    "interaction": "Do they combine (the method's gain after a stage minus its gain without one)?",
}
AGAINST_BASELINE = ("intermediate", "robust", "both")
SHOWN = 3  # significant differences named per question; the rest are in the answer table


def answers(summary: dict) -> list[str]:
    """One sentence per question, on the differences averaged over languages (every metric)."""
    rows = [r for r in summary["comparisons"] if r["language"] == AVERAGE]
    sentences = []
    for question, asked in QUESTIONS.items():
        mine = [r for r in rows if r["question"] == question]
        if not mine:
            continue
        significant = sorted((r for r in mine if r["p_holm"] < ALPHA), key=lambda r: r["p_holm"])
        if significant:
            named = "; ".join(_difference(r) for r in significant[:SHOWN])
            more = f"; and {len(significant) - SHOWN} more (answer table)" if len(significant) > SHOWN else ""
            verdict = (f"{len(significant)} of {len(mine)} differences are significant at 5% after Holm's "
                       f"correction: {named}{more}.")
        else:
            largest = max(mine, key=lambda r: abs(r["difference"]))
            verdict = (f"no difference is significant at 5% after Holm's correction ({len(mine)} compared); the "
                       f"largest: {_difference(largest)}.")
        sentences.append(f"{asked} {verdict}")
    return sentences or ["No comparison with the baseline yet: the baseline or the other cells have not finished."]


def _difference(row: dict) -> str:
    return (f"{row['condition']} / {row['method']} vs {row['against']}, {_metric(row['metric'])}: "
            f"{_signed(row['difference'])} {_interval(row['ci95'])} ({row['test']}, n={row['n']}, "
            f"Holm p={row['p_holm']:.3g})")


def _metric(metric: str) -> str:
    return "clean accuracy" if metric == "clean" else f"robust accuracy under {metric[7:]}"


def answer_table(summary: dict) -> tuple[str, list[str], list[list[str]]] | None:
    """Every contrast (rows) x metric (columns), averaged over languages: difference [95% CI], Holm p."""
    rows = [r for r in summary["comparisons"] if r["language"] == AVERAGE]
    if not rows:
        return None
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    keys = list(dict.fromkeys((r["question"], r["condition"], r["method"], r["against"]) for r in rows))
    found = {(r["question"], r["condition"], r["method"], r["against"], r["metric"]): r for r in rows}
    cell = lambda r: "-" if r is None else (f"{_signed(r['difference'])} {_interval(r['ci95'])}, p={r['p_holm']:.2g}"
                                            + (" *" if r["p_holm"] < ALPHA else ""))
    return ("Answer: differences averaged over languages [95% CI], Holm-corrected p (* below 5%)",
            ["question", "contrast", *(_metric(m) for m in metrics)],
            [[question, f"{condition} / {method} vs {against}",
              *(cell(found.get((question, condition, method, against, m))) for m in metrics)]
             for question, condition, method, against in keys])


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def _interval(ci) -> str:
    return f"[{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else "[no interval]"


def _number(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _estimate(entry: dict) -> str:
    ci = entry["ci95"]
    return f"{entry['mean']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _tables(summary: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for every table of the report."""
    conditions = {g["condition"]: g.get("lineage", "") for g in summary["groups"]}
    answer = answer_table(summary)
    tables = [answer] if answer else []
    tables += [("Conditions: what the cells' encoders trained on before the target task (their metrics.json)",
               ["condition", "recorded lineage"], [[c, lineage] for c, lineage in conditions.items()])] \
        if conditions else []
    metrics = list(dict.fromkeys(m for g in summary["groups"] for m in g["metrics"]))
    for metric in metrics:
        groups = [g for g in summary["groups"] if metric in g["metrics"]]
        languages = list(groups[0]["metrics"][metric])
        title = ("Clean accuracy" if metric == "clean" else f"Robust accuracy under {metric[7:]}") + \
            " per language: mean over seeds [95% t-interval]"
        tables.append((title, ["condition", "method", "seeds", *languages],
                       [[g["condition"], g["method"], ",".join(map(str, g["seeds"])),
                         *(_estimate(g["metrics"][metric][lang]) for lang in languages)] for g in groups]))
    cells = [(g, c) for g in summary["groups"] for c in g["cells"]]
    if cells:
        tables.append(("Cells: English dev score of the selected checkpoint (model selection) and the share of "
                       "evaluated rows given the cell's most frequent prediction (near 1: it learned little)",
                       ["condition", "method", "seed", "English dev", "most frequent prediction"],
                       [[g["condition"], g["method"], str(c["seed"]), _number(c["dev_score"]),
                         _number(c["majority_share"])] for g, c in cells]))
    for recipe in dict.fromkeys(r for g in summary["groups"] for r in g.get("attacks", {})):
        groups = [g for g in summary["groups"] if recipe in g.get("attacks", {})]
        languages = list(groups[0]["attacks"][recipe])
        notes = sorted({g["attack_notes"][recipe] for g in groups if recipe in g.get("attack_notes", {})})
        tables.append((f"{recipe}: attack success rate / share of words changed in successful attacks, per "
                       "language (mean over seeds)" + "".join(f". Note: {note}" for note in notes),
                       ["condition", "method", *languages],
                       [[g["condition"], g["method"],
                         *(f"{_number(g['attacks'][recipe][lang]['attack_success_rate'])} / "
                           f"{_number(g['attacks'][recipe][lang]['mean_words_perturbed'])}" for lang in languages)]
                        for g in groups]))
    pgd = [g for g in summary["groups"] if g.get("pgd")]
    if pgd:
        eps = next(iter(pgd[0]["pgd"].values()))["eps"]
        tables.append(("Embedding PGD: accuracy at each eps (L2 radius per token), mean over languages and seeds",
                       ["condition", "method", *(f"eps {e:g}" for e in eps)],
                       [[g["condition"], g["method"], *(_number(a) for a in _pgd_mean(g["pgd"]))] for g in pgd]))
    generalized = [g for g in summary["groups"] if g.get("generalized")]
    if generalized:
        rows = []
        for g in generalized:
            same, mixed = same_and_mixed(g["generalized"])
            rows.append([g["condition"], g["method"], _number(same), _number(mixed), _signed(mixed - same)])
        tables.append(("Generalized: mean accuracy of same-language pairs (the matrix's diagonal) and of "
                       "mixed-language pairs (sentence1 and sentence2 in different languages), mean over seeds",
                       ["condition", "method", "same language", "mixed languages", "mixed - same"], rows))
    if summary["comparisons"]:
        tables.append(("Contrasts: differences from the baseline, between conditions that differ only in "
                       "languages, and interactions (Holm-corrected within each metric)",
                       ["metric", "condition", "method", "against", "language", "difference [95% CI]", "test", "n",
                        "p", "p (Holm)"],
                       [[r["metric"], r["condition"], r["method"], r["against"], r["language"],
                         f"{_signed(r['difference'])} {_interval(r['ci95'])}", r["test"], str(r["n"]),
                         f"{r['p']:.3g}", f"{r['p_holm']:.3g}"] for r in summary["comparisons"]]))
    return tables


def _pgd_mean(curves: dict[str, dict]) -> list[float]:
    """Accuracy per eps, averaged over the languages of a group's PGD curves."""
    per_language = [curve["accuracy"] for curve in curves.values()]
    return [sum(values) / len(values) for values in zip(*per_language)]


def markdown(summary: dict, figure_files: list[tuple[str, str]] = ()) -> str:
    """The report as Markdown; `figure_files`: (title, relative path) of the plots to show."""
    lines = [f"# Study {summary['study']}: {summary['task']} ({summary['split']})", "",
             f"{progress(summary)}; baseline {summary['baseline']['condition']} / "
             f"{summary['baseline']['method']}.", ""]
    lines += [f"- {sentence}" for sentence in answers(summary)] + [""]
    for title, path in figure_files:
        lines += [f"## {title}", "", f"![{title}]({path})", ""]
    for title, header, rows in _tables(summary):
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    made = made_with(summary)
    if made:
        lines += ["## How it was made", ""] + [f"- {line}" for line in made] + [""]
    return "\n".join(lines)


def made_with(summary: dict) -> list[str]:
    """The command, code, machine and compute behind the figures (study/provenance.py)."""
    made = summary.get("provenance", {})
    if not made.get("units_done"):
        return []
    counted = lambda counts: "; ".join(f"{key} ({n} units)" for key, n in counts.items())
    return [f"command: `{made['command']}` (the spec as run: spec.toml in the study folder)",
            f"code: xrobust commit {counted(made['commits'])}",
            f"machine: {counted(made['machines'])}; precision {made['precision']}",
            f"packages: {', '.join(f'{k} {v}' for k, v in made['packages'].items() if v)}",
            f"compute: {made['compute_seconds'] / 3600:.1f} hours over {made['units_done']} finished units; "
            f"first unit started {made['first_started']}, last finished {made['last_finished']} "
            f"({made['span_seconds'] / 3600:.1f} hours apart, pauses included)"]


# ---- page ----

def page(summary: dict, rendered: list[tuple[str, str]] | None = None) -> str:
    """One self-contained HTML page; `rendered`: figures(summary), if already drawn."""
    parts = [f"<h1>Study {html.escape(summary['study'])}: {summary['task']} ({summary['split']})</h1>",
             f"<p>{html.escape(progress(summary))}; baseline {html.escape(summary['baseline']['condition'])} / "
             f"{html.escape(summary['baseline']['method'])}.</p>",
             "<h2>Answer</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in answers(summary)) + "</ul>"]
    for title, figure in (figures(summary) if rendered is None else rendered):
        parts.append(f"<h2>{html.escape(title)}</h2><img alt=\"{html.escape(title)}\" "
                     f"src=\"data:image/png;base64,{figure}\">")
    made = made_with(summary)
    if made:
        parts.append("<h2>How it was made</h2><ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in made)
                     + "</ul>")
    for title, header, rows in _tables(summary):
        parts.append(f"<h2>{html.escape(title)}</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                     + "</tr>" + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                                         for row in rows) + "</table>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
             "img{max-width:100%;display:block;margin:1em 0}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Study {html.escape(summary['study'])}"
            f"</title><style>{style}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def figures(summary: dict) -> list[tuple[str, str]]:
    """(title, base64 PNG) for every plot the data allows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = []
    groups = summary["groups"]
    for metric in dict.fromkeys(m for g in groups for m in g["metrics"]):
        have = [g for g in groups if metric in g["metrics"]]
        labels = list(have[0]["metrics"][metric])
        figure, axis = plt.subplots(figsize=(10, 3.4))
        width = 0.8 / len(have)
        for i, group in enumerate(have):
            entries = [group["metrics"][metric][lang] for lang in labels]
            errors = np.array([[e["mean"] - e["ci95"][0], e["ci95"][1] - e["mean"]] if e["ci95"] else [0, 0]
                               for e in entries]).T
            axis.bar(np.arange(len(labels)) + (i - (len(have) - 1) / 2) * width, [e["mean"] for e in entries],
                     width, yerr=errors, capsize=2, label=f"{group['condition']} / {group['method']}")
        axis.set_xticks(np.arange(len(labels)), labels)
        axis.set_ylim(0, 1)
        axis.set_ylabel("accuracy")
        axis.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
        name = "Clean accuracy" if metric == "clean" else f"Robust accuracy under {metric[7:]}"
        out.append((f"{name} per language, by condition and method (whiskers: 95% t-interval over seeds)",
                    _png(figure)))
    for metric in dict.fromkeys(r["metric"] for r in summary["comparisons"] if r["metric"] != "clean"):
        rows = [r for r in summary["comparisons"] if r["metric"] == metric and r["question"] in AGAINST_BASELINE]
        names = list(dict.fromkeys((r["condition"], r["method"]) for r in rows))
        languages = list(dict.fromkeys(r["language"] for r in rows))
        values = np.array([[next(r["difference"] for r in rows if (r["condition"], r["method"]) == name
                                 and r["language"] == lang) for lang in languages] for name in names])
        out.append((f"Robust accuracy under {metric[7:]}: difference from the baseline (condition x language)",
                    _heatmap(plt, values, [f"{c} / {m}" for c, m in names], languages, diverging=True)))
    pgd = [g for g in groups if "pgd" in g]
    if pgd:
        figure, axis = plt.subplots(figsize=(7, 3.6))
        for group in pgd:
            axis.plot(next(iter(group["pgd"].values()))["eps"], _pgd_mean(group["pgd"]), marker="o",
                      label=f"{group['condition']} / {group['method']}")
        axis.set_xlabel("eps (L2 radius per token)")
        axis.set_ylabel("accuracy, mean over languages")
        axis.set_ylim(0, 1)
        axis.legend(fontsize=7)
        out.append(("Embedding PGD: accuracy against eps", _png(figure)))
    for group in (g for g in groups if "generalized" in g):
        matrix = group["generalized"]
        languages = list(matrix)
        values = np.array([[matrix[a][b] for b in languages] for a in languages])
        out.append((f"Generalized accuracy, {group['condition']} / {group['method']} "
                    "(rows: sentence1 language, columns: sentence2 language; mean over seeds)",
                    _heatmap(plt, values, languages, languages, diverging=False)))
    return out


def _heatmap(plt, values, rows, columns, diverging: bool) -> str:
    import numpy as np

    figure, axis = plt.subplots(figsize=(1.2 + 0.8 * len(columns), 0.9 + 0.45 * len(rows)))
    limit = max(0.01, float(np.nanmax(np.abs(values)))) if diverging else 1.0
    image = axis.imshow(values, cmap="RdBu" if diverging else "viridis", vmin=-limit if diverging else 0, vmax=limit,
                        aspect="auto")
    axis.set_xticks(range(len(columns)), columns)
    axis.set_yticks(range(len(rows)), rows)
    for i in range(len(rows)):
        for j in range(len(columns)):
            axis.text(j, i, f"{values[i, j]:+.2f}" if diverging else f"{values[i, j]:.2f}", ha="center",
                      va="center", fontsize=8)
    figure.colorbar(image, ax=axis)
    return _png(figure)


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
