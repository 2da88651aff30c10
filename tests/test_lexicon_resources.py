"""Stopwords from stopwordsiso, and MUSE look-ups across Chinese scripts (OpenCC)."""

import pytest
import stopwordsiso

from xrobust.attacks.transformations.codeswitch import CodeSwitch
from xrobust.lexicon.bilingual import BilingualLexicon, read_muse_file
from xrobust.lexicon.stopwords import is_stopword, stopwords_for


@pytest.fixture
def muse_dir(tmp_path):
    """Tiny MUSE files written like the real ones: the zh side in traditional characters."""
    folder = tmp_path / "muse"
    folder.mkdir()
    (folder / "zh-en.txt").write_text("發展 development\n頭髮 hair\n發 send\n髮 hair\n", encoding="utf-8")
    (folder / "en-zh.txt").write_text("development 發展\nhair 頭髮\n", encoding="utf-8")
    (folder / "en-de.txt").write_text("development Entwicklung\n", encoding="utf-8")
    (folder / "de-en.txt").write_text("entwicklung development\n", encoding="utf-8")
    return folder


def test_stopwords_come_from_stopwordsiso():
    for language in ("en", "de", "zh", "ja", "th", "sw", "ur"):
        assert stopwords_for(language) == {w.lower() for w in stopwordsiso.stopwords(language)}
    assert is_stopword("Der", "de") and is_stopword("的", "zh") and is_stopword("ไม่", "th")
    assert not is_stopword("Katze", "de") and not is_stopword("帐篷", "zh")
    assert stopwords_for("xx") == frozenset()  # no list: every word may change


def test_simplified_words_find_traditional_dictionary_entries(muse_dir):
    assert "发展" not in read_muse_file(muse_dir / "zh-en.txt")  # as written, the file only knows 發展
    lexicon = BilingualLexicon.load(muse_dir, {("zh", "en")})
    assert lexicon.translations("发展", "zh", "en") == ["development"]
    assert lexicon.translations("發展", "zh", "en") == ["development"]  # traditional text still works
    assert lexicon.translations("发", "zh", "en") == ["send", "hair"]  # 發 and 髮 both simplify to 发


def test_chinese_translations_are_written_in_the_task_script(muse_dir):
    simplified = BilingualLexicon.load(muse_dir, {("en", "zh")})
    assert simplified.translations("development", "en", "zh") == ["发展"]
    assert simplified.translations("hair", "en", "zh") == ["头发"]
    traditional = BilingualLexicon.load(muse_dir, {("en", "zh")}, chinese_script="traditional")
    assert traditional.translations("hair", "en", "zh") == ["頭髮"]
    pivot = BilingualLexicon.load(muse_dir, {("de", "en"), ("en", "zh")})
    assert pivot.translations("Entwicklung", "de", "zh") == ["发展"]


def test_codeswitch_reaches_multi_character_chinese_words(muse_dir):
    # Before segmentation a two-character word was two words: never a single-word candidate.
    into_chinese = CodeSwitch.load(muse_dir, ["en"], ["zh", "de"])
    assert into_chinese.candidates("development", "en") == ["发展", "Entwicklung"]
    out_of_chinese = CodeSwitch.load(muse_dir, ["zh"], ["en"])
    assert out_of_chinese.candidates("发展", "zh") == ["development"]
