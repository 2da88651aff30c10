"""Load any Hugging Face encoder (hub id or local folder) or the packaged offline default."""

import os
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


def load_encoder(source: EncoderSource):
    """Return (tokenizer, encoder). The encoder is the bare model: no pooler is used, so a
    missing pooler is never initialised at random and passed off as pretrained."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the load report lists the (unused) pooler as missing
    hf_logging.disable_progress_bar()  # one bar per checkpoint write drowns the training bar
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.path)
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
