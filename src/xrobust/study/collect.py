"""Read a study's finished cells into typed records (the folders are the only input).

Per-row outcomes are kept, not only accuracies, so that two cells can be compared on the
same dev rows (paired by example) as well as by seed.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from xrobust.attacks.recipes import PGD_RECIPE
from xrobust.errors import UserError
from xrobust.results.rundir import read_json, read_jsonl
from xrobust.study.plan import Unit, plan_units, unit_state
from xrobust.study.spec import Condition, StudySpec
from xrobust.tasks.sources import TrainingSource


# what the report shows of each word-level attack, per language (attacks/metrics.py's names)
ATTACK_SUMMARY = ("attack_success_rate", "mean_words_perturbed")


@dataclass(frozen=True)
class CellResult:
    condition: str
    method: str  # the method's label in the spec
    seed: int
    clean: dict[str, dict[str, bool]]  # language -> dev row id -> predicted correctly
    robust: dict[str, dict[str, dict[str, bool]]]  # recipe -> language -> row id -> still correct after the attack
    pgd: dict[str, dict]  # language -> {"eps": [...], "accuracy": [...]}
    generalized: dict[str, dict[str, float]] | None  # sentence1 language -> sentence2 language -> accuracy
    lineage: str = ""  # its metrics.json's record, e.g. "xnli (inherited): stage-1-xnli-dev-de-fr in de,fr"
    dev_score: float | None = None  # English dev score of the selected checkpoint (its last stage's)
    majority_share: float | None = None  # share of evaluated rows given the cell's most frequent prediction
    attack_summaries: dict[str, dict[str, dict]] = field(default_factory=dict)  # recipe -> language -> summary
    attack_notes: dict[str, str] = field(default_factory=dict)  # recipe -> attacks/recipes.py's meaning note


def load_cells(spec: StudySpec, study_dir: Path) -> list[CellResult]:
    """Every finished cell, with whichever of its attacks and matrices have finished."""
    units = plan_units(spec)
    done = {u.name for u in units if unit_state(study_dir, u).state == "done"}
    return [_load_cell(spec, study_dir, cell, [u for u in units if u.kind in ("attack", "generalized") and u.cell == cell.name
                                                 and u.name in done])
            for cell in units if cell.kind == "cell" and cell.name in done]


def _load_cell(spec: StudySpec, study_dir: Path, cell: Unit, finished: list[Unit]) -> CellResult:
    folder = study_dir / cell.name
    metrics = read_json(folder / "metrics.json")
    check_lineage(spec.condition(cell.condition), cell.seed, metrics, folder / "metrics.json")
    split = spec.evaluation.split
    predictions = {lang: read_jsonl(folder / "predictions" / f"{split}-{lang}.jsonl")
                   for lang in spec.evaluation.languages}
    clean = {lang: {row["id"]: bool(row["correct"]) for row in rows} for lang, rows in predictions.items()}
    predicted = Counter(row["prediction"] for rows in predictions.values() for row in rows)
    # a run that learned little predicts mostly one class: the report shows how much
    majority_share = max(predicted.values()) / sum(predicted.values()) if predicted else None
    robust, pgd, generalized, summaries, notes = {}, {}, None, {}, {}
    for unit in finished:
        if unit.kind == "generalized":
            generalized = read_json(study_dir / unit.name / "generalized.json")["accuracy"]
        elif unit.recipe == PGD_RECIPE:
            entry = read_json(study_dir / unit.name / "robustness.json")["recipes"][PGD_RECIPE]
            pgd = {lang: {"eps": c["eps"], "accuracy": c["accuracy"]} for lang, c in entry["languages"].items()}
        else:
            attack = next(a for a in spec.attacks if a.recipe == unit.recipe)
            entry = read_json(study_dir / unit.name / "robustness.json")["recipes"][unit.recipe]
            summaries[unit.recipe] = {lang: {key: entry["languages"][lang][key] for key in ATTACK_SUMMARY}
                                      for lang in attack.languages}
            if entry.get("meaning_note"):
                notes[unit.recipe] = entry["meaning_note"]
            robust[unit.recipe] = {
                lang: {row["id"]: row["status"] != "skipped" and not row["success"]  # as metrics.summarize counts
                       for row in read_jsonl(study_dir / unit.name / "adversarial" / f"{unit.recipe}-{lang}.jsonl")}
                for lang in attack.languages}
    stages = metrics.get("stages") or [{}]
    return CellResult(cell.condition, cell.method, cell.seed, clean, robust, pgd, generalized,
                      describe_lineage(metrics), stages[-1].get("best_dev_score"), majority_share, summaries, notes)


def expected_lineage(condition: Condition, seed: int) -> tuple[str, list[dict]]:
    """What a cell of `condition` must record (training/run_folder.py, results/lineage.py): its
    intermediate_condition and, per inherited stage, the fields that say what it trained on.
    The stage's name carries the split and languages (`stage-1-xnli-dev-de-fr`)."""
    if not condition.trains:
        return "none", []
    source = TrainingSource(condition.task, condition.split, condition.languages)
    return f"{condition.task} (inherited)", [{"stage": f"stage-1-{source.slug()}", "tasks": [condition.task],
                                               "languages": sorted(condition.languages),
                                               "epochs": condition.epochs, "seed": seed}]


def describe_lineage(metrics: dict) -> str:
    """The recorded lineage in words: "none", or e.g. "xnli (inherited): stage-1-xnli-dev-de-fr in de,fr"."""
    stages = metrics.get("inherited", [])
    return metrics.get("intermediate_condition", "") + "".join(
        f"{':' if i == 0 else ','} {s['stage']} in {','.join(s['languages'])}" for i, s in enumerate(stages))


def check_lineage(condition: Condition, seed: int, metrics: dict, path: Path) -> None:
    """The spec says which condition a cell belongs to; its metrics.json says what its encoder
    was trained on. They must agree, or the report would file a run under the wrong condition
    (e.g. a folder left from an earlier spec, or a stage replaced by hand)."""
    label, stages = expected_lineage(condition, seed)
    recorded = [{key: stage.get(key) for key in ("stage", "tasks", "languages", "epochs", "seed")}
                for stage in metrics.get("inherited", [])]
    if metrics.get("intermediate_condition") != label or metrics.get("intermediate") or recorded != stages:
        found = metrics.get("intermediate_condition", "no intermediate_condition")
        details = "; ".join(f"{s['stage']} in {','.join(s['languages'] or [])}" for s in recorded) or "no stage"
        raise UserError(f"{path}: records {found!r} ({details}), but the spec puts it in condition "
                        f"{condition.name!r}, which needs {label!r}"
                        + (f" ({stages[0]['stage']} in {','.join(stages[0]['languages'])}, seed {seed})"
                           if stages else "") + "; remove the cell's folder to train it again")
