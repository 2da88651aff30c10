"""xrobust's synonym-greedy against the same search in TextAttack, on the same model, rows and candidates.

Run by hand (not a test), from the repository root, in xrobust's venv, after
`bash benchmarks/textattack_env.sh .ta-venv` has made TextAttack's own venv:

    python benchmarks/textattack_compare.py CHECKPOINT --examples 50 \\
        --textattack-python .ta-venv/bin/python --out runs/textattack-compare

It picks the English PAWS-X dev rows `xrobust attack --max-examples N` picks (evenly spaced),
writes them to OUT/rows.json, and attacks them in two processes, one after the other:
- TextAttack's venv (`--side textattack`): TextAttack's `Attack` with `GreedyWordSwapWIR
  (wir_method="delete")`, `UntargetedClassification` (the same query budget, 32 pairs per
  forward pass) and a `ModelWrapper` that scores pairs with xrobust's own code
  (`encode_pairs` + `predict_logits` on the PairClassifier of CHECKPOINT). The transformation
  and the constraints are TextAttack classes that ask xrobust's synonym-greedy recipe (built in
  that process, `build_recipe`) for its candidates and its guards, so both searches see the
  same counter-fitted neighbours (max 20, case restored), the same stopwords and numbers left
  alone, and the same limit on words changed;
- xrobust's venv (`--side xrobust`): `build_recipe("synonym-greedy")` run with cross-example
  batching (`--attack-batch-size` rows per round, the default 256) and per-example (1).
Each process also times plain batched inference on the same pairs (xrobust's `predict_logits`),
because the two venvs differ in transformers (TextAttack's flair dependency needs <5).
Both sides load the model, warm up on the first two rows, then time only the attack loop, on
`--threads` torch threads (default 1): wall time and the process's CPU time (the latter is
what to compare on a machine shared with other jobs; with one thread it is the compute).
Results: OUT/textattack.json, OUT/xrobust.json (per-example outcomes and timings),
OUT/summary.json and a markdown table (OUT/table.md, also printed):
success rate, mean queries, words changed, examples/s, and the ratios to TextAttack.

Pairs. Both searches attack both sentences of a pair: TextAttack's words of a two-column input
are the words of sentence1 followed by those of sentence2, as are xrobust's word slots, and the
limit on words changed counts the pair's words in both. Where the two still differ (so identical
outcomes are not expected; the table counts the examples that agree):
- word splitting: TextAttack's `words_from_text` vs xrobust's `split_words` (counted per row);
- a deleted word (importance ranking): TextAttack also removes one adjacent space, xrobust
  leaves the spaces around it. The packaged tokenizer ignores repeated and leading spaces, so
  the two deletions score alike except for a word right before punctuation ("big ," keeps a
  lone "▁" token that "big," does not have);
- ties: TextAttack orders candidates alphabetically by text and ranks words with numpy's
  unstable argsort on raw probabilities; xrobust keeps table order, sorts stably and compares
  probabilities rounded to 5 decimals;
- queries: both count every text scored, the clean pair included, repeats included; the
  figure reported for TextAttack is its goal function's count after the attack (the number
  TextAttack itself prints is the count when the returned result was scored, which can be lower
  for a failed attack).
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECIPE = "synonym-greedy"
LANGUAGE = "en"
TASK = "pawsx"


# ---------------------------------------------------------------- shared by both sides

def load_model(checkpoint: str, threads: int):
    import torch

    from xrobust.encoders.checkpoints import pick_head, resolve_checkpoint
    from xrobust.encoders.classifier import load_classifier

    torch.set_num_threads(threads)
    folder, _ = resolve_checkpoint(checkpoint)
    model, tokenizer, head_config = load_classifier(folder)
    return model, tokenizer, pick_head(head_config, TASK)


def recipe_inputs(model, tokenizer, head, args):
    from xrobust.attacks.recipes import RecipeInputs
    from xrobust.tasks import get_task

    return RecipeInputs(model=model, tokenizer=tokenizer, task=get_task(TASK), head=head, languages=(LANGUAGE,),
                        resources=Path(args.resources), query_budget=args.query_budget,
                        max_candidates=args.max_candidates, max_words_changed=args.max_words_changed,
                        batch_size=args.batch_size, max_length=args.max_length)


def score_pairs(model, tokenizer, head, pairs: list[tuple[str, str]], max_length: int, batch_size: int):
    """Logits of (sentence1, sentence2) pairs as `xrobust evaluate` computes them."""
    from xrobust.encoders.pairs import encode_pairs
    from xrobust.encoders.predict import predict_logits
    from xrobust.tasks import Example, get_task

    task = get_task(TASK)
    examples = [Example(str(i), s1, s2, task.label_names[0], LANGUAGE) for i, (s1, s2) in enumerate(pairs)]
    encoded = encode_pairs(tokenizer, examples, task, max_length)
    return predict_logits(model, head, encoded, tokenizer.pad_token_id, batch_size)


def plain_inference_rate(model, tokenizer, head, rows, args) -> dict:
    """Pairs/s of plain batched inference on the rows' clean pairs (repeated to >= 256 pairs)."""
    pairs = [(r["sentence1"], r["sentence2"]) for r in rows]
    pairs = pairs * max(1, math.ceil(256 / len(pairs)))
    score_pairs(model, tokenizer, head, pairs[:args.batch_size], args.max_length, args.batch_size)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    score_pairs(model, tokenizer, head, pairs, args.max_length, args.batch_size)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return {"pairs": len(pairs), "seconds": round(seconds, 4), "cpu_seconds": round(cpu_seconds, 4),
            "pairs_per_second": round(len(pairs) / seconds, 2), "pairs_per_cpu_second": round(len(pairs) / cpu_seconds, 2)}


def environment() -> dict:
    import importlib.metadata as metadata

    import torch

    versions = {}
    for name in ("torch", "transformers", "tokenizers", "numpy", "textattack"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"python": platform.python_version(), "executable": sys.executable, "packages": versions,
            "torch_threads": torch.get_num_threads(), "machine": platform.machine(), "cores": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def run_summary(name: str, outcomes: list[dict], seconds: float, cpu_seconds: float, pairs_scored: int,
                forward_passes: int) -> dict:
    n = len(outcomes)
    attacked = [o for o in outcomes if o["status"] != "skipped"]
    succeeded = [o for o in attacked if o["status"] == "succeeded"]
    queries = sum(o["queries"] for o in outcomes)
    mean = (lambda values: round(sum(values) / len(values), 4) if values else None)
    return {"name": name, "n": n, "skipped": n - len(attacked), "attacked": len(attacked), "succeeded": len(succeeded),
            "success_rate": round(len(succeeded) / len(attacked), 4) if attacked else None,
            "mean_queries": mean([o["queries"] for o in attacked]),
            "mean_words_changed": mean([o["words_changed"] for o in succeeded]),
            "mean_fraction_changed": mean([o["words_changed"] / max(1, o["words"]) for o in succeeded]),
            "seconds": round(seconds, 4), "examples_per_second": round(n / seconds, 4),
            "cpu_seconds": round(cpu_seconds, 4), "examples_per_cpu_second": round(n / cpu_seconds, 4),
            "queries_per_second": round(queries / seconds, 2), "pairs_scored": pairs_scored,
            "pairs_scored_per_second": round(pairs_scored / seconds, 2), "forward_passes": forward_passes,
            "outcomes": outcomes}


# ---------------------------------------------------------------- xrobust's venv

def xrobust_side(args, rows) -> dict:
    from xrobust.attacks.recipes import build_recipe
    from xrobust.attacks.text import AttackText

    model, tokenizer, head = load_model(args.checkpoint, args.threads)
    attack = build_recipe(RECIPE, recipe_inputs(model, tokenizer, head, args))
    examples = [(AttackText.from_pair(r["sentence1"], r["sentence2"], LANGUAGE, LANGUAGE), r["gold"]) for r in rows]
    runner = attack.goal.runner

    def timed(target_rows: int, chosen) -> tuple[list, float, float]:
        runner.forward_passes = runner.rows_scored = 0
        start, cpu = time.perf_counter(), time.process_time()
        results = list(attack.run_many(chosen, target_rows))
        return results, time.perf_counter() - start, time.process_time() - cpu

    timed(1, examples[:2])  # warm-up (each example has its own cache: nothing carries over)
    runs = {}
    for name, target_rows in (("xrobust cross-example", args.attack_batch_size), ("xrobust per-example", 1)):
        results, seconds, cpu_seconds = timed(target_rows, examples)
        outcomes = [{"id": r["id"], "status": res.status, "queries": res.queries,
                     "words_changed": len(res.perturbed.changes), "words": res.original.word_count(),
                     "perturbed": list(res.perturbed.pair())} for r, res in zip(rows, results)]
        runs[name] = run_summary(name, outcomes, seconds, cpu_seconds, runner.rows_scored, runner.forward_passes)
        runs[name]["attack_batch_size"] = target_rows
    return {"side": "xrobust", "runs": runs, "plain_inference": plain_inference_rate(model, tokenizer, head, rows, args),
            "environment": environment()}


# ---------------------------------------------------------------- TextAttack's venv

def textattack_side(args, rows) -> dict:
    import textattack
    from textattack.attack_results import SkippedAttackResult, SuccessfulAttackResult
    from textattack.constraints import Constraint, PreTransformationConstraint
    from textattack.goal_functions import UntargetedClassification
    from textattack.models.wrappers import ModelWrapper
    from textattack.search_methods import GreedyWordSwapWIR
    from textattack.shared import AttackedText
    from textattack.transformations import WordSwap

    from xrobust.attacks.constraints import MaxWordsChanged, ModifiableSides, NoNumberEdits, NoStopwords
    from xrobust.attacks.recipes import build_recipe
    from xrobust.attacks.text import SIDES, AttackText

    model, tokenizer, head = load_model(args.checkpoint, args.threads)
    recipe = build_recipe(RECIPE, recipe_inputs(model, tokenizer, head, args))  # its parts, never its search

    class XrobustPairModel(ModelWrapper):
        """Pairs (tuples of two texts) -> logits, through xrobust's tokenization and PairClassifier."""

        def __init__(self):
            self.model = model  # TextAttack reads `.model` (to check the goal function's compatibility)
            self.pairs_scored = self.forward_passes = 0

        def __call__(self, text_input_list):
            pairs = [tuple(t) for t in text_input_list]
            self.pairs_scored += len(pairs)
            self.forward_passes += -(-len(pairs) // args.batch_size)
            return score_pairs(model, tokenizer, head, pairs, args.max_length, args.batch_size)

    class RecipeSynonyms(WordSwap):
        """The synonym-greedy recipe's candidates for a word (counter-fitted neighbours, case
        restored, single words, at most --max-candidates, in table order)."""

        def _get_replacement_words(self, word):
            return recipe.transformation.candidates(word, LANGUAGE)

    class KeepProtected(PreTransformationConstraint):
        """Words an xrobust guard protects (stopwords, numbers) are not changed."""

        def __init__(self, guard):
            self.guard = guard

        def _get_modifiable_indices(self, current_text):
            return {i for i, w in enumerate(current_text.words) if not self.guard.protected(w, LANGUAGE)}

    class InsertNoProtected(Constraint):
        """A guard with `no_insert` (numbers) also refuses replacements of its kind."""

        def __init__(self, guard):
            super().__init__(compare_against_original=True)
            self.guard = guard

        def _check_constraint(self, transformed_text, reference_text):
            return not any(self.guard.protected(transformed_text.words[i], LANGUAGE)
                           for i in transformed_text.attack_attrs["newly_modified_indices"])

    class MaxWordsChangedFloor(PreTransformationConstraint):
        """xrobust's limit: max(1, floor(fraction * the pair's words)); TextAttack's
        MaxModificationRate rounds up instead."""

        def __init__(self, fraction: float):
            self.fraction = fraction

        def _get_modifiable_indices(self, current_text):
            limit = max(1, math.floor(self.fraction * current_text.num_words))
            if len(current_text.attack_attrs["modified_indices"]) >= limit:
                return set()
            return set(range(current_text.num_words))

    # xrobust's guards, translated one by one; a guard this script does not know is an error,
    # not a silent mismatch.
    constraints = []
    for guard in recipe.constraints:
        if isinstance(guard, ModifiableSides):
            if tuple(guard.sides) != SIDES:
                raise SystemExit(f"sides {guard.sides}: TextAttack attacks every column")
        elif isinstance(guard, (NoStopwords, NoNumberEdits)):
            constraints.append(KeepProtected(guard))
            if guard.no_insert:
                constraints.append(InsertNoProtected(guard))
        elif isinstance(guard, MaxWordsChanged):
            constraints.append(MaxWordsChangedFloor(guard.fraction))
        else:
            raise SystemExit(f"{type(guard).__name__}: no TextAttack counterpart in this benchmark")

    wrapper = XrobustPairModel()
    goal = UntargetedClassification(wrapper, query_budget=args.query_budget or float("inf"),
                                    model_batch_size=args.batch_size)
    attack = textattack.Attack(goal, constraints, RecipeSynonyms(), GreedyWordSwapWIR(wir_method="delete"))

    def text_of(row) -> OrderedDict:
        return OrderedDict([("sentence1", row["sentence1"]), ("sentence2", row["sentence2"])])

    def attack_all(chosen) -> tuple[list[dict], float, float]:
        outcomes, start, cpu = [], time.perf_counter(), time.process_time()
        for row in chosen:
            result = attack.attack(text_of(row), row["gold"])
            perturbed = result.perturbed_result.attacked_text
            status = ("skipped" if isinstance(result, SkippedAttackResult)
                      else "succeeded" if isinstance(result, SuccessfulAttackResult) else "failed")
            outcomes.append({"id": row["id"], "status": status, "queries": goal.num_queries,
                             "queries_textattack_reports": result.perturbed_result.num_queries,
                             "words_changed": 0 if status == "skipped" else len(perturbed.attack_attrs["modified_indices"]),
                             "words": perturbed.num_words, "perturbed": list(perturbed.tokenizer_input)})
        return outcomes, time.perf_counter() - start, time.process_time() - cpu

    attack_all(rows[:2])  # warm-up; then its caches are emptied, so the timed rows start cold
    attack.clear_cache()
    wrapper.pairs_scored = wrapper.forward_passes = 0
    outcomes, seconds, cpu_seconds = attack_all(rows)
    run = run_summary("TextAttack GreedyWordSwapWIR(delete)", outcomes, seconds, cpu_seconds, wrapper.pairs_scored,
                      wrapper.forward_passes)
    # Where the two word splittings agree (a difference in the search space, not in speed).
    same_words = sum(AttackedText(text_of(r)).words
                     == [w for s in SIDES for w in AttackText.from_pair(r["sentence1"], r["sentence2"], LANGUAGE,
                                                                      LANGUAGE).words(s)] for r in rows)
    return {"side": "textattack", "runs": {run["name"]: run}, "rows_with_same_word_split": same_words,
            "attack": repr(attack), "plain_inference": plain_inference_rate(model, tokenizer, head, rows, args),
            "environment": environment()}


# ---------------------------------------------------------------- the driver (xrobust's venv)

def choose_rows(n: int) -> list[dict]:
    from xrobust.tasks import evenly_spaced, get_task, load_examples
    from xrobust.tasks.xtreme import data_dir_from

    task = get_task(TASK)
    loaded, report = load_examples(data_dir_from(None), task, "dev", LANGUAGE)
    return [{"id": e.id, "sentence1": e.sentence1, "sentence2": e.sentence2, "gold": task.label_index(e.label)}
            for e in evenly_spaced(loaded, report.rows, n)]


def side_command(python: str, side: str, args, rows_path: Path, result_path: Path) -> list[str]:
    return [python, str(Path(__file__).resolve()), args.checkpoint, "--side", side, "--rows", str(rows_path),
            "--result", str(result_path), "--threads", str(args.threads), "--query-budget", str(args.query_budget),
            "--batch-size", str(args.batch_size), "--attack-batch-size", str(args.attack_batch_size),
            "--max-candidates", str(args.max_candidates), "--max-words-changed", str(args.max_words_changed),
            "--max-length", str(args.max_length), "--resources", args.resources]


def agreement(a: list[dict], b: list[dict]) -> dict:
    pairs = list(zip(a, b))
    return {"same_status": sum(x["status"] == y["status"] for x, y in pairs),
            "same_queries": sum(x["queries"] == y["queries"] for x, y in pairs),
            "same_perturbed_text": sum(x["perturbed"] == y["perturbed"] for x, y in pairs), "of": len(pairs)}


def fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(ta: dict, xr: dict) -> str:
    base = next(iter(ta["runs"].values()))
    runs = [(base, ta)] + [(run, xr) for run in xr["runs"].values()]
    lines = ["| search | n | attacked | success rate | mean queries | words changed (fraction) | examples/s | "
             "vs TextAttack | examples/CPU-s | vs TextAttack | pairs scored/s | plain inference pairs/s, pairs/CPU-s "
             "(its venv) | transformers |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run, side in runs:
        plain = side["plain_inference"]
        lines.append(
            f"| {run['name']} | {run['n']} | {run['attacked']} | {fmt(run['success_rate'])} | "
            f"{fmt(run['mean_queries'], 1)} | {fmt(run['mean_words_changed'], 2)} ({fmt(run['mean_fraction_changed'])}) | "
            f"{run['examples_per_second']:.3f} | {run['examples_per_second'] / base['examples_per_second']:.2f}x | "
            f"{run['examples_per_cpu_second']:.3f} | "
            f"{run['examples_per_cpu_second'] / base['examples_per_cpu_second']:.2f}x | "
            f"{run['pairs_scored_per_second']:.1f} | {plain['pairs_per_second']:.1f}, {plain['pairs_per_cpu_second']:.1f} | "
            f"{side['environment']['packages'].get('transformers', '?')} |")
    return "\n".join(lines)


def driver(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = choose_rows(args.examples)
    rows_path = out / "rows.json"
    rows_path.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    print(f"{len(rows)} English PAWS-X dev rows -> {rows_path}", flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])),
           "OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
    results = {}
    for side, python in (("textattack", args.textattack_python), ("xrobust", args.xrobust_python)):
        path = out / f"{side}.json"
        command = side_command(python, side, args, rows_path, path)
        print(f"\n$ {' '.join(command)}", flush=True)
        start = time.perf_counter()
        done = subprocess.run(command, env=env)
        if done.returncode != 0:
            print(f"{side} side failed (exit {done.returncode})", file=sys.stderr)
            return done.returncode
        print(f"{side} side: {time.perf_counter() - start:.0f} s wall, model loading included", flush=True)
        results[side] = json.loads(path.read_text())
    ta, xr = results["textattack"], results["xrobust"]
    ta_run = next(iter(ta["runs"].values()))
    ta_outcomes = ta_run["outcomes"]
    cross, single = xr["runs"]["xrobust cross-example"], xr["runs"]["xrobust per-example"]
    summary = {
        "checkpoint": args.checkpoint, "examples": len(rows), "recipe": RECIPE, "query_budget": args.query_budget,
        "batch_size": args.batch_size, "attack_batch_size": args.attack_batch_size,
        "max_candidates": args.max_candidates, "max_words_changed": args.max_words_changed, "threads": args.threads,
        "ratio_examples_per_second": {name: round(run["examples_per_second"] / ta_run["examples_per_second"], 3)
                                      for name, run in xr["runs"].items()},
        "ratio_examples_per_cpu_second": {name: round(run["examples_per_cpu_second"]
                                                      / ta_run["examples_per_cpu_second"], 3)
                                          for name, run in xr["runs"].items()},
        "agreement_with_textattack": {name: agreement(ta_outcomes, run["outcomes"]) for name, run in xr["runs"].items()},
        "xrobust_cross_vs_per_example_identical": [(o["status"], o["queries"], o["perturbed"]) for o in cross["outcomes"]]
        == [(o["status"], o["queries"], o["perturbed"]) for o in single["outcomes"]],
        "rows_with_same_word_split": ta["rows_with_same_word_split"],
        "environments": {"textattack": ta["environment"], "xrobust": xr["environment"]},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    text = [f"{RECIPE} vs TextAttack GreedyWordSwapWIR(delete): {len(rows)} English PAWS-X dev rows, "
            f"budget {args.query_budget}, {args.batch_size} pairs per forward pass, {args.threads} thread(s)", "",
            table(ta, xr), ""]
    for name, agree in summary["agreement_with_textattack"].items():
        text.append(f"- {name} vs TextAttack, same per example: status {agree['same_status']}, queries "
                    f"{agree['same_queries']}, perturbed text {agree['same_perturbed_text']} (of {agree['of']})")
    text.append(f"- xrobust cross-example and per-example identical (status, queries, text): "
                f"{summary['xrobust_cross_vs_per_example_identical']}")
    text.append(f"- rows where TextAttack's and xrobust's word splits agree: {ta['rows_with_same_word_split']} of {len(rows)}")
    ta_env, xr_env = ta["environment"], xr["environment"]
    text.append(f"- machine: {xr_env['machine']}, {xr_env['cores']} cores, load average {xr_env['load_average_1min']} "
                f"(xrobust side) / {ta_env['load_average_1min']} (TextAttack side); TextAttack venv "
                f"{ta_env['packages']}, xrobust venv {xr_env['packages']}")
    (out / "table.md").write_text("\n".join(text) + "\n")
    print("\n" + "\n".join(text))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="an xrobust run directory (with model/) or checkpoint folder")
    parser.add_argument("--examples", type=int, default=50, help="English PAWS-X dev rows (evenly spaced)")
    parser.add_argument("--out", default="runs/textattack-compare")
    parser.add_argument("--textattack-python", required=True, help="the python of the venv textattack_env.sh made")
    parser.add_argument("--xrobust-python", default=sys.executable)
    parser.add_argument("--resources", default=os.environ.get("XROBUST_RESOURCES", ""))
    parser.add_argument("--query-budget", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32, help="pairs per forward pass (every search)")
    parser.add_argument("--attack-batch-size", type=int, default=256, help="rows per round, xrobust cross-example")
    parser.add_argument("--max-candidates", type=int, default=20)
    parser.add_argument("--max-words-changed", type=float, default=0.2)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--side", choices=("textattack", "xrobust"), help=argparse.SUPPRESS)
    parser.add_argument("--rows", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.side:
        return driver(args)
    rows = json.loads(Path(args.rows).read_text())
    result = (textattack_side if args.side == "textattack" else xrobust_side)(args, rows)
    Path(args.result).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
