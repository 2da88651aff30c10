"""Smoothed prediction: the vote, M=1 without perturbation equals plain prediction, unanimity."""

import numpy as np
import torch
from robust_fixtures import tiny_classifier

from xrobust.encoders.pairs import encode_pairs
from xrobust.encoders.predict import predict_logits
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.robust.settings import EmbeddingNoise, SmoothingSettings
from xrobust.robust.smoothing import majority_vote, smoothed_predict
from xrobust.tasks import Example, get_task

WORDS = "the big cat sat on a mat near old river while young people sang quite loudly".split()


def varied_examples(n=24):
    rng = np.random.default_rng(0)
    return [Example(f"dev-{i}", " ".join(rng.choice(WORDS, 6)).capitalize() + ".",
                    " ".join(rng.choice(WORDS, 3 + i % 9)) + "!", "1", "en") for i in range(n)]


def plain_logits(model, tokenizer, examples):
    pairs = encode_pairs(tokenizer, examples, get_task("pawsx"), 64)
    return predict_logits(model, "pawsx", pairs, tokenizer.pad_token_id, 16)


def plain_labels(model, tokenizer, examples):
    return plain_logits(model, tokenizer, examples).argmax(-1).numpy()


def balanced_classifier(folder, examples):
    """The tiny classifier with its head's bias shifted so that about half the examples get
    each label (a random head tends to predict one label for everything)."""
    model, tokenizer = tiny_classifier(folder, seed=3)
    logits = plain_logits(model, tokenizer, examples)
    margins = (logits[:, 0] - logits[:, 1]).sort().values
    middle = len(margins) // 2  # the threshold lies halfway between two examples: no ties at the boundary
    with torch.no_grad():
        model.heads["pawsx"].bias[1] += (margins[middle - 1] + margins[middle]) / 2
    return model, tokenizer


def test_majority_vote_counts_and_breaks_ties_low():
    winners, votes = majority_vote(torch.tensor([[0, 1, 1], [2, 2, 0], [0, 1, 2], [1, 1, 1]]), 3)
    assert winners.tolist() == [1, 2, 0, 1]
    assert votes.tolist() == [[1, 2, 0], [1, 0, 2], [1, 1, 1], [0, 3, 0]]


def test_m1_without_perturbation_equals_plain_prediction(tiny_model_dir):
    task, examples = get_task("pawsx"), varied_examples()
    model, tokenizer = balanced_classifier(tiny_model_dir, examples)
    plain = plain_labels(model, tokenizer, examples)
    assert 0 < plain.sum() < len(plain)  # both labels occur, so the comparison can fail
    for kind, table in (("uniform-ball", None), ("gaussian", None), ("synonyms", SynonymTable({}))):
        settings = SmoothingSettings(copies=1, kind=kind, noise=EmbeddingNoise(kind if table is None else
                                                                                "uniform-ball", 0.0, 0.0))
        result = smoothed_predict(model, tokenizer, task, examples, settings, table, 64, batch_size=7)
        assert result.labels.tolist() == plain.tolist(), kind
        assert result.unanimous.all()


def test_votes_are_unanimous_without_noise_and_split_with_much_noise(tiny_model_dir):
    task, examples = get_task("pawsx"), varied_examples()
    model, tokenizer = balanced_classifier(tiny_model_dir, examples)
    plain = plain_labels(model, tokenizer, examples)
    calm = smoothed_predict(model, tokenizer, task, examples,
                            SmoothingSettings(5, "uniform-ball", EmbeddingNoise(radius=0.0)), None, 64, 16)
    assert calm.votes.sum(axis=1).tolist() == [5] * len(examples)
    assert calm.votes[np.arange(len(examples)), plain].tolist() == [5] * len(examples)
    noisy_settings = SmoothingSettings(7, "gaussian", EmbeddingNoise("gaussian", sigma=3.0), seed=1)
    noisy = smoothed_predict(model, tokenizer, task, examples, noisy_settings, None, 64, 16)
    assert noisy.unanimous.mean() < 0.9
    again = smoothed_predict(model, tokenizer, task, examples, noisy_settings, None, 64, 16)
    assert np.array_equal(noisy.votes, again.votes)  # seeded: an evaluation repeats exactly


def test_synonym_smoothing_votes_over_substituted_copies(tiny_model_dir):
    task, examples = get_task("pawsx"), varied_examples(20)
    model, tokenizer = balanced_classifier(tiny_model_dir, examples)
    # Every word maps to every other: copies differ wildly, so some votes must split.
    table = SynonymTable({w: [v for v in WORDS if v != w] for w in WORDS})
    result = smoothed_predict(model, tokenizer, task, examples, SmoothingSettings(7, "synonyms", seed=2), table, 64, 14)
    assert result.votes.sum(axis=1).tolist() == [7] * len(examples)
    assert not result.unanimous.all()
