"""The training recipe, top to bottom: read every stage's data, load the encoder and tokenize
every pair once, then train each stage (intermediate tasks first, then the target task).

`train` returns a TrainedRun (the model with the selected weights, its folder and
settings); evaluating it is a floor above
(evaluation/trained_run.py composes "train, then evaluate zero-shot, write metrics.json").
Running the same command again resumes: finished stages are skipped and an unfinished stage
continues from its latest checkpoint.

Under a launcher (`torchrun`, `accelerate launch`) every process runs this recipe: each reads
and tokenizes the data itself (no process waits for another's files) and trains its share of
every step (loop.py); only the main process writes the run directory, and the others wait
for it where they read what it wrote.
"""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch

from xrobust.encoders.classifier import PairClassifier, load_weights_into
from xrobust.encoders.devices import Precision, resolve_precision
from xrobust.encoders.loading import load_encoder, resolve_encoder
from xrobust.encoders.pairs import encode_pairs
from xrobust.encoders.processes import Processes
from xrobust.lexicon.synonym_sources import SynonymLexicon
from xrobust.progress import say
from xrobust.results.lineage import SELECTED_MODEL, STAGE_BEST, InheritedStage, inherited_stages
from xrobust.tasks import get_task
from xrobust.training.config import TrainConfig
from xrobust.training.loop import StagePlan, train_stage
from xrobust.training.preflight import check_evaluation_files
from xrobust.training.run_folder import record_in_config, start_or_resume, write_stage
from xrobust.training.stage_data import StageData, load_stage_data, rs_da_synonyms


@dataclass
class TrainedRun:
    """A run whose stages are all trained: what the evaluation after training needs."""
    run_dir: Path
    model: PairClassifier  # carrying the target stage's selected weights
    tokenizer: object
    precision: Precision  # what the loop computed in (a resumed run keeps the one it started with)
    processes: Processes
    encoder: str  # the starting encoder, described
    inherited: list[InheritedStage]  # stages the starting encoder went through in other runs
    stages: list[str]  # stage names, in training order: their folders hold stage.json
    target_training_ids: set[str]  # the pairs the target stage trained on


def train(config: TrainConfig, run_dir: Path, processes: Processes) -> TrainedRun:
    """Train every stage of `config` in `run_dir` (from `run_folder(config)`: checked to hold
    this run or none), resuming whatever an earlier attempt finished."""
    # 1. Data: training and dev pairs of every stage, read and checked first.
    torch.manual_seed(config.seed)
    source = resolve_encoder(config.model)
    inherited = inherited_stages(config.model)  # empty unless --model is a checkpoint inside an xrobust run
    data = load_stage_data(config)
    synonyms = rs_da_record = None
    if config.objective().needs_synonyms:  # the tables every rs-da batch draws its substitutions from, per language
        synonyms, rs_da_record = rs_da_synonyms(config, data)
    # The files of the evaluation after training (config.eval_*), found now rather than after
    # hours of training; after the training data, whose problems are reported first.
    check_evaluation_files(config)
    requested = resolve_precision(config.precision, processes.device)
    # on_main: once every process has read the folder, the main process writes into it
    precision = processes.on_main(lambda: start_or_resume(run_dir, config, source.description, data.data_files,
                                                           inherited, requested, processes.count))
    say(f"precision: {precision.name} ({precision.reason})")
    if processes.distributed:
        say(f"{processes.count} processes on {processes.device.type}: each optimizer step takes "
            f"{config.batch_size} x {config.gradient_accumulation} x {processes.count} pairs")
    if rs_da_record and processes.is_main:
        record_in_config(run_dir, "rs_da", rs_da_record)
    loop_config = dataclasses.replace(config, precision=precision.name)  # what the loop computes in

    # 2. Encoder and tokenizer; every pair tokenized once.
    tokenizer, encoder = load_encoder(source)
    plans = build_plans(data.stages, tokenizer, config, synonyms)

    # 3. Stages: each one a new head on the encoder carried over from the stage before.
    model = train_stages(plans, data.stages, encoder, tokenizer, loop_config, run_dir, processes)
    return TrainedRun(run_dir, model, tokenizer, precision, processes, source.description, inherited,
                      [plan.name for plan in plans], {e.id for e in data.target.train[config.task]})


def build_plans(stages: list[StageData], tokenizer, config: TrainConfig,
                synonyms: SynonymLexicon | None) -> list[StagePlan]:
    """Each stage's pairs tokenized; rs-da's plans keep the sentences, which it perturbs per epoch."""
    def encoded(pairs: dict[str, list]) -> dict:
        return {task: encode_pairs(tokenizer, examples, get_task(task), config.max_length)
                for task, examples in pairs.items()}

    return [StagePlan(name=stage.name, train=encoded(stage.train), dev=encoded(stage.dev),
                      label_names={task: list(get_task(task).label_names) for task in stage.train},
                      epochs=stage.epochs, train_examples=dict(stage.train) if synonyms else {}, synonyms=synonyms)
            for stage in stages]


def train_stages(plans: list[StagePlan], stages: list[StageData], encoder, tokenizer, config: TrainConfig,
                 run_dir: Path, processes: Processes) -> PairClassifier:
    """Train each stage not finished earlier; every stage goes on from the selected weights of
    the one before. The target stage's selected weights are the run's model."""
    model = None
    for index, (plan, data) in enumerate(zip(plans, stages)):
        is_last = index == len(plans) - 1
        stage_dir = run_dir / plan.name
        best_dir = run_dir / SELECTED_MODEL if is_last else stage_dir / STAGE_BEST
        torch.manual_seed(config.seed + index)  # the new heads start the same, resumed or not
        heads = {t: len(names) for t, names in plan.label_names.items()}
        if model is None:
            model = PairClassifier(encoder, heads, pooling=config.pooling, dropout=config.dropout).to(processes.device)
        else:
            model.replace_heads(heads)
        if (stage_dir / "stage.json").is_file():
            say(f"{plan.name}: finished earlier, reusing its selected weights")
        else:
            state = train_stage(plan, model, tokenizer, config, stage_dir, best_dir, processes)
            if processes.is_main:
                write_stage(run_dir, stage_dir, best_dir, plan, data, state)
            processes.barrier()  # stage.json and the selected weights are on disk for every process
        load_weights_into(model, best_dir)  # model selection: carry the best weights on
    return model
