"""Everything a training run will need, checked before any model is loaded or trained.

`TrainConfig.validate` checks the settings themselves; this checks them against the world:
the data file of every language the run will evaluate (otherwise a missing file is found
only after training), the model name or folder, `--max-length` against the model's
positions, and that the output folder can be written. Each failure is one line naming the
option or file (UserError: exit code 2).
"""

import json
import os
from pathlib import Path

from xrobust.encoders.packaged import DEFAULT_MODEL_NAME, packaged_max_length
from xrobust.errors import UserError
from xrobust.tasks import get_task, parse_languages
from xrobust.tasks.xtreme import task_file
from xrobust.training.config import TrainConfig


def check_run_inputs(config: TrainConfig, run_dir: Path) -> None:
    """The model and the output folder: before any data is read."""
    check_model(config.model, config.max_length)
    check_writable(run_dir)


def check_evaluation_files(config: TrainConfig) -> None:
    """The file of every language the evaluation after training will read (found missing
    before training, not after it)."""
    task = get_task(config.task)
    languages = parse_languages("--eval-languages", ",".join(config.eval_languages or []), task)
    if str(config.data_dir) != "hub":
        for language in languages:
            task_file(Path(config.data_dir), task, config.eval_split, language)


def check_model(name: str, max_length: int) -> None:
    """The model exists (packaged, local folder, or cached when offline) and takes
    `max_length` tokens."""
    positions = packaged_max_length() if name == DEFAULT_MODEL_NAME else _model_positions(name)
    if positions is not None and max_length > positions:
        raise UserError(f"--max-length {max_length}: the model {name} takes at most {positions} tokens")


def _model_positions(name: str) -> int | None:
    folder = Path(name)
    if folder.exists():
        config_path = folder / "config.json"
        if not config_path.is_file():
            raise UserError(f"--model {name}: not a transformers model folder (no config.json)")
    else:
        if os.environ.get("HF_HUB_OFFLINE") != "1":
            return None  # the hub may have it; loading says so in one line if not
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(name, "config.json")
        if not isinstance(cached, str):
            raise UserError(f"--model {name}: HF_HUB_OFFLINE=1 is set and there is no cached copy "
                            "(use --model default for the packaged encoder, or a local folder)")
        config_path = Path(cached)
    try:
        model_config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UserError(f"{config_path}: not a readable model config ({err})") from None
    positions = model_config.get("max_position_embeddings")
    if not isinstance(positions, int):
        return None  # no position table: no hard limit to check
    if model_config.get("relative_attention") and not model_config.get("position_biased_input", True):
        return None  # DeBERTa-v2/v3: relative positions only (bucketed), its table is never added to the input
    # XLM-R-style models number positions after the padding index (pad_token_id + 1 slots).
    offset = model_config.get("pad_token_id", 0) + 1 if model_config.get("model_type") in ("xlm-roberta", "roberta") else 0
    return positions - offset


def check_writable(run_dir: Path) -> None:
    existing = run_dir
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"--output-dir {run_dir}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"--output-dir {run_dir}: {existing} is not writable")
