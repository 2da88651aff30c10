"""The study spec: one TOML file read with `tomllib` and validated into frozen records.

Every error is one line naming the file and key (`studies/x.toml: methods[1].name: ...`),
raised before anything is loaded or trained. The layout (see docs/study.md and studies/):

    name, model, seeds
    [target]            task; [target.train] TrainConfig fields (epochs, learning_rate, ...)
    [[intermediate]]    name = "none" | name, task, split, languages, examples, epochs
    [[methods]]         name (a training method), label, and that method's TrainConfig options
    [evaluation]        split, languages, examples, generalized (languages of the matrix)
    [[attacks]]         recipe, languages, examples, query_budget, eps and steps (embedding-pgd)
    [baseline]          condition, method (default: none, standard)
"""

import dataclasses
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from xrobust.errors import UserError
from xrobust.study.toml_reader import TableReader
from xrobust.tasks import TASKS
from xrobust.robust.objectives import METHODS
from xrobust.training.config import TrainConfig

BASELINE_CONDITION = "none"
# TrainConfig fields the study sets itself, per unit: a spec may not set them in [target.train]
# or a method (the seed comes from `seeds`, the model from `model` or the intermediate stage, ...).
STUDY_OWNED = frozenset({
    "task", "intermediate", "model", "method", "data_dir", "output_dir", "seed", "eval_split",
    "eval_languages", "max_eval_examples", "max_intermediate_examples", "intermediate_epochs",
    "train_split", "train_languages",
})
FOLDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")  # names become folder names


@dataclass(frozen=True)
class Condition:
    """An intermediate condition: `none` (the baseline), or a task's labelled data to train on first."""
    name: str
    task: str | None = None  # None: no intermediate stage
    split: str = "train"
    languages: tuple[str, ...] = ("en",)  # row i is taken in languages[i % len(languages)]
    examples: int | None = None  # first N rows of the split
    epochs: int = 1

    @property
    def trains(self) -> bool:
        return self.task is not None


@dataclass(frozen=True)
class Method:
    label: str  # the folder and table name; the method name unless two variants of one method
    name: str  # a TrainConfig method
    options: tuple[tuple[str, object], ...] = ()  # TrainConfig fields for this method


@dataclass(frozen=True)
class Evaluation:
    split: str
    languages: tuple[str, ...]
    examples: int | None  # per language, evenly spaced rows (the same rows in every language)
    generalized: tuple[str, ...] = ()  # languages of the (sentence1 x sentence2) matrix; () = none


@dataclass(frozen=True)
class AttackSpec:
    recipe: str
    languages: tuple[str, ...]
    examples: int | None
    query_budget: int | None
    eps: tuple[float, ...] = ()  # embedding-pgd only
    seed: int = 0
    steps: int | None = None  # embedding-pgd's ascent steps (None: the attack's default)


@dataclass(frozen=True)
class StudySpec:
    path: str
    name: str
    model: str
    task: str
    train: tuple[tuple[str, object], ...]  # TrainConfig fields shared by every cell
    conditions: tuple[Condition, ...]
    methods: tuple[Method, ...]
    seeds: tuple[int, ...]
    evaluation: Evaluation
    attacks: tuple[AttackSpec, ...]
    baseline: tuple[str, str]  # (condition name, method label)

    def condition(self, name: str) -> Condition:
        return next(c for c in self.conditions if c.name == name)

    def method(self, label: str) -> Method:
        return next(m for m in self.methods if m.label == label)

    @property
    def precision(self) -> str:
        """[target.train] precision, which every unit computes in: stages, cells, attacks and
        generalized matrices (set in the spec, not on the command line, so the spec alone
        reproduces the study)."""
        return dict(self.train).get("precision", "auto")


def load_spec(path: Path | str, model: str | None = None) -> StudySpec:
    """Read and validate; `model` (the command's --model) replaces the spec's."""
    shown = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"--spec {shown}: no such file") from None
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{shown}: not valid TOML ({err})") from None
    spec = parse_spec(raw, shown)
    return dataclasses.replace(spec, model=model) if model else spec


def parse_spec(raw: dict, path: str) -> StudySpec:
    top = TableReader(path)
    top.check_keys(raw, ("name", "model", "seeds", "target", "intermediate", "methods", "evaluation", "attacks",
                         "baseline"))
    name = top.get(raw, "name", str, Path(path).stem)
    model = top.get(raw, "model", str, "default")
    seeds = tuple(top.get(raw, "seeds", "list[int]"))
    if not seeds or len(set(seeds)) != len(seeds):
        raise top.fail("seeds", "must list at least one seed, each once")
    task, train = _target(top.child("target"), top.get(raw, "target", "table"))
    evaluation = _evaluation(top.child("evaluation"), top.get(raw, "evaluation", "table", {}), task)
    conditions = tuple(_condition(top.child(f"intermediate[{i}]"), table, task, evaluation)
                       for i, table in enumerate(top.get(raw, "intermediate", "list[table]")))
    methods = tuple(_method(top.child(f"methods[{i}]"), table, task, train)
                    for i, table in enumerate(top.get(raw, "methods", "list[table]")))
    for key, names in (("intermediate", [c.name for c in conditions]), ("methods", [m.label for m in methods])):
        if not names:
            raise top.fail(key, "must list at least one entry")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise top.fail(key, f"{repeated[0]!r} appears twice; give each entry its own name (or label)")
    attacks = tuple(_attack(top.child(f"attacks[{i}]"), table, task, evaluation)
                    for i, table in enumerate(top.get(raw, "attacks", "list[table]", [])))
    recipes = [a.recipe for a in attacks]
    if len(set(recipes)) != len(recipes):
        raise top.fail("attacks", "each recipe may appear once (its results live in attacks/<recipe>/)")
    baseline = _baseline(top.child("baseline"), top.get(raw, "baseline", "table", {}), conditions, methods)
    return StudySpec(path, name, model, task, train, conditions, methods, seeds, evaluation, attacks, baseline)


def _target(reader: TableReader, table: dict) -> tuple[str, tuple]:
    reader.check_keys(table, ("task", "train"))
    task = reader.get(table, "task", str)
    if task not in TASKS:
        raise reader.fail("task", f"unknown task {task!r} ({', '.join(TASKS)})")
    settings = train_options(reader.child("train"), reader.get(table, "train", "table", {}), exclude=())
    _check_train_config(reader.child("train"), dict(settings), task, "standard")
    return task, settings


def train_options(reader: TableReader, table: dict, exclude) -> tuple[tuple[str, object], ...]:
    """TrainConfig fields, checked by name and type (the TrainConfig annotations)."""
    kinds = {f.name: _kind(f.type) for f in dataclasses.fields(TrainConfig) if f.name not in STUDY_OWNED}
    options = []
    for key, value in table.items():
        if key in exclude:
            continue
        if key in STUDY_OWNED:
            raise reader.fail(key, "set by the study itself (see docs/study.md), not in the spec")
        if key not in kinds:
            raise reader.fail(key, "not a training setting (see `xrobust train --help` for the settings, "
                                   "written with underscores)")
        options.append((key, tuple(reader.get(table, key, kinds[key])) if isinstance(value, list)
                        else reader.get(table, key, kinds[key])))
    return tuple(options)


def _kind(annotation):
    """A TOML reader kind for a TrainConfig annotation: `int | None` -> int (TOML has no null);
    a `Literal` of names -> str (TrainConfig.validate names the allowed values)."""
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in annotation.__args__ if a is not type(None))
    if typing.get_origin(annotation) is typing.Literal:
        return str
    if annotation == list[str]:
        return "list[str]"
    return annotation


def _check_train_config(reader: TableReader, values: dict, task: str, method: str) -> None:
    """TrainConfig's own checks (ranges, method-specific options), the failing option named as a key."""
    try:
        TrainConfig(**{k: list(v) if isinstance(v, tuple) else v for k, v in values.items()},
                    task=task, method=method).validate()
    except UserError as err:
        message = str(err)
        option, _, rest = message.partition(": ")
        key = option.removeprefix("--").replace("-", "_")
        raise reader.fail(key if key in values else None, rest if key in values else message) from None


def _condition(reader: TableReader, table: dict, target: str, evaluation: Evaluation) -> Condition:
    name = reader.get(table, "name", str)
    _check_folder_name(reader, "name", name)
    if name == BASELINE_CONDITION:
        reader.check_keys(table, ("name",))
        return Condition(name)
    reader.check_keys(table, ("name", "task", "split", "languages", "examples", "epochs"))
    task = reader.get(table, "task", str)
    if task not in TASKS:
        raise reader.fail("task", f"unknown task {task!r} ({', '.join(TASKS)})")
    split = reader.get(table, "split", str, "train")
    if split not in TASKS[task].hub_splits:
        raise reader.fail("split", f"{task} has no split {split!r} ({', '.join(TASKS[task].hub_splits)})")
    if task == target and split == evaluation.split:
        raise reader.fail(None, f"{task} {split} is the target task's evaluation data (evaluation.split); "
                                "an intermediate condition must not train on it")
    if task == target:
        raise reader.fail("task", f"{task} is the target task; an intermediate task must differ")
    languages = tuple(reader.get(table, "languages", "list[str]", ["en"]))
    _check_languages(reader, "languages", languages, task)
    if split == "train" and languages != ("en",):
        raise reader.fail("languages", f"{task}'s train split is English only; take other languages from "
                                       "its dev split")
    examples = reader.get(table, "examples", int, None)
    epochs = reader.get(table, "epochs", int, 1)
    for key, value in (("examples", examples), ("epochs", epochs)):
        if value is not None and value < 1:
            raise reader.fail(key, "must be at least 1")
    return Condition(name, task, split, languages, examples, epochs)


def _method(reader: TableReader, table: dict, task: str, train: tuple) -> Method:
    name = reader.get(table, "name", str)
    if name not in METHODS:
        raise reader.fail("name", f"unknown method {name!r} ({', '.join(METHODS)})")
    label = reader.get(table, "label", str, name)
    _check_folder_name(reader, "label", label)
    options = train_options(reader, table, exclude=("name", "label"))
    _check_train_config(reader, {**dict(train), **dict(options)}, task, name)
    return Method(label, name, options)


def _evaluation(reader: TableReader, table: dict, task: str) -> Evaluation:
    reader.check_keys(table, ("split", "languages", "examples", "generalized"))
    split = reader.get(table, "split", str, "dev")
    if split not in TASKS[task].hub_splits or split == "train":
        raise reader.fail("split", f"{split!r} is not an evaluation split of {task} (dev, test)")
    languages = tuple(reader.get(table, "languages", "list[str]", list(TASKS[task].languages)))
    _check_languages(reader, "languages", languages, task)
    examples = reader.get(table, "examples", int, None)
    if examples is not None and examples < 1:
        raise reader.fail("examples", "must be at least 1")
    generalized = tuple(reader.get(table, "generalized", "list[str]", []))
    _check_languages(reader, "generalized", generalized, task)
    if len(generalized) == 1:
        raise reader.fail("generalized", "a matrix needs at least two languages (or leave it out)")
    return Evaluation(split, languages, examples, generalized)


def _attack(reader: TableReader, table: dict, task: str, evaluation: Evaluation) -> AttackSpec:
    from xrobust.attacks.recipes import PGD_RECIPE, RECIPE_NAMES, check_recipe_languages

    reader.check_keys(table, ("recipe", "languages", "examples", "query_budget", "eps", "steps", "seed"))
    recipe = reader.get(table, "recipe", str)
    if recipe not in RECIPE_NAMES:
        raise reader.fail("recipe", f"unknown recipe {recipe!r} ({', '.join(RECIPE_NAMES)})")
    languages = tuple(reader.get(table, "languages", "list[str]", list(evaluation.languages)))
    _check_languages(reader, "languages", languages, task)
    try:
        check_recipe_languages(recipe, languages, ())
    except UserError as err:
        raise reader.fail("languages", str(err).partition(": ")[2]) from None
    examples = reader.get(table, "examples", int, evaluation.examples)
    budget = reader.get(table, "query_budget", int, 2000)
    for key, value in (("examples", examples), ("query_budget", budget)):
        if value is not None and value < 1:
            raise reader.fail(key, "must be at least 1")
    for key in ("eps", "steps"):
        if key in table and recipe != PGD_RECIPE:
            raise reader.fail(key, f"only {PGD_RECIPE} takes {key}")
    steps = reader.get(table, "steps", int, None)
    if steps is not None and steps < 1:
        raise reader.fail("steps", "must be at least 1")
    eps = tuple(float(e) for e in reader.get(table, "eps", "list[float]", [0.0, 0.05, 0.1, 0.2, 0.5, 1.0]))
    if recipe == PGD_RECIPE and (not eps or any(e < 0 for e in eps)):
        raise reader.fail("eps", "must list radii of at least 0")
    return AttackSpec(recipe, languages, examples, budget, eps if recipe == PGD_RECIPE else (),
                      reader.get(table, "seed", int, 0), steps)


def _baseline(reader: TableReader, table: dict, conditions, methods) -> tuple[str, str]:
    reader.check_keys(table, ("condition", "method"))
    condition = reader.get(table, "condition", str, BASELINE_CONDITION)
    method = reader.get(table, "method", str, "standard")
    if condition not in [c.name for c in conditions]:
        raise reader.fail("condition", f"{condition!r} is not one of the intermediate conditions")
    if method not in [m.label for m in methods]:
        raise reader.fail("method", f"{method!r} is not one of the methods' labels")
    return condition, method


def _check_languages(reader: TableReader, key: str, languages, task: str) -> None:
    known = TASKS[task].languages
    unknown = [lang for lang in languages if lang not in known]
    if unknown:
        raise reader.fail(key, f"{task} has no language {unknown[0]!r} ({', '.join(known)})")
    if len(set(languages)) != len(languages):
        raise reader.fail(key, "lists a language twice")


def _check_folder_name(reader: TableReader, key: str, name: str) -> None:
    if not FOLDER_NAME.match(name):
        raise reader.fail(key, f"{name!r} becomes a folder name: use lower-case letters, digits, '-', '_', '.'")
