"""The stages a run inherits when `--model` names a checkpoint inside another xrobust run.

Training an intermediate stage once and starting several target-task runs from its `best`
folder (or from a run's `model`) is how the intermediate-task study shares work. Such a run
trains no intermediate stage itself, yet its encoder has seen MNLI: the record below keeps
that fact, and the whole chain (a run from a run from a stage), in the new run's
config.json and metrics.json, so a run folder alone says which condition it belongs to.

Run-directory I/O (the lowest floor): training writes the record, reports read it.
"""

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from xrobust.errors import UserError
from xrobust.results.rundir import file_sha256, read_json

HEAD_CONFIG = "xrobust_head.json"  # the file that marks an xrobust checkpoint (see encoders/classifier.py)
SELECTED_MODEL = "model"  # a run's selected checkpoint
STAGE_BEST = "best"  # an intermediate stage's selected checkpoint
_STAGE_DIR = re.compile(r"stage-(\d+)-")
# xrobust trains on English data only; stage.json files written before the languages were
# recorded mean exactly this.
TRAINING_LANGUAGES = ["en"]


@dataclass
class InheritedStage:
    """One finished stage of another run whose encoder a run starts from."""
    run: str  # the source run folder, absolute when recorded
    config_sha256: str  # of the source run's config.json: says which run, even if the folder moved
    stage: str  # e.g. "stage-1-mnli"
    checkpoint: str  # the stage's selected weights, relative to the run ("stage-1-mnli/best", "model")
    tasks: list[str]
    languages: list[str]  # training languages
    method: str
    epochs: int
    seed: int  # the source run's seed (its data order and heads)
    train_examples: dict[str, int]  # pairs used per task
    dev_examples: dict[str, int]  # English dev pairs used for model selection, per task
    files: dict[str, dict] | None  # data files with rows and sha256; None if the run did not record them
    model: str  # what the source run started from (its --model)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "InheritedStage":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def same_training(self, other: "InheritedStage") -> list[str]:
        """The settings in which two inherited stages differ, seed and location aside: runs of
        one condition must have inherited the same kind of stage."""
        keys = ("stage", "tasks", "languages", "method", "epochs", "train_examples", "dev_examples")
        return [k for k in keys if getattr(self, k) != getattr(other, k)]


def source_run(checkpoint: Path) -> Path | None:
    """The run folder holding `checkpoint` when it is a run's `model` or a stage's `best`; None
    for any other folder (a plain encoder, or an xrobust checkpoint copied out of its run)."""
    if not (checkpoint / HEAD_CONFIG).is_file():
        return None
    if checkpoint.name == SELECTED_MODEL:
        run = checkpoint.parent
    elif checkpoint.name == STAGE_BEST and _STAGE_DIR.match(checkpoint.parent.name):
        run = checkpoint.parent.parent
    else:
        return None
    return run if (run / "config.json").is_file() else None


def inherited_stages(model: str) -> list[InheritedStage]:
    """Every stage the encoder at `model` has been trained through, oldest first: the source
    run's own inherited stages, then its stages up to the one `model` names. Empty when
    `model` is not a checkpoint inside an xrobust run."""
    checkpoint = Path(model)
    run = source_run(checkpoint)
    if run is None:
        return []
    saved = read_json(run / "config.json")
    config = saved.get("config", {})
    if "inherited" in saved:
        earlier = [InheritedStage.from_dict(s) for s in saved["inherited"]]
    else:  # made before runs recorded their lineage: follow its own --model, if still there
        earlier = inherited_stages(config.get("model", ""))
    config_hash = file_sha256(run / "config.json")
    return earlier + [_stage_record(run, stage_dir, config, saved, config_hash, option=model)
                      for stage_dir in _stages_up_to(run, checkpoint)]


def _stages_up_to(run: Path, checkpoint: Path) -> list[Path]:
    stages = sorted((d for d in run.iterdir() if d.is_dir() and _STAGE_DIR.match(d.name)),
                    key=lambda d: int(_STAGE_DIR.match(d.name).group(1)))
    if checkpoint.name == SELECTED_MODEL:
        return stages
    last = int(_STAGE_DIR.match(checkpoint.parent.name).group(1))
    return [d for d in stages if int(_STAGE_DIR.match(d.name).group(1)) <= last]


def _stage_record(run: Path, stage_dir: Path, config: dict, saved: dict, config_hash: str,
                  option: str) -> InheritedStage:
    if not (stage_dir / "stage.json").is_file():
        raise UserError(f"--model {option}: {stage_dir.name} of {run} has not finished (no stage.json); "
                        "finish that run first")
    stage = read_json(stage_dir / "stage.json")
    files = stage.get("data_files")
    if files is not None:  # the stage names its files; the run's config.json holds their rows and hashes
        files = {path: saved.get("data_files", {}).get(path, {}) for path in files}
    return InheritedStage(
        run=str(run.resolve()), config_sha256=config_hash, stage=stage["name"],
        checkpoint=stage.get("selected", f"{stage_dir.name}/{STAGE_BEST}"), tasks=list(stage["tasks"]),
        languages=list(stage.get("languages", TRAINING_LANGUAGES)), method=config.get("method", "standard"),
        epochs=stage["epochs"], seed=config.get("seed"), train_examples=stage.get("train_examples", {}),
        dev_examples=stage.get("dev_examples", {}), files=files, model=config.get("model", ""))


def intermediate_condition(inherited: list[InheritedStage], intermediate: list[str]) -> str:
    """What the encoder was trained on before the target task: inherited stages (in order,
    joined by " > "; tasks of one multi-task stage by "+"), then the run's own intermediate
    stage; "none" when neither. E.g. "mnli (inherited)", "mnli > xnli (inherited) > qnli"."""
    parts = []
    if inherited:
        parts.append(" > ".join("+".join(s.tasks) for s in inherited) + " (inherited)")
    if intermediate:
        parts.append("+".join(intermediate))
    return " > ".join(parts) or "none"


def base_model(inherited: list[InheritedStage], model: str) -> str:
    """The encoder a lineage started from (e.g. "default"), whatever checkpoint the run names."""
    return inherited[0].model if inherited else model


def pairing_seeds(inherited: list[InheritedStage], seed: int) -> tuple[int, int]:
    """(seed of the first stage the encoder went through, the run's own seed): equal for a run
    that inherits nothing. Runs from a shared stage differ in the second; runs each from their
    own stage but with the same --seed differ in the first."""
    return (inherited[0].seed if inherited else seed, seed)
