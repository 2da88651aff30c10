"""rs-da's training batches: perturbed copies, grouped by their own (perturbed) length.

Counter-fitted substitutes are often rarer words that split into more subword tokens
(+9% tokens per pair on PAWS-X), so batches grouped by the *clean* lengths carry extra
padding once perturbed. Here the copies are perturbed and tokenized one pool at a time
(POOL_BATCHES batches' worth, as in `training_batches`), each pool is sorted by its
perturbed lengths and cut into batches, and the pool's batches are taken in a shuffled
order. Each copy is tokenized once; one pool per task is in memory; nothing goes to disk.

Each copy is a pure function of (seed, task, copy number, epoch) (`augment.copy_rng`; with
`static` copies, of the epoch too), and the order of batches is fixed before any pool is
perturbed, so a resumed run rebuilds exactly the batches it had.
"""

import math
from dataclasses import dataclass

import torch

from xrobust.encoders.pairs import EncodedPairs, encode_pairs
from xrobust.robust.augment import Synonyms, augmented_copies
from xrobust.robust.settings import SubstitutionRule
from xrobust.tasks import Example, get_task
from xrobust.training.batching import POOL_BATCHES


@dataclass(frozen=True)
class PoolSlot:
    pool: int  # which pool of the epoch
    slot: int  # which of its batches, counted after sorting the pool by perturbed length


class AugmentedEpoch:
    """One task's rs-da copies for one epoch: `copies` perturbed versions of every example.
    Copy index i stands for a perturbation of example i % len(examples): drawn afresh each
    epoch (`static=False`), or the same in every epoch (`static=True`, the paper's copies
    written once and reused)."""

    def __init__(self, task: str, examples: list[Example], table: Synonyms, tokenizer, copies: int,
                 batch_size: int, max_length: int, seed: int, epoch: int, group_by_length: bool = True,
                 rule: SubstitutionRule = SubstitutionRule(), static: bool = False):
        self.task, self.examples, self.table, self.tokenizer = task, examples, table, tokenizer
        self.rule, self.static = rule, static
        self.batch_size, self.max_length, self.group_by_length = batch_size, max_length, group_by_length
        self.seed, self.epoch = seed, epoch
        generator = torch.Generator().manual_seed(seed * 1000 + epoch)
        order = torch.randperm(len(examples) * copies, generator=generator).tolist()
        size = batch_size * POOL_BATCHES
        self.pools = [order[i : i + size] for i in range(0, len(order), size)]
        # The training order of every pool's batches, drawn now: positions in the epoch are
        # known before a pool is perturbed (resuming jumps straight to one).
        self.slots = [PoolSlot(number, slot) for number, pool in enumerate(self.pools)
                      for slot in torch.randperm(math.ceil(len(pool) / batch_size), generator=generator).tolist()]
        self._pool: tuple[int, EncodedPairs, list[list[int]]] | None = None

    def batch(self, key: PoolSlot) -> tuple[EncodedPairs, list[int]]:
        """The pairs of `key`'s pool and the rows of its batch."""
        if self._pool is None or self._pool[0] != key.pool:
            self._pool = (key.pool, *self._build(key.pool))
        _, encoded, batches = self._pool
        return encoded, batches[key.slot]

    def copies(self, number: int) -> list[Example]:
        """The perturbed copies of pool `number`, in the pool's order."""
        return augmented_copies(self.examples, self.table, self.rule, self.seed, self.task, self.pools[number],
                                None if self.static else self.epoch)

    def _build(self, number: int) -> tuple[EncodedPairs, list[list[int]]]:
        copies = self.copies(number)
        encoded = encode_pairs(self.tokenizer, copies, get_task(self.task), self.max_length)
        rows = list(range(len(encoded)))
        if self.group_by_length:
            rows.sort(key=lambda i: len(encoded.input_ids[i]))
        return encoded, [rows[i : i + self.batch_size] for i in range(0, len(rows), self.batch_size)]
