"""Attack parts on their own: transformations, constraints, dictionaries, the resumable jsonl."""

import json

import pytest
import torch

from xrobust.attacks.constraints import MaxWordsChanged, MinSimilarity, ModifiableSides, NoStopwords, violations
from xrobust.attacks.runner import read_finished
from xrobust.attacks.text import AttackText, Position
from xrobust.attacks.transformations.codeswitch import CodeSwitch
from xrobust.attacks.transformations.neighbors import EmbeddingNeighbours
from xrobust.attacks.transformations.synonym import SynonymSwap
from xrobust.attacks.transformations.typo import Typos
from xrobust.errors import UserError
from xrobust.lexicon.bilingual import BilingualLexicon, pairs_needed
from xrobust.lexicon.stopwords import is_stopword
from xrobust.lexicon.synonyms import SynonymTable


@pytest.fixture
def muse_dir(tmp_path):
    folder = tmp_path / "muse"
    folder.mkdir()
    (folder / "en-de.txt").write_text("cat Katze\ncat Kater\ndog Hund\n", encoding="utf-8")
    (folder / "en-fr.txt").write_text("cat chat\ndog chien\n", encoding="utf-8")
    (folder / "de-en.txt").write_text("katze cat\nhund dog\n", encoding="utf-8")
    return folder


def test_attack_text_replace_keeps_punctuation_and_records_first_original():
    text = AttackText.from_pair("The cat, sat.", "Er kam.", "en", "de")
    once = text.replace(Position("sentence1", 1), "dog")
    twice = once.replace(Position("sentence1", 1), "fox")
    assert twice.pair() == ("The fox, sat.", "Er kam.")
    assert [(c.original, c.replacement) for c in twice.changes] == [("cat", "fox")]
    assert twice.replace(Position("sentence1", 1), "cat").changes == ()  # back to the original: no change
    assert text.word_count() == 5 and once.fraction_changed() == pytest.approx(1 / 5)


def test_codeswitch_interleaves_languages_and_pivots_through_english(muse_dir):
    pairs = pairs_needed(["en"], ["de", "fr"])
    assert pairs == {("en", "de"), ("en", "fr")}
    switch = CodeSwitch(BilingualLexicon.load(muse_dir, pairs), ("de", "fr"), max_candidates=3)
    assert switch.candidates("Cat", "en") == ["Katze", "Chat", "Kater"]  # rank by rank, case restored
    assert pairs_needed(["de"], ["fr"]) == {("de", "en"), ("en", "fr")}
    pivot = CodeSwitch.load(muse_dir, ["de"], ["fr", "en"])
    assert pivot.candidates("Hund", "de") == ["Chien", "Dog"]
    with pytest.raises(UserError, match="sw"):
        CodeSwitch.load(muse_dir, ["sw"], ["en"])
    with pytest.raises(UserError, match="en-es.txt: MUSE dictionary not found"):
        CodeSwitch.load(muse_dir, ["en"], ["es"])


def test_synonyms_restore_case_and_only_cover_english():
    swap = SynonymSwap(SynonymTable({"good": ["fine", "nice", "good", "not bad"]}), max_candidates=5)
    assert swap.candidates("Good", "en") == ["Fine", "Nice"]  # itself and two-word entries dropped
    assert swap.candidates("good", "de") == []


def test_typos_are_deterministic_single_words_in_any_script():
    for word, language in [("house", "en"), ("Straße", "de"), ("дом", "ru"), ("नमस्ते", "hi"), ("สวัสดี", "th")]:
        first = Typos(max_candidates=6, seed=1).candidates(word, language)
        assert first == Typos(max_candidates=6, seed=1).candidates(word, language)
        assert 0 < len(first) <= 6 and word not in first
    hindi = Typos(max_candidates=50).candidates("नमस्ते", "hi")
    assert "नमस्ते"[1:] in hindi  # deleting the first grapheme keeps the rest intact
    assert "hоuse" in Typos(max_candidates=200).candidates("house", "en")  # Cyrillic о homoglyph
    assert "hiuse" in Typos(max_candidates=200).candidates("house", "en")  # o -> i on the keyboard


def test_embedding_neighbours_come_from_the_language_vocabulary_nearest_first(tiny_pawsx_classifier):
    model, tokenizer = tiny_pawsx_classifier
    vocabularies = {"en": ["home", "building", "дом", "street", "car", "House"], "ru": ["квартира", "улица", "house"],
                    "zh": ["猫", "狗", "鸟", "房子"]}
    neighbours = EmbeddingNeighbours.from_model(model, tokenizer, vocabularies, max_candidates=5)
    # Only the vocabulary's words of the word's script, never the word itself in another case.
    assert set(neighbours.candidates("house", "en")) == {"home", "building", "street", "car"}
    assert set(neighbours.candidates("дом", "ru")) == {"квартира", "улица"}  # same script only
    assert set(neighbours.candidates("猫", "zh")) == {"狗", "鸟"}  # as many characters as the word
    assert neighbours.candidates("house", "de") == []  # no vocabulary, no candidates
    # Nearest first: the mean of the pieces' input vectors, cosine.
    table = model.word_embeddings().weight.detach()

    def vector(word):
        ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        return torch.nn.functional.normalize(table[ids].mean(0), dim=0)

    ranked = sorted(["home", "building", "street", "car"], key=lambda w: -float(vector(w) @ vector("house")))
    assert neighbours.candidates("house", "en") == ranked


def test_position_constraints():
    text = AttackText.from_pair("the cat sat on a mat", "dogs run fast", "en", "en")  # 9 words
    limit = MaxWordsChanged(0.25)
    assert limit.limit(text) == 2
    two = text.replace(Position("sentence1", 1), "dog").replace(Position("sentence1", 2), "lay")
    assert not limit.may_change(two, Position("sentence1", 5)) and limit.may_change(two, Position("sentence1", 1))
    three = two.replace(Position("sentence1", 5), "rug")
    assert violations(text, three, [limit]) == ["MaxWordsChanged"]
    assert not NoStopwords().may_change(text, Position("sentence1", 0))  # "the"
    assert violations(text, text.replace(Position("sentence1", 3), "in"), [NoStopwords()]) == ["NoStopwords"]
    sides = ModifiableSides(("sentence2",))
    assert violations(text, two, [sides]) == ["ModifiableSides"]
    with pytest.raises(UserError, match="--sides"):
        ModifiableSides(("sentence3",))
    assert is_stopword("Der", "de") and not is_stopword("Katze", "de") and not is_stopword("and", "ko")


def test_min_similarity_is_batched_cosine_under_the_encoder(tiny_pawsx_classifier):
    model, tokenizer = tiny_pawsx_classifier
    text = AttackText.from_pair("the cat sat on the mat", "a dog", "en", "en")
    changed = [text.replace(Position("sentence1", 1), w) for w in ("dog", "house", "Paris")]
    check = MinSimilarity(model, tokenizer, 0.0, batch_size=2)
    similarities = check.similarities(text, changed + [text])
    one_by_one = [MinSimilarity(model, tokenizer, 0.0, batch_size=1).similarities(text, [t])[0] for t in changed]
    assert similarities[:3] == pytest.approx(one_by_one, abs=1e-5)
    assert similarities[3] == 1.0 and all(s < 0.9999 for s in similarities[:3])
    strict = MinSimilarity(model, tokenizer, max(similarities[:3]) - 1e-4)
    assert strict.accepts(text, changed) == [s >= strict.threshold for s in similarities[:3]]
    assert sum(strict.accepts(text, changed)) == 1


def test_read_finished_drops_a_torn_last_line_and_rejects_a_bad_middle_line(tmp_path):
    path = tmp_path / "a.jsonl"
    good = json.dumps({"id": "dev-1"}) + "\n" + json.dumps({"id": "dev-2"}) + "\n"
    path.write_text(good + '{"id": "dev-3", "orig', encoding="utf-8")
    assert [r["id"] for r in read_finished(path)] == ["dev-1", "dev-2"]
    assert path.read_text(encoding="utf-8") == good  # cut back to the last whole line
    path.write_text(good + json.dumps({"id": "dev-3"}), encoding="utf-8")  # complete JSON, newline missing
    assert [r["id"] for r in read_finished(path)] == ["dev-1", "dev-2"]
    path.write_text('{"id": "dev-1"}\nnot json\n{"id": "dev-2"}\n', encoding="utf-8")
    with pytest.raises(UserError, match="a.jsonl:2"):
        read_finished(path)


def test_sides_tokenized_once_give_the_ids_of_the_pair_call(tiny_pawsx_classifier):
    from xrobust.attacks.scoring import ExampleCache

    _, tokenizer = tiny_pawsx_classifier
    pairs = [("The cat sat on the mat, quietly.", "Die Katze saß auf der Matte."),
             ("猫が座った。" * 5, "A very long second sentence " * 6), ("x", "y")]
    for max_length in (128, 12):  # 12: truncation (longest first) cuts most pairs
        cache = ExampleCache(tokenizer, max_length)
        rows = cache.encode_pairs(pairs)
        expected = tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation="longest_first",
                             max_length=max_length)["input_ids"]
        assert [list(ids) for ids, _ in rows] == expected
        assert cache.encode_pairs(pairs) == rows  # again from the per-sentence cache
        single = tokenizer([a for a, _ in pairs], truncation=True, max_length=max_length)["input_ids"]
        assert [list(ids) for ids, _ in cache.encode_sentences([a for a, _ in pairs])] == single
    assert len(cache.words) == 6


def test_repeated_queries_count_but_are_scored_once(tiny_pawsx_classifier):
    from xrobust.attacks.attack import SearchProblem
    from xrobust.attacks.goal import MisclassifyGoal, QueryBudget
    from xrobust.attacks.scoring import ExampleCache, ModelRunner, drive

    model, tokenizer = tiny_pawsx_classifier
    runner = ModelRunner(model, tokenizer, "pawsx", batch_size=4)
    text = AttackText.from_pair("the cat sat on the mat", "a dog", "en", "en")
    other = text.replace(Position("sentence1", 1), "dog")
    problem = SearchProblem(text, 0, MisclassifyGoal(runner), None, [], QueryBudget(4), ExampleCache(tokenizer, 128))
    first = drive(problem.score([text, other, text]), runner)
    assert (problem.budget.used, runner.rows_scored, runner.forward_passes) == (3, 2, 1)
    assert first[0] == first[2]  # the same cached logits: an exact tie
    again = drive(problem.score([other, text]), runner)  # one query left in the budget
    assert [r.text for r in again] == [other] and again[0] == first[1]
    assert (problem.budget.used, runner.rows_scored) == (4, 2)  # counted, not scored again
    assert drive(problem.score([text]), runner) == [] and problem.budget.used == 4


def test_scores_are_rounded_so_padding_noise_cannot_break_ties():
    from xrobust.attacks.attack import best_of
    from xrobust.attacks.goal import goal_result

    text = AttackText.from_pair("a b", "c", "en", "en")
    others = [text.replace(Position("sentence1", 0), w) for w in ("x", "y")]
    noisy = [torch.tensor([0.3, -0.2]), torch.tensor([0.3, -0.2 + 1e-6])]  # noise of another pass
    results = [goal_result(t, logits, gold=0) for t, logits in zip(others, noisy)]
    assert results[0].score == results[1].score == round(results[0].score, 5)
    assert best_of(results).text == others[0]  # the tie goes to the earlier candidate
    clearly = goal_result(others[1], torch.tensor([0.3, -0.19]), gold=0)
    assert best_of(results[:1] + [clearly]).text == others[1]  # a real difference still counts
    even = goal_result(text, torch.tensor([0.25, 0.25 + 1e-6]), gold=1)  # equal after rounding
    assert (even.prediction, even.succeeded) == (0, True)  # the lowest class index wins the tie
