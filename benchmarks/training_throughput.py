"""Training and evaluation examples/s: xrobust's loop against the XTREME recipe.

The XTREME scripts pad every pair to 128 tokens and draw random batches; xrobust pads each
batch to its longest pair and groups similar lengths. Everything else is the same: model,
batch size (32), optimizer (AdamW, lr 2e-5), training pairs (the first N of train-en),
and the same training code (`train_stage`) with only the padding settings changed. Both
are measured in this one run, so the ratio is meaningful on any machine.

Time is the process's CPU time on one thread, not wall time: on a machine shared with
other jobs, wall time measures the neighbours as much as the code. The training figure
covers the whole `train_stage` call, so it includes one English-dev evaluation (32 pairs)
and the end-of-epoch checkpoint write for both settings alike.

    python benchmarks/training_throughput.py --examples 256

Run by hand (it takes minutes); the figures go into BENCHMARKS.md.
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from xrobust.encoders.classifier import PairClassifier
from xrobust.encoders.loading import load_encoder, resolve_encoder
from xrobust.encoders.pairs import EncodedPairs, encode_pairs
from xrobust.encoders.predict import predict_logits
from xrobust.tasks import get_task, load_examples
from xrobust.training.config import TrainConfig
from xrobust.training.loop import StagePlan, train_stage


def train_throughput(tokenizer, encoder_source, pairs: EncodedPairs, dev: EncodedPairs, task: str, labels,
                     xtreme: bool) -> float:
    _, encoder = load_encoder(encoder_source)  # a fresh copy: both runs start from the same weights
    torch.manual_seed(0)
    model = PairClassifier(encoder, {task: len(labels)})
    config = TrainConfig(task=task, epochs=1, batch_size=32, learning_rate=2e-5, checkpoint_every=0,
                         max_length=128, pad_to_max_length=xtreme, group_by_length=not xtreme)
    plan = StagePlan(name="xtreme" if xtreme else "xrobust", train={task: pairs}, dev={task: dev},
                     label_names={task: list(labels)}, epochs=1)
    with tempfile.TemporaryDirectory() as folder:
        start = time.process_time()
        state = train_stage(plan, model, tokenizer, config, Path(folder), Path(folder) / "best")
        return state.examples_seen / (time.process_time() - start)


def eval_throughput(model, tokenizer, task, pairs: EncodedPairs, pad_to: int | None) -> float:
    # predict_logits pads dynamically; for the baseline, pad every pair to 128 by hand. The pads
    # then count as attended tokens: the same work as padding with a mask, which is what is timed.
    if pad_to:
        pad = tokenizer.pad_token_id
        pairs = EncodedPairs([ids + [pad] * (pad_to - len(ids)) for ids in pairs.input_ids], None, pairs.labels)
    start = time.process_time()
    predict_logits(model, task, pairs, tokenizer.pad_token_id, batch_size=64)
    return len(pairs) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=256, help="training pairs per task and setting")
    parser.add_argument("--eval-examples", type=int, default=256)
    parser.add_argument("--tasks", default="pawsx,xnli")
    parser.add_argument("--data-dir", default=os.environ.get("XROBUST_DATA", "../shared/data/xtreme"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # CPU time of one thread is comparable across runs on a busy machine

    source = resolve_encoder("default")
    tokenizer, encoder = load_encoder(source)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread, CPU time; {args.examples} training pairs per setting; "
          f"encoder: {source.description}")
    print("| task | mean tokens/pair | train ex/s XTREME (pad 128) | train ex/s xrobust | ratio "
          "| eval ex/s XTREME | eval ex/s xrobust | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.tasks.split(","):
        task = get_task(name)
        train, _ = load_examples(args.data_dir, task, "train", "en")
        dev_examples, _ = load_examples(args.data_dir, task, "dev", "en")
        pairs = encode_pairs(tokenizer, train[: args.examples], task, 128)
        dev = encode_pairs(tokenizer, dev_examples[:32], task, 128)
        eval_pairs = encode_pairs(tokenizer, dev_examples[: args.eval_examples], task, 128)
        baseline = train_throughput(tokenizer, source, pairs, dev, name, task.label_names, xtreme=True)
        ours = train_throughput(tokenizer, source, pairs, dev, name, task.label_names, xtreme=False)
        model = PairClassifier(encoder, {name: task.num_labels})
        eval_baseline = eval_throughput(model, tokenizer, name, eval_pairs, pad_to=128)
        eval_ours = eval_throughput(model, tokenizer, name, eval_pairs, pad_to=None)
        mean_tokens = sum(pairs.lengths()) / len(pairs)
        print(f"| {name} | {mean_tokens:.1f} | {baseline:.2f} | {ours:.2f} | {ours / baseline:.2f}x "
              f"| {eval_baseline:.1f} | {eval_ours:.1f} | {eval_ours / eval_baseline:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
