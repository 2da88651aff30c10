"""Any Hugging Face encoder, shown rather than assumed: tiny randomly initialised XLM-R
(positions numbered after the padding index, one segment), mDeBERTa-v2 (relative positions
only, no segment embeddings) and DistilBERT (no segment embeddings, no token_type_ids
argument in older transformers) with the real multilingual tokenizer (XLM-R's, 250,002
tokens) train with a robust objective, resume, evaluate and are attacked."""

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import (DebertaV2Config, DebertaV2Model, DistilBertConfig, DistilBertModel, XLMRobertaConfig,
                          XLMRobertaModel, XLMRobertaTokenizerFast)

import xrobust.training.loop as loop
from xrobust.cli import main
from xrobust.encoders.classifier import PairClassifier
from xrobust.encoders.packaged import tokenizer_path
from xrobust.errors import UserError
from xrobust.training.config import TrainConfig
from xrobust.training.preflight import check_model
from xrobust.evaluation.trained_run import train_and_evaluate

SEGMENTS = ["input_ids", "token_type_ids", "attention_mask"]  # a tokenizer that also returns segment ids


def xlm_r(vocab: int, pad: int):
    return XLMRobertaModel(XLMRobertaConfig(vocab_size=vocab, pad_token_id=pad, hidden_size=32, num_hidden_layers=2,
                                            num_attention_heads=2, intermediate_size=64, max_position_embeddings=130,
                                            type_vocab_size=1), add_pooling_layer=False)


def mdeberta(vocab: int, pad: int):
    # mdeberta-v3-base's position settings: relative attention over 256 log buckets, no absolute positions
    return DebertaV2Model(DebertaV2Config(vocab_size=vocab, pad_token_id=pad, hidden_size=32, num_hidden_layers=2,
                                          num_attention_heads=2, intermediate_size=64, max_position_embeddings=512,
                                          relative_attention=True, position_buckets=256, pos_att_type=["p2c", "c2p"],
                                          position_biased_input=False, norm_rel_ebd="layer_norm", type_vocab_size=0))


def distilbert(vocab: int, pad: int):
    return DistilBertModel(DistilBertConfig(vocab_size=vocab, pad_token_id=pad, dim=32, n_layers=2, n_heads=2,
                                            hidden_dim=64, max_position_embeddings=130))


# name -> (build, tokenizer inputs, longest --max-length the preflight accepts, None: no limit)
ENCODERS = {"xlm-r": (xlm_r, None, 128), "mdeberta-v2": (mdeberta, SEGMENTS, None),
            "distilbert": (distilbert, SEGMENTS, 130)}


@pytest.fixture(scope="module", params=list(ENCODERS))
def encoder(request, tmp_path_factory) -> tuple[str, Path]:
    build, inputs, _ = ENCODERS[request.param]
    folder = tmp_path_factory.mktemp(request.param) / "encoder"
    extra = {"model_input_names": inputs} if inputs else {}
    tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer_path()), **extra)
    tokenizer.model_max_length = 512
    torch.manual_seed(0)
    build(len(tokenizer), tokenizer.pad_token_id).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return request.param, folder


class Killed(Exception):
    pass


def config(model: Path, data: Path, out: Path) -> TrainConfig:
    return TrainConfig(task="pawsx", model=str(model), data_dir=str(data), output_dir=str(out), method="adv",
                       epochs=2, batch_size=8, max_train_examples=16, learning_rate=3e-3, head_learning_rate=1e-2,
                       warmup_ratio=0.0, checkpoint_every=0, max_length=32, eval_languages=["en", "de"], adv_steps=2)


@pytest.fixture(scope="module")
def trained(encoder, tiny_data_module, tmp_path_factory) -> tuple[str, Path]:
    name, model = encoder
    run = train_and_evaluate(config(model, tiny_data_module, tmp_path_factory.mktemp(name) / "run"))
    return name, run


def test_training_with_pgd_resumes_after_an_interruption_to_the_same_weights(encoder, trained, tiny_data_module,
                                                                                  tmp_path, monkeypatch):
    _, model = encoder
    _, reference = trained
    save = loop.save_checkpoint

    def save_then_die(*args, **kwargs):
        save(*args, **kwargs)
        raise Killed

    monkeypatch.setattr(loop, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        train_and_evaluate(config(model, tiny_data_module, tmp_path / "run"))
    monkeypatch.setattr(loop, "save_checkpoint", save)
    assert json.loads((tmp_path / "run" / "stage-1-pawsx" / "latest.json").read_text()) == {
        "checkpoint": "checkpoint-0000002"}  # the end of the first epoch: 16 pairs, 8 a step
    resumed = train_and_evaluate(config(model, tiny_data_module, tmp_path / "run"))
    for file in ("model.safetensors", "head.safetensors"):
        want, got = load_file(str(reference / "model" / file)), load_file(str(resumed / "model" / file))
        assert all(torch.equal(want[k], got[k]) for k in want)
    initial = load_file(str(model / "model.safetensors"))
    trained_weights = load_file(str(reference / "model" / "model.safetensors"))
    assert any(not torch.equal(initial[k], trained_weights[k]) for k in initial if k in trained_weights)
    want, got = (json.loads((r / "metrics.json").read_text()) for r in (reference, resumed))
    assert got["accuracy"] == want["accuracy"] and got["n"] == {"en": 4, "de": 3}


def test_evaluate_and_attacks_agree_with_the_training_run(trained, tiny_data_module, tmp_path):
    """evaluate scores the selected model as training did; both attacks find it right on the
    same pairs before attacking (their own tokenization and embedding paths)."""
    _, run = trained
    data = ["--task", "pawsx", "--languages", "en,de", "--data-dir", str(tiny_data_module)]
    assert main(["evaluate", str(run), *data, "--output-dir", str(tmp_path / "evaluation")]) == 0
    accuracy = json.loads((run / "metrics.json").read_text())["accuracy"]
    assert json.loads((tmp_path / "evaluation" / "metrics.json").read_text())["accuracy"] == accuracy
    for recipe in ("typo-greedy", "embedding-pgd"):
        assert main(["attack", str(run), *data, "--output-dir", str(tmp_path / "attack"), "--recipe", recipe,
                     "--query-budget", "40", "--eps", "0,0.5", "--pgd-steps", "2"]) == 0
    report = json.loads((tmp_path / "attack" / "robustness.json").read_text())["recipes"]
    for language in ("en", "de"):
        typo = report["typo-greedy"]["languages"][language]
        pgd = report["embedding-pgd"]["languages"][language]
        assert typo["clean_accuracy"] == round(accuracy[language], 4)
        assert typo["robust_accuracy"] <= typo["clean_accuracy"]
        assert pgd["accuracy"][0] == pytest.approx(accuracy[language])  # eps 0 is the clean input
        assert pgd["accuracy"][1] <= pgd["accuracy"][0]


def test_segment_ids_reach_only_encoders_with_segment_embeddings(encoder):
    name, model = encoder
    from transformers import AutoModel

    seen = {}
    classifier = PairClassifier(AutoModel.from_pretrained(model), {"pawsx": 2})
    forward = classifier.encoder.forward
    classifier.encoder.forward = lambda **kwargs: seen.update(kwargs) or forward(**kwargs)
    ids = torch.tensor([[0, 10, 2, 2, 20, 2]])
    classifier("pawsx", input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids))
    assert ("token_type_ids" in seen) == (name == "xlm-r")  # XLM-R has one segment embedding


def test_preflight_knows_each_encoders_positions(encoder):
    name, model = encoder
    longest = ENCODERS[name][2]
    if longest is None:  # relative positions: longer inputs than the position table are fine
        check_model(str(model), 600)
        from transformers import AutoModel

        hidden = AutoModel.from_pretrained(model)(input_ids=torch.full((1, 600), 10)).last_hidden_state
        assert hidden.shape == (1, 600, 32)
        return
    check_model(str(model), longest)
    with pytest.raises(UserError, match=f"takes at most {longest} tokens"):
        check_model(str(model), longest + 1)


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path):
    yield
    shutil.rmtree(tmp_path, ignore_errors=True)  # three encoders' runs: ~100 MB each of embeddings
