"""`xrobust attack` end to end on the tiny encoder: re-scored successes, the query budget,
determinism, resuming, embedding PGD and user errors."""

import json
from pathlib import Path

import pytest
import torch

from xrobust.attacks.attack import Attack
from xrobust.attacks.constraints import MaxWordsChanged, MinSimilarity, ModifiableSides, NoStopwords, violations
from xrobust.attacks.text import AttackText, Position
from xrobust.cli import main
from xrobust.encoders.classifier import PairClassifier, load_classifier, save_classifier
from xrobust.encoders.pairs import encode_pairs
from xrobust.encoders.predict import predict_logits
from xrobust.tasks import Example, get_task


@pytest.fixture(scope="module")
def checkpoint(tiny_model_dir, tmp_path_factory) -> Path:
    """An untrained pawsx classifier on the tiny encoder: its head is random, which is all an
    attack needs (some pairs right, some wrong, and predictions that words can move). Random
    encoders pool every input to nearly the same vector, so the head is scaled up and centred
    on the test sentences: otherwise it predicts one class whatever the words."""
    from transformers import AutoModel, AutoTokenizer

    from conftest import PAWS_ROWS_DE, PAWS_ROWS_EN

    torch.manual_seed(3)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = PairClassifier(AutoModel.from_pretrained(tiny_model_dir), {"pawsx": 2}).eval()
    task = get_task("pawsx")
    examples = [Example(str(i), a, b, label, "") for i, (a, b, label) in enumerate(PAWS_ROWS_EN + PAWS_ROWS_DE)]
    with torch.no_grad():
        head = model.heads["pawsx"]
        head.weight.mul_(100.0)
        head.bias.zero_()
        head.bias.sub_(predict_logits(model, "pawsx", encode_pairs(tokenizer, examples, task, 128), 1).mean(0))
    folder = tmp_path_factory.mktemp("attack-checkpoint")
    save_classifier(model, tokenizer, folder, {"pawsx": ["0", "1"]})
    return folder


@pytest.fixture(scope="module")
def loaded(checkpoint):
    """The checkpoint loaded once for the module: loading the 250k-piece tokenizer takes
    seconds, and attacks never change the model. Re-scoring loads it afresh on purpose."""
    return load_classifier(checkpoint)


@pytest.fixture(autouse=True)
def load_once(loaded, monkeypatch):
    from xrobust.attacks import runner

    monkeypatch.setattr(runner, "load_classifier", lambda folder: loaded)


def attack(checkpoint, data, out, *extra) -> int:
    return main(["attack", str(checkpoint), "--task", "pawsx", "--data-dir", str(data), "--output-dir", str(out),
                 *extra])


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_reported_success_is_misclassified_and_obeys_every_constraint(checkpoint, tiny_data, tmp_path):
    out = tmp_path / "out"
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en,de",
                  "--min-similarity", "0.5", "--max-words-changed", "0.25", "--sides", "sentence2",
                  "--query-budget", "400") == 0
    written = rows(out / "adversarial" / "typo-greedy-en.jsonl") + rows(out / "adversarial" / "typo-greedy-de.jsonl")
    successes = [r for r in written if r["success"]]
    assert successes, "the tiny model should be fooled at least once"
    # From scratch: a fresh model load and plain prediction of the perturbed pairs.
    model, tokenizer, _ = load_classifier(checkpoint)
    task = get_task("pawsx")
    examples = [Example(r["id"], r["perturbed"]["sentence1"], r["perturbed"]["sentence2"], r["label"], r["language"])
                for r in successes]
    predicted = predict_logits(model, "pawsx", encode_pairs(tokenizer, examples, task, 128), 1).argmax(-1).tolist()
    assert all(task.label_names[p] != r["label"] for p, r in zip(predicted, successes))
    assert [task.label_names[p] for p in predicted] == [r["prediction_after"] for r in successes]
    constraints = [ModifiableSides(("sentence2",)), NoStopwords(), MaxWordsChanged(0.25),
                   MinSimilarity(model, tokenizer, 0.5)]
    for row in successes:
        original = AttackText.from_pair(row["original"]["sentence1"], row["original"]["sentence2"],
                                        row["language"], row["language"])
        perturbed = original
        for change in row["changes"]:
            assert original.word_at(Position(change["side"], change["word_index"])) == change["original"]
            perturbed = perturbed.replace(Position(change["side"], change["word_index"]), change["replacement"])
        assert perturbed.pair() == (row["perturbed"]["sentence1"], row["perturbed"]["sentence2"])
        assert 0 < row["words_changed"] == len(perturbed.changes)
        assert violations(original, perturbed, constraints) == []
    report = json.loads((out / "robustness.json").read_text())
    summary = report["recipes"]["typo-greedy"]
    total = summary["overall"]
    assert total["n"] == len(written) == 7  # 4 en + 3 de (one NS row skipped, and counted)
    assert summary["skipped"] == {"en": {"blank_rows_in_file": 0}, "de": {"blank_rows_in_file": 1}}
    correct = [r for r in written if r["prediction_before"] == r["label"]]
    assert total["clean_accuracy"] == round(len(correct) / 7, 4)
    assert total["robust_accuracy"] == round((len(correct) - len(successes)) / 7, 4)
    assert total["attack_success_rate"] == round(len(successes) / len(correct), 4)
    low, high = total["robust_accuracy_ci95"]
    assert 0 <= low <= total["robust_accuracy"] <= high <= 1 and low < high


def test_queries_are_counted_exactly_and_stay_within_the_budget(checkpoint, tiny_data, tmp_path, monkeypatch):
    scored = []  # texts the classifier really scored, per example
    original_forward = PairClassifier.forward

    def counting_forward(self, task, **batch):
        scored[-1] += batch["input_ids"].shape[0]
        return original_forward(self, task, **batch)

    original_attack = Attack.attack

    def counting_attack(self, text, gold):  # called as the example is taken into the search
        scored.append(0)
        return original_attack(self, text, gold)

    monkeypatch.setattr(PairClassifier, "forward", counting_forward)
    monkeypatch.setattr(Attack, "attack", counting_attack)
    out = tmp_path / "out"
    # One example at a time, so every forward pass belongs to the example taken in last. No
    # text repeats here, so the logits cache saves nothing and queries equal rows scored.
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en",
                  "--query-budget", "5", "--batch-size", "2", "--max-words-changed", "1",
                  "--attack-batch-size", "1") == 0
    written = rows(out / "adversarial" / "typo-greedy-en.jsonl")
    assert [r["queries"] for r in written] == scored
    assert all(r["queries"] <= 5 for r in written)
    assert all(r["queries"] == 1 for r in written if r["status"] == "skipped")  # the clean pair only
    # 5 queries: the clean pair and 4 leave-one-out deletions; the budget stops the ranking
    # (the pair has more words) and leaves no query to try a replacement.
    failed = [r for r in written if r["status"] == "failed"]
    assert failed and all(r["queries"] == 5 for r in failed)


def test_beam_search_respects_the_budget(checkpoint, tiny_data, tmp_path):
    muse = tmp_path / "resources" / "muse"
    muse.mkdir(parents=True)
    words = {"cat": ("Katze", "chat"), "sat": ("saß", "assis"), "mat": ("Matte", "tapis"), "river": ("Fluss", "fleuve"),
             "violin": ("Geige", "violon"), "plays": ("spielt", "joue"), "north": ("Norden", "nord"),
             "moved": ("zog", "déménagé"), "sitting": ("sitzend", "assis")}
    (muse / "en-de.txt").write_text("".join(f"{en} {de}\n" for en, (de, _) in words.items()), encoding="utf-8")
    (muse / "en-fr.txt").write_text("".join(f"{en} {fr}\n" for en, (_, fr) in words.items()), encoding="utf-8")
    out = tmp_path / "out"
    assert attack(checkpoint, tiny_data, out, "--recipe", "codeswitch-beam", "--languages", "en",
                  "--resources", str(muse.parent), "--embed-languages", "de,fr", "--query-budget", "4",
                  "--beam-width", "2") == 0
    written = rows(out / "adversarial" / "codeswitch-beam-en.jsonl")
    # The first beam step has more candidates (6 for the one pair the model gets right) than the
    # 3 queries left after the clean pair: only 3 are scored.
    attacked = [r for r in written if r["status"] != "skipped"]
    assert attacked and all(r["queries"] == 4 for r in attacked)
    assert all(r["queries"] == 1 for r in written if r["status"] == "skipped")


def test_attacks_are_deterministic_for_a_seed(checkpoint, tiny_data, tmp_path):
    outputs = []
    for name in ("a", "b"):
        attack(checkpoint, tiny_data, tmp_path / name, "--recipe", "typo-greedy", "--languages", "en,de",
               "--seed", "7", "--max-candidates", "5")
        outputs.append([{k: v for k, v in r.items() if k != "seconds"}
                        for lang in ("en", "de") for r in rows(tmp_path / name / "adversarial" / f"typo-greedy-{lang}.jsonl")])
    assert outputs[0] == outputs[1]
    assert any(r["changes"] for r in outputs[0])


def test_an_interrupted_run_resumes_without_redoing_finished_examples(checkpoint, tiny_data, tmp_path, monkeypatch):
    out = tmp_path / "out"
    path = out / "adversarial" / "typo-greedy-en.jsonl"
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en") == 0
    complete = path.read_text(encoding="utf-8")
    lines = complete.splitlines(keepends=True)
    assert len(lines) == 4
    # A crash while writing the third line: two whole lines and half of one.
    path.write_text(lines[0] + lines[1] + lines[2][: len(lines[2]) // 2], encoding="utf-8")
    attacked = []
    original_attack = Attack.attack
    monkeypatch.setattr(Attack, "attack", lambda self, text, gold: attacked.append(text.pair()) or
                        original_attack(self, text, gold))
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en") == 0
    resumed = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert resumed[:2] == lines[:2]  # finished examples untouched
    assert len(attacked) == 2  # only the torn one and the one never started
    strip = lambda line: {k: v for k, v in json.loads(line).items() if k != "seconds"}  # noqa: E731
    assert [strip(line) for line in resumed] == [strip(line) for line in lines]
    report = json.loads((out / "robustness.json").read_text())
    assert report["recipes"]["typo-greedy"]["languages"]["en"]["n"] == 4


def test_resuming_with_other_settings_is_refused(checkpoint, tiny_data, tmp_path, capsys):
    out = tmp_path / "out"
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en") == 0
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en",
                  "--query-budget", "5") == 2
    assert "query_budget" in capsys.readouterr().err


def test_an_attack_from_before_precision_grows_with_the_default_command(checkpoint, tiny_data, tmp_path, capsys):
    out = tmp_path / "out"
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en",
                  "--precision", "fp32") == 0
    settings = out / "adversarial" / "typo-greedy.config.json"
    recorded = json.loads(settings.read_text())
    del recorded["precision"]  # as written before --precision existed (those attacks ran in fp32)
    settings.write_text(json.dumps(recorded))
    # the default (auto) continues in the attack's fp32; an explicit bf16 is another attack
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en,de") == 0
    assert json.loads((out / "robustness.json").read_text())["recipes"]["typo-greedy"]["config"]["precision"] == "fp32"
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en",
                  "--precision", "bf16") == 2
    assert "precision" in capsys.readouterr().err


def test_embedding_pgd_curve_starts_at_clean_accuracy_and_falls(checkpoint, loaded, tiny_data, tmp_path,
                                                                monkeypatch):
    import xrobust.attacks.pgd as pgd

    class RecordingBar:  # bars are disabled in tests (TQDM_DISABLE): record what they would show
        def __init__(self, total, desc, unit):
            self.total, self.desc, self.n = total, desc, 0
            bars.append(self)

        def update(self, count):
            self.n += count

        def close(self):
            pass

    bars = []
    monkeypatch.setattr(pgd, "progress_bar", RecordingBar)
    out = tmp_path / "out"
    assert attack(checkpoint, tiny_data, out, "--recipe", "embedding-pgd", "--languages", "en,de",
                  "--eps", "0,0.5,5", "--pgd-steps", "3") == 0
    assert [(b.desc, b.n == b.total > 0) for b in bars] == [("embedding-pgd en", True), ("embedding-pgd de", True)]
    curves = json.loads((out / "robustness.json").read_text())["recipes"]["embedding-pgd"]["languages"]
    model, tokenizer, _ = loaded
    task = get_task("pawsx")
    from xrobust.tasks import load_examples

    for language in ("en", "de"):
        examples, _ = load_examples(tiny_data, task, "dev", language)
        pairs = encode_pairs(tokenizer, examples, task, 128)
        clean = (predict_logits(model, "pawsx", pairs, 1).argmax(-1) == torch.tensor(pairs.labels)).float().mean()
        curve = curves[language]
        assert curve["eps"] == [0.0, 0.5, 5.0]
        assert curve["accuracy"][0] == pytest.approx(float(clean))
        assert curve["accuracy"][2] <= curve["accuracy"][0]
    assert curves["en"]["accuracy"][2] == 0.0  # eps 5 is ~50x the tiny model's token norm


def test_embedding_pgd_resumes_from_the_languages_it_finished(checkpoint, tiny_data, tmp_path, monkeypatch, capsys):
    from xrobust.attacks import runner

    out = tmp_path / "out"
    options = ("--recipe", "embedding-pgd", "--languages", "en,de", "--eps", "0,0.5", "--pgd-steps", "2")
    assert attack(checkpoint, tiny_data, out, *options) == 0
    first = json.loads((out / "robustness.json").read_text())["recipes"]["embedding-pgd"]["languages"]
    # killed before German's curve was written: English's is on disk, nothing else
    (out / "robustness.json").unlink()
    (out / "adversarial" / "embedding-pgd-de.json").unlink()
    attacked = []
    real = runner.pgd_accuracy_curve
    monkeypatch.setattr(runner, "pgd_accuracy_curve", lambda *a, **k: attacked.append(k["desc"]) or real(*a, **k))
    assert attack(checkpoint, tiny_data, out, *options) == 0
    assert attacked == ["embedding-pgd de"]
    again = json.loads((out / "robustness.json").read_text())["recipes"]["embedding-pgd"]["languages"]
    without_time = lambda curves: {lang: {k: v for k, v in c.items() if k != "seconds"} for lang, c in curves.items()}
    assert without_time(again) == without_time(first) and again["en"] == first["en"]
    # another eps list is another attack: refused in this folder, before anything runs
    assert attack(checkpoint, tiny_data, out, "--recipe", "embedding-pgd", "--languages", "en", "--eps", "0,1",
                  "--pgd-steps", "2") == 2
    assert "other settings (eps)" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--recipe", "synonym-greedy", "--languages", "de"],
     "no synonym source covers de (muse-pivot or encoder-neighbours covers it"),
    (["--recipe", "typo-greedy", "--languages", "xx"], "--languages"),
    (["--recipe", "typo-greedy", "--languages", "en", "--max-words-changed", "0"], "--max-words-changed"),
    (["--recipe", "typo-greedy", "--languages", "en", "--query-budget", "0"], "--query-budget"),
    (["--recipe", "typo-greedy", "--languages", "en", "--attack-batch-size", "0"], "--attack-batch-size"),
    (["--recipe", "codeswitch-greedy", "--languages", "en", "--embed-languages", "sw"], "sw"),
    (["--recipe", "typo-greedy", "--languages", "de", "--sentence1-language", "en", "--sides", "sentence1"],
     "--sides"),
])
def test_bad_options_are_one_line_errors(checkpoint, tiny_data, tmp_path, capsys, extra, message,
                                         monkeypatch):
    monkeypatch.setenv("XROBUST_RESOURCES", str(tmp_path))
    assert attack(checkpoint, tiny_data, tmp_path / "out", *extra) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_generalized_setting_changes_only_the_target_language_side(checkpoint, tiny_data, tmp_path):
    out = tmp_path / "out"
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "de",
                  "--sentence1-language", "en", "--max-words-changed", "1") == 0
    written = rows(out / "adversarial" / "typo-greedy-de.jsonl")
    english = {"dev-1": "The cat sat on the mat.", "dev-3": "She plays the violin well."}
    assert {r["id"]: r["original"]["sentence1"] for r in written if r["id"] in english} == english
    assert all(r["perturbed"]["sentence1"] == r["original"]["sentence1"] for r in written)
    assert any(r["changes"] for r in written)
    assert all(c["side"] == "sentence2" for r in written for c in r["changes"])


MORE_PAIRS_EN = [
    ("The old man walked his dog along the quiet river.", "A man walked a dog by the river."),
    ("Children were playing football in the park after school.", "Kids played soccer in the park."),
    ("The museum opened a new exhibition about ancient Egypt.", "An exhibition on Egypt opened at the museum."),
    ("She bought fresh bread and cheese at the market.", "She bought nothing at the market."),
    ("Heavy rain flooded the streets of the small town.", "The town streets were dry and sunny."),
    ("The company hired twenty new engineers last year.", "Twenty engineers joined the company."),
    ("My brother repaired the broken bicycle in the garage.", "The bicycle was fixed by my brother."),
    ("The train to Berlin was delayed by two hours.", "The Berlin train arrived early."),
    ("A young woman is reading a long novel on the bus.", "A woman reads a book."),
    ("The students finished their difficult exam before noon.", "The exam was finished in the evening."),
    ("The chef cooked a spicy soup with fresh vegetables.", "A soup was cooked by the chef."),
    ("Tourists photographed the famous bridge at sunset.", "Nobody photographed the bridge."),
]
MORE_PAIRS_DE = [
    ("Der alte Mann ging mit seinem Hund am Fluss spazieren.", "Ein Mann ging mit einem Hund."),
    ("Die Kinder spielten nach der Schule Fußball im Park.", "Kinder spielten im Park."),
    ("Das Museum eröffnete eine neue Ausstellung über Ägypten.", "Das Museum blieb geschlossen."),
    ("Sie kaufte frisches Brot und Käse auf dem Markt.", "Sie kaufte Brot auf dem Markt."),
    ("Starker Regen überflutete die Straßen der kleinen Stadt.", "Die Straßen waren trocken."),
    ("Der Zug nach Berlin hatte zwei Stunden Verspätung.", "Der Zug kam zu früh an."),
]


@pytest.fixture
def more_data(tmp_path) -> Path:
    from conftest import write_tsv

    root = tmp_path / "more"
    for language, pairs in (("en", MORE_PAIRS_EN), ("de", MORE_PAIRS_DE)):
        write_tsv(root / "pawsx" / f"dev-{language}.tsv", [(a, b, str(i % 2)) for i, (a, b) in enumerate(pairs)])
    return root


@pytest.fixture
def muse_resources(tmp_path) -> Path:
    muse = tmp_path / "resources" / "muse"
    muse.mkdir(parents=True)
    words = {"man": ("Mann", "homme"), "dog": ("Hund", "chien"), "river": ("Fluss", "rivière"),
             "park": ("Park", "parc"), "museum": ("Museum", "musée"), "bread": ("Brot", "pain"),
             "rain": ("Regen", "pluie"), "town": ("Stadt", "ville"), "train": ("Zug", "train"),
             "woman": ("Frau", "femme"), "book": ("Buch", "livre"), "exam": ("Prüfung", "examen"),
             "soup": ("Suppe", "soupe"), "bridge": ("Brücke", "pont"), "company": ("Firma", "société"),
             "engineers": ("Ingenieure", "ingénieurs"), "bicycle": ("Fahrrad", "vélo"), "market": ("Markt", "marché"),
             "students": ("Studenten", "étudiants"), "chef": ("Koch", "chef"), "streets": ("Straßen", "rues"),
             "walked": ("ging", "marchait"), "bought": ("kaufte", "acheta"), "fresh": ("frisch", "frais"),
             "young": ("jung", "jeune"), "famous": ("berühmt", "célèbre"), "old": ("alt", "vieux")}
    (muse / "en-de.txt").write_text("".join(f"{en} {de}\n" for en, (de, _) in words.items()), encoding="utf-8")
    (muse / "en-fr.txt").write_text("".join(f"{en} {fr}\n" for en, (_, fr) in words.items()), encoding="utf-8")
    return muse.parent


@pytest.mark.parametrize("recipe, extra", [
    ("typo-greedy", ["--languages", "en,de", "--min-similarity", "0.2", "--max-candidates", "3",
                     "--max-words-changed", "0.1"]),
    ("typo-greedy", ["--languages", "en,de", "--max-candidates", "20", "--query-budget", "60"]),
    ("codeswitch-beam", ["--languages", "en", "--embed-languages", "de,fr", "--beam-width", "3",
                         "--max-words-changed", "0.5"]),
])
def test_attacks_batched_across_examples_match_one_example_at_a_time(checkpoint, more_data, muse_resources,
                                                                     tmp_path, monkeypatch, recipe, extra):
    passes = []  # rows of each classifier/encoder forward pass, per run
    original_forward = PairClassifier.forward

    def recording_forward(self, task, **batch):
        passes[-1].append(batch["input_ids"].shape[0])
        return original_forward(self, task, **batch)

    monkeypatch.setattr(PairClassifier, "forward", recording_forward)
    written = {}
    for size in ("1", "100000"):  # one example in flight; every example of a language in flight
        passes.append([])
        out = tmp_path / size
        assert attack(checkpoint, more_data, out, "--recipe", recipe, "--resources", str(muse_resources),
                      "--attack-batch-size", size, "--batch-size", "16", *extra) == 0
        written[size] = [{k: v for k, v in row.items() if k != "seconds"}
                         for path in sorted((out / "adversarial").glob("*.jsonl")) for row in rows(path)]
    one, many = written["1"], written["100000"]
    assert one == many  # same texts, changes, predictions, statuses, query counts, in the same order
    statuses = {row["status"] for row in one}
    assert {"succeeded", "failed"} <= statuses, statuses  # the comparison covers both outcomes
    assert max(row["queries"] for row in one) > 20
    # The same rows were scored (each example's cache is its own), in far fewer, fuller passes.
    assert sum(passes[1]) == sum(passes[0])
    assert len(passes[1]) < 0.6 * len(passes[0])


def test_one_process_attacks_on_its_device(checkpoint, tiny_data, tmp_path, device_moves):
    """A single `xrobust attack` moves the model to the device its process has (the GPU where
    there is one): it once stayed on the CPU beside an idle GPU (seen on an H200)."""
    from xrobust.encoders.processes import current_processes

    assert attack(checkpoint, tiny_data, tmp_path / "out", "--recipe", "typo-greedy", "--languages", "en") == 0
    assert device_moves == [current_processes().device]


def test_precision_reaches_every_forward_pass_and_is_recorded(checkpoint, loaded, tiny_data, tmp_path, monkeypatch):
    """--precision bf16: the word attack's scoring and embedding-pgd run their forward passes
    under bf16 autocast (seen from inside the encoder), robustness.json says so, and a resume
    asking for another precision is refused like any other changed setting."""
    model, _, _ = loaded
    seen = []
    hook = model.encoder.register_forward_hook(
        lambda module, args, output: seen.append(torch.is_autocast_enabled("cpu")
                                                 and torch.get_autocast_dtype("cpu") == torch.bfloat16))
    try:
        out = tmp_path / "out"
        assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en",
                      "--precision", "bf16") == 0
        assert attack(checkpoint, tiny_data, out, "--recipe", "embedding-pgd", "--languages", "en",
                      "--eps", "0,0.5", "--pgd-steps", "2", "--precision", "bf16") == 0
    finally:
        hook.remove()
    assert seen and all(seen)
    recipes = json.loads((out / "robustness.json").read_text())["recipes"]
    for recipe in ("typo-greedy", "embedding-pgd"):
        assert recipes[recipe]["precision"] == {"used": "bf16", "reason": "requested"}
    assert attack(checkpoint, tiny_data, out, "--recipe", "typo-greedy", "--languages", "en",
                  "--precision", "fp32") == 2


def test_perturbations_measured_to_change_meaning_say_so():
    from xrobust.attacks.recipes import meaning_note
    from xrobust.lexicon.synonym_sources import CHANGES_MEANING

    assert meaning_note("neighbors-greedy", ["de"]) == CHANGES_MEANING
    assert meaning_note("synonym-greedy", ["en", "de"], ("counter-fitted", "encoder-neighbours")) == \
        f"de: {CHANGES_MEANING}"  # English synonyms come from the counter-fitted table
    assert meaning_note("synonym-greedy", ["en", "de"], ("counter-fitted", "muse-pivot")) is None
    assert meaning_note("typo-greedy", ["zh"]) is None
