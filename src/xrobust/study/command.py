"""`xrobust study`: validate the spec, then show the grid (--status), rebuild the report
(--report), or run what is left and report (the default)."""

import dataclasses
import os
from pathlib import Path

from xrobust.errors import UserError
from xrobust.results.rundir import write_text
from xrobust.study.plan import parse_shard, status_table
from xrobust.study.spec import StudySpec, load_spec

SPEC_COPY = "spec.toml"  # the study folder keeps its spec, so --status and --report need only the folder


def study_command(args) -> int:
    study_dir = Path(args.output_dir)
    spec = _spec(args.spec, study_dir, args.model)
    shard = parse_shard(args.shard) if args.shard else (1, 1)
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: must be at least 1")
    if args.launcher and args.workers > 1:
        raise UserError("--workers: not with --launcher (each job runs its units in turn; the cluster runs the jobs "
                        "in parallel)")
    if (args.launcher_option or args.wait) and not args.launcher:
        raise UserError(f"{'--launcher-option' if args.launcher_option else '--wait'}: only with --launcher")
    if args.status:
        print(status_table(spec, study_dir))
        return 0
    if args.report:
        from xrobust.study.report import write_report

        print(write_report(spec, study_dir))
        return 0
    from xrobust.study.run import RunSettings, run_study
    from xrobust.tasks.xtreme import data_dir_from

    settings = RunSettings(data_dir=str(data_dir_from(args.data_dir)),
                           resources=args.resources or os.environ.get("XROBUST_RESOURCES") or "")
    settings.check(spec)  # a missing resource folder fails before anything trains
    from xrobust.study.report import write_report

    if args.launcher:
        from xrobust.study.launcher import parse_launcher_options, submit_study

        options = parse_launcher_options(args.launcher_option)
        _keep_spec(args.spec, spec, study_dir)
        print(submit_study(spec, study_dir, settings, args.launcher, options, shard, args.wait))
        if args.wait:
            print(status_table(spec, study_dir).splitlines()[0])
            print(write_report(spec, study_dir))
        return 0
    _keep_spec(args.spec, spec, study_dir)
    summary = run_study(spec, study_dir, settings, shard, args.workers)
    print(summary)
    print(write_report(spec, study_dir))
    return 0


def _spec(path: str | None, study_dir: Path, model: str | None) -> StudySpec:
    if path:
        return load_spec(path, model)
    if (study_dir / SPEC_COPY).is_file():
        return load_spec(study_dir / SPEC_COPY, model)
    raise UserError(f"--spec: required (--output-dir {study_dir} holds no {SPEC_COPY} of an earlier study)")


def _keep_spec(path: str | None, spec: StudySpec, study_dir: Path) -> None:
    """Copy the spec into a new study folder; refuse a folder made from another spec."""
    copy = study_dir / SPEC_COPY
    if copy.is_file():
        kept = load_spec(copy)
        ignore = {"path": "", "model": ""}  # the model may be overridden on the command line
        if dataclasses.replace(kept, **ignore) != dataclasses.replace(spec, **ignore):
            raise UserError(f"--output-dir {study_dir}: holds a study made from another spec ({copy} differs "
                            f"from {path}); choose another --output-dir")
        return
    # .study/ and a spec copy being written (.spec.toml.*) are a study starting in another shard;
    # `copy` is looked at again because that shard may have just finished writing it
    if study_dir.exists() and any(p.name != SPEC_COPY and not p.name.startswith(".") for p in study_dir.iterdir()) \
            and not copy.is_file():
        raise UserError(f"--output-dir {study_dir}: exists and is not an xrobust study; choose another")
    study_dir.mkdir(parents=True, exist_ok=True)
    if path:
        write_text(copy, Path(path).read_text(encoding="utf-8"))  # atomic: shards may write it at once
