"""Attack throughput: the search batched across examples, the same search one example at a
time, and the encoder's plain inference rate on the very pairs the attack scored.

Run by hand (not a test):

    python benchmarks/attack_batching.py CHECKPOINT --task xnli --language en --examples 32

One process, one model, the same examples, recipe, budget and forward-pass size
(--batch-size); the only difference between the two searches is how many examples are in
flight (--attack-batch-size rows gathered per round, against 1). Then every pair the
cross-example search sent to the classifier is run again through plain length-sorted batched
inference (`predict_logits`, all pairs at once): the ceiling for pairs scored per second.
Prints examples/s, queries/s (texts scored, cache hits included), pairs scored/s (pairs that
reached the classifier) and rows per forward pass (pairs, and with --min-similarity also the
sentences it embeds) for each, the ratios, whether both searches gave identical outcomes (they
must; the exit status is 1 otherwise), and the machine.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import torch

from xrobust.attacks.recipes import RecipeInputs, build_recipe
from xrobust.attacks.text import AttackText
from xrobust.encoders.checkpoints import pick_head, resolve_checkpoint
from xrobust.encoders.classifier import load_classifier
from xrobust.encoders.pairs import EncodedPairs
from xrobust.encoders.predict import predict_logits
from xrobust.tasks import evenly_spaced, get_task, load_examples
from xrobust.tasks.xtreme import data_dir_from


def attack_all(attack, examples, target_rows: int) -> dict:
    """Attack every example with `target_rows` rows per round; what it cost."""
    runner = attack.goal.runner
    scored = []  # every classifier row, in the order the model saw them
    plain_logits = runner.logits
    runner.logits = lambda rows: scored.extend(rows) or plain_logits(rows)
    runner.forward_passes = runner.rows_scored = 0
    start = time.perf_counter()
    results = list(attack.run_many(examples, target_rows))
    seconds = time.perf_counter() - start
    runner.logits = plain_logits
    return {"seconds": seconds, "results": results, "rows": scored, "passes": runner.forward_passes,
            "all_rows": runner.rows_scored, "queries": sum(r.queries for r in results)}


def plain_inference(model, head: str, tokenizer, rows, batch_size: int) -> float:
    """Seconds to score `rows` (token ids) with plain length-sorted batched inference."""
    has_types = rows[0][1] is not None
    pairs = EncodedPairs([list(ids) for ids, _ in rows], [list(t) for _, t in rows] if has_types else None,
                         [0] * len(rows))
    start = time.perf_counter()
    predict_logits(model, head, pairs, tokenizer.pad_token_id, batch_size)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--task", default="xnli")
    parser.add_argument("--language", default="en")
    parser.add_argument("--recipe", default="synonym-greedy")
    parser.add_argument("--examples", type=int, default=32)
    parser.add_argument("--query-budget", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32, help="rows per forward pass (both searches)")
    parser.add_argument("--attack-batch-size", type=int, default=256, help="rows per round, cross-example search")
    parser.add_argument("--min-similarity", type=float, help="add the similarity constraint (runs the encoder)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task = get_task(args.task)
    folder, _ = resolve_checkpoint(args.checkpoint)
    model, tokenizer, head_config = load_classifier(folder)
    head = pick_head(head_config, args.task)
    loaded, report = load_examples(data_dir_from(None), task, "dev", args.language)
    chosen = evenly_spaced(loaded, report.rows, args.examples)
    examples = [(AttackText.from_pair(e.sentence1, e.sentence2, args.language, args.language),
                 task.label_index(e.label)) for e in chosen]
    inputs = RecipeInputs(model=model, tokenizer=tokenizer, task=task, head=head, languages=(args.language,),
                          resources=Path(os.environ.get("XROBUST_RESOURCES", "")), query_budget=args.query_budget,
                          batch_size=args.batch_size, min_similarity=args.min_similarity)
    attack = build_recipe(args.recipe, inputs)  # resources load here, outside the timed runs
    attack_all(attack, examples[:2], 1)  # warm-up: first-call allocations are not the search's cost

    runs = {"cross-example": attack_all(attack, examples, args.attack_batch_size),
            "per-example": attack_all(attack, examples, 1)}
    rows = runs["cross-example"]["rows"]
    plain_seconds = plain_inference(model, head, tokenizer, rows, args.batch_size) if rows else float("nan")
    plain_rate = len(rows) / plain_seconds

    n = len(examples)
    print(f"{n} examples, recipe {args.recipe}, budget {args.query_budget}, {args.batch_size} rows per forward pass")
    print(f"{'':>16} {'examples/s':>10} {'queries/s':>10} {'pairs/s':>9} {'rows/pass':>10} {'of plain':>8}")
    for name, run in runs.items():
        pairs_rate = len(run["rows"]) / run["seconds"]
        print(f"{name:>16} {n / run['seconds']:>10.3f} {run['queries'] / run['seconds']:>10.1f} {pairs_rate:>9.1f} "
              f"{run['all_rows'] / max(1, run['passes']):>10.1f} {pairs_rate / plain_rate:>8.2f}")
    print(f"{'plain inference':>16} {'':>10} {'':>10} {plain_rate:>9.1f} {args.batch_size:>10} {1:>8.2f}"
          f"   ({len(rows)} pairs the cross-example search scored)")
    cross, single = runs["cross-example"], runs["per-example"]
    print(f"\ncross-example / per-example: {single['seconds'] / cross['seconds']:.2f}x examples/s "
          f"(--attack-batch-size {args.attack_batch_size})")
    same = [(r.status, r.queries, r.perturbed.pair()) for r in cross["results"]] == \
           [(r.status, r.queries, r.perturbed.pair()) for r in single["results"]]
    print(f"identical outcomes (status, queries, perturbed text): {same}; "
          f"{sum(r.success for r in cross['results'])} successes")
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores "
          f"(torch threads: {torch.get_num_threads()}), load average {os.getloadavg()[0]:.1f}, "
          f"python {platform.python_version()}, torch {torch.__version__}")
    device = next(model.parameters()).device
    print(f"model: {folder} on {torch.cuda.get_device_name(device) if device.type == 'cuda' else device}; "
          f"task {args.task}/{args.language} dev")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
