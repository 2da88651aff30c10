"""How a study's results were made, from the records its units wrote: which code (git commit),
which machine, in what precision, how much compute, and over what span of time.

Every figure of the report can be traced to a unit's folder; this says what produced those
folders. A unit written before runs recorded a commit is counted as "not recorded".
"""

import calendar
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from xrobust.results.rundir import read_json
from xrobust.study.plan import Unit, plan_units, unit_state
from xrobust.study.spec import StudySpec

NOT_RECORDED = "not recorded"


def provenance(spec: StudySpec, study_dir: Path) -> dict:
    """Commits, machines, compute seconds and dates of every finished unit."""
    records = [_record(study_dir, unit) for unit in plan_units(spec) if unit_state(study_dir, unit).state == "done"]
    if not records:
        return {"units_done": 0}
    started = [r["started"] for r in records if r["started"] is not None]
    first, last = min(started or [r["finished"] for r in records]), max(r["finished"] for r in records)
    return {
        "units_done": len(records),
        "commits": dict(Counter(r["environment"].get("commit") or NOT_RECORDED for r in records)),
        "machines": dict(Counter(_machine(r["environment"]) for r in records)),
        "packages": records[-1]["environment"].get("packages", {}),
        "precision": spec.precision,
        "compute_seconds": round(sum(r["seconds"] for r in records), 1),
        "first_started": _iso(first), "last_finished": _iso(last),
        "span_seconds": round(last - first, 1),  # includes any pause between sessions
    }


def _record(study_dir: Path, unit: Unit) -> dict:
    """environment, seconds of compute and start/finish times (epoch seconds) of one unit."""
    folder = study_dir / unit.name
    result = folder / unit.result_file
    finished = result.stat().st_mtime
    if unit.kind in ("intermediate", "cell"):
        config, metrics = read_json(folder / "config.json"), read_json(result)
        seconds = sum(s.get("train_seconds", 0) for s in metrics.get("stages", [])) + metrics.get("eval_seconds", 0)
        return {"environment": config.get("environment", {}), "seconds": seconds,
                "started": _epoch(config.get("created")), "finished": finished}
    if unit.kind == "attack":
        entry = read_json(result)["recipes"][unit.recipe]
        seconds = sum(language.get("seconds", 0) for language in entry["languages"].values())
        return {"environment": entry.get("environment", {}), "seconds": seconds, "started": finished - seconds,
                "finished": finished}
    evaluation = read_json(folder / "evaluate.json")  # generalized: written when the evaluation starts
    started = _epoch(evaluation.get("created"))
    return {"environment": evaluation.get("environment", {}), "seconds": finished - started if started else 0,
            "started": started, "finished": finished}


def _machine(environment: dict) -> str:
    if not environment:
        return NOT_RECORDED
    cpu = environment.get("cpu") or environment.get("processor") or environment.get("machine") or "unknown CPU"
    return f"{cpu}, {environment.get('cpu_count')} cores"


def _epoch(stamp: str | None) -> float | None:
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) if stamp else None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
