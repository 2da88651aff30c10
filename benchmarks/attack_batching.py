"""Batched attack search against the same search scoring one candidate per forward pass.

Run by hand (not a test):

    python benchmarks/attack_batching.py CHECKPOINT --task xnli --language en --examples 12

Same model, same examples, same recipe and budget, one process; the only difference is the
goal's batch size (candidates per forward pass): --batch-size (default 32) against 1. Prints
examples attacked per second for both, their ratio, the machine, and whether both runs
reached the same outcomes (they should: batching changes speed, not the search).
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
from xrobust.encoders.classifier import load_classifier
from xrobust.evaluation.checkpoint_eval import pick_head, resolve_checkpoint
from xrobust.tasks import evenly_spaced, get_task, load_examples
from xrobust.tasks.xtreme import data_dir_from


def attack_all(recipe: str, inputs: RecipeInputs, examples, language: str) -> tuple[float, list]:
    attack = build_recipe(recipe, inputs)  # resources load here, outside the timed loop
    start = time.perf_counter()
    results = [attack.run(AttackText.from_pair(e.sentence1, e.sentence2, language, language),
                          inputs.task.label_index(e.label)) for e in examples]
    return time.perf_counter() - start, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--task", default="xnli")
    parser.add_argument("--language", default="en")
    parser.add_argument("--recipe", default="synonym-greedy")
    parser.add_argument("--examples", type=int, default=12)
    parser.add_argument("--query-budget", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task = get_task(args.task)
    folder, _ = resolve_checkpoint(args.checkpoint)
    model, tokenizer, head_config = load_classifier(folder)
    head = pick_head(head_config, args.task)
    loaded, report = load_examples(data_dir_from(None), task, "dev", args.language)
    examples = evenly_spaced(loaded, report.rows, args.examples)
    common = dict(model=model, tokenizer=tokenizer, task=task, head=head, languages=(args.language,),
                  resources=Path(os.environ.get("XROBUST_RESOURCES", "")), query_budget=args.query_budget)

    timings = {}
    outcomes = {}
    for batch_size in (args.batch_size, 1):
        seconds, results = attack_all(args.recipe, RecipeInputs(**common, batch_size=batch_size), examples,
                                      args.language)
        timings[batch_size] = seconds
        outcomes[batch_size] = results
        queries = sum(r.queries for r in results)
        print(f"batch size {batch_size:>3}: {len(examples)} examples in {seconds:.1f} s = "
              f"{len(examples) / seconds:.3f} examples/s, {queries} queries = {queries / seconds:.1f} queries/s, "
              f"{sum(r.success for r in results)} successes")
    same = [(a.status, a.queries, a.perturbed.pair()) for a in outcomes[args.batch_size]] == \
           [(b.status, b.queries, b.perturbed.pair()) for b in outcomes[1]]
    ratio = timings[1] / timings[args.batch_size]
    print(f"\nspeed-up of batched search (batch {args.batch_size}) over one candidate per forward: {ratio:.1f}x")
    print(f"identical outcomes in both runs: {same}")
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores "
          f"(torch threads: {torch.get_num_threads()}), python {platform.python_version()}, torch {torch.__version__}")
    print(f"model: {folder}; task {args.task}/{args.language} dev, recipe {args.recipe}, "
          f"budget {args.query_budget} queries per example")
    return 0


if __name__ == "__main__":
    sys.exit(main())
