"""Every setting of a training run, in one typed object written whole into the run directory.

A run is reproducible from its `config.json` alone (`xrobust train --config run/config.json`).
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Literal, get_args, get_origin

from xrobust.encoders.devices import PRECISIONS
from xrobust.errors import UserError
from xrobust.tasks.sources import TrainingSource
from xrobust.tasks.xtreme import BLANK_POLICIES
from xrobust.robust.objectives import METHODS, OBJECTIVES, Objective, method_options, owners
from xrobust.robust.settings import (
    AUGMENT_MODES,
    NOISE_KINDS,
    NORMS,
    SUBSTITUTIONS,
    SYNONYM_LOOKUPS,
    AdversarialSettings,
    EmbeddingNoise,
    SubstitutionRule,
)

POOLINGS = ("mean", "first")  # encoders/classifier.py's (which imports torch; tests/test_cli_train_options.py)
SYNONYM_SOURCE_HELP = ("where each language's synonyms come from, comma-separated, the first covering a language "
                       "wins: counter-fitted (English; the --synonyms table), muse-pivot (every MUSE language, "
                       "through English), encoder-neighbours (every task language: nearest same-language words in "
                       "the model's embeddings), or a JSON table {\"language\": L, \"synonyms\": {...}}; words of "
                       "languages no source covers never change (default: counter-fitted)")


def settings_before_defaults_changed(config: dict) -> dict:
    """The settings a run written before a default changed actually used, where its saved
    config does not name them: rs-da runs from before the published rule looked words up
    case-insensitively, and runs from before --precision existed computed in fp32 (the
    default is now auto). (Other missing settings take today's defaults, which they used.)"""
    before = {}
    if config.get("method") == "rs-da" and "synonym_lookup" not in config:
        before["synonym_lookup"] = "case-insensitive"
    if "precision" not in config:  # runs from before --precision computed in fp32
        before["precision"] = "fp32"
    return before


def option_name(setting_name: str) -> str:
    """`max_length` -> `--max-length`: how errors and the command line name a setting."""
    return "--" + setting_name.replace("_", "-")


def setting(default, help: str):
    """A field with the help of its command-line option: `xrobust train`'s options are made
    from these fields (cli.py), the choices from `Literal` types."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    # What to train
    task: str = setting("xnli", "target task: pawsx, xnli or mnli (required unless --config)")
    intermediate: list[str] = setting(
        [], "intermediate task(s) trained first as one multi-task stage: mnli, or mnli,xnli, or TASK:SPLIT:LANG,LANG "
            "for labelled pairs spread over languages, e.g. xnli:dev:de,es,fr (repeat the option for several such "
            "sources)")
    model: str = setting("default", "'default' (packaged multilingual-e5-small, 4-bit weights), a Hugging Face id "
                                    "or a folder")
    method: Literal[METHODS] = setting(
        "standard", "training objective: " + "; ".join(f"{o.name}: {o.description}" for o in OBJECTIVES.values())
                    + " (docs/robust-training.md)")
    data_dir: str = setting("", "XTREME-layout folder, or 'hub' (default: $XROBUST_DATA)")
    output_dir: str = setting("", "run directory (default: runs/<task>-<method>-<model>-s<seed>); the same command "
                                  "resumes it")
    # Data
    max_train_examples: int | None = setting(None, "use the first N training pairs")
    train_split: str = setting("train", "the split the target task's labelled pairs come from (its rows are then held "
                                        "out of model selection and evaluation)")
    train_languages: list[str] = setting(["en"], "languages of those pairs: row i in language i mod N (default: en)")
    max_intermediate_examples: int | None = setting(None, "the first N pairs of each intermediate task")
    max_dev_examples: int | None = setting(None, "English dev pairs for model selection (evenly spaced)")
    max_length: int = setting(128, "tokens per pair")
    blank_policy: Literal[BLANK_POLICIES] = setting(
        "skip", "rows with an empty or untranslated (NS) sentence: skip (counted) or keep")
    # Optimisation (defaults: the XTREME recipe's lr and batch size)
    epochs: int = setting(3, "epochs of the target task")
    intermediate_epochs: int = setting(1, "epochs of the intermediate stage")
    batch_size: int = setting(32, "pairs per micro-batch")
    gradient_accumulation: int = setting(1, "micro-batches per optimizer step")
    learning_rate: float = setting(2e-5, "peak learning rate (linear warm-up, then linear decay)")
    head_learning_rate: float | None = setting(  # new heads start from scratch
        None, "learning rate of the new head (default: --learning-rate)")
    weight_decay: float = setting(0.01, "AdamW weight decay (not of biases and layer norms)")
    warmup_ratio: float = setting(0.1, "share of the optimizer steps spent warming up")
    max_grad_norm: float = setting(1.0, "gradient clipping norm")
    freeze_word_embeddings: bool = setting(
        False, "keep the input word embeddings fixed (faster; keeps languages' embeddings aligned)")
    pooling: Literal[POOLINGS] = setting("mean", "sentence vector: mean of the tokens, or the first token")
    dropout: float = setting(0.1, "dropout before the head")
    seed: int = setting(42, "data order, new heads, dropout and perturbations")
    # Robust objectives (each setting is used by the method(s) named in robust/objectives.py; see
    # docs/robust-training.md)
    synonyms: str = setting("", "rs-da: synonym table JSON, word -> neighbours "
                                "(default: $XROBUST_RESOURCES/counterfitted_neighbors.json)")
    # rs-da: first covering source wins (lexicon/synonym_sources.py); other languages stay clean
    synonym_source: list[str] = setting(["counter-fitted"], SYNONYM_SOURCE_HELP)
    augment_copies: int = setting(1, "rs-da: perturbed copies of each example per epoch (paper: 10 for PAWS-X, "
                                     "3 for XNLI)")
    augment_mode: Literal[AUGMENT_MODES] = setting(
        "dynamic", "rs-da: dynamic (copies drawn afresh every epoch) or static (drawn once and reused every epoch, "
                   "as the paper's perturb.py; what `xrobust augment` writes)")
    synonym_lookup: Literal[SYNONYM_LOOKUPS] = setting(
        "published", "rs-da: published (Robust-XLT's perturb.py: space-delimited tokens looked up exactly as "
                     "written, so capitalised or punctuated tokens never change) or case-insensitive (words "
                     "between punctuation, any case, capitalisation restored: names change too)")
    substitution: Literal[SUBSTITUTIONS] = setting(
        "independent", "rs-da: draw every word occurrence independently (the paper), or once per word and pair "
                       "(a word in both sentences gets the same substitute)")
    noise: Literal[NOISE_KINDS] = setting(
        "uniform-ball", "rs-ri: noise on each token's word embedding: uniform in an L2 ball, or Gaussian")
    noise_radius: float = setting(0.5, "rs-ri uniform-ball: L2 radius per token (e5-small word vectors have norm "
                                       "~1.6)")
    noise_sigma: float = setting(0.02, "rs-ri gaussian: standard deviation per coordinate")
    adv_eps: float = setting(  # see robust/settings.py
        0.02, "adv/freelb: perturbation bound per token (L2 radius, or per coordinate with linf)")
    adv_step_size: float = setting(0.01, "adv/freelb: ascent step size")
    adv_steps: int = setting(3, "adv/freelb: K ascent steps (adv costs ~K+1 standard steps, freelb ~K)")
    adv_norm: Literal[NORMS] = setting("l2", "adv/freelb: l2 or linf ball")
    adv_weight: float = setting(1.0, "adv: loss = clean + weight * adversarial")
    # Speed
    group_by_length: bool = setting(True, "random batches instead of length-grouped ones")
    pad_to_max_length: bool = setting(
        False, "pad every pair to --max-length, as the XTREME scripts do (for baselines)")
    precision: Literal[PRECISIONS] = setting(
        "auto", "bf16 autocast (CPU or GPU), fp16 mixed precision (GPU), or auto: bf16 where the hardware runs it "
                "natively (CPU with AVX512-BF16/AMX, CUDA >= 8.0), else fp32 (encoders/devices.py)")
    device: str = setting("auto", "auto, cpu, cuda, cuda:1, ...")
    eval_batch_size: int = setting(64, "pairs per batch when scoring (English dev, and the evaluation)")
    # Checkpoints and selection
    checkpoint_every: int = setting(200, "optimizer steps between resumable checkpoints (0: epoch ends)")
    eval_every: int = setting(0, "English-dev evaluation every N steps (0: at each epoch end)")
    # Zero-shot evaluation after training
    eval_split: str = setting("dev", "split for the zero-shot evaluation (dev, test)")
    eval_languages: list[str] | None = setting(None, "languages to evaluate (default: all of the task)")
    max_eval_examples: int | None = setting(
        None, "pairs per language in the final evaluation (evenly spaced, the same rows in every language)")

    def validate(self) -> None:
        """Fail fast, naming the option, before anything is loaded."""
        self.training_source()
        intermediate = self.intermediate_sources()
        checks = self._choice_checks() + [
            (self.epochs >= 1, "--epochs", "at least 1"),
            (self.intermediate_epochs >= 1, "--intermediate-epochs", "at least 1"),
            (self.batch_size >= 1, "--batch-size", "at least 1"),
            (self.gradient_accumulation >= 1, "--gradient-accumulation", "at least 1"),
            (self.learning_rate > 0, "--learning-rate", "positive"),
            (0 <= self.warmup_ratio < 1, "--warmup-ratio", "in [0, 1)"),
            (8 <= self.max_length <= 4096, "--max-length", "between 8 and 4096"),
            (0 <= self.dropout < 1, "--dropout", "in [0, 1)"),
            (self.augment_copies >= 1, "--augment-copies", "at least 1"),
            (self.noise_radius >= 0, "--noise-radius", "at least 0"),
            (self.noise_sigma >= 0, "--noise-sigma", "at least 0"),
            (self.adv_eps > 0, "--adv-eps", "positive"),
            (self.adv_step_size > 0, "--adv-step-size", "positive"),
            (self.adv_steps >= 1, "--adv-steps", "at least 1"),
            (self.adv_weight >= 0, "--adv-weight", "at least 0"),
        ]
        for name, value in (("--max-train-examples", self.max_train_examples),
                            ("--max-intermediate-examples", self.max_intermediate_examples),
                            ("--max-dev-examples", self.max_dev_examples),
                            ("--max-eval-examples", self.max_eval_examples)):
            checks.append((value is None or value >= 1, name, "at least 1"))
        checks += self._method_option_checks()
        for ok, option, expected in checks:
            if not ok:
                raise UserError(f"{option}: must be {expected}")
        if self.objective().needs_synonyms:
            self.check_synonym_sources()
        tasks = [source.task for source in intermediate]
        if self.task in tasks:
            # The target's own pairs (its evaluation data included) are never an intermediate stage.
            raise UserError(f"--intermediate: {self.task} is the target task; an intermediate task must differ")
        if len(set(tasks)) != len(tasks):
            raise UserError("--intermediate: a task is listed twice (one head per task in a stage)")

    def _choice_checks(self) -> list[tuple[bool, str, str]]:
        """A `Literal` setting is one of its values (first: --method decides what else is checked)."""
        choices = [(f.name, get_args(f.type)) for f in dataclasses.fields(self) if get_origin(f.type) is Literal]
        return [(getattr(self, name) in values, option_name(name), f"one of {', '.join(values)}")
                for name, values in choices]

    def _method_option_checks(self) -> list[tuple[bool, str, str]]:
        """An option that belongs to other methods stays at its default (a value the run would
        silently ignore is refused): e.g. "--augment-copies: must be 1 unless --method rs-da"."""
        defaults = TrainConfig()
        checks = []
        for option in sorted(method_options()):
            readers = owners(option)
            default = getattr(defaults, option)
            shown = ",".join(default) if isinstance(default, list) else (str(default) if default != "" else "left out")
            checks.append((self.method in readers or getattr(self, option) == default,
                           option_name(option), f"{shown} unless --method {' or '.join(readers)}"))
        return checks

    def objective(self) -> Objective:
        return OBJECTIVES[self.method]

    def check_synonym_sources(self) -> None:
        """The target task's languages must have synonyms (else rs-da is silently standard
        training); an intermediate stage may mix in languages without any: those pairs train
        clean, and the run records how many of each language rs-da could perturb."""
        from pathlib import Path

        from xrobust.lexicon.synonym_sources import check_covered, parse_sources

        sources = parse_sources(self.synonym_source)
        check_covered(sources, self.train_languages, "--synonym-source",
                      Path(self.synonyms) if self.synonyms else None)

    def training_source(self) -> TrainingSource:
        return TrainingSource.parse(f"{self.task}:{self.train_split}:{','.join(self.train_languages)}",
                                    "--train-split/--train-languages")

    def intermediate_sources(self) -> list[TrainingSource]:
        return [TrainingSource.parse(entry, "--intermediate") for entry in self.intermediate]

    def embedding_noise(self) -> EmbeddingNoise:
        return EmbeddingNoise(self.noise, self.noise_radius, self.noise_sigma)

    def substitution_rule(self) -> SubstitutionRule:
        return SubstitutionRule(self.synonym_lookup, self.substitution)

    def adversarial(self) -> AdversarialSettings:
        return AdversarialSettings(self.adv_eps, self.adv_step_size, self.adv_steps, self.adv_norm, self.adv_weight)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict, source: str) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UserError(f"{source}: unknown setting(s) {', '.join(unknown)}")
        # A run written before a default changed resumes with what it used, not the new default.
        return cls(**{**values, **settings_before_defaults_changed(values)})
