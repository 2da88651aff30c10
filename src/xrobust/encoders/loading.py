"""Load any Hugging Face encoder (hub id or local folder) or the packaged offline default."""

import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from xrobust.encoders.packaged import DEFAULT_MODEL_NAME, DESCRIPTION, packaged_model_dir
from xrobust.errors import UserError


@dataclass(frozen=True)
class EncoderSource:
    name: str  # what the user asked for: "default", a hub id or a path
    path: str  # what transformers loads: a folder or a hub id
    description: str  # said in every report (e.g. that the default is a 4-bit approximation)


def resolve_encoder(name: str) -> EncoderSource:
    if name == DEFAULT_MODEL_NAME:
        return EncoderSource(name, str(packaged_model_dir()), DESCRIPTION)
    if (Path(name) / "xrobust_head.json").is_file():
        return EncoderSource(name, name, _checkpoint_description(Path(name)))
    return EncoderSource(name, name, f"{name} (Hugging Face)")


def _checkpoint_description(folder: Path) -> str:
    """An xrobust checkpoint as a starting encoder (e.g. an intermediate-task model): say so,
    and name the encoder its run started from, so that reports keep e.g. the 4-bit caveat."""
    import json

    origin = ""
    for run_dir in (folder.parent, folder.parent.parent):  # <run>/model or <run>/<stage>/best
        config = run_dir / "config.json"
        if config.is_file():
            try:
                origin = json.loads(config.read_text()).get("encoder", "")
            except (ValueError, AttributeError):
                origin = ""
            if origin:
                break
    trained_from = f", fine-tuned from {origin}" if origin else ""
    return f"xrobust checkpoint {folder} (encoder carried over, heads new{trained_from})"


# Tokenizers loaded inside `reuse_tokenizers()`, by the content of their files; None outside it.
_reused_tokenizers: dict[str, object] | None = None
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                   "sentencepiece.bpe.model", "spiece.model", "vocab.txt", "vocab.json", "merges.txt")


@contextmanager
def reuse_tokenizers():
    """Within the block, `load_encoder` hands out the tokenizer it already loaded from files
    with the same content. A study runs dozens of units in one process, each loading a
    checkpoint whose tokenizer files are copies of one another; parsing XLM-R's 17 MB
    tokenizer.json takes seconds each time. Outside the block nothing is kept."""
    global _reused_tokenizers
    outer = _reused_tokenizers
    _reused_tokenizers = {} if outer is None else outer
    try:
        yield
    finally:
        _reused_tokenizers = outer


def _tokenizer_key(path: str) -> str | None:
    """A digest of the folder's tokenizer files; None where reuse is not safe: a hub id, or a
    tokenizer_config.json that does not name its class (transformers then reads config.json)."""
    folder = Path(path)
    config = folder / "tokenizer_config.json"
    if not config.is_file() or '"tokenizer_class"' not in config.read_text(encoding="utf-8"):
        return None
    digest = hashlib.sha256()
    for name in TOKENIZER_FILES:
        if (folder / name).is_file():
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
    return digest.hexdigest()


def _load_tokenizer(path: str):
    from transformers import AutoTokenizer

    key = _tokenizer_key(path) if _reused_tokenizers is not None else None
    if key is None:
        return AutoTokenizer.from_pretrained(path)
    if key not in _reused_tokenizers:
        _reused_tokenizers[key] = AutoTokenizer.from_pretrained(path)
    return _reused_tokenizers[key]


def load_encoder(source: EncoderSource):
    """Return (tokenizer, encoder). The encoder is the bare model: no pooler is used, so a
    missing pooler is never initialised at random and passed off as pretrained."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the load report lists the (unused) pooler as missing
    hf_logging.disable_progress_bar()  # one bar per checkpoint write drowns the training bar
    try:
        tokenizer = _load_tokenizer(source.path)
        try:
            encoder = AutoModel.from_pretrained(source.path, add_pooling_layer=False)
        except TypeError:  # architectures without a pooler take no such argument
            encoder = AutoModel.from_pretrained(source.path)
    except (OSError, ValueError) as err:  # no such model / no usable tokenizer files
        raise UserError(_explain_load_failure(source.name, err)) from None
    return tokenizer, encoder


def _explain_load_failure(name: str, err: Exception) -> str:
    if Path(name).exists():
        return f"--model {name}: not a transformers model folder ({_first_line(err)})"
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    hint = "HF_HUB_OFFLINE=1 is set and" if offline else "the hub is unreachable or"
    return (
        f"--model {name}: cannot load it: {hint} there is no cached copy "
        f"(use --model default for the packaged encoder, or a local folder)"
    )


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def neighbour_encoder(name: str):
    """The `encoder-neighbours` synonym source's encoder, loaded from `--model` NAME (for
    commands that hold no model of their own: `augment`, `lexicon synonyms`, rs-da's tables)."""
    from xrobust.lexicon.encoder_neighbours import NeighbourEncoder

    source = resolve_encoder(name)
    tokenizer, encoder = load_encoder(source)
    return NeighbourEncoder(source.name, tokenizer, encoder.get_input_embeddings().weight)
