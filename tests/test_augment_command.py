"""`xrobust augment` writes rs-da's copies in the XTREME layout, and they are exactly the
copies a `--augment-mode static` training run with the same seed trains on."""

import json

from xrobust.cli import main
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.tasks import get_task, load_examples
from xrobust.training.augmented_batches import AugmentedEpoch

TABLE = {"cat": ["kitten", "feline"], "violin": ["fiddle"], "river": ["stream"], "moved": ["went"]}


def test_augment_writes_the_static_training_copies(tiny_data, tiny_model_dir, tmp_path, capsys):
    table_path = tmp_path / "synonyms.json"
    table_path.write_text(json.dumps(TABLE))
    out = tmp_path / "augmented"
    assert main(["augment", "--task", "pawsx", "--copies", "3", "--seed", "5", "--synonyms", str(table_path),
                 "--data-dir", str(tiny_data), "--output-dir", str(out)]) == 0
    assert "96 pairs (3 copies of 32)" in capsys.readouterr().out
    lines = (out / "pawsx" / "train-en.tsv").read_text(encoding="utf-8").splitlines()
    examples, _ = load_examples(tiny_data, get_task("pawsx"), "train", "en")
    assert len(lines) == 3 * len(examples)
    for i, example in enumerate(examples):  # perturb.py's layout: an example's copies on consecutive lines
        for line in lines[3 * i : 3 * i + 3]:
            first, second, label = line.split("\t")
            assert label == example.label
            assert len(first.split(" ")) == len(example.sentence1.split(" "))
    assert any(line.split("\t")[:2] != [e.sentence1, e.sentence2] for line, e in zip(lines[::3], examples))
    summary = json.loads((out / "augment.json").read_text())
    assert summary["rule"] == {"lookup": "published", "draw": "independent"} and summary["pairs_written"] == 96
    assert 0 < summary["changed_per_sentence"] <= summary["substitutable_per_sentence"]

    # The copies of a static rs-da epoch, in any epoch, are the file's lines.
    from robust_fixtures import tiny_classifier

    _, tokenizer = tiny_classifier(tiny_model_dir)
    written = {}
    for i in range(len(examples)):
        for k in range(3):
            written[i + k * len(examples)] = tuple(lines[3 * i + k].split("\t")[:2])
    for epoch in (0, 1):
        augmented = AugmentedEpoch("pawsx", examples, SynonymTable(TABLE), tokenizer, 3, 8, 32, seed=5,
                                   epoch=epoch, static=True)
        trained = {c: (e.sentence1, e.sentence2) for n, pool in enumerate(augmented.pools)
                   for c, e in zip(pool, augmented.copies(n))}
        assert trained == written
    dynamic = AugmentedEpoch("pawsx", examples, SynonymTable(TABLE), tokenizer, 3, 8, 32, seed=5, epoch=0)
    assert {c: (e.sentence1, e.sentence2) for n, pool in enumerate(dynamic.pools)
            for c, e in zip(pool, dynamic.copies(n))} != written


def test_augment_refuses_an_existing_output_and_a_bad_copy_count(tiny_data, tmp_path, capsys):
    table_path = tmp_path / "synonyms.json"
    table_path.write_text(json.dumps(TABLE))
    args = ["augment", "--task", "pawsx", "--synonyms", str(table_path), "--data-dir", str(tiny_data)]
    assert main(args + ["--copies", "0", "--output-dir", str(tmp_path / "a")]) == 2
    assert main(args + ["--copies", "1", "--output-dir", str(tmp_path / "b")]) == 0
    assert main(args + ["--copies", "1", "--output-dir", str(tmp_path / "b")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors[0] == "xrobust: error: --copies: must be at least 1"
    assert errors[-1].startswith("xrobust: error: --output-dir") and "exists already" in errors[-1]
