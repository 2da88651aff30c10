"""One training stage: a plain loop over batches with AdamW, linear warm-up/decay, gradient
accumulation and clipping, English-dev model selection and resumable checkpoints.

A stage trains one or more tasks (several intermediate tasks form one multi-task stage:
each batch comes from one task and goes through that task's head).
"""

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from xrobust.encoders.classifier import PairClassifier, save_classifier
from xrobust.encoders.devices import autocast_dtype
from xrobust.encoders.pairs import EncodedPairs, collate
from xrobust.encoders.predict import predict_logits
from xrobust.encoders.processes import Processes
from xrobust.progress import progress_bar, say
from xrobust.robust.augment import Synonyms
from xrobust.tasks import Example
from xrobust.training.augmented_batches import AugmentedEpoch, PoolSlot
from xrobust.training.batching import training_batches
from xrobust.training.checkpoint import (LoopState, latest_checkpoint, process_rng_state, restore_checkpoint,
                                         save_checkpoint)
from xrobust.training.config import TrainConfig


@dataclass
class StagePlan:
    name: str
    train: dict[str, EncodedPairs]  # task -> English training pairs
    dev: dict[str, EncodedPairs]  # task -> English dev pairs (model selection only: true zero-shot)
    label_names: dict[str, list[str]]  # task -> labels; the first task is the stage's primary one
    epochs: int
    # rs-da only: the source sentences (perturbed and tokenized pool by pool) and the synonym table
    train_examples: dict[str, list[Example]] = field(default_factory=dict)
    synonyms: Synonyms | None = None  # per-language tables; languages without one train clean


class EpochBatches:
    """The epoch's micro-batches in training order, tasks interleaved at random; a pure
    function of (seed, epoch), so a resumed run continues with the batch it stopped at.
    rs-da's batches are fresh perturbed copies grouped by their perturbed length
    (`AugmentedEpoch`); the others index the pairs tokenized once for the whole run."""

    def __init__(self, plan: StagePlan, config: TrainConfig, tokenizer, epoch: int):
        self.plan, self.pad_id = plan, tokenizer.pad_token_id
        group = config.group_by_length and not config.pad_to_max_length
        self.augmented: dict[str, AugmentedEpoch] = {}
        tagged: list[tuple[str, list[int] | PoolSlot]] = []
        for offset, (task, pairs) in enumerate(plan.train.items()):
            seed = config.seed + 7919 * offset
            if config.objective().needs_synonyms:
                copies = AugmentedEpoch(task, plan.train_examples[task], plan.synonyms, tokenizer,
                                        config.augment_copies, config.batch_size, config.max_length, seed, epoch,
                                        group_by_length=group, rule=config.substitution_rule(),
                                        static=config.augment_mode == "static")
                self.augmented[task] = copies
                tagged.extend((task, slot) for slot in copies.slots)
            else:
                tagged.extend((task, b) for b in training_batches(pairs.lengths(), config.batch_size, seed, epoch,
                                                                  group_by_length=group))
        if len(plan.train) > 1:  # each task's batches keep their order, so rs-da builds each pool once
            order = torch.randperm(len(tagged), generator=torch.Generator().manual_seed(config.seed + epoch)).tolist()
            tagged = [tagged[i] for i in order]
        self.tagged = tagged

    def __len__(self) -> int:
        return len(self.tagged)

    def collated(self, number: int, pad_to: int | None = None) -> tuple[str, dict]:
        """(task, padded batch) of the epoch's `number`-th micro-batch."""
        task, key = self.tagged[number]
        if task in self.augmented:
            pairs, rows = self.augmented[task].batch(key)
        else:
            pairs, rows = self.plan.train[task], key
        return task, collate(pairs, rows, self.pad_id, pad_to)


def train_on_batch(model: PairClassifier, task: str, batch: dict, config: TrainConfig,
                   backward: Callable[[torch.Tensor], None]) -> float:
    """Accumulate the gradient of one batch under the run's objective (robust/objectives.py);
    return its loss value. adv and freelb call `backward` once per pass they need; the others once."""
    return config.objective().step(model, task, batch, config, backward)


def build_optimizer(model: PairClassifier, config: TrainConfig) -> torch.optim.AdamW:
    if config.freeze_word_embeddings:
        model.word_embeddings().weight.requires_grad_(False)
    decay, no_decay, head = [], [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.startswith("heads."):
            head.append(param)
        elif param.ndim < 2:  # biases and layer norms are not decayed
            no_decay.append(param)
        else:
            decay.append(param)
    head_lr = config.head_learning_rate or config.learning_rate
    groups = [
        {"params": decay, "weight_decay": config.weight_decay, "base_lr": config.learning_rate},
        {"params": no_decay, "weight_decay": 0.0, "base_lr": config.learning_rate},
        {"params": head, "weight_decay": config.weight_decay, "base_lr": head_lr},
    ]
    # The fused kernel computes the same update in one pass over memory: on CPU it is ~6x
    # faster than the per-tensor loop, which matters with a 96M-parameter embedding table.
    fused = next(model.parameters()).device.type in ("cpu", "cuda")
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=config.learning_rate, fused=fused)


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up to 1 over `warmup` steps, then linear decay to 0 at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def train_stage(plan: StagePlan, model: PairClassifier, tokenizer, config: TrainConfig,
                stage_dir: Path, best_dir: Path, processes: Processes = Processes()) -> LoopState:
    """Train until `plan.epochs` are done, resuming from `stage_dir`'s latest checkpoint.

    On N processes (data-parallel) every process builds the same epoch plan; an optimizer
    step takes the next `gradient_accumulation * N` micro-batches of it, process r those at
    offsets r, r + N, ..., and the summed gradient is divided by that many: one process with
    `gradient_accumulation * N` computes the same step. Only the main process writes."""
    device = next(model.parameters()).device
    amp = autocast_dtype(config.precision)
    scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")
    optimizer = build_optimizer(model, config)
    params = [p for g in optimizer.param_groups for p in g["params"]]
    copies = config.objective().copies_per_epoch(config)
    per_step = config.gradient_accumulation * processes.count  # global micro-batches per optimizer step
    micro_per_epoch = sum(math.ceil(len(p) * copies / config.batch_size) for p in plan.train.values())
    steps_per_epoch = math.ceil(micro_per_epoch / per_step)
    total_steps = steps_per_epoch * plan.epochs
    warmup = int(config.warmup_ratio * total_steps)
    pad_to = config.max_length if config.pad_to_max_length else None

    if processes.is_main:
        _recover_interrupted_save(best_dir)
    processes.barrier()  # the others read the checkpoint only once the main process has repaired it
    if processes.distributed:
        # Each process draws its own dropout masks and noise (copies of one stream would be
        # correlated), reproducibly; a resumed run restores every process's generators.
        torch.manual_seed(torch.initial_seed() + 7919 * processes.index)
    checkpoint = latest_checkpoint(stage_dir)
    rank = processes.index if processes.distributed else None
    state = restore_checkpoint(checkpoint, model, optimizer, rank) if checkpoint else LoopState()
    if checkpoint:
        say(f"{plan.name}: resuming from {checkpoint.name} (step {state.step}/{total_steps})")

    def select() -> None:
        """Score English dev; keep the best weights (model selection on English only)."""
        scores = {task: _accuracy(model, task, pairs, tokenizer.pad_token_id, config, amp, processes)
                  for task, pairs in plan.dev.items()}
        score = sum(scores.values()) / len(scores)
        state.history.append({"step": state.step, "epoch": state.epoch, "dev_accuracy": scores})
        if score > state.best_score:
            state.best_score, state.best_step = score, state.step
            if processes.is_main:
                _save_atomically(model, tokenizer, best_dir, plan.label_names,
                                 {"stage": plan.name, "step": state.step})
        shown = ", ".join(f"{t}={a:.4f}" for t, a in scores.items())
        say(f"{plan.name}: step {state.step} English dev {shown} (best {state.best_score:.4f})")

    def checkpoint_now() -> None:
        generators = processes.gather([process_rng_state()]) if processes.distributed else None
        if processes.is_main:
            save_checkpoint(stage_dir, model, tokenizer, optimizer, state, plan.label_names, generators)

    def backward(loss: torch.Tensor) -> None:
        # Each process accumulates its own gradient over any number of backward passes (the
        # robust objectives call this 1 to K + 1 times per micro-batch, and reach the word
        # embeddings through `model.word_embeddings()`, outside a DDP wrapper's forward); the
        # processes average once per optimizer step (`Processes.mean_gradients`, Accelerate's
        # reduce), before unscaling and clipping. A DDP wrapper would all-reduce on every
        # backward pass it is not told to skip and needs its own forward for every one.
        with torch.autocast(device.type, enabled=False):  # backward runs outside autocast
            scaler.scale(loss / config.gradient_accumulation).backward()

    model.train()
    total_examples = sum(len(p) for p in plan.train.values()) * copies * plan.epochs
    bar = progress_bar(total=total_examples, initial=state.examples_seen, desc=plan.name, unit="ex")
    smoothed_loss = None
    while state.epoch < plan.epochs:
        batches = EpochBatches(plan, config, tokenizer, state.epoch)
        while state.batch_in_epoch < len(batches):
            started = time.perf_counter()  # train_seconds counts training work only, not evaluation or saving
            step_end = min(state.batch_in_epoch + per_step, len(batches))
            examples = 0
            for number in range(state.batch_in_epoch + processes.index, step_end, processes.count):
                task, batch = batches.collated(number, pad_to)
                batch = {k: v.to(device) for k, v in batch.items()}
                with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
                    loss = train_on_batch(model, task, batch, config, backward)
                examples += len(batch["labels"])
                smoothed_loss = loss if smoothed_loss is None else 0.95 * smoothed_loss + 0.05 * loss
            examples = processes.mean_gradients(params, examples)
            state.batch_in_epoch = step_end
            state.examples_seen += examples
            bar.update(examples)
            for group in optimizer.param_groups:
                group["lr"] = group["base_lr"] * lr_factor(state.step, total_steps, warmup)
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            state.step += 1
            state.train_seconds += time.perf_counter() - started
            if smoothed_loss is not None:
                bar.set_postfix(loss=f"{smoothed_loss:.4f}",
                                train_ex_s=f"{state.examples_seen / state.train_seconds:.1f}")
            if config.eval_every and state.step % config.eval_every == 0:
                select()
            if config.checkpoint_every and state.step % config.checkpoint_every == 0:
                checkpoint_now()
        state.epoch += 1
        state.batch_in_epoch = 0
        if not state.history or state.history[-1]["step"] != state.step:
            select()  # every epoch end is a selection point (unless --eval-every just evaluated here)
        checkpoint_now()
    bar.close()
    processes.barrier()  # the selected weights and the last checkpoint are on disk for every process
    return state


def _accuracy(model, task, pairs: EncodedPairs, pad_id, config: TrainConfig, amp, processes: Processes) -> float:
    logits = predict_logits(model, task, pairs, pad_id, config.eval_batch_size, autocast_dtype=amp,
                            processes=processes)
    return float((logits.argmax(-1) == torch.tensor(pairs.labels)).float().mean())


def _recover_interrupted_save(folder: Path) -> None:
    """A crash inside `_save_atomically` between its two renames leaves only `.old`: restore it."""
    old = folder.parent / f".{folder.name}.old"
    if old.exists() and not folder.exists():
        old.rename(folder)


def _save_atomically(model, tokenizer, folder: Path, label_names, extra) -> None:
    staging = folder.parent / f".{folder.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    save_classifier(model, tokenizer, staging, label_names, extra)
    old = folder.parent / f".{folder.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
