"""The training objectives (`--method`), one record each: the one place a method is named.

Everything that depends on the method reads its record: the command line (choices, help),
`xrobust list`, TrainConfig.validate() (which options belong to which method), the training
loop (copies per epoch, the step), the recipe (synonym tables) and `xrobust compare` (the
options that name a method's group).

Reading this table imports no torch: the command line and the config checks read it before
anything heavy loads, so each step function imports its loss where it is called.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import torch

    from xrobust.encoders.classifier import PairClassifier
    from xrobust.training.config import TrainConfig

Backward = Callable[["torch.Tensor"], None]
# step(model, task, batch, config, backward): accumulate one micro-batch's gradient through
# `backward` (called as many times as the objective has passes); return the loss value.
Step = Callable[["PairClassifier", str, dict, "TrainConfig", Backward], float]


@dataclass(frozen=True)
class Objective:
    name: str  # the --method value
    description: str  # one line, for --help and `xrobust list`
    # TrainConfig fields only this objective (and any other naming them) reads: elsewhere they
    # must stay at their defaults, and a non-default value names the method's group in compare.
    options: tuple[str, ...]
    step: Step
    copies_per_epoch: Callable[["TrainConfig"], int]  # how often each training pair is seen per epoch
    # Trains on synonym-substituted copies of the text (rs-da): the run loads synonym tables,
    # and its batches are the copies, perturbed and tokenized epoch by epoch.
    needs_synonyms: bool = False


def one_copy(config: "TrainConfig") -> int:
    return 1


def augment_copies(config: "TrainConfig") -> int:
    """rs-da sees each example `augment_copies` times per epoch, each copy perturbed afresh."""
    return config.augment_copies


def cross_entropy_step(model, task: str, batch: dict, config: "TrainConfig", backward: Backward) -> float:
    """Cross-entropy on the batch as given (rs-da's perturbation is already in its text)."""
    from xrobust.robust.losses import standard_loss

    loss = standard_loss(model, task, batch)
    backward(loss)
    return loss.item()


def random_noise_step(model, task: str, batch: dict, config: "TrainConfig", backward: Backward) -> float:
    from xrobust.robust.noise import random_noise_loss

    loss = random_noise_loss(model, task, batch, config.embedding_noise())
    backward(loss)
    return loss.item()


def pgd_training_step(model, task: str, batch: dict, config: "TrainConfig", backward: Backward) -> float:
    """K + 1 passes, the clean one doubling as the first ascent step."""
    from xrobust.robust.adversarial import pgd_step

    return pgd_step(model, task, batch, config.adversarial(), backward)


def freelb_training_step(model, task: str, batch: dict, config: "TrainConfig", backward: Backward) -> float:
    """K forward/backward passes, gradients averaged."""
    from xrobust.robust.adversarial import freelb_step

    return freelb_step(model, task, batch, config.adversarial(), backward).loss


ADVERSARIAL_OPTIONS = ("adv_eps", "adv_step_size", "adv_steps", "adv_norm")
OBJECTIVES = {o.name: o for o in (
    Objective("standard", "cross-entropy on the clean batch", (), cross_entropy_step, one_copy),
    Objective("rs-da", "cross-entropy on randomly synonym-substituted copies, --augment-copies per epoch",
              ("synonyms", "synonym_source", "synonym_lookup", "substitution", "augment_copies", "augment_mode"),
              cross_entropy_step, augment_copies, needs_synonyms=True),
    Objective("rs-ri", "cross-entropy with random noise on every token's word embedding",
              ("noise", "noise_radius", "noise_sigma"), random_noise_step, one_copy),
    Objective("adv", "PGD: clean loss + --adv-weight x loss at a K-step adversarial perturbation",
              ADVERSARIAL_OPTIONS + ("adv_weight",), pgd_training_step, one_copy),
    Objective("freelb", "FreeLB: K ascent steps, parameter gradients of all K accumulated",
              ADVERSARIAL_OPTIONS, freelb_training_step, one_copy),
)}
METHODS = tuple(OBJECTIVES)


def method_options() -> set[str]:
    """Every TrainConfig field that belongs to some objective."""
    return {option for objective in OBJECTIVES.values() for option in objective.options}


def owners(option: str) -> list[str]:
    """The methods that read `option`."""
    return [o.name for o in OBJECTIVES.values() if option in o.options]
