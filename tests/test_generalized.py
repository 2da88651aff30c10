"""Generalized cross-lingual evaluation: pairs joined across languages by row, blanks counted,
misalignment refused, and the diagonal equal to plain zero-shot accuracy."""

import json

import numpy as np
import pytest
import torch
from conftest import PAWS_ROWS_EN, write_tsv
from robust_fixtures import tiny_classifier

from xrobust.cli import main
from xrobust.encoders.classifier import save_classifier
from xrobust.errors import UserError
from xrobust.evaluation.generalized import cross_pairs, generalized_accuracy, load_parallel
from xrobust.evaluation.zero_shot import evaluate_languages
from xrobust.tasks import get_task

PAWS_ROWS_FR = [
    ("Le chat était assis sur le tapis.", "Le chat était assis sur le tapis.", "1"),
    ("Il a déménagé à Paris en 1990.", "En 1990, il a quitté Paris.", "0"),
    ("", "Elle est une bonne violoniste.", "1"),
    ("La rivière coule vers le nord.", "La rivière coule vers le sud.", "0"),
]


@pytest.fixture
def three_languages(tiny_data):
    write_tsv(tiny_data / "pawsx" / "dev-fr.tsv", PAWS_ROWS_FR)
    return tiny_data


def sharp_classifier(tiny_model_dir):
    model, tokenizer = tiny_classifier(tiny_model_dir, seed=5)
    with torch.no_grad():
        model.heads["pawsx"].weight.mul_(50)  # a sharp head: small input differences flip labels
    return model.eval(), tokenizer


@pytest.fixture(scope="module")
def tiny_checkpoint(tiny_model_dir, tmp_path_factory):
    """The sharp tiny classifier, saved as a checkpoint for the CLI."""
    model, tokenizer = sharp_classifier(tiny_model_dir)
    folder = tmp_path_factory.mktemp("generalized") / "checkpoint"
    save_classifier(model, tokenizer, folder, {"pawsx": ["0", "1"]})
    return folder


def plain_zero_shot(tiny_model_dir, data, languages, out):
    """Plain zero-shot metrics of the same weights as `tiny_checkpoint`, scored in memory."""
    model, tokenizer = sharp_classifier(tiny_model_dir)
    return evaluate_languages(model, tokenizer, get_task("pawsx"), data, "dev", languages,
                              max_examples=None, max_length=128, batch_size=64, output_dir=out)


def test_pairs_join_rows_and_count_blanks(three_languages):
    split = load_parallel(three_languages, get_task("pawsx"), "dev", ["en", "de", "fr"])
    pairs = cross_pairs(split, "en", "fr")
    assert [p.id for p in pairs] == ["dev-1", "dev-2", "dev-4"]  # fr row 3 is blank
    assert pairs[1].sentence1 == PAWS_ROWS_EN[1][0] and pairs[1].sentence2 == PAWS_ROWS_FR[1][1]
    assert pairs[1].label == "0" and pairs[1].language == "en-fr"
    assert [p.id for p in cross_pairs(split, "de", "fr")] == ["dev-1", "dev-4"]  # de row 2 is NS

    def always_one(examples):
        return np.ones(len(examples), dtype=int)

    result = generalized_accuracy(split, get_task("pawsx"), always_one)
    assert result.n["en"] == {"en": 4, "de": 3, "fr": 3}
    assert result.skipped_blank["de"] == {"en": 1, "de": 1, "fr": 2}
    assert result.accuracy["en"]["en"] == 0.5
    assert result.accuracy["de"]["fr"] == 0.5  # rows 1 (label 1) and 4 (label 0)
    assert result.accuracy["fr"]["fr"] == pytest.approx(1 / 3)


def test_misaligned_files_are_refused_naming_them(tiny_data):
    write_tsv(tiny_data / "pawsx" / "dev-fr.tsv", PAWS_ROWS_FR[:3])
    with pytest.raises(UserError, match=r"dev-en\.tsv has 4 rows but .*dev-fr\.tsv has 3"):
        load_parallel(tiny_data, get_task("pawsx"), "dev", ["en", "fr"])
    shuffled = [PAWS_ROWS_FR[1], PAWS_ROWS_FR[0], PAWS_ROWS_FR[2], PAWS_ROWS_FR[3]]
    write_tsv(tiny_data / "pawsx" / "dev-fr.tsv", shuffled)
    with pytest.raises(UserError, match=r"dev-en\.tsv:1 and .*dev-fr\.tsv:1 have different labels"):
        load_parallel(tiny_data, get_task("pawsx"), "dev", ["en", "fr"])


def test_diagonal_equals_zero_shot_accuracy(three_languages, tiny_model_dir, tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "generalized"
    code = main(["evaluate", str(tiny_checkpoint), "--task", "pawsx", "--languages", "en,de,fr",
                 "--data-dir", str(three_languages), "--generalized", "--output-dir", str(out)])
    assert code == 0
    written = json.loads((out / "generalized.json").read_text())
    assert (out / "generalized.png").stat().st_size > 1000
    assert "| s1 \\ s2 | en | de | fr |" in capsys.readouterr().out
    plain = plain_zero_shot(tiny_model_dir, three_languages, ["en", "de", "fr"], tmp_path / "plain")
    for language in ("en", "de", "fr"):
        assert written["accuracy"][language][language] == plain["accuracy"][language]
        assert written["n"][language][language] == plain["n"][language]
    cells = [v for row in written["accuracy"].values() for v in row.values()]
    assert len(set(cells)) > 1  # the matrix is not one number repeated


def test_smoothed_cli_with_m1_and_no_noise_equals_plain(three_languages, tiny_model_dir, tiny_checkpoint,
                                                        tmp_path, capsys):
    args = ["evaluate", str(tiny_checkpoint), "--task", "pawsx", "--languages", "en,fr",
            "--data-dir", str(three_languages)]
    assert main(args + ["--output-dir", str(tmp_path / "smooth"), "--smooth", "1",
                        "--smooth-perturbation", "uniform-ball", "--noise-radius", "0"]) == 0
    plain = plain_zero_shot(tiny_model_dir, three_languages, ["en", "fr"], tmp_path / "plain")
    smooth = json.loads((tmp_path / "smooth" / "metrics.json").read_text())
    assert smooth["accuracy"] == plain["accuracy"]
    assert smooth["unanimous"] == {"en": 1.0, "fr": 1.0}
    assert smooth["smoothing"]["copies"] == 1
    assert "unanimous votes: en 100.0%" in capsys.readouterr().out
    assert main(args + ["--smooth", "0"]) == 2
