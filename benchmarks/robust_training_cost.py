"""Cost per training example of each robust objective, relative to standard training.

Run by hand (not a test). Every method trains on the same model weights and the same batches
in one process; methods take turns within each round (so drift on a shared machine hits all
of them alike), and the median round is reported. Time is this process's CPU time
(`time.process_time`), which other jobs on a shared machine disturb far less than wall-clock
time (they still compete for caches and memory bandwidth); `--clock wall` measures wall time.
Two figures per method:
  objective = building the batch (rs-da: perturbing and tokenizing it) + loss + backward
  step      = objective + clipping + the AdamW update (what a training step really costs)
Targets: rs-da <= 1.10x, rs-ri <= 1.10x, adv ~ (K+1)x and no more.

  OMP_NUM_THREADS=1 python benchmarks/robust_training_cost.py --model default --examples 64
"""

import argparse
import copy
import os
import platform
import statistics
import time

import torch

from xrobust.encoders.classifier import PairClassifier
from xrobust.encoders.loading import load_encoder, resolve_encoder
from xrobust.encoders.pairs import encode_pairs
from xrobust.lexicon.synonyms import SynonymTable, default_synonyms_path
from xrobust.tasks import get_task, load_examples
from xrobust.tasks.xtreme import data_dir_from
from xrobust.robust.objectives import METHODS
from xrobust.training.config import TrainConfig
from xrobust.training.loop import EpochBatches, StagePlan, build_optimizer, train_on_batch


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="default", help="'default' (packaged encoder), a folder or a hub id")
    p.add_argument("--task", default="pawsx")
    p.add_argument("--examples", type=int, default=64, help="English training pairs per round")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--adv-steps", type=int, default=3, help="K for adv and freelb")
    p.add_argument("--freeze-word-embeddings", action="store_true",
                   help="as in training: no gradient for the 250k-row table (the quickstart's setting)")
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated; standard is always measured")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--machine", default="", help="how to describe the machine in the output")
    p.add_argument("--clock", default="cpu", choices=("cpu", "wall"), help="process CPU time or wall-clock time")
    return p.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    task = get_task(args.task)
    examples, _ = load_examples(data_dir_from(None), task, "train", "en")
    examples = examples[: args.examples]
    tokenizer, encoder = load_encoder(resolve_encoder(args.model))
    encoded = encode_pairs(tokenizer, examples, task, args.max_length)
    plan = StagePlan("benchmark", {task.name: encoded}, {}, {task.name: list(task.label_names)}, 1,
                     train_examples={task.name: examples}, synonyms=SynonymTable.load(default_synonyms_path()))
    torch.manual_seed(0)
    start_model = PairClassifier(encoder, {task.name: len(task.label_names)})
    methods = ["standard"] + [m for m in METHODS if m != "standard" and m in args.methods.split(",")]
    # The batches each method really trains on (rs-da: perturbed copies grouped by perturbed length)
    configs = {m: TrainConfig(task=args.task, method=m, max_length=args.max_length, adv_steps=args.adv_steps,
                              batch_size=args.batch_size, freeze_word_embeddings=args.freeze_word_embeddings) for m in methods}

    objective_seconds = {m: [] for m in methods}
    step_seconds = {m: [] for m in methods}
    padded_tokens = {m: 0 for m in methods}  # rs-da's substitutes split into more subword tokens,
    real_tokens = {m: 0 for m in methods}  # and grouping by length keeps the padding on top small
    for round_number in range(args.rounds + 1):  # round 0 warms up (allocator, caches) and is dropped
        for method, config in configs.items():
            model = copy.deepcopy(start_model).train()  # the same weights for every method
            optimizer = build_optimizer(model, config)
            torch.manual_seed(round_number)
            objective = update = 0.0
            batches = EpochBatches(plan, config, tokenizer, epoch=0)
            for number in range(len(batches)):
                started = clock()
                _, batch = batches.collated(number)
                if round_number == 0:
                    padded_tokens[method] += batch["input_ids"].numel()
                    real_tokens[method] += int(batch["attention_mask"].sum())
                train_on_batch(model, task.name, batch, config, lambda loss: loss.backward())
                middle = clock()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                objective += middle - started
                update += clock() - middle
            if round_number:
                objective_seconds[method].append(objective / len(examples))
                step_seconds[method].append((objective + update) / len(examples))
            print(f"round {round_number} {method}: {objective:.2f} s objective, {update:.2f} s updates", flush=True)

    k = args.adv_steps
    machine = args.machine or f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores"
    print(f"\nMachine: {machine}; torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(f"Model: {args.model}; {len(examples)} {args.task} pairs in batches of {args.batch_size}, "
          f"max length {args.max_length}; K = {k}; word embeddings "
          f"{'frozen' if args.freeze_word_embeddings else 'trained'}; {args.clock} time, median of {args.rounds} rounds\n")
    base_objective = statistics.median(objective_seconds["standard"])
    base_step = statistics.median(step_seconds["standard"])
    targets = {"standard": "1", "rs-da": "<= 1.10", "rs-ri": "<= 1.10", "adv": f"~{k + 1} (K+1)", "freelb": f"~{k} (K)"}
    print("| method | ms/example (objective) | x standard | ms/example (step) | x standard | tokens x standard "
          "| padded tokens x standard | target |")
    print("|---|---|---|---|---|---|---|---|")
    for method in methods:
        o, s = statistics.median(objective_seconds[method]), statistics.median(step_seconds[method])
        print(f"| {method} | {1000 * o:.1f} | {o / base_objective:.2f} | {1000 * s:.1f} | {s / base_step:.2f} | "
              f"{real_tokens[method] / real_tokens['standard']:.3f} | "
              f"{padded_tokens[method] / padded_tokens['standard']:.3f} | {targets[method]} |")


if __name__ == "__main__":
    main()
