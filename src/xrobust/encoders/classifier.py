"""An encoder with new classification heads on top, one per task.

The heads are always new (randomly initialised): pretrained encoders such as
multilingual-e5 ship no classifier, and we never borrow a pooler that was not trained.
Pooling is the mean over non-padding tokens (how E5 was trained) or the first token.
"""

import json
from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import nn

HEAD_WEIGHTS = "head.safetensors"
HEAD_CONFIG = "xrobust_head.json"
POOLINGS = ("mean", "first")


class PairClassifier(nn.Module):
    def __init__(self, encoder: nn.Module, heads: dict[str, int], pooling: str = "mean", dropout: float = 0.1):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}")
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        hidden = encoder.config.hidden_size
        self.heads = nn.ModuleDict({task: nn.Linear(hidden, n) for task, n in heads.items()})
        self.uses_segments = has_segment_embeddings(encoder.config)

    def word_embeddings(self) -> nn.Embedding:
        return self.encoder.get_input_embeddings()

    def forward(self, task: str, input_ids=None, attention_mask=None, token_type_ids=None, inputs_embeds=None):
        """Logits [batch, num_labels]. Pass `inputs_embeds` (word embeddings, [batch, len, hidden])
        instead of `input_ids` to perturb the input in embedding space."""
        # A tokenizer may return segment ids for an encoder that has no segment embeddings
        # (DistilBERT, mDeBERTa's type_vocab_size 0): they mean nothing there, and some
        # architectures' forward does not take them.
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None and self.uses_segments else {}
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds, **extra
        ).last_hidden_state  # [batch, len, hidden]
        if self.pooling == "mean":
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        else:
            pooled = hidden[:, 0]
        return self.heads[task](self.dropout(pooled))

    def replace_heads(self, heads: dict[str, int]) -> None:
        """New heads for the next stage; the encoder carries over."""
        hidden = self.encoder.config.hidden_size
        device = next(self.encoder.parameters()).device
        self.heads = nn.ModuleDict({task: nn.Linear(hidden, n) for task, n in heads.items()}).to(device)


def has_segment_embeddings(config) -> bool:
    """Whether the encoder adds a learnt embedding per segment (BERT: type_vocab_size 2;
    XLM-R: 1, all zeros); DistilBERT's config has no such field, mDeBERTa's is 0."""
    return getattr(config, "type_vocab_size", 0) > 0


def save_classifier(model: PairClassifier, tokenizer, folder: Path, heads: dict[str, list[str]],
                    extra: dict | None = None) -> None:
    """Encoder and tokenizer as transformers writes them (loadable with AutoModel /
    AutoTokenizer), the heads as safetensors (`{task}.weight`, `{task}.bias`), and a small
    JSON naming each head's labels. `heads` maps task -> label names; the first is the
    primary task (what `evaluate` scores by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    weights = {f"{task}.{k}": v.detach().cpu().contiguous()
               for task in heads for k, v in model.heads[task].state_dict().items()}
    save_file(weights, str(folder / HEAD_WEIGHTS))
    config = {"task": next(iter(heads)), "heads": {t: list(names) for t, names in heads.items()},
              "pooling": model.pooling, "dropout": model.dropout.p,
              "note": "classification heads are new (trained by xrobust), not part of the pretrained encoder"}
    config.update(extra or {})
    (folder / HEAD_CONFIG).write_text(json.dumps(config, indent=2))


def read_head_config(folder: Path) -> dict:
    from xrobust.errors import UserError

    path = folder / HEAD_CONFIG
    if not path.is_file():
        raise UserError(f"{folder}: not an xrobust checkpoint (no {HEAD_CONFIG})")
    return json.loads(path.read_text())


def load_classifier(folder: Path):
    """Return (model, tokenizer, head_config) from a folder written by `save_classifier`."""
    from xrobust.encoders.loading import EncoderSource, load_encoder

    head_config = read_head_config(folder)
    tokenizer, encoder = load_encoder(EncoderSource(str(folder), str(folder), "checkpoint"))
    heads = {task: len(names) for task, names in head_config["heads"].items()}
    model = PairClassifier(encoder, heads, pooling=head_config["pooling"], dropout=head_config.get("dropout", 0.1))
    _load_heads(model, folder)
    model.eval()
    return model, tokenizer, head_config


def load_weights_into(model: PairClassifier, folder: Path) -> None:
    """Overwrite a live model's encoder and heads with a checkpoint's (for resuming)."""
    encoder_state = load_file(str(folder / "model.safetensors"))
    missing, unexpected = model.encoder.load_state_dict(encoder_state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"{folder}: checkpoint does not match the model ({missing[:3]}, {unexpected[:3]})")
    _load_heads(model, folder)


def _load_heads(model: PairClassifier, folder: Path) -> None:
    weights = load_file(str(folder / HEAD_WEIGHTS))
    for task, head in model.heads.items():
        head.load_state_dict({k: weights[f"{task}.{k}"] for k in ("weight", "bias")})
