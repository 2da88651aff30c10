"""`--launcher slurm`: a study's units as cluster jobs, through submitit (as hydra's launcher).

One job per intermediate stage (condition, seed), and one per cell that also runs the cell's
attacks and generalized matrix (they read the cell's model: one load, one node). A cell's
job depends on its stage's job (SLURM `afterany`: the cell job looks at the stage itself,
so a stage that failed is reported, not retried, and one whose job was killed is resumed).
Inside a job the in-process runner does the work: the same locks, error lines and result
files, so jobs, shards and `--workers` mix, and a job started before its dependency is done
(submitit's local executor ignores SLURM dependencies) waits for it or runs it.
Every job rewrites the report when it ends; the last one to end writes the full report.

`--launcher local` is submitit's local executor (every job a process on this machine, all
started at once), for trying a launch without a cluster; the tests use it.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from xrobust.errors import UserError
from xrobust.study.plan import STATE_DIR, Unit, plan_units, shard_units
from xrobust.study.workers import cores

LAUNCHERS = ("slurm", "local")
LOCAL_TIMEOUT_MIN = 24 * 60  # submitit's local default (2 minutes) would kill any real job


@dataclass(frozen=True)
class Job:
    name: str  # the intermediate stage's or cell's folder
    units: tuple[str, ...]  # run in this order
    after: tuple[str, ...] = ()  # names of the jobs it depends on


def plan_jobs(units: list[Unit]) -> list[Job]:
    """Stage jobs first (their cells depend on them), then one job per cell with what runs on it."""
    jobs = [Job(u.name, (u.name,)) for u in units if u.kind == "intermediate"]
    for cell in (u for u in units if u.kind == "cell"):
        on_cell = tuple(u.name for u in units if u.kind in ("attack", "generalized") and u.cell == cell.name)
        jobs.append(Job(cell.name, (cell.name, *on_cell), cell.depends))
    return jobs


def parse_launcher_options(values: list[str]) -> dict:
    """["timeout_min=600", "slurm_partition=gpu"] -> submitit parameters (numbers as numbers)."""
    options = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise UserError(f"--launcher-option {value}: expected KEY=VALUE, e.g. slurm_partition=gpu")
        for kind in (int, float):
            try:
                options[key] = kind(text)
                break
            except ValueError:
                continue
        else:
            options[key] = text
    return options


def submit_study(spec, study_dir: Path, settings, launcher: str, options: dict,
                 shard: tuple[int, int] = (1, 1), wait: bool = False) -> str:
    """Submit the jobs of this shard's units (a job for every unit they need that is not done);
    return what was submitted, or with `wait` the summary once every job has ended."""
    try:
        import submitit
    except ImportError:
        raise UserError(f"--launcher {launcher}: needs submitit (pip install 'xrobust[cluster]')") from None
    from xrobust.study.plan import unit_state

    units = plan_units(spec)
    wanted = {u.name for u in shard_units(units, shard)}
    by_name = {u.name: u for u in units}
    every_job = plan_jobs(units)
    needed = {job.name for job in every_job if wanted.intersection(job.units)}
    needed |= {name for job in every_job if job.name in needed for name in job.after}
    jobs = [job for job in every_job
            if job.name in needed and any(unit_state(study_dir, by_name[n]).state != "done" for n in job.units)]
    if not jobs:
        return f"study {spec.name}: nothing to submit, every unit of this shard is done"
    executor = _executor(submitit, study_dir, launcher, options, spec.name)
    threads = None if launcher == "slurm" else max(1, cores() // len(jobs))  # local: all jobs at once
    submitted: dict[str, object] = {}
    for job in jobs:
        after = [submitted[name].job_id for name in job.after if name in submitted]
        executor.update_parameters(name=f"xrobust-{spec.name}",
                                   slurm_additional_parameters={"dependency": "afterany:" + ":".join(after)}
                                   if after else {})
        try:
            submitted[job.name] = executor.submit(run_job, spec, study_dir, settings, job, threads)
        except (OSError, subprocess.SubprocessError) as err:  # no sbatch here, or SLURM refused the job
            raise UserError(f"--launcher {launcher}: submitting {job.name} failed after {len(submitted)} jobs: "
                            f"{(str(err).strip().splitlines() or [type(err).__name__])[0]}") from None
    ids = ", ".join(f"{name}={j.job_id}" for name, j in submitted.items())
    if not wait:
        return (f"study {spec.name}: {len(submitted)} jobs submitted to {launcher} ({ids}); logs in "
                f"{study_dir / STATE_DIR / 'submitit'}; `xrobust study --output-dir {study_dir} --status` "
                "shows progress, the last job to end writes the report")
    lines = []
    for name, job in submitted.items():
        try:
            lines.append(job.result())
        except Exception as err:  # a job that died (timeout, node failure): its units are left, not lost
            first = (str(err).strip().splitlines() or [type(err).__name__])[-1]
            lines.append(f"{name}: job {job.job_id} ended abnormally: {first}")
    return "\n".join(lines)


def _executor(submitit, study_dir: Path, launcher: str, options: dict, name: str):
    folder = study_dir / STATE_DIR / "submitit" / "%j"
    try:
        executor = submitit.AutoExecutor(folder=folder, cluster=launcher)
        if launcher == "local":
            executor.update_parameters(timeout_min=LOCAL_TIMEOUT_MIN)
        executor.update_parameters(**options)
    except (NameError, AssertionError, ValueError, RuntimeError) as err:
        # submitit: an unknown option (NameError), a wrong type (AssertionError), no sbatch (RuntimeError)
        raise UserError(f"--launcher {launcher}: {str(err).strip().splitlines()[0]}") from None
    return executor


# ---- in the job ----

def run_job(spec, study_dir: Path, settings, job: Job, threads: int | None) -> str:
    """A job's units, in order, with the in-process runner; then the report from whatever is done."""
    import torch

    from xrobust.encoders.loading import reuse_tokenizers
    from xrobust.study.report import write_report
    from xrobust.study.run import StudyRun

    # SLURM: the CPUs the job was given (torch would count the whole node's cores)
    threads = threads or int(os.environ.get("SLURM_CPUS_PER_TASK", "0"))
    if threads:
        torch.set_num_threads(threads)
    units = {u.name: u for u in plan_units(spec)}
    run = StudyRun(spec, study_dir, settings, units, own=frozenset(job.units))
    with reuse_tokenizers():
        for name in job.units:
            run.ensure(units[name])
    write_report(spec, study_dir)
    return (f"{job.name}: {len(run.ran)} units run" + (f", failed: {', '.join(run.failed)}" if run.failed else "")
            + (f", skipped (a unit they need failed): {', '.join(run.blocked)}" if run.blocked else ""))
