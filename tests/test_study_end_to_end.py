"""`xrobust study --spec studies/smoke.toml` end to end on the tiny encoder and tiny data;
a re-run runs nothing and writes the same study.json."""

import re
from pathlib import Path

import pytest

from conftest import PAWS_ROWS_DE, PAWS_ROWS_EN, write_tsv
from xrobust.cli import main
from xrobust.training.config import TrainConfig

SMOKE = Path(__file__).resolve().parents[1] / "studies" / "smoke.toml"
# The multilingual condition needs TrainConfig.train_split/train_languages (being added in main).
MULTILINGUAL_READY = "train_split" in TrainConfig.__dataclass_fields__
NLI = [("A man is eating.", "Someone eats.", "entailment"), ("A man is eating.", "Nobody eats.", "contradiction"),
       ("A man is eating.", "He is hungry.", "neutral")]


@pytest.fixture(scope="module")
def smoke_study(tmp_path_factory, tiny_model_dir):
    """tiny_data's rows (plus XNLI dev in de and fr for the multilingual condition), one run."""
    root = tmp_path_factory.mktemp("study-data")
    data = root / "xtreme"
    write_tsv(data / "pawsx" / "train-en.tsv", PAWS_ROWS_EN * 8)
    write_tsv(data / "pawsx" / "dev-en.tsv", PAWS_ROWS_EN)
    write_tsv(data / "pawsx" / "dev-de.tsv", PAWS_ROWS_DE)
    for language in ("en", "de", "fr"):
        write_tsv(data / "xnli" / f"dev-{language}.tsv", NLI * 4)
    write_tsv(root / "mnli" / "train.tsv", NLI * 8)
    write_tsv(root / "mnli" / "dev.tsv", NLI)
    spec = SMOKE
    if not MULTILINGUAL_READY:
        spec = root / "smoke-without-multilingual.toml"
        text = SMOKE.read_text()
        spec.write_text(re.sub(r'\[\[intermediate\]\]  # multilingual.*?examples = 6\n', "", text, flags=re.S))
        assert "xnli-multi" not in spec.read_text()
    resources = Path(__file__).resolve().parents[2] / "shared" / "data" / "resources"
    if not (resources / "counterfitted_neighbors.json").is_file():
        pytest.skip(f"rs-da needs {resources}/counterfitted_neighbors.json")
    study = root / "study"
    command = ["study", "--spec", str(spec), "--output-dir", str(study), "--model", str(tiny_model_dir),
               "--data-dir", str(data), "--resources", str(resources)]
    assert main(command) == 0
    return command, study


def test_smoke_study_runs_end_to_end(smoke_study, capsys):
    command, study = smoke_study
    assert main(command[:5] + ["--status"]) == 0
    status = capsys.readouterr().out
    units = 26 if MULTILINGUAL_READY else 17  # 1 stage fewer, 2 cells fewer and their 6 attacks/matrices
    assert f"{units} units: {units} done, 0 running, 0 failed, 0 left" in status
    summary = (study / "study.json").read_text()
    assert '"cells_done": %d' % (6 if MULTILINGUAL_READY else 4) in summary
    for name in ("study.md", "study.html"):
        assert (study / name).stat().st_size > 1000
    cell = study / "cells" / "mnli" / "rs-da" / "s42"
    assert (cell / "metrics.json").is_file() and (cell / "config.json").is_file()
    assert (cell / "attacks" / "typo-greedy" / "robustness.json").is_file()
    assert (cell / "evaluations" / "generalized" / "generalized.json").is_file()
    assert str(study / "intermediate" / "mnli" / "s42" / "model") in (cell / "config.json").read_text()


def test_a_rerun_runs_nothing_and_gives_the_same_study_json(smoke_study, capsys):
    command, study = smoke_study
    before = (study / "study.json").read_bytes()
    capsys.readouterr()
    assert main(command) == 0
    assert re.search(r"study smoke: 0 units run now, (26|17) of (26|17) done", capsys.readouterr().out)
    assert (study / "study.json").read_bytes() == before


def test_report_rebuilds_from_the_folder_alone(smoke_study, capsys):
    _, study = smoke_study
    before = (study / "study.json").read_bytes()
    (study / "study.json").unlink()
    assert main(["study", "--output-dir", str(study), "--report"]) == 0
    assert (study / "study.json").read_bytes() == before


@pytest.mark.skipif(MULTILINGUAL_READY, reason="only while TrainConfig lacks train_split/train_languages")
def test_the_multilingual_condition_fails_with_one_line_until_training_supports_it(tmp_path, tiny_model_dir, capsys):
    from xrobust.study.run import RunSettings, intermediate_config
    from xrobust.errors import UserError
    from xrobust.study.spec import load_spec

    spec = load_spec(SMOKE, model=str(tiny_model_dir))
    with pytest.raises(UserError, match=r"^intermediate xnli-multi: training on xnli dev in de,fr needs "
                                        r"TrainConfig.train_split/train_languages"):
        intermediate_config(spec, spec.condition("xnli-multi"), 42, tmp_path, RunSettings(str(tmp_path), ""))
