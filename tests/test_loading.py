"""Loading encoders by name: hub ids fail offline with one line; folders load."""

import pytest

from xrobust.cli import main
from xrobust.encoders.loading import EncoderSource, load_encoder, resolve_encoder
from xrobust.errors import UserError


def test_hub_id_offline_without_cache_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(UserError) as error:
        load_encoder(resolve_encoder("xlm-roberta-base-not-cached"))
    message = str(error.value)
    assert "\n" not in message and "no cached copy" in message and "HF_HUB_OFFLINE=1" in message


def test_folder_that_is_not_a_model_is_named(tmp_path):
    with pytest.raises(UserError, match="not a transformers model folder"):
        load_encoder(EncoderSource(str(tmp_path), str(tmp_path), ""))


def test_local_folder_loads_without_pooler(tiny_model_dir):
    tokenizer, encoder = load_encoder(resolve_encoder(str(tiny_model_dir)))
    assert tokenizer.pad_token_id == 1
    assert not any(name.startswith("pooler") for name, _ in encoder.named_parameters())


def test_evaluate_rejects_a_folder_that_is_no_checkpoint(tmp_path, capsys, tiny_data):
    assert main(["evaluate", str(tmp_path), "--task", "pawsx", "--data-dir", str(tiny_data)]) == 2
    assert "neither a run directory" in capsys.readouterr().err
