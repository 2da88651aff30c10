"""Resumable checkpoints: model (transformers-loadable), optimizer, RNG and loop position.

Everything is safetensors or JSON; nothing is unpickled. A checkpoint folder is written
under a temporary name and renamed into place, then `latest.json` is switched to it with
an atomic replace, then older checkpoints are deleted: at every instant a complete
checkpoint is on disk.
"""

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from xrobust.encoders.classifier import PairClassifier, save_classifier
from xrobust.results.rundir import write_json

STATE_TENSORS = "training_state.safetensors"
STATE_JSON = "training_state.json"
LATEST = "latest.json"


@dataclass
class LoopState:
    """Where the loop is; enough to continue exactly where it stopped."""

    epoch: int = 0  # current epoch (0-based)
    batch_in_epoch: int = 0  # micro-batches of this epoch already consumed
    step: int = 0  # optimizer steps taken
    examples_seen: int = 0
    best_score: float = -1.0
    best_step: int = -1
    history: list[dict] = field(default_factory=list)  # English-dev evaluations
    train_seconds: float = 0.0


def process_rng_state() -> dict[str, torch.Tensor]:
    """This process's generators (several processes each draw their own dropout and noise)."""
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def save_checkpoint(stage_dir: Path, model: PairClassifier, tokenizer, optimizer, state: LoopState,
                    heads: dict[str, list[str]], process_rng: list[dict] | None = None) -> Path:
    """`process_rng`: every process's `process_rng_state()`, in process order, when several
    processes train (each resumes with its own generators)."""
    name = f"checkpoint-{state.step:07d}"
    final = stage_dir / name
    staging = stage_dir / f".{name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    save_classifier(model, tokenizer, staging, heads)
    tensors, layout = _flatten_optimizer(optimizer.state_dict())
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for i, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = rng
    for index, generators in enumerate(process_rng or []):
        for kind, value in generators.items():
            tensors[f"rng.process{index}.{kind}"] = value
    save_file(tensors, str(staging / STATE_TENSORS))
    write_json(staging / STATE_JSON, {"loop": asdict(state), "optimizer": layout})
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    write_json(stage_dir / LATEST, {"checkpoint": name})
    for old in stage_dir.glob("checkpoint-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(stage_dir: Path) -> Path | None:
    pointer = stage_dir / LATEST
    if not pointer.is_file():
        return None
    folder = stage_dir / json.loads(pointer.read_text())["checkpoint"]
    return folder if (folder / STATE_JSON).is_file() else None


def restore_checkpoint(folder: Path, model: PairClassifier, optimizer, process: int | None = None) -> LoopState:
    """Load weights, optimizer and RNG from `folder` into live objects; return the loop state.
    `process`: this process's rank when several processes train."""
    from xrobust.encoders.classifier import load_weights_into

    load_weights_into(model, folder)
    saved = json.loads((folder / STATE_JSON).read_text())
    tensors = load_file(str(folder / STATE_TENSORS))
    optimizer.load_state_dict(_unflatten_optimizer(tensors, saved["optimizer"]))
    torch.set_rng_state(tensors["rng.torch"])
    cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states)
    if process is not None and f"rng.process{process}.torch" in tensors:
        torch.set_rng_state(tensors[f"rng.process{process}.torch"])
        if f"rng.process{process}.cuda" in tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state(tensors[f"rng.process{process}.cuda"])
    return LoopState(**saved["loop"])


def _flatten_optimizer(state_dict: dict) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, scalars = {}, {}
    for index, values in state_dict["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"opt.{index}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{index}.{key}"] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], layout: dict) -> dict:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        if name.startswith("opt."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    for name, value in layout["scalars"].items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": layout["param_groups"]}


def discard_resume_state(stage_dir: Path) -> None:
    """Delete a finished stage's resumable checkpoints (its selected weights stay)."""
    (stage_dir / LATEST).unlink(missing_ok=True)
    for folder in stage_dir.glob("checkpoint-*"):
        shutil.rmtree(folder, ignore_errors=True)
