"""The units of work of a study, their dependencies, and their state read from the folders.

    intermediate/<condition>/s<seed>                    one per (condition, seed), shared by every method
    cells/<condition>/<method>/s<seed>                  an ordinary run directory
    cells/<condition>/<method>/s<seed>/attacks/<recipe> robustness.json, adversarial/*.jsonl
    cells/<condition>/<method>/s<seed>/evaluations/generalized    generalized.json

A unit is done when its result file exists (every xrobust command writes it last, atomically);
running while its lock in `.study/` is fresh; failed when `.study/` holds its error line.
The lock and error files live outside the unit's folder because `xrobust train` refuses an
output folder that holds anything but a run.
"""

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from xrobust.errors import UserError
from xrobust.study.spec import StudySpec

STATE_DIR = ".study"
STALE_SECONDS = 90  # a lock not refreshed for this long belongs to a process that died
HEARTBEAT_SECONDS = 20
RESULT_FILE = {"intermediate": "metrics.json", "cell": "metrics.json", "attack": "robustness.json",
               "generalized": "generalized.json"}


@dataclass(frozen=True)
class Unit:
    kind: str  # intermediate | cell | attack | generalized
    name: str  # its folder, relative to the study directory
    condition: str
    seed: int
    method: str | None = None  # a method label (cells and what is run on them)
    recipe: str | None = None
    depends: tuple[str, ...] = ()  # names of units that must be done first

    @property
    def result_file(self) -> str:
        return RESULT_FILE[self.kind]

    @property
    def cell(self) -> str | None:
        return None if self.kind == "intermediate" else cell_name(self.condition, self.method, self.seed)


def cell_name(condition: str, method: str, seed: int) -> str:
    return f"cells/{condition}/{method}/s{seed}"


def intermediate_name(condition: str, seed: int) -> str:
    return f"intermediate/{condition}/s{seed}"


def plan_units(spec: StudySpec) -> list[Unit]:
    """Every unit in a fixed order: intermediate stages, then cells, then what runs on cells.
    A unit only ever depends on units earlier in the list (shards rely on this)."""
    units = [Unit("intermediate", intermediate_name(c.name, s), c.name, s)
             for c in spec.conditions if c.trains for s in spec.seeds]
    cells = []
    for condition in spec.conditions:
        for method in spec.methods:
            for seed in spec.seeds:
                depends = (intermediate_name(condition.name, seed),) if condition.trains else ()
                cells.append(Unit("cell", cell_name(condition.name, method.label, seed), condition.name, seed,
                                  method.label, depends=depends))
    units += cells
    for cell in cells:
        for attack in spec.attacks:
            units.append(Unit("attack", f"{cell.name}/attacks/{attack.recipe}", cell.condition, cell.seed,
                              cell.method, attack.recipe, (cell.name,)))
        if spec.evaluation.generalized:
            units.append(Unit("generalized", f"{cell.name}/evaluations/generalized", cell.condition, cell.seed,
                              cell.method, depends=(cell.name,)))
    return units


def parse_shard(value: str) -> tuple[int, int]:
    """"K/N" -> (K, N), 1 <= K <= N."""
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        raise UserError(f"--shard {value}: expected K/N, e.g. 1/4") from None
    if not 1 <= k <= n:
        raise UserError(f"--shard {value}: K must be between 1 and N")
    return k, n


def shard_units(units: list[Unit], shard: tuple[int, int]) -> list[Unit]:
    """Every N-th unit, starting at the K-th: N machines sharing the study folder split it."""
    k, n = shard
    return [unit for index, unit in enumerate(units) if index % n == k - 1]


# ---- state, read from the folders only ----

@dataclass(frozen=True)
class UnitState:
    state: str  # done | running | failed | left
    error: str = ""  # the error line of a failed unit


def state_file(study_dir: Path, unit: Unit, suffix: str) -> Path:
    return study_dir / STATE_DIR / (unit.name.replace("/", "__") + suffix)


def unit_state(study_dir: Path, unit: Unit, now: float | None = None) -> UnitState:
    if (study_dir / unit.name / unit.result_file).is_file():
        return UnitState("done")
    if lock_is_fresh(state_file(study_dir, unit, ".lock"), now):
        return UnitState("running")
    error = state_file(study_dir, unit, ".error")
    if error.is_file():
        return UnitState("failed", error.read_text(encoding="utf-8").strip())
    return UnitState("left")


def lock_is_fresh(lock: Path, now: float | None = None) -> bool:
    """A lock is fresh while its heartbeat is recent and, on this machine, its process lives."""
    try:
        age = (now or time.time()) - lock.stat().st_mtime
        host, pid = lock.read_text(encoding="utf-8").split()[:2]
    except (FileNotFoundError, ValueError):
        return False
    if age > STALE_SECONDS:
        return False
    if host == socket.gethostname():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False  # killed (e.g. SIGKILL) without removing its lock
        except PermissionError:
            pass
    return True


def status_table(spec: StudySpec, study_dir: Path, now: float | None = None) -> str:
    """The grid: one row per intermediate stage and per cell; columns: training, each attack,
    the generalized matrix. Failed units are listed below with their error line."""
    units = plan_units(spec)
    states = {u.name: unit_state(study_dir, u, now) for u in units}
    columns = ["train"] + [a.recipe for a in spec.attacks] + (["generalized"] if spec.evaluation.generalized else [])
    rows: dict[str, dict[str, str]] = {}  # unit row -> column -> state
    for unit in units:
        if unit.kind in ("intermediate", "cell"):
            rows[unit.name] = {"train": states[unit.name].state}
        else:
            rows[unit.cell][unit.recipe or "generalized"] = states[unit.name].state
    counts = {s: sum(st.state == s for st in states.values()) for s in ("done", "running", "failed", "left")}
    first = max(len(name) for name in rows)
    widths = [max(len(c), 7) for c in columns]
    lines = [f"study {spec.name} ({study_dir}): {len(units)} units: "
             + ", ".join(f"{n} {s}" for s, n in counts.items()), "",
             f"{'unit':<{first}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(columns, widths)).rstrip()]
    for name, cells in rows.items():
        lines.append(f"{name:<{first}}  " + "  ".join(f"{cells.get(c, ''):<{w}}"
                                                       for c, w in zip(columns, widths)).rstrip())
    failed = [(name, st.error) for name, st in states.items() if st.state == "failed"]
    if failed:
        lines += ["", "failed:"] + [f"  {name}: {error}" for name, error in failed]
    return "\n".join(lines)

