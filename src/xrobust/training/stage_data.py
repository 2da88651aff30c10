"""Step 1 of a training run: every stage's pairs, read and checked before any model loads.

A run has one or two stages: the intermediate sources trained together as one multi-task
stage (if any), then the target task. Each stage trains on its sources' labelled pairs and
selects its model on English dev pairs of the same tasks, without the rows it trains on.
"""

from dataclasses import dataclass, field
from pathlib import Path

from xrobust.errors import UserError
from xrobust.lexicon.synonym_sources import SynonymLexicon, load_synonyms, meaning_note
from xrobust.progress import say
from xrobust.results.rundir import file_sha256
from xrobust.tasks import Example, evenly_spaced, get_task, load_examples
from xrobust.tasks.sources import TrainingSource, evenly_spaced_excluding, spread_over_languages
from xrobust.training.config import TrainConfig


@dataclass
class StageData:
    """One stage's pairs per task, and what its stage.json records about them."""
    name: str  # e.g. "stage-1-mnli", "stage-2-pawsx": also its folder in the run directory
    epochs: int
    train: dict[str, list[Example]] = field(default_factory=dict)  # task -> training pairs
    dev: dict[str, list[Example]] = field(default_factory=dict)  # task -> English dev pairs (model selection)
    rows_used: dict[str, dict] = field(default_factory=dict)  # task -> source, pairs and row ids per language
    files: list[str] = field(default_factory=list)  # the data files it read, in reading order


@dataclass
class RunData:
    stages: list[StageData]  # intermediate stage first, the target task's last
    # every file the run reads: path -> rows, kept, blank lines and sha256 (config.json's data_files)
    data_files: dict[str, dict] = field(default_factory=dict)

    @property
    def target(self) -> StageData:
        return self.stages[-1]


def load_stage_data(config: TrainConfig) -> RunData:
    """Read every stage's pairs: intermediate sources first, then the target task's."""
    data = RunData([])
    intermediate = config.intermediate_sources()
    if intermediate:
        name = "stage-1-" + "+".join(s.slug() for s in intermediate)
        data.stages.append(_read_stage(config, data, name, intermediate, config.max_intermediate_examples,
                                       config.intermediate_epochs))
    target = config.training_source()
    name = f"stage-{len(data.stages) + 1}-{target.slug()}"
    data.stages.append(_read_stage(config, data, name, [target], config.max_train_examples, config.epochs))
    return data


def _read_stage(config: TrainConfig, data: RunData, name: str, sources: list[TrainingSource],
                limit: int | None, epochs: int) -> StageData:
    stage = StageData(name, epochs)

    def read(task_name: str, split: str, language: str):
        examples, report = load_examples(config.data_dir, get_task(task_name), split, language, config.blank_policy)
        stage.files.append(report.path)
        data.data_files[report.path] = {
            "rows": report.rows, "kept": report.kept, "blank_lines": report.blank_lines,
            "sha256": None if report.path.startswith("hub:") else file_sha256(Path(report.path))}
        return examples, report

    for source in sources:
        if source.languages == ("en",):
            train = read(source.task, source.split, "en")[0][:limit]
        elif str(config.data_dir) == "hub":
            raise UserError(f"--intermediate {source.task}:{source.split}: pairs spread over languages need an "
                            "XTREME-layout --data-dir")
        else:
            per_language = {lang: read(source.task, source.split, lang) for lang in source.languages}
            train = spread_over_languages(per_language, source.languages, source.split, limit)
        # English dev pairs for model selection, without the rows the stage trains on
        held_out = {e.id for e in train} if source.split == "dev" else set()
        dev, report = read(source.task, "dev", "en")
        stage.train[source.task] = train
        stage.dev[source.task] = (evenly_spaced(dev, report.rows, config.max_dev_examples) if not held_out
                                  else evenly_spaced_excluding(dev, held_out, config.max_dev_examples))
        stage.rows_used[source.task] = _rows_used(source, train)
    return stage


def rs_da_synonyms(config: TrainConfig, data: RunData) -> tuple[SynonymLexicon, dict]:
    """The synonym tables of every language the stages train on (their files added to
    `data.data_files`), and per stage, task and language how many pairs rs-da can perturb
    (a language no source covers trains clean: an English table would rewrite German `die`
    as "died")."""
    from xrobust.encoders.loading import neighbour_encoder
    from xrobust.robust.augment import perturbable_by_language, side_languages

    languages = sorted({lang for stage in data.stages for train in stage.train.values()
                        for e in train for lang in side_languages(e)})
    # encoder-neighbours: the neighbours in the starting model's embeddings, fixed for the run
    synonyms = load_synonyms(tuple(config.synonym_source), languages,
                             Path(config.synonyms) if config.synonyms else None,
                             encoder=lambda: neighbour_encoder(config.model),
                             data_dir=Path(config.data_dir) if config.data_dir else None)
    for path, role in synonyms.files.items():
        data.data_files[path] = {"role": role, "sha256": file_sha256(Path(path))}
    rule = config.substitution_rule()
    stages = {stage.name: {task: perturbable_by_language(train, synonyms, rule) for task, train in stage.train.items()}
              for stage in data.stages}
    uncovered = sorted(set(languages) - set(synonyms.tables))
    if uncovered:
        say(f"rs-da: no synonym source among {','.join(config.synonym_source)} covers {','.join(uncovered)}; "
            "those pairs train unperturbed (counts per language in config.json, rs_da)")
    note = meaning_note(tuple(config.synonym_source), languages)
    if note:
        say(f"rs-da: {note}")
    return synonyms, {**synonyms.describe(), "uncovered_languages": uncovered, "stages": stages, "meaning_note": note}


def _rows_used(source: TrainingSource, train: list) -> dict:
    """What a stage trains on, for stage.json: the source, and pairs and row ids per language."""
    rows: dict[str, list[int]] = {}
    for example in train:
        rows.setdefault(example.language, []).append(int(example.id.rsplit("-", 1)[1]) if "-" in example.id else -1)
    return {"task": source.task, "split": source.split, "languages": list(source.languages), "pairs": len(train),
            "pairs_per_language": {lang: len(r) for lang, r in rows.items()},
            "rows": {lang: _ranges(r) for lang, r in rows.items()}}


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 17, 31] -> "1-3,17,31": row numbers, compactly (each language's are a stride)."""
    out, numbers = [], sorted(numbers)
    start = previous = numbers[0] if numbers else None
    for n in numbers[1:] + [None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        out.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = n
    return ",".join(out)
