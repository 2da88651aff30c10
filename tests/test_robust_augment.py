"""RS-DA: the published rule substitutes what Robust-XLT's perturb.py substitutes; the
case-insensitive rule changes words in any case and restores it; both sample every neighbour
uniformly; a copy is a pure function of (seed, task, copy number, epoch)."""

import collections
import random

from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import split_words
from xrobust.robust.augment import augmented_copies, copy_rng, perturb_examples, substitute_synonyms
from xrobust.robust.settings import SubstitutionRule
from xrobust.tasks import Example

TABLE = SynonymTable({"big": ["large", "huge"], "cat": ["kitten"], "Paris": ["Lyon"]})
ANY_CASE = SubstitutionRule(lookup="case-insensitive")
ANY_CASE_PER_PAIR = SubstitutionRule(lookup="case-insensitive", draw="per-pair")


def substituted(text, rng, rule=ANY_CASE, language="en"):
    return substitute_synonyms(text, TABLE, rng, rule, language).text


def test_only_table_words_change_and_punctuation_stays():
    text = "The big cat, (really!) sat near Paris..."
    rng = random.Random(0)
    for _ in range(200):
        out = substituted(text, rng)
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
    seen = {substituted("BIG Cat", rng) for _ in range(200)}
    assert seen == {"BIG Cat", "LARGE Cat", "HUGE Cat", "BIG Kitten", "LARGE Kitten", "HUGE Kitten"}


def test_every_choice_is_drawn_uniformly():
    rng = random.Random(2)
    counts = collections.Counter(substituted("big", rng) for _ in range(3000))
    assert set(counts) == {"big", "large", "huge"}
    for word in counts:  # 1000 expected each; 5 standard deviations is about +-130
        assert 850 < counts[word] < 1150, counts


def test_each_word_is_drawn_independently():
    rng = random.Random(3)
    outs = [substituted("big big", rng).split() for _ in range(900)]
    assert sum(a != b for a, b in outs) > 450  # independent draws differ 2/3 of the time


def test_words_without_neighbours_and_other_scripts_are_kept():
    rng = random.Random(4)
    assert substituted("Der Hund bellt.", rng, language="de") == "Der Hund bellt."
    assert substituted("", rng) == "" and substituted("", rng, SubstitutionRule()) == ""


def test_copies_depend_only_on_seed_task_copy_and_epoch():
    examples = [Example(f"train-{i}", "The big cat sat.", "A big cat sat in Paris.", "1", "en") for i in range(4)]
    numbers = list(range(40))

    def copies(seed=7, task="pawsx", epoch=1, numbers=numbers):
        return augmented_copies(examples, TABLE, ANY_CASE, seed, task, numbers, epoch)

    first = copies()
    assert copies() == first
    assert copies(epoch=2) != first and copies(seed=8) != first and copies(task="xnli") != first
    assert copies(numbers=numbers[::-1]) == first[::-1]  # a copy does not depend on its pool or position
    assert [e.id for e in first] == [examples[c % 4].id for c in numbers] and {e.label for e in first} == {"1"}
    assert len({(e.sentence1, e.sentence2) for e in first}) > 5  # copies of one example differ
    # Static copies (epoch None) are the same in every epoch and differ from any epoch's draws.
    static = copies(epoch=None)
    assert static == copies(epoch=None) and static != first


def test_per_pair_substitution_keeps_shared_words_shared():
    """PAWS-X pairs differ in word order, not words: drawing each occurrence independently
    turns a shared word into two different ones; per-pair draws keep it shared."""
    example = Example("train-0", "The big cat sat in Paris.", "In Paris the BIG cat sat.", "1", "en")

    def words(text):
        return sorted(p.text.lower() for p in split_words(text, "en") if p.is_word)

    independent_mismatches = 0
    for seed in range(40):
        (pair,) = perturb_examples([example], TABLE, random.Random(seed), ANY_CASE_PER_PAIR)
        assert words(pair.sentence1) == words(pair.sentence2)  # the same substitutes in both
        assert pair.sentence2.split()[3] == pair.sentence2.split()[3].upper()  # BIG -> LARGE/HUGE/BIG
        (pair,) = perturb_examples([example], TABLE, random.Random(seed), ANY_CASE)
        independent_mismatches += words(pair.sentence1) != words(pair.sentence2)
    assert independent_mismatches > 20
    drawn = {(perturb_examples([example], TABLE, random.Random(seed), ANY_CASE_PER_PAIR)[0].sentence1)
             for seed in range(40)}
    assert len(drawn) == 3 * 2 * 2  # big x cat x Paris: every combination still drawn


# The published rule (Robust-XLT's perturb.py), on a fixture whose keys are lower-case as in
# the counter-fitted table: capitalised tokens and tokens with punctuation attached are not keys.
PUBLISHED_TABLE = SynonymTable({"big": ["large", "huge"], "cat": ["kitten"], "sat": ["sit", "seated", "perched"],
                                "green": ["verdant"], "war": ["warfare"], "jr": ["junior"], "mat": []})
PUBLISHED_TEXT = "The big cat sat on the mat. Green , a big war, Jr. and Mr. Big sat  here cat"


def perturb_py(text, neighbours):
    """Which tokens perturb.py can change: `sentence.split(' ')`, exact look-up, non-empty lists."""
    return [bool(neighbours.get(word)) for word in text.split(" ")]


def test_published_rule_changes_only_what_perturb_py_changes():
    neighbours = {"big": ["large", "huge"], "cat": ["kitten"], "sat": ["sit", "seated", "perched"],
                  "green": ["verdant"], "war": ["warfare"], "jr": ["junior"], "mat": []}
    changeable = perturb_py(PUBLISHED_TEXT, neighbours)
    rng = random.Random(5)
    changed_somewhere = [False] * len(changeable)
    for _ in range(300):
        out = substitute_synonyms(PUBLISHED_TEXT, PUBLISHED_TABLE, rng)
        tokens, perturbed = PUBLISHED_TEXT.split(" "), out.text.split(" ")
        assert len(tokens) == len(perturbed)  # spaces (double ones too) exactly where they were
        assert out.substitutable == sum(changeable)
        for i, (a, b) in enumerate(zip(tokens, perturbed)):
            if a != b:
                assert changeable[i] and b in neighbours[a]
                changed_somewhere[i] = True
            if a[:1].isupper() or (a and not a.isalnum()):
                assert a == b  # capitalised and punctuated tokens ("Green", "war,", "Jr.", "mat.") never change
    assert changed_somewhere == changeable  # and every changeable token did change at some point


def test_published_rule_changes_the_expected_share_of_substitutable_tokens():
    """A token with n neighbours changes with probability n / (n + 1)."""
    rng = random.Random(6)
    draws = 4000
    changed = collections.Counter()
    for _ in range(draws):
        out = substitute_synonyms("big cat sat", PUBLISHED_TABLE, rng).text.split(" ")
        changed.update(word for word, original in zip(out, ("big", "cat", "sat")) if word != original and word)
        changed["big-token"] += out[0] != "big"
        changed["cat-token"] += out[1] != "cat"
        changed["sat-token"] += out[2] != "sat"
    for token, n in (("big", 2), ("cat", 1), ("sat", 3)):
        p = n / (n + 1)
        sd = (p * (1 - p) / draws) ** 0.5
        assert abs(changed[f"{token}-token"] / draws - p) < 5 * sd, (token, changed)


def test_published_rule_per_pair_keeps_shared_tokens_shared():
    example = Example("train-0", "the big cat sat", "big cat sat there", "1", "en")
    rule = SubstitutionRule(draw="per-pair")
    for seed in range(30):
        (pair,) = perturb_examples([example], PUBLISHED_TABLE, random.Random(seed), rule)
        assert pair.sentence1.split(" ")[1:] == pair.sentence2.split(" ")[:3]


def test_unspaced_scripts_are_split_into_words_under_the_published_rule():
    table = SynonymTable({"猫": ["貓"]}, language="zh")
    rng = random.Random(7)
    outs = {substitute_synonyms("一只猫。", table, rng, SubstitutionRule(), "zh").text for _ in range(50)}
    assert outs == {"一只猫。", "一只貓。"}  # a space-delimited token would be the whole sentence
    # In another language the table is not looked up at all: nothing changes.
    assert substitute_synonyms("一只猫。", table, rng, SubstitutionRule(), "en").text == "一只猫。"


def test_a_table_changes_only_words_of_its_own_language():
    # German words that are keys of the English table by spelling ("die" -> died, "hat" -> sombrero)
    english = SynonymTable({"die": ["died", "death"], "hat": ["sombrero"], "cat": ["kitten"]})
    german = "die Katze hat die Maus"
    for seed in range(50):
        rng = random.Random(seed)
        assert substitute_synonyms(german, english, rng, SubstitutionRule(), "de").text == german
    outs = {substitute_synonyms("the cat hat", english, random.Random(s), SubstitutionRule(), "en").text
            for s in range(50)}
    assert outs == {"the cat hat", "the kitten hat", "the cat sombrero", "the kitten sombrero"}


def test_generalized_pairs_look_each_sentence_up_in_its_own_language():
    from xrobust.lexicon.synonym_sources import SynonymLexicon
    from xrobust.robust.augment import is_perturbable, perturbable_by_language

    lexicon = SynonymLexicon({"en": SynonymTable({"die": ["perish"]}),
                              "de": SynonymTable({"katze": ["kater"]}, "de", "muse-pivot")})
    pair = Example("dev-1", "die katze", "die katze", "1", "de-en")  # sentence1 German, sentence2 English
    seen1, seen2 = set(), set()
    for seed in range(60):
        (out,) = perturb_examples([pair], lexicon, random.Random(seed), SubstitutionRule())
        seen1.add(out.sentence1)
        seen2.add(out.sentence2)
    assert seen1 == {"die katze", "die kater"} and seen2 == {"die katze", "perish katze"}
    assert is_perturbable(pair, lexicon) and not is_perturbable(Example("x", "katze", "katze", "1", "fr"), lexicon)
    counts = perturbable_by_language([pair, Example("x", "katze", "hund", "1", "de"),
                                      Example("y", "maus", "hund", "1", "de")], lexicon)
    assert counts == {"de-en": {"examples": 1, "perturbable": 1}, "de": {"examples": 2, "perturbable": 1}}


def test_legacy_rs_da_config_keeps_its_case_insensitive_rule():
    from xrobust.training.config import TrainConfig

    old = TrainConfig.from_dict({"task": "pawsx", "method": "rs-da"}, "config.json")
    assert old.synonym_lookup == "case-insensitive"
    assert TrainConfig(task="pawsx", method="rs-da").synonym_lookup == "published"
    assert TrainConfig.from_dict({"task": "pawsx"}, "config.json").synonym_lookup == "published"
