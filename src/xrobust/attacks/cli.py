"""The `xrobust attack` subcommand: its options and what it runs (hooked into xrobust/cli.py)."""

import argparse
import os

from xrobust.errors import UserError


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _floats(value: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in _list(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {value!r}") from None


def add_attack_parser(commands) -> argparse.ArgumentParser:
    from xrobust.attacks.recipes import RECIPE_NAMES
    from xrobust.attacks.runner import AttackConfig
    from xrobust.encoders.devices import PRECISIONS

    d = AttackConfig("", "", "", (), "", "")
    p = commands.add_parser("attack", help="adversarial attacks: robust accuracy per language")
    p.add_argument("checkpoint", help="a run directory or a checkpoint folder")
    p.add_argument("--task", required=True)
    p.add_argument("--split", default=d.split)
    p.add_argument("--recipe", required=True, choices=RECIPE_NAMES)
    p.add_argument("--languages", help="comma-separated (default: all of the task)")
    p.add_argument("--max-examples", type=int, help="pairs per language (evenly spaced rows)")
    p.add_argument("--query-budget", type=int, default=d.query_budget,
                   help="model queries (texts scored) per example, the clean pair included")
    p.add_argument("--output-dir", help="default: <run>/attacks/<task>-<split>; the same command resumes it")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--data-dir", help="XTREME-layout folder, or 'hub' (default: $XROBUST_DATA)")
    p.add_argument("--resources", help="folder with counterfitted_neighbors.json and muse/ "
                   "(default: $XROBUST_RESOURCES)")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="pairs (or sentences) per forward pass")
    p.add_argument("--attack-batch-size", type=int, default=d.attack_batch_size,
                   help="pairs scored together per round across the examples in flight (1: one example at a "
                        "time); changes speed, not results")
    p.add_argument("--max-length", type=int, default=d.max_length, help="tokens per pair")
    p.add_argument("--max-candidates", type=int, default=d.max_candidates, help="replacements tried per word")
    p.add_argument("--max-words-changed", type=float, default=d.max_words_changed,
                   help="largest fraction of the pair's words that may change")
    p.add_argument("--min-similarity", type=float,
                   help="each changed sentence keeps at least this cosine similarity to its original (encoder); "
                        "default off, neighbors-greedy 0.97 (-1 turns it off)")
    p.add_argument("--edit-numbers", action="store_true",
                   help="let words with digits, numerals or number words change (by default they never do)")
    p.add_argument("--typo-model", default=d.typo_model, choices=("script", "codepoint"),
                   help="typo-greedy: per-script input errors (pinyin, kana, jamo keyboard) or the former "
                        "neighbouring code points for scripts without a keyboard table")
    p.add_argument("--sides", default="both", choices=("sentence1", "sentence2", "both"),
                   help="which sentence of the pair may change")
    p.add_argument("--sentence1-language",
                   help="generalized setting: sentence1 from this language, sentence2 from each --languages; "
                        "only sentence2 changes")
    p.add_argument("--beam-width", type=int, default=d.beam_width)
    p.add_argument("--embed-languages", type=_list, default=d.embed_languages,
                   help="codeswitch: languages to switch into (default: en and every MUSE language)")
    p.add_argument("--synonym-source", type=_list, default=d.synonym_sources, dest="synonym_sources",
                   help="synonym recipes: counter-fitted (English), muse-pivot (every MUSE language, through "
                        "English), encoder-neighbours (every task language: nearest same-language words in the "
                        "attacked model's embeddings) or a per-language JSON table, comma-separated; the first "
                        "covering a language wins")
    p.add_argument("--eps", type=_floats, default=d.eps, help="embedding-pgd: radii, comma-separated")
    p.add_argument("--pgd-steps", type=int, default=d.pgd_steps)
    p.add_argument("--precision", default=d.precision, choices=PRECISIONS,
                   help="fp32, bf16 (autocast), fp16 (GPU) or auto (bf16 where the hardware runs it natively); "
                        "scores are compared in fp32, and robustness.json records the choice")
    return p


def config_from_args(args):
    from xrobust.attacks.recipes import RECIPES, default_min_similarity
    from xrobust.attacks.runner import AttackConfig
    from xrobust.tasks import get_task, parse_languages
    from xrobust.tasks.xtreme import data_dir_from

    task = get_task(args.task)
    for option, value in (("--max-examples", args.max_examples), ("--batch-size", args.batch_size),
                          ("--attack-batch-size", args.attack_batch_size),
                          ("--max-candidates", args.max_candidates), ("--beam-width", args.beam_width),
                          ("--pgd-steps", args.pgd_steps), ("--max-length", args.max_length)):
        if value is not None and value < 1:
            raise UserError(f"{option}: {value} must be at least 1")
    resources = args.resources or os.environ.get("XROBUST_RESOURCES") or ""
    if not resources and RECIPES[args.recipe].reads_resources:
        raise UserError("--resources: not given and XROBUST_RESOURCES is not set "
                        "(point it at a folder with counterfitted_neighbors.json and muse/)")
    if args.sentence1_language:
        parse_languages("--sentence1-language", args.sentence1_language, task)
    return AttackConfig(
        checkpoint=args.checkpoint, task=args.task, recipe=args.recipe,
        languages=parse_languages("--languages", args.languages, task), data_dir=str(data_dir_from(args.data_dir)),
        resources=resources, output_dir=args.output_dir or "", split=args.split, max_examples=args.max_examples,
        query_budget=args.query_budget, seed=args.seed, batch_size=args.batch_size,
        attack_batch_size=args.attack_batch_size, max_length=args.max_length,
        max_candidates=args.max_candidates, max_words_changed=args.max_words_changed,
        min_similarity=args.min_similarity if args.min_similarity is not None else default_min_similarity(args.recipe),
        edit_numbers=args.edit_numbers, typo_model=args.typo_model,
        sides=("sentence1", "sentence2") if args.sides == "both" else (args.sides,),
        beam_width=args.beam_width, embed_languages=args.embed_languages, synonym_sources=args.synonym_sources,
        sentence1_language=args.sentence1_language, eps=args.eps, pgd_steps=args.pgd_steps,
        precision=args.precision)


def run_attack(args) -> int:
    from xrobust.attacks.runner import run_attack as run

    _, out, table = run(config_from_args(args))
    print(table)
    print(f"\nwritten to {out}")
    return 0
