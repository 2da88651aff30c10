"""Helpers shared by the robust-training tests: a tiny classifier and a tokenized batch."""

import copy
import functools

import torch

from xrobust.encoders.classifier import PairClassifier
from xrobust.encoders.loading import EncoderSource, load_encoder

PAIRS = [
    ("The cat sat on the mat.", "The cat was sitting on the mat.", 1),
    ("He moved to Paris in 1990.", "In 1990 he moved from Paris.", 0),
    ("She plays the violin well.", "She is a good violin player.", 1),
    ("The river flows north.", "The river flows south, as it always has.", 0),
]


@functools.lru_cache(maxsize=2)
def _loaded(folder: str):
    return load_encoder(EncoderSource(folder, folder, "tiny"))  # ~3 s: once per test session


def tiny_classifier(folder, dropout: float = 0.0, seed: int = 0):
    """A fresh PairClassifier (its own copy of the tiny encoder) and the tokenizer."""
    tokenizer, encoder = _loaded(str(folder))
    torch.manual_seed(seed)
    return PairClassifier(copy.deepcopy(encoder), {"pawsx": 2}, dropout=dropout), tokenizer


def tiny_batch(tokenizer, pairs=PAIRS) -> dict:
    """Right-padded: the last pair is longest, so the others have padding to keep still."""
    encoded = tokenizer([a for a, _, _ in pairs], [b for _, b, _ in pairs], padding=True, return_tensors="pt")
    batch = {k: v for k, v in encoded.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    batch["labels"] = torch.tensor([label for _, _, label in pairs])
    assert (batch["attention_mask"] == 0).any()
    return batch
