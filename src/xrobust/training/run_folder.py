"""A training run's folder: which one, whether it holds this run, and what training writes
there (config.json when the run starts, stage.json when a stage ends).

The folder is the run's only state: a command repeated on it resumes, and a folder holding
another run (or something that is not a run) is refused before anything is read.
"""

import dataclasses
import time
from pathlib import Path

from xrobust.encoders.devices import Precision
from xrobust.errors import UserError
from xrobust.progress import say
from xrobust.results.lineage import InheritedStage, intermediate_condition
from xrobust.results.rundir import environment, read_json, write_json
from xrobust.training.checkpoint import discard_resume_state
from xrobust.training.config import TrainConfig
from xrobust.training.loop import StagePlan
from xrobust.training.preflight import check_run_inputs
from xrobust.training.stage_data import StageData


def default_output_dir(config: TrainConfig) -> str:
    """Deterministic, so that repeating a command finds (and resumes) its own run."""
    parts = [config.task]
    if config.intermediate:
        parts.append("after-" + "+".join(source.slug() for source in config.intermediate_sources()))
    parts += [config.method, Path(config.model.rstrip("/")).name, f"s{config.seed}"]
    return str(Path("runs") / "-".join(parts))


def run_folder(config: TrainConfig) -> Path:
    """The run's folder, checked: it holds this run or none, the model can be loaded and the
    folder written. Nothing is read or written yet."""
    run_dir = Path(config.output_dir or default_output_dir(config))
    if (run_dir / "config.json").is_file():
        _same_run(run_dir, config)  # a folder holding another run is refused first
    check_run_inputs(config, run_dir)  # the model and the folder, before anything loads
    return run_dir


def _same_run(run_dir: Path, config: TrainConfig) -> None:
    # Settings added since the run was made take their defaults (what the run used).
    path = run_dir / "config.json"
    saved = TrainConfig.from_dict(read_json(path)["config"], str(path)).to_dict()
    asked = config.to_dict()
    if asked["precision"] == "auto":  # the default: a resumed run keeps its own (start_or_resume)
        asked["precision"] = saved["precision"]
    if saved != asked:
        changed = sorted(k for k in saved if saved.get(k) != asked.get(k))
        raise UserError(f"--output-dir {run_dir}: holds a different run (settings differ: {', '.join(changed)}); "
                        "choose another --output-dir or delete it")


def start_or_resume(run_dir: Path, config: TrainConfig, encoder_description: str, data_files: dict,
                    inherited: list[InheritedStage], precision: Precision, processes: int) -> Precision:
    """Write the run's config.json (run_folder has checked that an existing one is this
    run's); return the precision to use (a resumed run keeps the one it started with,
    wherever `auto` now points). A run resumes on as many processes as it started on: the
    optimizer steps and the learning-rate schedule are counted in steps of `processes`
    micro-batch shares."""
    if (run_dir / "config.json").is_file():
        recorded = read_json(run_dir / "config.json")
        started_on = recorded.get("processes", 1)
        if started_on != processes:
            raise UserError(f"--output-dir {run_dir}: this run was started on {started_on} process(es); resume it "
                            f"on {started_on} (now {processes})")
        say(f"{run_dir}: resuming")
        return Precision(**recorded["precision"]) if recorded.get("precision") else precision
    if run_dir.exists() and any(run_dir.iterdir()):
        raise UserError(f"--output-dir {run_dir}: exists and is not an xrobust run; choose another")
    write_json(run_dir / "config.json", {
        "config": config.to_dict(),
        "precision": dataclasses.asdict(precision),  # what `precision` (auto included) resolved to, and why
        "processes": processes,  # data-parallel processes: each optimizer step is batch x accumulation x this
        "encoder": encoder_description,
        # stages the starting encoder went through in other runs (see results/lineage.py)
        "inherited": [s.to_dict() for s in inherited],
        "intermediate_condition": intermediate_condition(inherited, config.intermediate),
        "data_files": data_files,
        "environment": environment(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    return precision


def record_in_config(run_dir: Path, key: str, value: dict) -> None:
    """Add `key` to the run's config.json once (a resumed run finds it there already)."""
    recorded = read_json(run_dir / "config.json")
    if key not in recorded:
        write_json(run_dir / "config.json", {**recorded, key: value})


def recorded_lineage(run_dir: Path, inherited: list[InheritedStage]) -> list[InheritedStage]:
    """The lineage as recorded when the run started (a resumed run keeps it even if the
    source moved); `inherited` for a run that recorded none."""
    recorded = read_json(run_dir / "config.json").get("inherited")
    return [InheritedStage.from_dict(s) for s in recorded] if recorded is not None else inherited


def write_stage(run_dir: Path, stage_dir: Path, best_dir: Path, plan: StagePlan, data: StageData, state) -> None:
    """stage.json: what the finished stage trained on and how it went; then drop its resume state."""
    write_json(stage_dir / "stage.json", {
        "name": plan.name, "tasks": list(plan.train), "epochs": plan.epochs,
        "languages": sorted({lang for t in plan.train for lang in data.rows_used[t]["languages"]}),
        "sources": [data.rows_used[t] for t in plan.train],
        "data_files": data.files,  # rows and sha256 of each: config.json's data_files
        "train_examples": {t: len(p) for t, p in plan.train.items()},
        "dev_examples": {t: len(p) for t, p in plan.dev.items()},
        "steps": state.step, "best_step": state.best_step, "best_dev_score": state.best_score,
        "history": state.history, "train_seconds": round(state.train_seconds, 2),
        "train_examples_per_second": round(state.examples_seen / max(state.train_seconds, 1e-9), 2),
        "selected": str(best_dir.relative_to(run_dir)),
    })
    discard_resume_state(stage_dir)  # the stage is done: its ~0.5 GB resume checkpoint is not needed
