"""Sentence pairs as the encoder sees them: tokenized once, padded per batch.

Every example is tokenized exactly once per run (`encode_pairs`); batches are padded only
to their longest member, and prediction batches are sorted by length. Training, robust
objectives, evaluation and attacks all build on this (it sits beside the classifier).
"""

from dataclasses import dataclass

import torch

from xrobust.tasks import Example, TaskSpec

TOKENIZE_CHUNK = 1024  # pairs per call into the fast tokenizer


@dataclass
class EncodedPairs:
    """Token ids of sentence pairs, unpadded, with labels as class indices."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None  # None for tokenizers without segments (XLM-R)
    labels: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]

    def select(self, indices) -> "EncodedPairs":
        return EncodedPairs(
            [self.input_ids[i] for i in indices],
            None if self.token_type_ids is None else [self.token_type_ids[i] for i in indices],
            [self.labels[i] for i in indices],
        )


def encode_pairs(tokenizer, examples: list[Example], task: TaskSpec, max_length: int) -> EncodedPairs:
    input_ids, token_type_ids, labels = [], [], []
    has_types = None
    for start in range(0, len(examples), TOKENIZE_CHUNK):
        chunk = examples[start : start + TOKENIZE_CHUNK]
        encoded = tokenizer(
            [e.sentence1 for e in chunk],
            [e.sentence2 for e in chunk],
            truncation="longest_first",
            max_length=max_length,
        )
        input_ids.extend(encoded["input_ids"])
        has_types = "token_type_ids" in encoded
        if has_types:
            token_type_ids.extend(encoded["token_type_ids"])
        labels.extend(task.label_index(e.label) for e in chunk)
    return EncodedPairs(input_ids, token_type_ids if has_types else None, labels)


def collate(pairs: EncodedPairs, indices: list[int], pad_id: int, pad_to: int | None = None) -> dict:
    """Pad the selected pairs to their longest member (or to `pad_to`, for the XTREME baseline)."""
    width = pad_to or max(len(pairs.input_ids[i]) for i in indices)
    ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(indices), width), dtype=torch.long)
    types = torch.zeros((len(indices), width), dtype=torch.long) if pairs.token_type_ids is not None else None
    for row, i in enumerate(indices):
        n = len(pairs.input_ids[i])
        ids[row, :n] = torch.tensor(pairs.input_ids[i])
        mask[row, :n] = 1
        if types is not None:
            types[row, :n] = torch.tensor(pairs.token_type_ids[i])
    batch = {"input_ids": ids, "attention_mask": mask, "labels": torch.tensor([pairs.labels[i] for i in indices])}
    if types is not None:
        batch["token_type_ids"] = types
    return batch


def inference_batches(lengths: list[int], batch_size: int):
    """Batches for prediction: sorted by length so padding is minimal; callers restore order."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
