"""The encoder's training and inference FLOP/s as a fraction of this machine's matmul peak,
in fp32 and in bf16 autocast, measured in one run.

1. Peak: the best of several square matmuls (n = 1024, 2048) per precision, 2 n^3 FLOPs each.
2. The packaged encoder on real XNLI pairs, batches of 32 grouped by length (as training
   makes them): inference (forward, inference_mode) and training (forward, backward, AdamW
   step). FLOPs are counted from the model's shapes and each batch's padded length L: per
   layer and token 2 (4 H^2 + 2 H F) for the projections and feed-forward, plus 4 L H for
   attention scores and weighted values; the head and embeddings are negligible. Training
   counts 3x forward (backward computes two matmuls per forward matmul); with frozen word
   embeddings, as here, that is what runs.

Time is CPU time of one thread (`torch.set_num_threads(1)`), so the figure is per core and
comparable on a shared machine; run it when nothing else runs all the same.

    python benchmarks/peak.py --batches 8
"""

import argparse
import os
import platform
import time

import torch

from xrobust.encoders.classifier import PairClassifier
from xrobust.results.machine import read_cpu_flags
from xrobust.encoders.loading import load_encoder, resolve_encoder
from xrobust.encoders.pairs import collate, encode_pairs
from xrobust.tasks import get_task, load_examples
from xrobust.training.batching import training_batches

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


def matmul_peak(dtype, sizes=(1024, 2048), repeats=3) -> float:
    """FLOP/s of the fastest square matmul (the machine's practical peak for this dtype)."""
    best = 0.0
    for n in sizes:
        a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
        a @ b  # warm-up: oneDNN picks and caches its kernel on the first call
        for _ in range(repeats):
            start = time.process_time()
            a @ b
            best = max(best, 2 * n ** 3 / (time.process_time() - start))
    return best


def forward_flops(config, batch_size: int, length: int) -> float:
    hidden, ffn, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_token = layers * (2 * (4 * hidden * hidden + 2 * hidden * ffn) + 4 * length * hidden)
    return per_token * batch_size * length


def measure(model, batches, dtype, train: bool) -> tuple[float, float]:
    """(FLOP/s, pairs/s) over `batches` (the first one is a warm-up)."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    flops = pairs = seconds = 0.0
    for number, batch in enumerate(batches):
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        start = time.process_time()
        if train:
            model.train()
            with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                loss = torch.nn.functional.cross_entropy(model("xnli", **inputs).float(), batch["labels"])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        else:
            model.eval()
            with torch.inference_mode(), torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                model("xnli", **inputs)
        elapsed = time.process_time() - start
        if number == 0:
            continue  # warm-up
        size, length = batch["input_ids"].shape
        flops += forward_flops(model.encoder.config, size, length) * (3 if train else 1)
        pairs += size
        seconds += elapsed
    return flops / seconds, pairs / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8, help="batches of 32 pairs per measurement (+1 warm-up)")
    parser.add_argument("--data-dir", default=os.environ.get("XROBUST_DATA", "../shared/data/xtreme"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    source = resolve_encoder("default")
    tokenizer, encoder = load_encoder(source)
    task = get_task("xnli")
    examples, _ = load_examples(args.data_dir, task, "train", "en")
    pairs = encode_pairs(tokenizer, examples[: 32 * (args.batches + 1) * 4], task, 128)
    order = training_batches(pairs.lengths(), 32, seed=0, epoch=0)[: args.batches + 1]
    batches = [collate(pairs, rows, tokenizer.pad_token_id) for rows in order]
    model = PairClassifier(encoder, {"xnli": 3})
    model.word_embeddings().weight.requires_grad_(False)  # as the quickstart trains

    flags = sorted(read_cpu_flags() & {"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPU flags {','.join(flags) or 'none listed'}; "
          f"torch {torch.__version__}, 1 thread, CPU time; {args.batches} batches of 32 XNLI pairs "
          f"(mean padded length {sum(b['input_ids'].shape[1] for b in batches[1:]) / args.batches:.0f}); "
          f"encoder: {source.description}")
    print("| precision | matmul peak GFLOP/s | inference GFLOP/s | of peak | inference pairs/s "
          "| training GFLOP/s | of peak | training pairs/s |")
    print("|---|---|---|---|---|---|---|---|")
    results = {}
    for name, dtype in PRECISIONS.items():
        peak = matmul_peak(dtype or torch.float32)
        inference = measure(model, batches, dtype, train=False)
        training = measure(model, batches, dtype, train=True)
        results[name] = (inference, training)
        print(f"| {name} | {peak / 1e9:.1f} | {inference[0] / 1e9:.1f} | {inference[0] / peak:.0%} | "
              f"{inference[1]:.1f} | {training[0] / 1e9:.1f} | {training[0] / peak:.0%} | {training[1]:.1f} |",
              flush=True)
    (inf32, train32), (inf16, train16) = results["fp32"], results["bf16"]
    print(f"bf16 / fp32: inference {inf16[1] / inf32[1]:.2f}x, training {train16[1] / train32[1]:.2f}x pairs/s")


if __name__ == "__main__":
    main()
