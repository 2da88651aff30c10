"""Synonym substitution knows the language of each sentence: rs-da in a stage that mixes
English and German pairs changes no German word with the English table, and records per
language how many pairs it could perturb; sources declare their languages; commands asking
for synonyms in an uncovered language stop at once."""

import json
import subprocess
import sys
import time

import pytest

from conftest import write_tsv
from xrobust.cli import main
from xrobust.errors import UserError
from xrobust.lexicon.synonym_sources import check_covered, load_synonyms, parse_sources
from xrobust.training.config import TrainConfig
from xrobust.evaluation.trained_run import train_and_evaluate

# German words that are keys of an English table by spelling: die (died), hat (sombrero), war (warfare)
ENGLISH_TABLE = {"die": ["died", "death"], "hat": ["sombrero"], "war": ["warfare"], "man": ["guy", "fellow"],
                 "eating": ["feeding"], "hungry": ["starving"]}
NLI = {"en": [("A man is eating .", "Someone is eating .", "entailment"),
              ("A man is eating .", "Nobody is eating .", "contradiction"),
              ("A man is hungry .", "He is eating .", "neutral")],
       "de": [("die Frau hat Hunger .", "die Frau isst .", "neutral"),
              ("Der Krieg war lang .", "Der Krieg war kurz .", "contradiction"),
              ("die Katze hat die Maus .", "die Katze hat etwas .", "entailment")]}


@pytest.fixture
def mixed_data(tiny_data):
    for language, rows in NLI.items():
        write_tsv(tiny_data / "xnli" / f"dev-{language}.tsv", rows * 8)  # 24 rows: 12 train, the rest select
    return tiny_data


def test_rs_da_in_a_mixed_stage_changes_no_german_word_and_counts_per_language(
        tiny_model_dir, mixed_data, tmp_path, monkeypatch):
    import xrobust.training.augmented_batches as batches

    table = tmp_path / "english.json"
    table.write_text(json.dumps(ENGLISH_TABLE))
    made = []  # every perturbed copy the training loop builds: (original, copy)
    original = batches.augmented_copies

    def recording(examples, synonyms, rule, seed, task, copies, epoch):
        out = original(examples, synonyms, rule, seed, task, copies, epoch)
        made.extend((examples[c % len(examples)], e) for c, e in zip(copies, out))
        return out

    monkeypatch.setattr(batches, "augmented_copies", recording)
    config = TrainConfig(task="pawsx", intermediate=["xnli:dev:en,de"], max_intermediate_examples=12,
                         method="rs-da", synonyms=str(table), augment_copies=3, model=str(tiny_model_dir),
                         data_dir=str(mixed_data), output_dir=str(tmp_path / "run"), epochs=1, batch_size=8,
                         checkpoint_every=0, eval_languages=["en"], max_length=32, freeze_word_embeddings=True)
    run = train_and_evaluate(config)
    xnli = [(a, b) for a, b in made if a.id.startswith("dev-")]
    german = [(a, b) for a, b in xnli if a.language == "de"]
    english = [(a, b) for a, b in xnli if a.language == "en"]
    assert len(german) == 18 and len(english) == 18  # 6 pairs of each language x 3 copies
    assert all((a.sentence1, a.sentence2) == (b.sentence1, b.sentence2) for a, b in german)
    assert any((a.sentence1, a.sentence2) != (b.sentence1, b.sentence2) for a, b in english)
    recorded = json.loads((run / "config.json").read_text())["rs_da"]
    stage = recorded["stages"]["stage-1-xnli-dev-en-de"]["xnli"]
    assert stage == {"en": {"examples": 6, "perturbable": 6}, "de": {"examples": 6, "perturbable": 0}}
    assert recorded["uncovered_languages"] == ["de"]
    assert recorded["languages"]["en"]["source"] == "counter-fitted"
    assert json.loads((run / "config.json").read_text())["config"]["synonym_source"] == ["counter-fitted"]


def test_sources_declare_their_languages_and_refusals_name_them(tmp_path):
    german = tmp_path / "de.json"
    german.write_text(json.dumps({"language": "de", "synonyms": {"katze": ["kater"]}}))
    check_covered(parse_sources(f"counter-fitted,{german}"), ["en", "de"])
    check_covered(parse_sources("muse-pivot"), ["de", "zh", "ja"])
    check_covered(parse_sources("encoder-neighbours"), ["sw", "ur", "de"])  # every task language
    with pytest.raises(UserError, match=r"no synonym source covers de \(muse-pivot or encoder-neighbours covers it"):
        check_covered(parse_sources("counter-fitted"), ["en", "de"])
    with pytest.raises(UserError, match=r"no synonym source covers sw \(encoder-neighbours covers it"):
        check_covered(parse_sources("muse-pivot"), ["sw"])
    with pytest.raises(UserError, match=r"no synonym source covers xx \(no built-in source covers it"):
        check_covered(parse_sources("muse-pivot,encoder-neighbours"), ["xx"])
    with pytest.raises(UserError, match="neither a source"):
        parse_sources("thesaurus")
    lexicon = load_synonyms(parse_sources(str(german)), ["de", "fr"])
    assert lexicon.table_for("de").exact("katze") == ["kater"] and lexicon.table_for("fr") is None


def test_rs_da_on_an_uncovered_target_language_stops_before_loading(tiny_data, capsys):
    assert main(["train", "--task", "pawsx", "--method", "rs-da", "--train-split", "dev",
                 "--train-languages", "de", "--data-dir", str(tiny_data), "--model", "does-not-exist"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no synonym source covers de" in err and "muse-pivot" in err


def test_smoothing_with_the_english_table_in_german_exits_2_at_once(tiny_data, tmp_path):
    # Run as a user would: the whole command, timed, from a fresh interpreter.
    run = tmp_path / "not-a-run"
    run.mkdir()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "xrobust.cli", "evaluate", str(run), "--task", "pawsx",
                           "--languages", "de", "--smooth", "8", "--smooth-perturbation", "synonyms",
                           "--data-dir", str(tiny_data)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert done.returncode == 2 and seconds < 5, (done.returncode, seconds, done.stderr)
    assert done.stderr.count("\n") == 1 and "covers de" in done.stderr
