"""RS-DA: synonym substitution changes only table words, keeps case and punctuation, samples
every neighbour uniformly, and is a pure function of (seed, epoch, task, pool)."""

import collections
import random

from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import split_words
from xrobust.robust.augment import perturb_examples, substitute_synonyms
from xrobust.tasks import Example
from xrobust.training.augmented_batches import pool_rng

TABLE = SynonymTable({"big": ["large", "huge"], "cat": ["kitten"], "Paris": ["Lyon"]})


def test_only_table_words_change_and_punctuation_stays():
    text = "The big cat, (really!) sat near Paris..."
    rng = random.Random(0)
    for _ in range(200):
        out = substitute_synonyms(text, TABLE, rng)
        original, perturbed = split_words(text), split_words(out)
        assert len(original) == len(perturbed)
        for a, b in zip(original, perturbed):
            assert a.is_word == b.is_word
            if not a.is_word or a.text not in TABLE:
                assert a.text == b.text  # punctuation, spaces and other words untouched
            else:
                assert b.text in TABLE.choices(a.text)


def test_case_is_restored():
    rng = random.Random(1)
    seen = {substitute_synonyms("BIG Cat", TABLE, rng) for _ in range(200)}
    assert seen == {"BIG Cat", "LARGE Cat", "HUGE Cat", "BIG Kitten", "LARGE Kitten", "HUGE Kitten"}


def test_every_choice_is_drawn_uniformly():
    rng = random.Random(2)
    counts = collections.Counter(substitute_synonyms("big", TABLE, rng) for _ in range(3000))
    assert set(counts) == {"big", "large", "huge"}
    for word in counts:  # 1000 expected each; 5 standard deviations is about +-130
        assert 850 < counts[word] < 1150, counts


def test_each_word_is_drawn_independently():
    rng = random.Random(3)
    outs = [substitute_synonyms("big big", TABLE, rng).split() for _ in range(900)]
    assert sum(a != b for a, b in outs) > 450  # independent draws differ 2/3 of the time


def test_words_without_neighbours_and_other_scripts_are_kept():
    rng = random.Random(4)
    assert substitute_synonyms("Der Hund bellt.", TABLE, rng, "de") == "Der Hund bellt."
    assert substitute_synonyms("", TABLE, rng) == ""


def test_pool_draws_depend_only_on_seed_epoch_task_pool():
    examples = [Example(f"train-{i}", "The big cat sat.", "A big cat sat in Paris.", "1", "en") for i in range(20)]
    first = perturb_examples(examples, TABLE, pool_rng(7, 1, "pawsx", 5))
    assert perturb_examples(examples, TABLE, pool_rng(7, 1, "pawsx", 5)) == first
    assert perturb_examples(examples, TABLE, pool_rng(7, 2, "pawsx", 5)) != first
    assert perturb_examples(examples, TABLE, pool_rng(7, 1, "pawsx", 6)) != first
    assert perturb_examples(examples, TABLE, pool_rng(7, 1, "xnli", 5)) != first
    assert [e.id for e in first] == [e.id for e in examples] and {e.label for e in first} == {"1"}
    assert len({(e.sentence1, e.sentence2) for e in first}) > 5  # copies of one example differ


def test_per_pair_substitution_keeps_shared_words_shared():
    """PAWS-X pairs differ in word order, not words: drawing each occurrence independently
    turns a shared word into two different ones; per-pair draws keep it shared."""
    example = Example("train-0", "The big cat sat in Paris.", "In Paris the BIG cat sat.", "1", "en")

    def words(text):
        return sorted(p.text.lower() for p in split_words(text, "en") if p.is_word)

    independent_mismatches = 0
    for seed in range(40):
        (pair,) = perturb_examples([example], TABLE, random.Random(seed), "per-pair")
        assert words(pair.sentence1) == words(pair.sentence2)  # the same substitutes in both
        assert pair.sentence2.split()[3] == pair.sentence2.split()[3].upper()  # BIG -> LARGE/HUGE/BIG
        (pair,) = perturb_examples([example], TABLE, random.Random(seed), "independent")
        independent_mismatches += words(pair.sentence1) != words(pair.sentence2)
    assert independent_mismatches > 20
    drawn = {(perturb_examples([example], TABLE, random.Random(seed), "per-pair")[0].sentence1)
             for seed in range(40)}
    assert len(drawn) == 3 * 2 * 2  # big x cat x Paris: every combination still drawn
