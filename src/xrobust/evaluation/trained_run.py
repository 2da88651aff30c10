"""`xrobust train`: train a run (training/recipe.py), then evaluate its selected model
zero-shot in every target language and write metrics.json, accuracy.png and the table.

Training a model and then evaluating it needs both floors, so it is composed here, on the
evaluation floor; training itself imports nothing from evaluation.

A finished run (metrics.json written) just prints its metrics; a run killed during training
or evaluation resumes where it stopped when the same command is repeated. Under a launcher
every process trains and scores its share; only the main process writes and prints.
"""

from pathlib import Path

from xrobust.encoders.processes import current_processes
from xrobust.evaluation.zero_shot import evaluate_languages
from xrobust.progress import say
from xrobust.results.lineage import SELECTED_MODEL, intermediate_condition
from xrobust.results.plots import accuracy_plot
from xrobust.results.report import accuracy_table
from xrobust.results.rundir import read_json, write_json
from xrobust.tasks import get_task, parse_languages
from xrobust.training.config import TrainConfig
from xrobust.training.recipe import TrainedRun, train
from xrobust.training.run_folder import recorded_lineage, run_folder


def train_and_evaluate(config: TrainConfig) -> Path:
    """Train `config`'s run (or resume it), evaluate it, and return its folder."""
    config.validate()
    processes = current_processes(config.device)  # under a launcher only the main process prints from here on
    run_dir = run_folder(config)
    if (run_dir / "metrics.json").is_file():
        say(f"{run_dir}: run already finished; metrics below (delete the folder to train again)")
        print(accuracy_table(read_json(run_dir / "metrics.json")))
        return run_dir
    trained = train(config, run_dir, processes)  # checks the evaluation's files before it trains
    metrics = evaluate_trained(config, trained)
    if processes.is_main:
        write_json(run_dir / "metrics.json", metrics)
        accuracy_plot(metrics, run_dir / "accuracy.png")
        print(accuracy_table(metrics))
    return run_dir


def evaluate_trained(config: TrainConfig, trained: TrainedRun) -> dict:
    """Zero-shot accuracy of the selected model in every evaluation language, with what the
    run was (method, lineage, stages); on a process other than the main one, the accuracies only."""
    task = get_task(config.task)
    languages = parse_languages("--eval-languages", ",".join(config.eval_languages or []), task)
    # Rows the target stage trained on never count in its evaluation (when it trains on the
    # evaluation split, e.g. XNLI dev as an intermediate task trained as a run of its own).
    excluded = trained.target_training_ids if config.train_split == config.eval_split else set()
    metrics = evaluate_languages(
        trained.model, trained.tokenizer, task, config.data_dir, config.eval_split, languages,
        max_examples=config.max_eval_examples, max_length=config.max_length,
        batch_size=config.eval_batch_size, output_dir=trained.run_dir, blank_policy=config.blank_policy,
        seed=config.seed, autocast_dtype=trained.precision.autocast_dtype, exclude_ids=excluded,
        processes=trained.processes)
    if not trained.processes.is_main:
        return metrics
    stages = [read_json(trained.run_dir / name / "stage.json") for name in trained.stages]
    inherited = recorded_lineage(trained.run_dir, trained.inherited)
    return {
        "task": config.task, "split": config.eval_split, "model": config.model, "encoder": trained.encoder,
        "method": config.method,
        "intermediate": config.intermediate,  # the intermediate tasks this run trained itself
        "intermediate_condition": intermediate_condition(inherited, config.intermediate),
        "inherited": [s.to_dict() for s in inherited],
        "seed": config.seed,
        "precision": trained.precision.name,
        **metrics,
        "checkpoint": SELECTED_MODEL,
        "blank_policy": config.blank_policy,
        "stages": [{k: s[k] for k in ("name", "tasks", "best_dev_score", "best_step", "steps", "train_seconds",
                                      "train_examples_per_second")} for s in stages],
    }
