"""Run a study's units in dependency order: in-process one at a time, or (`--workers N`,
study/workers.py) in N worker processes.

Each unit calls what the matching command calls (`train_and_evaluate`, the attack runner,
`evaluate --generalized`), so a cell is an ordinary run directory and every xrobust command
works on it. Finished units are skipped; an interrupted one resumes from its own folder
(every xrobust run does). A failing unit leaves its one-line error in `.study/` and the
units that do not depend on it still run; the next invocation tries it again.

Units outside this shard are run too when a unit of the shard needs them and nobody else
is running them (a lock says who is), so shards never wait on a shard that was not started.
"""

import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.encoders.loading import reuse_tokenizers
from xrobust.errors import UserError
from xrobust.progress import say
from xrobust.results.rundir import write_text
from xrobust.robust.objectives import OBJECTIVES
from xrobust.study.plan import (HEARTBEAT_SECONDS, Unit, intermediate_name, lock_is_fresh, plan_units, shard_units,
                                state_file, unit_state)
from xrobust.study.spec import AttackSpec, Condition, StudySpec
from xrobust.training.config import TrainConfig

POLL_SECONDS = 5  # how often a unit waiting on another process's unit looks again


@dataclass(frozen=True)
class RunSettings:
    data_dir: str
    resources: str

    def check(self, spec: StudySpec) -> None:
        from xrobust.attacks.recipes import RECIPES  # the record says which recipes read --resources

        needs = [a.recipe for a in spec.attacks if RECIPES[a.recipe].reads_resources]
        needs += [m.label for m in spec.methods
                  if OBJECTIVES[m.name].needs_synonyms and not dict(m.options).get("synonyms")]
        if needs and not (self.resources and Path(self.resources).is_dir()):
            raise UserError(f"--resources: {needs[0]} needs the resources folder (counterfitted_neighbors.json, "
                            f"muse/); {self.resources or 'XROBUST_RESOURCES is not set'}"
                            + (" is not a folder" if self.resources else ""))


# ---- the configuration of each unit ----

def intermediate_config(spec: StudySpec, condition: Condition, seed: int, study_dir: Path,
                        settings: RunSettings) -> TrainConfig:
    """A standard run on the condition's data, with the target's optimisation settings; its
    own English dev rows select and score it (a cheap check that it learned)."""
    train = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.train}
    values = {**train, "task": condition.task, "model": spec.model, "method": "standard", "seed": seed,
              "data_dir": settings.data_dir, "output_dir": _absolute(study_dir, intermediate_name(condition.name, seed)),
              "epochs": condition.epochs, "max_train_examples": condition.examples,
              # rows of the split in languages[i % n]; the rows it trains on are held out of its
              # own selection and evaluation (training/stage_data.py, evaluation/trained_run.py)
              "train_split": condition.split, "train_languages": list(condition.languages),
              "eval_split": "dev", "eval_languages": ["en"], "max_eval_examples": train.get("max_dev_examples")}
    return TrainConfig(**values)


def cell_config(spec: StudySpec, unit: Unit, study_dir: Path, settings: RunSettings) -> TrainConfig:
    condition, method = spec.condition(unit.condition), spec.method(unit.method)
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in (*spec.train, *method.options)}
    model = (_absolute(study_dir, intermediate_name(condition.name, unit.seed)) + "/model" if condition.trains
             else spec.model)
    values.update(task=spec.task, model=model, method=method.name, seed=unit.seed, data_dir=settings.data_dir,
                  output_dir=_absolute(study_dir, unit.name), eval_split=spec.evaluation.split,
                  eval_languages=list(spec.evaluation.languages), max_eval_examples=spec.evaluation.examples)
    if OBJECTIVES[method.name].needs_synonyms and not values.get("synonyms"):
        # config.json names the table actually used, as `xrobust train` does
        values["synonyms"] = str(Path(settings.resources) / "counterfitted_neighbors.json")
    return TrainConfig(**values)


def attack_config(spec: StudySpec, unit: Unit, study_dir: Path, settings: RunSettings):
    from xrobust.attacks.runner import AttackConfig

    attack: AttackSpec = next(a for a in spec.attacks if a.recipe == unit.recipe)
    extra = {"eps": attack.eps} if attack.eps else {}
    if attack.steps:
        extra["pgd_steps"] = attack.steps
    return AttackConfig(
        checkpoint=_absolute(study_dir, unit.cell), task=spec.task, recipe=attack.recipe, languages=attack.languages,
        data_dir=settings.data_dir, resources=settings.resources, output_dir=_absolute(study_dir, unit.name),
        split=spec.evaluation.split, max_examples=attack.examples, query_budget=attack.query_budget,
        seed=attack.seed, max_length=dict(spec.train).get("max_length", 128), precision=spec.precision, **extra)


def _absolute(study_dir: Path, name: str) -> str:
    # Written into each run's config.json: absolute, so that a resume from another working
    # directory is recognised as the same run.
    return str((study_dir / name).resolve())


# ---- running ----

@dataclass
class StudyRun:
    spec: StudySpec
    study_dir: Path
    settings: RunSettings
    units: dict[str, Unit] = field(default_factory=dict)
    outcome: dict[str, bool] = field(default_factory=dict)  # this invocation: unit -> finished
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    # A launcher job's own units; a unit outside them that failed (in its own job) is reported,
    # not retried here. None: retry any failed unit (a re-run is how a user retries).
    own: frozenset[str] | None = None

    def ensure(self, unit: Unit) -> bool:
        """Make `unit` done (running what it needs first); False if it or a dependency failed."""
        if unit.name in self.outcome:
            return self.outcome[unit.name]
        for name in unit.depends:
            if not self.ensure(self.units[name]):
                say(f"{unit.name}: skipped, {name} failed")
                self.blocked.append(unit.name)
                self.outcome[unit.name] = False
                return False
        while True:
            state = unit_state(self.study_dir, unit)
            if state.state == "done":
                break
            if state.state == "failed" and self.own is not None and unit.name not in self.own:
                say(f"{unit.name}: failed in another job ({state.error}); not retried here")
                self.outcome[unit.name] = False
                return False
            if state.state == "running":  # another process (shard) has it: wait for its result
                time.sleep(POLL_SECONDS)
                continue
            with UnitLock(state_file(self.study_dir, unit, ".lock")) as lock:
                if lock.held:
                    self.outcome[unit.name] = self.run_unit(unit)
                    return self.outcome[unit.name]
            time.sleep(POLL_SECONDS)
        self.outcome[unit.name] = True
        return True

    def run_unit(self, unit: Unit) -> bool:
        """Run one unit whose lock the caller holds; False (its error line written) if it failed."""
        if (self.study_dir / unit.name / unit.result_file).is_file():
            return True  # finished by another process between our look and our lock
        error_file = state_file(self.study_dir, unit, ".error")
        error_file.unlink(missing_ok=True)
        say(f"study {self.spec.name}: {unit.name}")
        try:
            self._execute(unit)
            if not (self.study_dir / unit.name / unit.result_file).is_file():
                raise RuntimeError(f"finished without writing {unit.result_file}")
        except KeyboardInterrupt:
            raise
        except Exception as err:  # a failed unit must not stop the units that do not need it
            line = str(err) if isinstance(err, UserError) else f"{type(err).__name__}: {err}"
            line = line.strip().splitlines()[0] if line.strip() else type(err).__name__
            if not isinstance(err, UserError):
                traceback.print_exc()
            write_text(error_file, line + "\n")
            say(f"{unit.name}: failed: {line}")
            self.failed.append(unit.name)
            return False
        self.ran.append(unit.name)
        return True

    def _execute(self, unit: Unit) -> None:
        from xrobust.evaluation.trained_run import train_and_evaluate

        if unit.kind == "intermediate":
            condition = self.spec.condition(unit.condition)
            train_and_evaluate(intermediate_config(self.spec, condition, unit.seed, self.study_dir, self.settings))
        elif unit.kind == "cell":
            train_and_evaluate(cell_config(self.spec, unit, self.study_dir, self.settings))
        elif unit.kind == "attack":
            from xrobust.attacks.runner import run_attack

            run_attack(attack_config(self.spec, unit, self.study_dir, self.settings))
        elif unit.kind == "generalized":
            from xrobust.evaluation.checkpoint_eval import evaluate_checkpoint

            evaluation = self.spec.evaluation
            evaluate_checkpoint(_absolute(self.study_dir, unit.cell), self.spec.task, evaluation.split,
                                ",".join(evaluation.generalized), self.settings.data_dir,
                                _absolute(self.study_dir, unit.name), evaluation.examples,
                                dict(self.spec.train).get("eval_batch_size", 64), None, generalized=True,
                                precision=self.spec.precision)
        else:
            raise AssertionError(unit.kind)


def run_study(spec: StudySpec, study_dir: Path, settings: RunSettings, shard: tuple[int, int] = (1, 1),
              workers: int = 1) -> str:
    """Run this shard's units (and what they need); return a one-line summary."""
    units = plan_units(spec)
    run = StudyRun(spec, study_dir, settings, {u.name: u for u in units})
    mine = shard_units(units, shard)
    if workers > 1:
        from xrobust.study.workers import run_in_workers

        run_in_workers(run, mine, workers)
    else:
        with reuse_tokenizers():  # every unit loads a copy of the same tokenizer: parse it once
            for unit in mine:
                run.ensure(unit)
    done = sum(unit_state(study_dir, u).state == "done" for u in units)
    line = (f"study {spec.name}: {len(run.ran)} units run now, {done} of {len(units)} done"
            + (f", {len(run.failed)} failed ({', '.join(run.failed)})" if run.failed else "")
            + (f", {len(run.blocked)} skipped because a unit they need failed" if run.blocked else ""))
    return (line + (f" (shard {shard[0]}/{shard[1]}: {len(mine)} units)" if shard != (1, 1) else "")
            + (f" ({workers} workers)" if workers > 1 else ""))


class UnitLock:
    """An exclusive lock file (`host pid`), touched every HEARTBEAT_SECONDS while held. A lock
    whose heartbeat stopped, or whose process on this host is gone, is taken over."""

    def __init__(self, path: Path):
        self.path = path
        self.held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "UnitLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):  # second try after removing a stale lock
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if lock_is_fresh(self.path):
                    return self
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(handle, "w") as out:
                out.write(f"{socket.gethostname()} {os.getpid()}\n")
            self.held = True
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
            return self
        return self

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                os.utime(self.path)
            except FileNotFoundError:
                return

    def __exit__(self, *exc) -> None:
        if self.held:
            self._stop.set()
            self.path.unlink(missing_ok=True)
