"""Issue 16, point 5: how valid each perturbation source is, measured on a trained PAWS-X model
with the commands a user runs. Per PAWS-X language and per source or recipe:

- `xrobust attack RUN --task pawsx --recipe R --languages en,de,es,fr,ja,ko,zh --max-examples N`
  (defaults otherwise): attack success rate, words changed in successful attacks, and the share
  of successes that change a number (digits, Han numerals, number words: must be 0);
- pivot agreement, where MUSE covers the language: of the words substituted in successful
  attacks whose original and substitute both have MUSE English translations, the share whose
  substitute's translations meet the original's translations or their counter-fitted
  neighbours (English: the substitute is the word or one of its counter-fitted neighbours);
- for the synonym sources, `xrobust evaluate RUN --smooth 8 --smooth-perturbation synonyms
  --synonym-source S` on the same evenly spaced rows as `xrobust evaluate RUN --max-examples M`:
  smoothed against clean accuracy, under both look-ups;
- 20 random successful perturbations per language and source with their sentences (failed
  attacks' final perturbations fill in where there are fewer successes), written to --appendix.

Sources: `synonyms` (synonym-greedy, counter-fitted for en and muse-pivot elsewhere),
`encoder-neighbours` (synonym-greedy with that source), `neighbors-greedy`,
`codeswitch-greedy`, `typo-greedy`. Run by hand; the commands resume (attacks) or are skipped
when their output exists, so an interrupted run continues:

    XROBUST_DATA=... XROBUST_RESOURCES=... OMP_NUM_THREADS=1 python benchmarks/perturbation_validity.py \\
        RUN --output-dir OUT [--max-examples 50] [--smooth-examples 100] [--appendix FILE]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


from xrobust.lexicon.bilingual import MUSE_LANGUAGES, PIVOT, BilingualLexicon
from xrobust.lexicon.numbers import is_number, is_quantity_word
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import split_words

LANGUAGES = ("en", "de", "es", "fr", "ja", "ko", "zh")
SAMPLES = 20


@dataclass(frozen=True)
class Source:
    name: str
    recipe: str
    attack_options: tuple[str, ...] = ()
    smooth_sources: str | None = None  # --synonym-source of the smoothing vote, if the source has one
    pivot: bool = True  # substitutes are words of the same language: pivot agreement applies


SOURCES = (
    Source("synonyms", "synonym-greedy", ("--synonym-source", "counter-fitted,muse-pivot"), "counter-fitted,muse-pivot"),
    Source("encoder-neighbours", "synonym-greedy", ("--synonym-source", "encoder-neighbours"), "encoder-neighbours"),
    Source("neighbors-greedy", "neighbors-greedy"),
    Source("codeswitch-greedy", "codeswitch-greedy", pivot=False),  # substitutes are other languages' words
    Source("typo-greedy", "typo-greedy", pivot=False),
)
LOOKUPS = ("published", "case-insensitive")


def xrobust(arguments: list[str], log: Path) -> float:
    """Run `python -m xrobust ARGS` (what a user runs), appending its output to `log`; seconds."""
    start = time.perf_counter()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ xrobust {' '.join(arguments)}\n")
        out.flush()
        done = subprocess.run([sys.executable, "-m", "xrobust", *arguments], stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"xrobust {' '.join(arguments)} failed ({done.returncode}); see {log}")
    return round(time.perf_counter() - start, 1)


def run_commands(run: str, out: Path, max_examples: int, smooth_examples: int, smooth_copies: int,
                 languages: tuple[str, ...], precision: str | None = None) -> dict:
    """Every attack and evaluation; those already finished are skipped. Returns command -> seconds."""
    out.mkdir(parents=True, exist_ok=True)
    log, timings_path = out / "commands.log", out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    languages = ",".join(languages)
    pinned = ["--precision", precision] if precision else []  # else each command's default (auto)
    commands = []
    for source in SOURCES:
        folder = out / "attacks" / source.name
        commands.append((folder / "robustness.json", ["attack", run, "--task", "pawsx", "--recipe", source.recipe,
                                                     "--languages", languages, "--max-examples", str(max_examples),
                                                     "--output-dir", str(folder), *source.attack_options, *pinned]))
    commands.append((out / "clean" / "metrics.json", ["evaluate", run, "--task", "pawsx", "--languages", languages,
                                                      "--max-examples", str(smooth_examples),
                                                      "--output-dir", str(out / "clean"), *pinned]))
    for source in SOURCES:
        for lookup in LOOKUPS if source.smooth_sources else ():
            folder = out / "smoothed" / f"{source.name}-{lookup}"
            commands.append((folder / "metrics.json", [
                "evaluate", run, "--task", "pawsx", "--languages", languages, "--max-examples", str(smooth_examples),
                "--smooth", str(smooth_copies), "--smooth-perturbation", "synonyms",
                "--synonym-source", source.smooth_sources, "--synonym-lookup", lookup, "--output-dir", str(folder),
                *pinned]))
    for done_marker, arguments in commands:
        key = " ".join(arguments)
        if done_marker.is_file() and key in timings:
            continue
        timings[key] = xrobust(arguments, log)
        timings_path.write_text(json.dumps(timings, indent=1, ensure_ascii=False))
        print(f"{timings[key]:8.1f} s  xrobust {key}", flush=True)
    return timings


class Pivot:
    """English translations (MUSE) of words of each language, and the counter-fitted neighbours."""

    def __init__(self, resources: Path, languages):
        self.english = SynonymTable.load(resources / "counterfitted_neighbors.json")
        muse = [lang for lang in languages if lang in MUSE_LANGUAGES]
        self.lexicon = BilingualLexicon.load(resources / "muse", {(lang, PIVOT) for lang in muse})

    def translations(self, word: str, language: str) -> set[str]:
        if language == PIVOT:
            return {word.lower()}
        return {t.lower() for t in self.lexicon.translations(word, language, PIVOT)}

    def agrees(self, original: str, substitute: str, language: str) -> bool | None:
        """None when either word has no translation (not counted)."""
        before, after = self.translations(original, language), self.translations(substitute, language)
        if not before or not after:
            return None
        reach = before | {n.lower() for e in before for n in self.english.neighbours(e)}
        return bool(after & reach)


def numbers_of(text: str, language: str) -> list[str]:
    return [p.text for p in split_words(text, language) if p.is_word and is_number(p.text, language)]


def changes_a_number(row: dict) -> bool:
    """A number (lexicon/numbers.py: digits, numerals, number words, months) changed or
    inserted, the sentence's sequence of numbers changed, or (zh, ja, ko) the counter or date
    unit right after a number edited (`1972 年` -> `1972 和`): what NoNumberEdits refuses,
    judged here from the attack's output alone."""
    language = row["language"]
    if any(is_number(c[w], language) for c in row["changes"] for w in ("original", "replacement")):
        return True
    if any(is_quantity_word(_words(row, c["side"]), c["word_index"], language) for c in row["changes"]):
        return True
    return any(numbers_of(row["original"][s], language) != numbers_of(row["perturbed"][s], language)
               for s in ("sentence1", "sentence2"))


def changes_next_to_a_number(row: dict) -> bool:
    """A changed word right before or after a number, any language (`13. Juni` -> `13. Juli`:
    a date; spaced languages' neighbours of numbers are not protected)."""
    for change in row["changes"]:
        words, i = _words(row, change["side"]), change["word_index"]
        if any(0 <= j < len(words) and is_number(words[j], row["language"]) for j in (i - 1, i + 1)):
            return True
    return False


def _words(row: dict, side: str) -> list[str]:
    return [p.text for p in split_words(row["original"][side], row["languages"][side]) if p.is_word]


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(out: Path, resources: Path, languages: tuple[str, ...]) -> dict:
    pivot = Pivot(resources, languages)
    clean = json.loads((out / "clean" / "metrics.json").read_text())
    results = {}
    for source in SOURCES:
        folder = out / "attacks" / source.name
        report = json.loads((folder / "robustness.json").read_text())["recipes"][source.recipe]
        smoothed = {lookup: json.loads((out / "smoothed" / f"{source.name}-{lookup}" / "metrics.json").read_text())
                    for lookup in LOOKUPS if source.smooth_sources}
        for language in languages:
            rows = read_rows(folder / "adversarial" / f"{source.recipe}-{language}.jsonl")
            attacked = [r for r in rows if r["prediction_before"] == r["label"]]
            successes = [r for r in rows if r["success"]]
            verdicts = [pivot.agrees(c["original"], c["replacement"], language)
                        for r in successes for c in r["changes"]] if source.pivot else []
            judged = [v for v in verdicts if v is not None]
            summary = report["languages"][language]
            results[source.name, language] = {
                "n": len(rows), "attacked": len(attacked), "successes": len(successes),
                "success_rate": len(successes) / len(attacked) if attacked else None,
                "robust_accuracy": summary["robust_accuracy"], "clean_accuracy_attack": summary["clean_accuracy"],
                "words_changed": (sum(r["words_changed"] for r in successes) / len(successes)) if successes else None,
                "fraction_changed": (sum(r["fraction_changed"] for r in successes) / len(successes)) if successes else None,
                "number_changing_successes": sum(changes_a_number(r) for r in successes),
                "next_to_number_successes": sum(changes_next_to_a_number(r) for r in successes),
                "substitutions": len(verdicts), "pivot_judged": len(judged), "pivot_agree": sum(judged),
                "smoothed": {lookup: m["accuracy"][language] for lookup, m in smoothed.items()},
                "unanimous": {lookup: m["unanimous"][language] for lookup, m in smoothed.items()},
                "clean_accuracy": clean["accuracy"][language], "clean_n": clean["n"][language],
                "samples": samples(rows, language, source.name),
            }
    return results


def samples(rows: list[dict], language: str, source: str) -> list[dict]:
    """SAMPLES random successful rows (then failed rows with changes), seeded per language and source."""
    rng = random.Random(f"{source}/{language}")
    successes = [r for r in rows if r["success"]]
    others = [r for r in rows if not r["success"] and r["changes"]]
    picked = rng.sample(successes, min(SAMPLES, len(successes)))
    picked += rng.sample(others, min(SAMPLES - len(picked), len(others)))
    return picked


def marked(row: dict, side: str) -> str:
    """The side's original sentence with each change written [[original → replacement]]."""
    pieces = split_words(row["original"][side], row["languages"][side])
    words = [i for i, p in enumerate(pieces) if p.is_word]
    texts = [p.text for p in pieces]
    for change in row["changes"]:
        if change["side"] == side:
            texts[words[change["word_index"]]] = f"[[{change['original']} → {change['replacement']}]]"
    return "".join(texts).replace("|", "\\|")


def table(results: dict, languages: tuple[str, ...]) -> str:
    def pct(x):
        return "-" if x is None else f"{x:.0%}"

    lines = ["| language | source | attacked / n | success rate (successes) | words changed (share) | successes "
             "changing a number / a word next to one | pivot agreement | clean -> smoothed (published / "
             "case-insensitive), unanimous |",
             "|---|---|---|---|---|---|---|---|"]
    for language in languages:
        for source in SOURCES:
            r = results[source.name, language]
            words = "-" if r["words_changed"] is None else f"{r['words_changed']:.1f} ({r['fraction_changed']:.1%})"
            if not source.pivot:
                agreement = "n/a"
            elif language != PIVOT and language not in MUSE_LANGUAGES:
                agreement = "no MUSE"
            else:
                agreement = (f"{r['pivot_agree']}/{r['pivot_judged']} = {pct(r['pivot_agree'] / r['pivot_judged'])}"
                             if r["pivot_judged"] else "0 judged") + f" (of {r['substitutions']})"
            smoothed = "-"
            if r["smoothed"]:
                smoothed = (f"{r['clean_accuracy']:.2f} -> " + " / ".join(f"{r['smoothed'][k]:.2f}" for k in LOOKUPS)
                            + ", " + " / ".join(f"{r['unanimous'][k]:.0%}" for k in LOOKUPS))
            lines.append(f"| {language} | {source.name} | {r['attacked']} / {r['n']} | {pct(r['success_rate'])} "
                         f"({r['successes']}) | {words} | {r['number_changing_successes']} / {r['next_to_number_successes']} | "
                         f"{agreement} | "
                         f"{smoothed} |")
    return "\n".join(lines)


def appendix(results: dict, header: str, languages: tuple[str, ...]) -> str:
    parts = [header]
    for source in SOURCES:
        parts.append(f"\n## {source.name}\n")
        for language in languages:
            rows = results[source.name, language]["samples"]
            parts.append(f"\n### {source.name}, {language} ({len(rows)} shown)\n")
            parts.append("| id | result | changed sentence(s), [[original → substitute]] |\n|---|---|---|")
            for row in rows:
                sides = [s for s in ("sentence1", "sentence2") if any(c["side"] == s for c in row["changes"])]
                text = "<br>".join(f"{s[-1]}: {marked(row, s)}" for s in sides)
                result = (f"success ({row['label']} -> {row['prediction_after']})" if row["success"]
                          else "failed (final try)")
                parts.append(f"| {row['id']} | {result} | {text} |")
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a trained PAWS-X run directory or checkpoint folder")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--max-examples", type=int, default=50, help="attacked pairs per language")
    parser.add_argument("--smooth-examples", type=int, default=100, help="pairs per language for evaluate --smooth")
    parser.add_argument("--smooth-copies", type=int, default=8)
    parser.add_argument("--appendix", help="write the sampled perturbations here (Markdown)")
    parser.add_argument("--precision", help="passed to every command (default: theirs, auto)")
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="PAWS-X languages (default: all 7)")
    args = parser.parse_args()
    out, languages = Path(args.output_dir), tuple(args.languages.split(","))
    timings = run_commands(args.run, out, args.max_examples, args.smooth_examples, args.smooth_copies, languages,
                           args.precision)
    results = measure(out, Path(os.environ["XROBUST_RESOURCES"]), languages)
    (out / "validity.json").write_text(json.dumps(
        {f"{s}/{lang}": {k: v for k, v in r.items() if k != "samples"} for (s, lang), r in results.items()},
        indent=1, ensure_ascii=False))
    print(table(results, languages))
    print("\nseconds per command:")
    for command, seconds in timings.items():
        print(f"- {seconds} s: xrobust {command}")
    if args.appendix:
        header = (f"# Perturbation validity: sampled perturbations\n\nUp to {SAMPLES} random perturbed pairs per "
                  f"language and source from `benchmarks/perturbation_validity.py` ({args.max_examples} PAWS-X dev "
                  "pairs per language attacked; successes first, then failed attacks' final tries). See "
                  "[perturbation-validity.md](perturbation-validity.md).\n")
        Path(args.appendix).write_text(appendix(results, header, languages), encoding="utf-8")


if __name__ == "__main__":
    main()
