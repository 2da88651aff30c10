"""Word segmentation: spaced scripts by rule, unspaced scripts (zh, ja, th, ...) by ICU's
dictionaries; pieces always join back to the original string byte for byte."""

import pytest

from xrobust.attacks.text import AttackText, Position
from xrobust.lexicon.words import join, split_words, word_indices


def words(text: str, language: str) -> list[str]:
    pieces = split_words(text, language)
    assert join(pieces).encode("utf-8") == text.encode("utf-8")  # lossless, byte for byte
    return [p.text for p in pieces if p.is_word]


# Real dev sentences (XNLI zh and th, PAWS-X ja) with their word boundaries.
@pytest.mark.parametrize("language, text, expected", [
    ("zh", "他们生活在大街上的一个帐篷里。", "他们|生活|在|大街|上|的|一个|帐篷|里"),
    ("zh", "我试图理解。", "我|试图|理解"),
    ("ja", "この島はごつごつとした急斜面が続き、土がほとんどない。",
     "この|島|は|ごつごつ|と|した|急斜面|が|続き|土|が|ほとんど|ない"),
    ("ja", "マニプルは、ウクルル州の観光スポットでもあります。",
     "マニプル|は|ウクルル|州|の|観光|スポット|でも|あり|ます"),
    ("th", "ฉันไม่เคยมีงานทำ", "ฉัน|ไม่|เคย|มี|งาน|ทำ"),
    ("th", "คุณสามารถออกไปได้", "คุณ|สามารถ|ออก|ไป|ได้"),
])
def test_unspaced_scripts_split_into_dictionary_words(language, text, expected):
    assert words(text, language) == expected.split("|")


def test_punctuation_between_unspaced_words_is_not_a_word():
    pieces = split_words("我试图理解。", "zh")
    assert [(p.text, p.is_word) for p in pieces][-2:] == [("理解", True), ("。", False)]


def test_mixed_scripts_in_one_sentence():
    text = "Он сказал «我爱北京» and left, ฉันไม่เห็น! 私はiPhone 15を東京で"
    expected = ["Он", "сказал", "我", "爱", "北京", "and", "left", "ฉัน", "ไม่", "เห็น",
                "私", "は", "iPhone", "15", "を", "東京", "で"]
    assert words(text, "en") == expected  # chosen by script: the same in any language
    assert words(text, "ja") == expected


def test_characters_outside_the_basic_plane_keep_positions():
    # icu4py reports UTF-16 offsets; a Han Extension B character (two UTF-16 units) before
    # a word would shift every later boundary if those offsets were used as Python indices.
    assert words("𠀋我爱😀北京", "zh") == ["𠀋", "我", "爱", "北京"]


def test_spaced_scripts_keep_the_rules():
    assert words("Don't stop the well-known cat's party.", "en") == ["Don't", "stop", "the", "well-known",
                                                                      "cat's", "party"]
    assert words("저는 학교에 갑니다.", "ko") == ["저는", "학교에", "갑니다"]  # particles stay attached
    assert words("नमस्ते दुनिया", "hi") == ["नमस्ते", "दुनिया"]  # vowel signs stay in words


def test_attack_text_replaces_a_whole_chinese_word():
    text = AttackText.from_pair("他们生活在大街上的一个帐篷里。", "我试图理解。", "zh", "zh")
    assert text.word_count() == 9 + 3
    assert word_indices(list(text.pieces["sentence1"]))[:2] == [0, 1]
    changed = text.replace(Position("sentence1", 3), "马路")
    assert changed.pair()[0] == "他们生活在马路上的一个帐篷里。"
    assert [(c.original, c.replacement) for c in changed.changes] == [("大街", "马路")]
