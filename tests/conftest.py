"""Shared fixtures: a tiny randomly initialised encoder with the real tokenizer, and small
XTREME-layout data folders written per test."""

import os
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # before tqdm is imported: bars would flood captured output

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_configure(config):
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture
def device_moves(monkeypatch) -> list:
    """The devices every PairClassifier is moved to (`.to(...)`) from now on, in order."""
    from xrobust.encoders.classifier import PairClassifier

    moves, real_to = [], PairClassifier.to
    monkeypatch.setattr(PairClassifier, "to",
                        lambda self, *a, **k: moves.append(a[0] if a else k) or real_to(self, *a, **k))
    return moves


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer BERT (hidden 32) with the real multilingual-e5 tokenizer: real tokens, fast."""
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    from xrobust.encoders.packaged import tokenizer_path

    folder = tmp_path_factory.mktemp("tiny-encoder")
    tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer_path()))
    tokenizer.model_max_length = 512
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=130, type_vocab_size=2, pad_token_id=1)
    torch.manual_seed(0)
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_tsv(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


PAWS_ROWS_EN = [
    ("The cat sat on the mat.", "The cat was sitting on the mat.", "1"),
    ("He moved to Paris in 1990.", "In 1990 he moved from Paris.", "0"),
    ("She plays the violin well.", "She is a good violin player.", "1"),
    ("The river flows north.", "The river flows south.", "0"),
]
PAWS_ROWS_DE = [
    ("Die Katze saß auf der Matte.", "Die Katze saß auf der Matte.", "1"),
    ("Er zog 1990 nach Paris.", "NS", "0"),
    ("Sie spielt gut Geige.", "Sie ist eine gute Geigerin.", "1"),
    ("Der Fluss fließt nach Norden.", "Der Fluss fließt nach Süden.", "0"),
]


@pytest.fixture
def tiny_data(tmp_path) -> Path:
    """An XTREME-layout folder: pawsx train-en (repeated rows), dev-en, dev-de (one NS row)."""
    return write_tiny_data(tmp_path)


@pytest.fixture(scope="module")
def tiny_data_module(tmp_path_factory) -> Path:
    """`tiny_data` shared by the tests of one module (for runs trained once and read by several tests)."""
    return write_tiny_data(tmp_path_factory.mktemp("tiny-data"))


def write_tiny_data(tmp_path: Path) -> Path:
    """tiny_data's folder under `tmp_path`; MNLI (24 train, 3 dev pairs) beside it."""
    root = tmp_path / "xtreme"
    write_tsv(root / "pawsx" / "train-en.tsv", PAWS_ROWS_EN * 8)
    write_tsv(root / "pawsx" / "dev-en.tsv", PAWS_ROWS_EN)
    write_tsv(root / "pawsx" / "dev-de.tsv", PAWS_ROWS_DE)
    nli = [("A man is eating.", "Someone eats.", "entailment"),
           ("A man is eating.", "Nobody eats.", "contradiction"),
           ("A man is eating.", "He is hungry.", "neutral")]
    write_tsv(tmp_path / "mnli" / "train.tsv", nli * 8)
    write_tsv(tmp_path / "mnli" / "dev.tsv", nli)
    return root


@pytest.fixture(scope="module")
def tiny_pawsx_classifier(tiny_model_dir):
    """(PairClassifier with a pawsx head in eval mode, tokenizer) on the tiny encoder."""
    from transformers import AutoModel, AutoTokenizer

    from xrobust.encoders.classifier import PairClassifier

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    return PairClassifier(AutoModel.from_pretrained(tiny_model_dir), {"pawsx": 2}).eval(), tokenizer
