"""muse-pivot: synonyms through English with a consistency rule; substitutions in German come
from the German side of the source; synonym recipes accept every MUSE language with it."""

import json
import random
from pathlib import Path

import pytest

from xrobust.attacks.recipes import check_recipe_languages
from xrobust.attacks.transformations.synonym import SynonymSwap
from xrobust.errors import UserError
from xrobust.lexicon.bilingual import BilingualLexicon
from xrobust.lexicon.muse_pivot import pivot_synonyms
from xrobust.lexicon.synonym_sources import load_synonyms
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.lexicon.words import split_words
from xrobust.robust.augment import perturb_examples
from xrobust.robust.settings import SubstitutionRule
from xrobust.tasks import Example

DE_EN = """katze cat
katze kitty
kater tomcat
kater cat
mieze kitty
mieze pussy
schnell fast
schnell quick
rasch quick
flink nimble
die the
cats cats
2010 2010
unterhaltung chat
rob rob
ausrauben rob
berauben rob
"""
EN_DE = """cat katze
cat kater
kitty mieze
kitty katze
fast schnell
quick rasch
quick schnell
nimble flink
swift flink
the die
cats cats
chat unterhaltung
2010 2010
rob ausrauben
rob berauben
"""
NEIGHBOURS = {"cat": ["cats", "chat"], "fast": ["swift", "quick"], "quick": ["fast", "swift"], "the": ["a"]}


@pytest.fixture
def resources(tmp_path) -> Path:
    (tmp_path / "muse").mkdir()
    (tmp_path / "muse" / "de-en.txt").write_text(DE_EN, encoding="utf-8")
    (tmp_path / "muse" / "en-de.txt").write_text(EN_DE, encoding="utf-8")
    (tmp_path / "counterfitted_neighbors.json").write_text(json.dumps(NEIGHBOURS))
    return tmp_path


def test_consistency_rules_keep_what_muse_agrees_on(resources):
    lexicon = BilingualLexicon.load(resources / "muse", {("de", "en"), ("en", "de")})
    english = SynonymTable(NEIGHBOURS)
    shared, stats = pivot_synonyms("de", lexicon, english, "shared-translation")
    # katze and kater share "cat", katze and mieze "kitty"; "unterhaltung" comes only through the
    # neighbour cat -> chat and shares no translation; "cats" is English listed as its own translation
    assert shared["katze"] == ["kater", "mieze"]
    assert shared["schnell"] == ["rasch"] and "flink" not in shared["schnell"]
    assert "die" not in shared and "2010" not in shared  # stopwords and numbers are never keys
    # "rob" is listed as its own translation: a name (Rob) or English in German text, never pivoted
    assert "rob" not in shared and shared["ausrauben"] == ["berauben"]
    loose, _ = pivot_synonyms("de", lexicon, english, "back-translation")
    assert loose["katze"] == ["kater", "mieze", "unterhaltung"]  # its sense is a neighbour's (cat -> chat)
    assert loose["schnell"] == ["rasch"]  # flink (via fast -> swift) mainly means nimble: dropped by both
    assert stats.candidates_kept < stats.candidates_before_rule
    assert all("cats" not in words for table in (shared, loose) for words in table.values())


def test_every_substitution_in_german_comes_from_the_german_side(resources):
    synonyms = load_synonyms(("muse-pivot",), ["de", "en"], resources=resources)
    assert synonyms.table_for("en") is None  # muse-pivot does not cover English
    german_side = set(DE_EN.split()[::2])
    table = synonyms.table_for("de")
    examples = [Example("dev-1", "die katze ist schnell", "die kater ist rasch", "1", "de")]
    changed = 0
    for seed in range(40):
        (out,) = perturb_examples(examples, synonyms, random.Random(seed), SubstitutionRule())
        for before, after in ((examples[0].sentence1, out.sentence1), (examples[0].sentence2, out.sentence2)):
            for a, b in zip(split_words(before, "de"), split_words(after, "de")):
                if a.text != b.text:
                    changed += 1
                    assert b.text in table.exact(a.text) and b.text in german_side
    assert changed > 40


def test_synonym_recipes_take_every_muse_language_with_muse_pivot(resources):
    check_recipe_languages("synonym-greedy", ("de", "fr", "es", "ja"), (), ("muse-pivot",))
    with pytest.raises(UserError, match="covers de"):
        check_recipe_languages("synonym-greedy", ("en", "de"), ())
    swap = SynonymSwap(load_synonyms(("muse-pivot",), ["de"], resources=resources), max_candidates=5)
    assert swap.candidates("Katze", "de") == ["Kater", "Mieze"] and swap.candidates("katze", "fr") == []


def test_exported_table_reads_back_as_its_language(resources, tmp_path, capsys, monkeypatch):
    from xrobust.cli import main

    monkeypatch.setenv("XROBUST_RESOURCES", str(resources))
    out = tmp_path / "de.json"
    assert main(["lexicon", "synonyms", "--source", "muse-pivot", "--language", "de", "--output", str(out)]) == 0
    table = SynonymTable.load(out, source=str(out))
    assert table.language == "de" and table.exact("katze") == ["kater", "mieze"]
    assert main(["lexicon", "synonyms", "--source", "counter-fitted", "--language", "de", "--output",
                 str(tmp_path / "x.json")]) == 2
    assert "no synonym source covers de (muse-pivot or encoder-neighbours covers it" in capsys.readouterr().err
