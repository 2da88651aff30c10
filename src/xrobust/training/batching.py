"""The training epoch's batches: a deterministic shuffle with length grouping.

Grouping similar lengths into a batch cuts padding further: the XTREME recipe pads every
pair to 128 tokens while real pairs average ~45-63. (Tokenizing and padding pairs:
encoders/pairs.py.)
"""

import torch

POOL_BATCHES = 50  # length grouping sorts a random pool of this many batches' worth of examples


def training_batches(lengths: list[int], batch_size: int, seed: int, epoch: int, group_by_length: bool = True):
    """The epoch's batches as lists of indices; a pure function of (seed, epoch), so a resumed
    run sees the same batches in the same order.

    With length grouping, a shuffled pool of 50 batches' worth of examples is sorted by
    length and cut into batches, and the batches are shuffled again, so every batch is
    still a random draw from the data, just of similar lengths.
    """
    generator = torch.Generator().manual_seed(seed * 1000 + epoch)
    order = torch.randperm(len(lengths), generator=generator).tolist()
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    pool = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]
