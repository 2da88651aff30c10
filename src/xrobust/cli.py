"""Command line: parses arguments and calls the modules that do the work."""

import argparse
import dataclasses
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args, get_origin

from xrobust.errors import UserError

if TYPE_CHECKING:  # the CLI imports torch-heavy modules only for the command that needs them
    from xrobust.training.config import TrainConfig


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line with exit code 2, like every other user error."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _intermediate_list(value: str) -> list[str]:
    """`mnli,xnli` -> two English sources; `xnli:dev:de,es` -> one source in two languages."""
    return [value.strip()] if ":" in value else _comma_list(value)


# Options that are not simply what their setting's type makes them (see _train_option).
TRAIN_OPTION_CHANGES = {
    "task": {"default": None},  # required unless --config
    "data_dir": {"default": None},  # then $XROBUST_DATA (_config_from_args)
    "output_dir": {"default": None},  # then runs/<task>-<method>-<model>-s<seed>
    "intermediate": {"action": "append", "type": _intermediate_list, "default": None},  # repeatable
    "synonym_source": {"metavar": "SOURCES"},
}


def _add_train_options(p: argparse.ArgumentParser) -> None:
    """One option per TrainConfig setting, with its help; those of robust objectives grouped."""
    from xrobust.robust.objectives import method_options
    from xrobust.training.config import TrainConfig

    robust = p.add_argument_group("robust training (used by the --method named in each option)")
    for setting in dataclasses.fields(TrainConfig):
        flag, keywords = _train_option(setting)
        (robust if setting.name in method_options() else p).add_argument(flag, **keywords)


def _train_option(setting) -> tuple[str, dict]:
    """(flag, add_argument keywords) of a TrainConfig field: `--max-length`, typed by its
    annotation; a bool that is on by default is turned off by `--no-...`."""
    from xrobust.training.config import option_name

    default = setting.default if setting.default_factory is dataclasses.MISSING else setting.default_factory()
    kind = setting.type
    if isinstance(kind, types.UnionType):  # `int | None`: an int, or left out
        kind = next(k for k in get_args(kind) if k is not type(None))
    keywords = {"help": setting.metadata["help"], "default": default}
    if kind is bool:
        if default:
            return "--no-" + setting.name.replace("_", "-"), {**keywords, "dest": setting.name, "action": "store_false"}
        return option_name(setting.name), {**keywords, "action": "store_true"}
    if get_origin(kind) is Literal:
        keywords["choices"] = get_args(kind)
    elif kind == list[str]:
        keywords["type"] = _comma_list  # comma-separated
    elif kind in (int, float):
        keywords["type"] = kind
    return option_name(setting.name), {**keywords, **TRAIN_OPTION_CHANGES.get(setting.name, {})}


def _add_substitution_options(group, lookup_default: str, draw_default: str) -> None:
    """The rs-da substitution rule for `augment`, with the help of the training settings."""
    from xrobust.robust.settings import SUBSTITUTIONS, SYNONYM_LOOKUPS

    group.add_argument("--synonym-lookup", default=lookup_default, choices=SYNONYM_LOOKUPS,
                       help=_setting_help("synonym_lookup"))
    group.add_argument("--substitution", default=draw_default, choices=SUBSTITUTIONS,
                       help=_setting_help("substitution"))


def _setting_help(name: str) -> str:
    """The help of a training setting, for another command's option of the same meaning."""
    from xrobust.training.config import TrainConfig

    return TrainConfig.__dataclass_fields__[name].metadata["help"]


def _config_from_args(args) -> "TrainConfig":
    from xrobust.robust.objectives import OBJECTIVES
    from xrobust.tasks.xtreme import data_dir_from
    from xrobust.training.config import TrainConfig

    values = {k: getattr(args, k) for k in TrainConfig.__dataclass_fields__ if hasattr(args, k)}
    values["data_dir"] = str(data_dir_from(args.data_dir))
    values["output_dir"] = args.output_dir or ""
    values["intermediate"] = [source for group in args.intermediate or [] for source in group]
    if OBJECTIVES[values["method"]].needs_synonyms and not values.get("synonyms"):
        from xrobust.lexicon.synonyms import default_synonyms_path

        values["synonyms"] = str(default_synonyms_path())  # config.json names the table actually used
    return TrainConfig(**values)


def _smoothing_from_args(args):
    """SmoothingSettings from `evaluate`'s options, or None without --smooth."""
    from xrobust.robust.settings import EmbeddingNoise, SmoothingSettings, SubstitutionRule

    if args.smooth is None:
        return None
    if args.smooth < 1:
        raise UserError("--smooth: must be at least 1")
    if args.noise_radius < 0 or args.noise_sigma < 0:
        raise UserError("--noise-radius / --noise-sigma: must be at least 0")
    noise = EmbeddingNoise(args.smooth_perturbation if args.smooth_perturbation != "synonyms" else "uniform-ball",
                           args.noise_radius, args.noise_sigma)
    sources = ("counter-fitted",)
    if args.smooth_perturbation == "synonyms":
        # Before anything heavy is imported: an English table votes over nonsense in German.
        from xrobust.lexicon.synonym_sources import check_covered, parse_sources
        from xrobust.tasks import get_task, parse_languages

        sources = parse_sources(args.synonym_source)
        check_covered(sources, parse_languages("--languages", args.languages, get_task(args.task)),
                      "--synonym-source", Path(args.synonyms) if args.synonyms else None)
    # Keywords: main passed the seed and the rule positionally, swapped.
    return SmoothingSettings(copies=args.smooth, kind=args.smooth_perturbation, noise=noise,
                             substitution=SubstitutionRule(lookup=args.synonym_lookup), seed=args.smooth_seed,
                             synonym_sources=sources)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("xrobust")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the `argv` it will parse, only what that command needs: the
    attack options import torch (~3 s), which a refusal such as `evaluate --smooth` in an
    uncovered language must not wait for."""
    from xrobust.encoders.devices import PRECISIONS
    from xrobust.robust.settings import SMOOTHING_KINDS, SYNONYM_LOOKUPS

    parser = _Parser(prog="xrobust", description=__doc__)
    parser.add_argument("--version", action="version", version=f"xrobust {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="fine-tune on English (after intermediate tasks) and evaluate zero-shot")
    _add_train_options(train)
    train.add_argument("--config", help="a run's config.json: repeat that run exactly (other options ignored)")

    evaluate = commands.add_parser("evaluate", help="zero-shot accuracy of a checkpoint per language")
    evaluate.add_argument("checkpoint", help="a run directory or a checkpoint folder")
    evaluate.add_argument("--task", required=True)
    evaluate.add_argument("--split", default="dev")
    evaluate.add_argument("--languages", help="comma-separated (default: all of the task)")
    evaluate.add_argument("--data-dir", help="XTREME-layout folder, or 'hub' (default: $XROBUST_DATA)")
    evaluate.add_argument("--output-dir", help="default: <run>/evaluations/<task>-<split>")
    evaluate.add_argument("--max-examples", type=int, help="pairs per language (evenly spaced)")
    evaluate.add_argument("--batch-size", type=int, default=64)
    evaluate.add_argument("--max-length", type=int, help="default: the training run's")
    evaluate.add_argument("--precision", default="auto", choices=PRECISIONS,
                          help="fp32, bf16 (autocast), fp16 (GPU) or auto (bf16 where the hardware runs it natively)")
    evaluate.add_argument("--generalized", action="store_true",
                          help="score every (sentence1 language, sentence2 language) combination of the "
                               "row-aligned files; writes generalized.json and a heatmap")
    smooth = evaluate.add_argument_group("smoothed prediction")
    smooth.add_argument("--smooth", type=int, metavar="M",
                        help="predict by majority vote over M perturbed copies of each input; "
                             "reports how often the vote was unanimous")
    smooth.add_argument("--smooth-perturbation", default="synonyms", choices=SMOOTHING_KINDS,
                        help="synonyms: random substitution from --synonyms (English words only); "
                             "uniform-ball / gaussian: noise on each token's word embedding")
    smooth.add_argument("--synonyms", default="",
                        help="synonym table JSON (default: $XROBUST_RESOURCES/counterfitted_neighbors.json)")
    smooth.add_argument("--synonym-source", default="counter-fitted", metavar="SOURCES",
                        help=_setting_help("synonym_source"))
    smooth.add_argument("--synonym-lookup", default="published", choices=SYNONYM_LOOKUPS,
                        help="synonyms: which words can change, as rs-da's option of that name")
    smooth.add_argument("--noise-radius", type=float, default=0.5, help="uniform-ball: L2 radius per token")
    smooth.add_argument("--noise-sigma", type=float, default=0.02, help="gaussian: standard deviation per coordinate")
    smooth.add_argument("--smooth-seed", type=int, default=0, help="seed of the perturbation draws")

    quick = commands.add_parser("quickstart", help="train on an XNLI slice with the default encoder, "
                                "evaluate on all 15 languages (~5 minutes on 2 CPU cores)")
    quick.add_argument("--output-dir", default="runs/quickstart")
    quick.add_argument("--data-dir", help="default: $XROBUST_DATA")

    command = next((a for a in argv if not a.startswith("-")), None) if argv is not None else "attack"
    if command in (None, "attack"):
        from xrobust.attacks.cli import add_attack_parser

        add_attack_parser(commands)
    else:
        commands.add_parser("attack", help="adversarial attacks: robust accuracy per language")

    augment = commands.add_parser("augment", help="write rs-da's synonym-substituted copies of a split in the "
                                  "XTREME layout (the copies a --augment-mode static run trains on)")
    augment.add_argument("--task", required=True, help="pawsx, xnli or mnli")
    augment.add_argument("--split", default="train", help="the split to perturb")
    augment.add_argument("--language", default="en", help="the language of the split's file (default: en); "
                         "a --synonym-source must cover it")
    augment.add_argument("--synonym-source", default="counter-fitted", metavar="SOURCES",
                         help=_setting_help("synonym_source"))
    augment.add_argument("--copies", type=int, default=10, help="perturbed copies per pair (paper: 10 for PAWS-X)")
    augment.add_argument("--seed", type=int, default=42, help="the seed of the training run whose copies to write")
    augment.add_argument("--synonyms", default="",
                         help="synonym table JSON (default: $XROBUST_RESOURCES/counterfitted_neighbors.json)")
    _add_substitution_options(augment, "published", "independent")
    augment.add_argument("--data-dir", help="XTREME-layout folder (default: $XROBUST_DATA)")
    augment.add_argument("--model", default="default", help="encoder-neighbours: the encoder whose embeddings to "
                         "search (the --model of the rs-da run whose copies to write)")
    augment.add_argument("--output-dir", required=True, help="writes <task>/<split>-en.tsv and augment.json here")

    compare = commands.add_parser("compare", help="compare finished runs by intermediate condition and method "
                                  "over seeds: mean +- std per language, generalized averages, paired differences "
                                  "with 95%% intervals")
    compare.add_argument("runs", nargs="+", help="run directories (any tasks, conditions, methods and seeds)")
    compare.add_argument("--baseline", default="standard", help="method the others are compared with")
    compare.add_argument("--baseline-condition", default="none",
                         help="intermediate condition the others are compared with (e.g. none, mnli, "
                              "'mnli (inherited)')")
    compare.add_argument("--output-dir", help="also write comparison.md, comparison.json and comparison.png here")

    lexicon = commands.add_parser("lexicon", help="word-level resources")
    lexicon_commands = lexicon.add_subparsers(dest="lexicon_command", required=True, parser_class=_Parser)
    coverage = lexicon_commands.add_parser(
        "coverage", help="per language: words per sentence and the fraction of words with a dictionary "
                         "translation, a synonym and (--neighbors) an embedding neighbour")
    coverage.add_argument("--task", required=True)
    coverage.add_argument("--split", default="dev")
    coverage.add_argument("--languages", help="comma-separated (default: all of the task)")
    coverage.add_argument("--max-examples", type=int, help="pairs per language (evenly spaced rows)")
    coverage.add_argument("--data-dir", help="XTREME-layout folder, or 'hub' (default: $XROBUST_DATA)")
    coverage.add_argument("--resources", help="folder with counterfitted_neighbors.json and muse/ "
                          "(default: $XROBUST_RESOURCES)")
    coverage.add_argument("--neighbors", action="store_true",
                          help="also measure embedding neighbours: loads --model and searches its vocabulary "
                               "once per distinct word (about 90 s for 50 pairs in 4 languages on 2 CPU cores)")
    coverage.add_argument("--model", default="default", help="encoder for --neighbors")
    coverage.add_argument("--synonym-source", default="counter-fitted",
                          help="the synonym column's sources, comma-separated, the first covering a language wins: "
                               "counter-fitted (en), muse-pivot (the MUSE languages) or a table file "
                               "(default: counter-fitted)")
    coverage.add_argument("--json", action="store_true", help="one JSON object keyed by language code")

    export = lexicon_commands.add_parser(
        "synonyms", help="write one language's synonym table from a source in the per-language JSON format "
                         "({\"language\": L, \"source\": S, \"synonyms\": {word: [...]}}), for inspection or "
                         "editing; --synonym-source FILE reads it back")
    export.add_argument("--source", required=True,
                        help="counter-fitted, muse-pivot, encoder-neighbours, or a table file")
    export.add_argument("--model", default="default", help="encoder-neighbours: the encoder whose embeddings to search")
    export.add_argument("--language", required=True)
    export.add_argument("--output", required=True, help="JSON file to write")
    export.add_argument("--consistency", default="shared-translation",
                        choices=("shared-translation", "back-translation", "none"),
                        help="muse-pivot: which candidates to keep (docs/attacks.md, 'Synonym sources')")

    commands.add_parser("list", help="tasks with their languages and labels, methods, attack recipes with the "
                        "languages each covers, encoders usable offline")

    study = commands.add_parser("study", help="run a study from a spec (conditions x methods x seeds x attacks), "
                                "resumably; --status shows its grid, --report rebuilds its report (docs/study.md)")
    study.add_argument("--spec", help="the study's TOML file (default: the copy in --output-dir)")
    study.add_argument("--output-dir", required=True, help="the study folder; the same command resumes it")
    study.add_argument("--status", action="store_true", help="print the grid (done, running, failed, left); run nothing")
    study.add_argument("--report", action="store_true", help="rebuild study.json/.md/.html from the folders; run nothing")
    study.add_argument("--shard", metavar="K/N", help="run every N-th unit, starting at the K-th (N machines, one folder)")
    study.add_argument("--workers", type=int, default=1, metavar="N",
                       help="run units in N processes (CPU threads divided between them; one per GPU where there are)")
    study.add_argument("--launcher", choices=("slurm", "local"),
                       help="submit the units as jobs through submitit instead (local: submitit's local executor)")
    study.add_argument("--launcher-option", action="append", default=[], metavar="KEY=VALUE",
                       help="a submitit parameter for every job, e.g. timeout_min=600, slurm_partition=gpu, "
                            "gpus_per_node=1, cpus_per_task=8 (repeatable)")
    study.add_argument("--wait", action="store_true", help="with --launcher: wait for every job, then report")
    study.add_argument("--model", help="replaces the spec's model (e.g. a small local folder for a trial)")
    study.add_argument("--data-dir", help="XTREME-layout folder, or 'hub' (default: $XROBUST_DATA)")
    study.add_argument("--resources", help="attack and rs-da resources (default: $XROBUST_RESOURCES)")

    data = commands.add_parser("data", help="data utilities")
    data_commands = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    check = data_commands.add_parser("check", help="validate an XTREME-layout folder, list rows and problems")
    check.add_argument("dir")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as err:
        sys.stderr.write(f"xrobust: error: {err}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("xrobust: interrupted; run the same command again to resume from the last checkpoint\n")
        return 130


def _dispatch(args) -> int:
    if args.command == "train":
        from xrobust.evaluation.trained_run import train_and_evaluate
        from xrobust.training.config import TrainConfig

        if args.config:
            from xrobust.results.rundir import read_json

            config = TrainConfig.from_dict(read_json(Path(args.config))["config"], args.config)
        elif not args.task:
            raise UserError("--task: required (or --config with a run's config.json)")
        else:
            config = _config_from_args(args)
        train_and_evaluate(config)
        return 0
    if args.command == "evaluate":
        smoothing = _smoothing_from_args(args)  # first: its checks need no model

        from xrobust.evaluation.checkpoint_eval import evaluate_checkpoint
        from xrobust.results.report import accuracy_table
        from xrobust.tasks.xtreme import data_dir_from

        metrics, out = evaluate_checkpoint(args.checkpoint, args.task, args.split, args.languages,
                                           data_dir_from(args.data_dir), args.output_dir, args.max_examples,
                                           args.batch_size, args.max_length, smoothing=smoothing,
                                           synonyms=args.synonyms, generalized=args.generalized,
                                           precision=args.precision)
        if args.generalized:
            from xrobust.evaluation.generalized import GeneralizedResult, generalized_table

            print(f"{args.task} / {args.split} - generalized cross-lingual accuracy "
                  "(rows: sentence1 language, columns: sentence2 language)\n")
            print(generalized_table(GeneralizedResult(metrics["accuracy"], metrics["n"], metrics["skipped_blank"])))
        else:
            print(accuracy_table(metrics))
            if smoothing:
                print(f"\nMajority vote over M={smoothing.copies} copies ({smoothing.kind}); unanimous votes: " +
                      ", ".join(f"{lang} {share:.1%}" for lang, share in metrics["unanimous"].items()))
                if metrics["smoothing"].get("meaning_note"):
                    print(f"Note: {metrics['smoothing']['meaning_note']}.")
        print(f"\nwritten to {out}")
        return 0
    if args.command == "quickstart":
        from xrobust.evaluation.trained_run import train_and_evaluate
        from xrobust.quickstart import quickstart_config
        from xrobust.tasks.xtreme import data_dir_from

        train_and_evaluate(quickstart_config(str(data_dir_from(args.data_dir)), args.output_dir))
        return 0
    if args.command == "attack":
        from xrobust.attacks.cli import run_attack

        return run_attack(args)
    if args.command == "augment":
        from xrobust.encoders.loading import neighbour_encoder
        from xrobust.lexicon.synonym_sources import parse_sources
        from xrobust.lexicon.synonyms import default_synonyms_path
        from xrobust.robust.augment_files import write_augmented_split
        from xrobust.robust.settings import SubstitutionRule
        from xrobust.tasks.xtreme import data_dir_from

        summary = write_augmented_split(
            data_dir_from(args.data_dir), args.task, args.split, args.copies, args.seed,
            Path(args.synonyms) if args.synonyms else default_synonyms_path(),
            SubstitutionRule(args.synonym_lookup, args.substitution), Path(args.output_dir), args.language,
            parse_sources(args.synonym_source), encoder=lambda: neighbour_encoder(args.model))
        print(f"{summary['pairs_written']} pairs ({args.copies} copies of {summary['source']['kept']}) written to "
              f"{summary['output']}; per sentence: {summary['changed_per_sentence']} of {summary['words_per_sentence']} "
              f"words changed ({summary['changed_fraction']:.1%}), {summary['unchanged_sentences']:.1%} of "
              "sentences unchanged")
        return 0
    if args.command == "compare":
        from xrobust.reports.compare import comparison_plot, comparison_table, group_runs, load_run, summarise
        from xrobust.results.rundir import write_json, write_text
        groups = group_runs([load_run(Path(p)) for p in args.runs])
        for option, given, default, names in (
                ("--baseline", args.baseline, "standard", [g.method for g in groups]),
                ("--baseline-condition", args.baseline_condition, "none", [g.condition for g in groups])):
            names = list(dict.fromkeys(names))
            if given != default and given not in names:
                kind = "method" if option == "--baseline" else "condition"
                raise UserError(f"{option} {given}: no such {kind} among the runs ({', '.join(names)})")
        summary = summarise(groups, args.baseline, args.baseline_condition)
        table = comparison_table(summary)
        print(table)
        if args.output_dir:
            out = Path(args.output_dir)
            write_text(out / "comparison.md", table)
            write_json(out / "comparison.json", summary)
            comparison_plot(summary, out / "comparison.png")
            print(f"written to {out}")
        return 0
    if args.command == "lexicon" and args.lexicon_command == "synonyms":
        from xrobust.lexicon.synonym_sources import check_covered, load_synonyms, parse_sources
        from xrobust.results.rundir import write_json

        sources = parse_sources(args.source, "--source")
        check_covered(sources, [args.language], "--source")
        from xrobust.encoders.loading import neighbour_encoder

        table = load_synonyms(sources, [args.language], pivot_rule=args.consistency,
                              encoder=lambda: neighbour_encoder(args.model)).table_for(args.language)
        exported = table.to_json()
        write_json(Path(args.output), {**exported, "consistency": args.consistency
                                       if table.source == "muse-pivot" else None})
        print(f"{len(exported['synonyms'])} {args.language} words with synonyms from {table.source} written to "
              f"{args.output}")
        return 0
    if args.command == "lexicon":
        from xrobust.lexicon.coverage import coverage_json, coverage_table, resources_dir, task_coverage
        from xrobust.lexicon.synonym_sources import parse_sources
        from xrobust.tasks.xtreme import data_dir_from

        data_dir, resources = data_dir_from(args.data_dir), resources_dir(args.resources)
        load_neighbour_check = None
        if args.neighbors:
            from functools import partial

            from xrobust.attacks.transformations.neighbors import neighbour_check

            load_neighbour_check = partial(neighbour_check, args.model)
        rows = task_coverage(args.task, args.split, args.languages, data_dir, resources, args.max_examples,
                             load_neighbour_check, synonym_sources=parse_sources(args.synonym_source))
        print(coverage_json(rows) if args.json else f"{args.task} / {args.split}\n\n{coverage_table(rows)}")
        return 0
    if args.command == "list":
        from xrobust.listing import listing

        print(listing())
        return 0

    if args.command == "study":
        from xrobust.study.command import study_command

        return study_command(args)
    if args.command == "data":
        from xrobust.data_check import check_folder

        lines, problems = check_folder(Path(args.dir))
        print("\n".join(lines))
        return 2 if problems else 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
