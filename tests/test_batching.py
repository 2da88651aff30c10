"""Dynamic padding and length-grouped batches."""

import torch

from xrobust.encoders.pairs import EncodedPairs, collate, encode_pairs, inference_batches
from xrobust.tasks import Example, get_task
from xrobust.training.batching import training_batches


def test_training_batches_cover_every_example_once_and_repeat_for_a_seed():
    lengths = [(i * 37) % 101 + 5 for i in range(1000)]
    batches = training_batches(lengths, 32, seed=3, epoch=1)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert batches == training_batches(lengths, 32, seed=3, epoch=1)
    assert batches != training_batches(lengths, 32, seed=3, epoch=2)


def test_length_grouping_cuts_padding_at_least_in_half():
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(10, 128, (3200,), generator=generator).tolist()

    def padded_tokens(batches):
        return sum(max(lengths[i] for i in b) * len(b) for b in batches)

    grouped = padded_tokens(training_batches(lengths, 32, 0, 0, group_by_length=True))
    random = padded_tokens(training_batches(lengths, 32, 0, 0, group_by_length=False))
    assert grouped < 0.6 * random
    assert grouped >= sum(lengths)


def test_collate_pads_to_longest_or_fixed_width():
    pairs = EncodedPairs([[0, 5, 2], [0, 6, 7, 8, 2]], None, [1, 0])
    batch = collate(pairs, [0, 1], pad_id=1)
    assert batch["input_ids"].tolist() == [[0, 5, 2, 1, 1], [0, 6, 7, 8, 2]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert batch["labels"].tolist() == [1, 0] and "token_type_ids" not in batch
    assert collate(pairs, [0], pad_id=1, pad_to=8)["input_ids"].shape == (1, 8)


def test_inference_batches_are_sorted_by_length():
    batches = inference_batches([5, 1, 9, 3], 2)
    assert batches == [[1, 3], [0, 2]]


def test_encode_pairs_truncates_and_maps_labels(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    examples = [Example("1", "word " * 100, "other " * 100, "contradiction", "en"),
                Example("2", "Short.", "Pair.", "entailment", "en")]
    pairs = encode_pairs(tokenizer, examples, get_task("xnli"), max_length=32)
    assert pairs.lengths()[0] == 32 and pairs.lengths()[1] < 12
    assert pairs.labels == [2, 0]
    assert pairs.input_ids[1][0] == tokenizer.bos_token_id and pairs.input_ids[1][-1] == tokenizer.eos_token_id
