"""Every setting of a training run, in one typed object written whole into the run directory.

A run is reproducible from its `config.json` alone (`xrobust train --config run/config.json`).
"""

import dataclasses
from dataclasses import dataclass, field

from xrobust.encoders.devices import PRECISIONS
from xrobust.errors import UserError
from xrobust.tasks.sources import TrainingSource
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
    settings_before_defaults_changed,
)

@dataclass
class TrainConfig:
    # What to train
    task: str = "xnli"
    # Intermediate sources, trained first as one multi-task stage: "mnli" (English train pairs)
    # or "task:split:lang,lang" (e.g. "xnli:dev:de,es": labelled dev rows spread over languages).
    intermediate: list[str] = field(default_factory=list)
    model: str = "default"  # "default" (packaged multilingual-e5-small), a hub id or a local folder
    method: str = "standard"  # one of robust/objectives.py's OBJECTIVES
    data_dir: str = ""  # XTREME-layout folder, or "hub"
    output_dir: str = ""
    # Data
    max_train_examples: int | None = None  # first N training pairs of the target task
    train_split: str = "train"  # the target task's labelled pairs: this split (rows used are held out of
    train_languages: list[str] = field(default_factory=lambda: ["en"])  # selection and evaluation) in these
    max_intermediate_examples: int | None = None  # per intermediate task
    max_dev_examples: int | None = None  # English dev pairs used for model selection (evenly spaced)
    max_length: int = 128
    blank_policy: str = "skip"  # empty / "NS" sentences: skip (counted) or keep
    # Optimisation (defaults: the XTREME recipe's lr and batch size)
    epochs: int = 3
    intermediate_epochs: int = 1
    batch_size: int = 32
    gradient_accumulation: int = 1
    learning_rate: float = 2e-5
    head_learning_rate: float | None = None  # new heads start from scratch; None = learning_rate
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    freeze_word_embeddings: bool = False
    pooling: str = "mean"
    dropout: float = 0.1
    seed: int = 42
    # Robust objectives (each setting is used by the method(s) named; see docs/robust-training.md)
    synonyms: str = ""  # rs-da: synonym table JSON ("" = $XROBUST_RESOURCES/counterfitted_neighbors.json)
    # rs-da: where each language's synonyms come from, first covering source wins (lexicon/synonym_sources.py):
    # counter-fitted (en), muse-pivot (MUSE languages) or a per-language table file; other languages stay clean
    synonym_source: list[str] = field(default_factory=lambda: ["counter-fitted"])
    augment_copies: int = 1  # rs-da: perturbed copies of each example per epoch (paper: 10 PAWS-X, 3 XNLI)
    augment_mode: str = "dynamic"  # rs-da: copies redrawn every epoch, or static (drawn once, as the paper)
    synonym_lookup: str = "published"  # rs-da: published (perturb.py: space tokens, exact case) or case-insensitive
    substitution: str = "independent"  # rs-da: independent (every occurrence) or per-pair (one draw per word)
    noise: str = "uniform-ball"  # rs-ri: uniform-ball (L2, per token) or gaussian
    noise_radius: float = 0.5  # rs-ri uniform-ball: L2 radius per token
    noise_sigma: float = 0.02  # rs-ri gaussian: standard deviation per coordinate
    adv_eps: float = 0.02  # adv/freelb: bound per token (L2 radius, or per coordinate under linf); see settings.py
    adv_step_size: float = 0.01  # adv/freelb: ascent step length
    adv_steps: int = 3  # adv/freelb: K ascent steps
    adv_norm: str = "l2"  # adv/freelb: l2 or linf
    adv_weight: float = 1.0  # adv: loss = clean + weight * adversarial
    # Speed
    group_by_length: bool = True
    pad_to_max_length: bool = False  # the XTREME recipe pads every pair to max_length (baseline only)
    precision: str = "fp32"  # bf16 autocast (CPU, GPU), fp16 with loss scaling (GPU), or auto (encoders/devices.py)
    device: str = "auto"
    eval_batch_size: int = 64
    # Checkpoints and selection
    checkpoint_every: int = 200  # optimizer steps between resumable checkpoints (0: only at epoch ends)
    eval_every: int = 0  # optimizer steps between English-dev evaluations (0: at each epoch end)
    # Zero-shot evaluation after training
    eval_split: str = "dev"
    eval_languages: list[str] | None = None  # None: every language of the task
    max_eval_examples: int | None = None  # per language (evenly spaced, the same rows in every language)

    def validate(self) -> None:
        """Fail fast, naming the option, before anything is loaded."""
        from xrobust.encoders.classifier import POOLINGS
        from xrobust.tasks import get_task

        self.training_source()
        intermediate = self.intermediate_sources()
        checks = [
            (self.method in METHODS, "--method", f"one of {', '.join(METHODS)}"),
            (self.precision in PRECISIONS, "--precision", f"one of {', '.join(PRECISIONS)}"),
            (self.pooling in POOLINGS, "--pooling", f"one of {', '.join(POOLINGS)}"),
            (self.epochs >= 1, "--epochs", "at least 1"),
            (self.intermediate_epochs >= 1, "--intermediate-epochs", "at least 1"),
            (self.batch_size >= 1, "--batch-size", "at least 1"),
            (self.gradient_accumulation >= 1, "--gradient-accumulation", "at least 1"),
            (self.learning_rate > 0, "--learning-rate", "positive"),
            (0 <= self.warmup_ratio < 1, "--warmup-ratio", "in [0, 1)"),
            (8 <= self.max_length <= 4096, "--max-length", "between 8 and 4096"),
            (0 <= self.dropout < 1, "--dropout", "in [0, 1)"),
            (self.augment_copies >= 1, "--augment-copies", "at least 1"),
            (self.substitution in SUBSTITUTIONS, "--substitution", f"one of {', '.join(SUBSTITUTIONS)}"),
            (self.synonym_lookup in SYNONYM_LOOKUPS, "--synonym-lookup", f"one of {', '.join(SYNONYM_LOOKUPS)}"),
            (self.augment_mode in AUGMENT_MODES, "--augment-mode", f"one of {', '.join(AUGMENT_MODES)}"),
            (self.noise in NOISE_KINDS, "--noise", f"one of {', '.join(NOISE_KINDS)}"),
            (self.noise_radius >= 0, "--noise-radius", "at least 0"),
            (self.noise_sigma >= 0, "--noise-sigma", "at least 0"),
            (self.adv_eps > 0, "--adv-eps", "positive"),
            (self.adv_step_size > 0, "--adv-step-size", "positive"),
            (self.adv_steps >= 1, "--adv-steps", "at least 1"),
            (self.adv_norm in NORMS, "--adv-norm", f"one of {', '.join(NORMS)}"),
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
                           "--" + option.replace("_", "-"), f"{shown} unless --method {' or '.join(readers)}"))
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
