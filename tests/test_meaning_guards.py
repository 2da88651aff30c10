"""Perturbations that keep their meaning (issue 16, points 3-4): same-language neighbours,
negations and numbers left alone, per-script typo models."""

import json
import unicodedata

import pytest

from xrobust.attacks.constraints import NoNegations, NoNumberEdits, NoStopwords, violations
from xrobust.attacks.recipes import NEIGHBOURS_MIN_SIMILARITY, RecipeInputs, build_recipe
from xrobust.attacks.text import AttackText, Position
from xrobust.attacks.transformations.typo import Typos
from xrobust.attacks.transformations.typo_cjk import DUBEOLSIK, SMALL_KANA, kana_confusions, kanji_reading
from xrobust.lexicon.negations import WORDS, is_negation
from xrobust.lexicon.numbers import is_number
from xrobust.lexicon.vocabulary import language_vocabulary
from xrobust.tasks import get_task
from conftest import SHARED_DATA, write_tsv

MUSE = {  # (file, lines): MUSE's zh side is traditional; the vocabulary is simplified
    "de-en": "haus house\nhaus home\ngebäude building\nnicht not\nkatze cat\nhund dog\nstraße street\nzwei two\n"
             "hotel hotel\n",
    "en-de": "house haus\nhome heim\nbuilding gebäude\ncat katze\ndog hund\nstreet straße\nnot nicht\n",
    "fr-en": "maison house\nchat cat\nchien dog\nrue street\nbâtiment building\npas not\n",
    "en-fr": "house maison\ncat chat\ndog chien\nstreet rue\nbuilding immeuble\n",
    "zh-en": "貓 cat\n狗 dog\n房子 house\n街道 street\n沒有 not\n三 three\n",
    "en-zh": "cat 貓\ndog 狗\nhouse 房子\nbuilding 建築\n",
}
DATA = {
    "de": [("Das Haus steht nicht in der Straße 12.", "Die Katze wohnt im Gebäude mit zwei Hunden.", "1"),
           ("Der Hund sieht die Katze nicht.", "Im Haus wohnt keine Katze seit 1990.", "0")] * 2,
    "fr": [("La maison ne tient pas dans la rue 12.", "Le chat habite le bâtiment avec deux chiens.", "1"),
           ("Le chien ne voit pas le chat.", "Aucun chat ne vit dans la maison depuis 1990.", "0")] * 2,
    "zh": [("房子不在街道上。", "猫住在有三只狗的建筑里。", "1"), ("狗没有看见猫。", "1990年以来房子里没有猫。", "0")] * 2,
}


@pytest.fixture(scope="module")
def small_resources(tmp_path_factory):
    root = tmp_path_factory.mktemp("guards")
    (root / "resources" / "muse").mkdir(parents=True)
    for name, text in MUSE.items():
        (root / "resources" / "muse" / f"{name}.txt").write_text(text, encoding="utf-8")
    (root / "resources" / "counterfitted_neighbors.json").write_text(json.dumps({"house": ["home"]}))
    for language, rows in DATA.items():
        write_tsv(root / "xtreme" / "pawsx" / f"dev-{language}.tsv", rows)
    return root / "resources", root / "xtreme"


def test_vocabulary_is_the_language_side_without_stopwords_negations_numbers(small_resources):
    resources, data = small_resources
    german = language_vocabulary("de", resources, data)
    assert {"haus", "gebäude", "katze", "straße", "heim"} <= set(german.words)
    assert {"Haus", "Katze"} <= set(german.words)  # data words seen twice
    assert not {"nicht", "zwei", "keine", "1990", "12", "der", "hotel", "maison"} & set(german.words)
    chinese = language_vocabulary("zh", resources, data)
    assert {"猫", "狗", "房子", "建筑"} <= set(chinese.words)  # simplified from MUSE's 貓, 建築
    assert not {"没有", "三", "1990"} & set(chinese.words)


def test_neighbors_greedy_candidates_are_words_of_the_language(small_resources, tiny_pawsx_classifier):
    resources, data = small_resources
    model, tokenizer = tiny_pawsx_classifier
    attack = build_recipe("neighbors-greedy", RecipeInputs(
        model, tokenizer, get_task("pawsx"), "pawsx", ("de", "fr", "zh"), resources, data_dir=data,
        max_candidates=50))
    similarity = [c for c in attack.constraints if type(c).__name__ == "MinSimilarity"]
    assert [c.threshold for c in similarity] == [NEIGHBOURS_MIN_SIMILARITY]  # on by default
    assert {type(c) for c in attack.constraints} >= {NoNegations, NoNumberEdits, NoStopwords}
    offered = 0
    for language, rows in DATA.items():
        vocabulary = {w.lower() for w in language_vocabulary(language, resources, data).words}
        others = {w.lower() for other in DATA if other != language
                  for w in language_vocabulary(other, resources, data).words} - vocabulary
        for row in rows:
            text = AttackText.from_pair(row[0], row[1], language, language)
            for side in ("sentence1", "sentence2"):
                for word in text.words(side):
                    for candidate in attack.transformation.candidates(word, language):
                        offered += 1
                        assert candidate.lower() in vocabulary, (language, word, candidate)
                        assert candidate.lower() not in others
                        assert not is_negation(candidate, language) and not is_number(candidate, language)
    assert offered > 20


def test_neighbors_greedy_never_changes_or_inserts_a_negation_or_number(small_resources, tiny_pawsx_classifier):
    resources, data = small_resources
    model, tokenizer = tiny_pawsx_classifier
    for language, rows in DATA.items():
        attack = build_recipe("neighbors-greedy", RecipeInputs(
            model, tokenizer, get_task("pawsx"), "pawsx", (language,), resources, data_dir=data,
            min_similarity=-1.0, max_words_changed=1.0, max_candidates=10))
        texts = [AttackText.from_pair(a, b, language, language) for a, b, _ in rows]
        protected = [(t, p) for t in texts for p in t.positions()
                     if is_negation(t.word_at(p), language) or is_number(t.word_at(p), language)]
        assert len(protected) >= 4  # every sentence pair holds a negation and a number
        assert not any(all(c.may_change(t, p) for c in attack.constraints) for t, p in protected)
        for text, label in zip(texts, (int(r[2]) for r in rows)):
            result = attack.run(text, label)
            for change in result.perturbed.changes:
                for word in (change.original, change.replacement):
                    assert not is_negation(word, language) and not is_number(word, language), change


def test_number_constraint_refuses_changed_and_inserted_numbers_and_can_be_lifted(tiny_pawsx_classifier):
    text = AttackText.from_pair("Episode 39 aired in May.", "第 39 話は五月に放送された。", "en", "ja")
    guard = NoNumberEdits()
    assert not guard.may_change(text, Position("sentence1", 1))  # 39
    assert guard.may_change(text, Position("sentence1", 0))
    assert violations(text, text.replace(Position("sentence1", 0), "Episode3"), [guard]) == ["NoNumberEdits"]
    assert is_number("五月", "ja") and is_number("第九", "zh") and is_number("zwei", "de") and not is_number("Haus", "de")
    model, tokenizer = tiny_pawsx_classifier
    inputs = RecipeInputs(model, tokenizer, get_task("pawsx"), "pawsx", ("en",), SHARED_DATA)
    assert any(isinstance(c, NoNumberEdits) for c in build_recipe("typo-greedy", inputs).constraints)
    from dataclasses import replace

    lifted = build_recipe("typo-greedy", replace(inputs, edit_numbers=True))
    assert not any(isinstance(c, NoNumberEdits) for c in lifted.constraints)


def test_negation_lists_cover_the_xnli_and_pawsx_languages():
    for language in ("en", "de", "fr", "es", "zh", "ja", "ko", "ar", "bg", "el", "hi", "ru", "sw", "th", "tr",
                     "ur", "vi"):
        assert WORDS[language], language
    assert is_negation("keinen", "de") and is_negation("doesn't", "en") and is_negation("不是", "zh")
    assert is_negation("하지않았다", "ko") and is_negation("行かない", "ja") and not is_negation("Haus", "de")


# Typo models per script: a Chinese, a Japanese and a Korean sentence with numbers.
SENTENCES = {"zh": "第 39 话讲的是一个国家的历史。", "ja": "第 39 話はコンピューターのがっこうで放送された。",
             "ko": "제 39 화는 학교에서 방송되었다."}


@pytest.fixture(scope="module")
def typos(tiny_pawsx_classifier):
    _, tokenizer = tiny_pawsx_classifier
    return Typos.for_tokenizer(tokenizer, max_candidates=40, seed=0)


def _candidates(typos, language):
    text = AttackText.from_pair(SENTENCES[language], "x", language, "en")
    guard = NoNumberEdits()
    found = []
    for position in text.positions():
        if position.side != "sentence1" or not guard.may_change(text, position):
            continue
        word = text.word_at(position)
        changed = [text.replace(position, c) for c in typos.candidates(word, language)]
        found += [(word, t.changes[0].replacement) for t, ok in zip(changed, guard.accepts(text, changed)) if ok]
    return found


def _toneless(char):
    from pypinyin import Style, pinyin

    return set(pinyin(char, style=Style.NORMAL, heteronym=True)[0])


def test_chinese_typos_share_a_pinyin_and_change_no_number(typos):
    from xrobust.attacks.transformations.typo_cjk import near_pinyin

    found = _candidates(typos, "zh")
    assert len(found) > 20
    for word, candidate in found:
        assert len(word) == len(candidate) and not any(c.isdigit() for c in candidate)
        changed = [(a, b) for a, b in zip(word, candidate) if a != b]
        assert len(changed) == 1, (word, candidate)
        (original, replacement), = changed
        readings = _toneless(original)
        near = {n for r in readings for n in near_pinyin(r)}
        assert _toneless(replacement) & (readings | near), (word, candidate)
    same = sum(bool(_toneless(a) & _toneless(b)) for w, c in found for a, b in zip(w, c) if a != b)
    assert same >= len(found) // 2  # same-reading characters come first


def test_japanese_typos_are_kana_confusions_or_same_reading_kanji(typos):
    found = _candidates(typos, "ja")
    assert len(found) > 10
    kinds = set()
    for word, candidate in found:
        assert "39" not in candidate
        if len(candidate) != len(word):  # a long vowel mark dropped or added
            assert candidate.replace("ー", "") == word.replace("ー", ""), (word, candidate)
            kinds.add("long")
            continue
        (original, replacement), = [(a, b) for a, b in zip(word, candidate) if a != b]
        if unicodedata.name(original).startswith("CJK"):
            assert kanji_reading(replacement) == kanji_reading(original), (word, candidate)
            kinds.add("kanji")
        else:
            assert replacement in kana_confusions(original), (word, candidate)
            kinds.add("small" if original in SMALL_KANA else "dakuten")
    assert kinds == {"long", "kanji", "small", "dakuten"}


def test_korean_typos_replace_one_jamo_by_a_dubeolsik_neighbour(typos):
    from jamo import h2j, j2hcj

    found = _candidates(typos, "ko")
    assert len(found) > 10
    for word, candidate in found:
        assert "39" not in candidate
        (original, replacement), = [(a, b) for a, b in zip(word, candidate) if a != b]
        before, after = j2hcj(h2j(original)), j2hcj(h2j(replacement))
        assert len(before) == len(after)
        (key, typed), = [(a, b) for a, b in zip(before, after) if a != b]
        assert typed in DUBEOLSIK[key], (word, candidate)


def test_codepoint_model_is_an_option_not_the_default():
    assert "囼" not in Typos(max_candidates=200).candidates("国", "zh")
    assert "囼" in Typos(max_candidates=200, model="codepoint").candidates("国", "zh")
