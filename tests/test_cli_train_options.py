"""`xrobust train`'s options, pinned: their names, destinations, defaults and choices are the
interface of scripts and of every run's recorded command; generating them from TrainConfig
must not change one."""

import argparse
import dataclasses

from xrobust.cli import build_parser
from xrobust.training.config import TrainConfig

# option -> (dest, action, default, choices, type, metavar)
PINNED = {
    "--task": ("task", "store", None, None, None, None),
    "--intermediate": ("intermediate", "append", None, None, "_intermediate_list", None),
    "--model": ("model", "store", "default", None, None, None),
    "--method": ("method", "store", "standard", ("standard", "rs-da", "rs-ri", "adv", "freelb"), None, None),
    "--data-dir": ("data_dir", "store", None, None, None, None),
    "--output-dir": ("output_dir", "store", None, None, None, None),
    "--epochs": ("epochs", "store", 3, None, "int", None),
    "--intermediate-epochs": ("intermediate_epochs", "store", 1, None, "int", None),
    "--max-train-examples": ("max_train_examples", "store", None, None, "int", None),
    "--train-split": ("train_split", "store", "train", None, None, None),
    "--train-languages": ("train_languages", "store", ["en"], None, "_comma_list", None),
    "--max-intermediate-examples": ("max_intermediate_examples", "store", None, None, "int", None),
    "--max-dev-examples": ("max_dev_examples", "store", None, None, "int", None),
    "--max-eval-examples": ("max_eval_examples", "store", None, None, "int", None),
    "--eval-split": ("eval_split", "store", "dev", None, None, None),
    "--eval-languages": ("eval_languages", "store", None, None, "_comma_list", None),
    "--batch-size": ("batch_size", "store", 32, None, "int", None),
    "--gradient-accumulation": ("gradient_accumulation", "store", 1, None, "int", None),
    "--learning-rate": ("learning_rate", "store", 2e-05, None, "float", None),
    "--head-learning-rate": ("head_learning_rate", "store", None, None, "float", None),
    "--weight-decay": ("weight_decay", "store", 0.01, None, "float", None),
    "--warmup-ratio": ("warmup_ratio", "store", 0.1, None, "float", None),
    "--max-grad-norm": ("max_grad_norm", "store", 1.0, None, "float", None),
    "--max-length": ("max_length", "store", 128, None, "int", None),
    "--freeze-word-embeddings": ("freeze_word_embeddings", "store_true", False, None, None, None),
    "--pooling": ("pooling", "store", "mean", ("mean", "first"), None, None),
    "--dropout": ("dropout", "store", 0.1, None, "float", None),
    "--seed": ("seed", "store", 42, None, "int", None),
    "--precision": ("precision", "store", "auto", ("fp32", "bf16", "fp16", "auto"), None, None),
    "--device": ("device", "store", "auto", None, None, None),
    "--checkpoint-every": ("checkpoint_every", "store", 200, None, "int", None),
    "--eval-every": ("eval_every", "store", 0, None, "int", None),
    "--blank-policy": ("blank_policy", "store", "skip", ("skip", "keep"), None, None),
    "--no-group-by-length": ("group_by_length", "store_false", True, None, None, None),
    "--pad-to-max-length": ("pad_to_max_length", "store_true", False, None, None, None),
    "--synonyms": ("synonyms", "store", "", None, None, None),
    "--synonym-source": ("synonym_source", "store", ["counter-fitted"], None, "_comma_list", "SOURCES"),
    "--synonym-lookup": ("synonym_lookup", "store", "published", ("published", "case-insensitive"), None, None),
    "--substitution": ("substitution", "store", "independent", ("independent", "per-pair"), None, None),
    "--augment-copies": ("augment_copies", "store", 1, None, "int", None),
    "--augment-mode": ("augment_mode", "store", "dynamic", ("dynamic", "static"), None, None),
    "--noise": ("noise", "store", "uniform-ball", ("uniform-ball", "gaussian"), None, None),
    "--noise-radius": ("noise_radius", "store", 0.5, None, "float", None),
    "--noise-sigma": ("noise_sigma", "store", 0.02, None, "float", None),
    "--adv-eps": ("adv_eps", "store", 0.02, None, "float", None),
    "--adv-step-size": ("adv_step_size", "store", 0.01, None, "float", None),
    "--adv-steps": ("adv_steps", "store", 3, None, "int", None),
    "--adv-norm": ("adv_norm", "store", "l2", ("l2", "linf"), None, None),
    "--adv-weight": ("adv_weight", "store", 1.0, None, "float", None),
    "--config": ("config", "store", None, None, None, None),
}
ACTIONS = {argparse._StoreAction: "store", argparse._AppendAction: "append", argparse._StoreTrueAction: "store_true",
           argparse._StoreFalseAction: "store_false"}


def train_options() -> dict:
    parser = build_parser(["train"])
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = {}
    for action in commands.choices["train"]._actions:
        if action.dest == "help":
            continue
        (option,) = action.option_strings
        found[option] = (action.dest, ACTIONS[type(action)], action.default,
                         tuple(action.choices) if action.choices else None,
                         getattr(action.type, "__name__", None), action.metavar)
    return found


def test_every_existing_train_option_keeps_its_name_default_and_choices():
    found = train_options()
    assert {option: found.get(option) for option in PINNED} == PINNED


def test_every_train_option_has_help_and_sets_a_setting():
    parser = build_parser(["train"])
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for action in commands.choices["train"]._actions:
        if action.dest not in ("help", "config"):
            assert action.dest in fields and action.help, action.option_strings


def test_the_config_offers_the_poolings_the_classifier_has():
    from xrobust.encoders.classifier import POOLINGS
    from xrobust.training.config import POOLINGS as OFFERED

    assert OFFERED == POOLINGS  # the config keeps its own copy: the classifier imports torch


def test_a_choice_setting_outside_its_values_is_refused_naming_them():
    import pytest

    from xrobust.errors import UserError

    with pytest.raises(UserError, match="--blank-policy: must be one of skip, keep"):
        TrainConfig(task="pawsx", blank_policy="drop").validate()
    with pytest.raises(UserError, match="--method: must be one of standard, rs-da, rs-ri, adv, freelb"):
        TrainConfig(task="pawsx", method="pgd").validate()
