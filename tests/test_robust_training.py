"""Each method trains end to end through `train_and_evaluate`, is recorded in config.json, and
resumes exactly (rs-da's draws depend only on seed, epoch, task and pool)."""

import json

import pytest
from safetensors.torch import load_file

import xrobust.training.loop as loop
from xrobust.errors import UserError
from xrobust.lexicon.synonyms import SynonymTable
from xrobust.tasks import Example
from xrobust.robust.objectives import METHODS, OBJECTIVES
from xrobust.training.config import TrainConfig
from xrobust.training.loop import EpochBatches, StagePlan
from xrobust.evaluation.trained_run import train_and_evaluate


@pytest.fixture
def synonyms_file(tmp_path):
    path = tmp_path / "synonyms.json"
    path.write_text(json.dumps({"cat": ["kitten"], "river": ["stream"], "violin": ["fiddle"], "moved": ["went"]}))
    return path


def config_for(method, tiny_model_dir, tiny_data, out, **extra) -> TrainConfig:
    values = dict(task="pawsx", model=str(tiny_model_dir), method=method, data_dir=str(tiny_data),
                  output_dir=str(out), epochs=1, batch_size=8, learning_rate=1e-3, checkpoint_every=0,
                  eval_languages=["en"], max_length=32, seed=3,
                  freeze_word_embeddings=True)  # the perturbations must work without embedding gradients;
    # and the tiny model's 250k-row embedding is most of its optimizer work, so tests run faster
    if "adv_steps" in OBJECTIVES[method].options:
        values["adv_steps"] = 2  # K = 2: cheaper than the default 3; other methods refuse the option
    values.update(extra)
    return TrainConfig(**values)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_through_the_loop(method, tiny_model_dir, monkeypatch, tmp_path):
    """One epoch of train_stage per method, in memory (the writes are what train_and_evaluate tests cover)."""
    from robust_fixtures import PAIRS, tiny_classifier

    from xrobust.tasks import get_task
    from xrobust.encoders.pairs import encode_pairs

    monkeypatch.setattr(loop, "save_checkpoint", lambda *a, **k: None)
    monkeypatch.setattr(loop, "_save_atomically", lambda *a, **k: None)
    model, tokenizer = tiny_classifier(tiny_model_dir, dropout=0.1)
    examples = [Example(f"train-{i}", a, b, str(label), "en") for i, (a, b, label) in enumerate(PAIRS * 4)]
    encoded = encode_pairs(tokenizer, examples, get_task("pawsx"), 32)
    plan = StagePlan("s", {"pawsx": encoded}, {"pawsx": encoded.select(range(4))}, {"pawsx": ["0", "1"]}, 1,
                     train_examples={"pawsx": examples}, synonyms=SynonymTable({"cat": ["kitten"], "river": ["stream"]}))
    # train_stage takes a resolved precision (the recipe resolves auto before it calls it)
    config = config_for(method, tiny_model_dir, "", tmp_path, batch_size=4, precision="fp32",
                        augment_copies=3 if method == "rs-da" else 1)
    model.word_embeddings().weight.requires_grad_(False)
    before = model.heads["pawsx"].weight.detach().clone()
    state = loop.train_stage(plan, model, tokenizer, config, tmp_path / "stage", tmp_path / "best")
    copies = 3 if method == "rs-da" else 1
    assert state.examples_seen == 16 * copies and state.step == 4 * copies
    assert not model.heads["pawsx"].weight.equal(before)


def rs_da_plan(tokenizer, examples, table):
    from xrobust.tasks import get_task
    from xrobust.encoders.pairs import encode_pairs

    return StagePlan("s", {"pawsx": encode_pairs(tokenizer, examples, get_task("pawsx"), 32)}, {},
                     {"pawsx": ["0", "1"]}, 1, train_examples={"pawsx": examples}, synonyms=table)


def test_rs_da_batches_are_fresh_copies_and_repeat_exactly(tiny_model_dir):
    from robust_fixtures import tiny_classifier

    _, tokenizer = tiny_classifier(tiny_model_dir)
    sentences = [Example(f"train-{i}", "The cat sat by the river.", "A cat played the violin.", "1", "en")
                 for i in range(6)]
    plan = rs_da_plan(tokenizer, sentences,
                      SynonymTable({"cat": ["kitten"], "river": ["stream"], "violin": ["fiddle"]}))
    config = TrainConfig(method="rs-da", augment_copies=3, batch_size=4, seed=1, max_length=32)
    batches = EpochBatches(plan, config, tokenizer, epoch=0)
    assert len(batches) == 5 and sum(len(batches.collated(i)[1]["labels"]) for i in range(5)) == 18  # 3 x 6
    again = EpochBatches(plan, config, tokenizer, epoch=0)  # a resumed run rebuilds the same batches
    assert all(again.collated(i)[1]["input_ids"].equal(batches.collated(i)[1]["input_ids"]) for i in (3, 0))
    texts = set()
    for number in range(len(batches)):
        batch = batches.collated(number)[1]
        texts |= {tokenizer.decode(row[row != tokenizer.pad_token_id][1:-1]) for row in batch["input_ids"]}
    assert len(texts) > 3  # the copies are perturbed differently
    assert all(("cat" in t or "kitten" in t) for t in texts)
    other_epoch = EpochBatches(plan, config, tokenizer, epoch=1)
    assert any(not other_epoch.collated(i)[1]["input_ids"].equal(batches.collated(i)[1]["input_ids"])
               for i in range(5))


def test_rs_da_batches_are_grouped_by_perturbed_length(tiny_model_dir):
    """Substitutes change token counts: grouping by the clean length would pad more."""
    from robust_fixtures import tiny_classifier

    _, tokenizer = tiny_classifier(tiny_model_dir)
    # clean pairs all of one length; "cat" -> a long substitute in some copies only
    sentences = [Example(f"train-{i}", "The cat sat.", "It sat.", "1", "en") for i in range(40)]
    plan = rs_da_plan(tokenizer, sentences, SynonymTable({"cat": ["hippopotamus-like creature of the marshes"]}))
    config = TrainConfig(method="rs-da", batch_size=4, seed=2, max_length=32)
    batches = EpochBatches(plan, config, tokenizer, epoch=0)
    lengths = [batches.collated(i)[1]["attention_mask"].sum(1).tolist() for i in range(len(batches))]
    assert len({n for row in lengths for n in row}) == 2  # both perturbed lengths occur, and
    assert sum(len(set(row)) > 1 for row in lengths) <= 1  # only the batch at the boundary mixes them


def test_interrupted_rs_da_run_resumes_to_the_same_weights(tiny_model_dir, tiny_data, tmp_path, synonyms_file,
                                                          monkeypatch):
    # rs-da's substitutions come from their own seeded draws (not torch's checkpointed RNG):
    # the resumed run must still perturb every batch as the uninterrupted one did.
    method, extra = "rs-da", {"synonyms": str(synonyms_file), "augment_copies": 2}  # 8 steps in one epoch
    straight = train_and_evaluate(config_for(method, tiny_model_dir, tiny_data, tmp_path / "straight",
                                             checkpoint_every=5, **extra))
    recorded = json.loads((straight / "config.json").read_text())
    assert recorded["config"]["method"] == "rs-da" and recorded["config"]["synonyms"] == str(synonyms_file)
    assert str(synonyms_file) in recorded["data_files"]  # the table's hash travels with the run
    assert json.loads((straight / "metrics.json").read_text())["method"] == "rs-da"
    real_save = loop.save_checkpoint

    def save_then_crash(*args, **kwargs):
        real_save(*args, **kwargs)
        raise KeyboardInterrupt  # as if killed right after the first checkpoint (step 5 of 8)

    monkeypatch.setattr(loop, "save_checkpoint", save_then_crash)
    config = config_for(method, tiny_model_dir, tiny_data, tmp_path / "resumed", checkpoint_every=5, **extra)
    with pytest.raises(KeyboardInterrupt):
        train_and_evaluate(config)
    monkeypatch.setattr(loop, "save_checkpoint", real_save)
    resumed = train_and_evaluate(config)
    a, b = load_file(str(straight / "model" / "head.safetensors")), load_file(str(resumed / "model" / "head.safetensors"))
    assert all(a[k].equal(b[k]) for k in a)


@pytest.mark.parametrize("option, value", [("augment_copies", 0), ("adv_steps", 0), ("adv_norm", "l1"),
                                           ("noise", "laplace"), ("noise_radius", -1.0),
                                           ("augment_mode", "weekly"), ("synonym_lookup", "fuzzy")])
def test_bad_robust_settings_name_the_option(option, value):
    with pytest.raises(UserError, match="--" + option.replace("_", "-")):
        method = "rs-da" if option in ("augment_copies", "augment_mode", "synonym_lookup") else "adv"
        TrainConfig(task="pawsx", method=method, **{option: value}).validate()


def test_augment_copies_need_rs_da():
    with pytest.raises(UserError, match="--augment-copies: must be 1 unless --method rs-da"):
        TrainConfig(task="pawsx", method="adv", augment_copies=3).validate()


def test_cli_records_robust_options_and_the_resolved_table(tmp_path, tiny_data, monkeypatch, capsys):
    from xrobust.cli import _config_from_args, build_parser, main

    monkeypatch.setenv("XROBUST_RESOURCES", str(tmp_path))
    args = build_parser().parse_args(["train", "--task", "pawsx", "--method", "rs-da", "--augment-copies", "10",
                                      "--data-dir", str(tiny_data)])
    config = _config_from_args(args)
    assert config.method == "rs-da" and config.augment_copies == 10
    assert config.synonyms == str(tmp_path / "counterfitted_neighbors.json")  # config.json names the table
    args = build_parser().parse_args(["train", "--task", "pawsx", "--method", "adv", "--adv-steps", "5",
                                      "--adv-norm", "linf", "--adv-eps", "0.02", "--data-dir", str(tiny_data)])
    config = _config_from_args(args)
    assert config.adversarial().steps == 5 and config.adversarial().norm == "linf"
    assert main(["train", "--task", "pawsx", "--method", "adv", "--augment-copies", "3",
                 "--data-dir", str(tiny_data)]) == 2
    assert main(["train", "--task", "pawsx", "--method", "rs-da", "--synonyms", str(tmp_path / "missing.json"),
                 "--data-dir", str(tiny_data), "--model", "does-not-matter", "--output-dir", str(tmp_path / "r")]) == 2
    errors = capsys.readouterr().err
    assert "--augment-copies: must be 1 unless --method rs-da" in errors
    assert "missing.json: synonym table not found" in errors
    assert not (tmp_path / "r").exists()  # failed before the run directory was written


# A valid value other than the default for every option that belongs to some objective: the
# assertion below fails when the table gains an option this test does not exercise.
NON_DEFAULT = {"synonyms": "table.json", "synonym_source": ["muse-pivot"], "synonym_lookup": "case-insensitive",
               "substitution": "per-pair", "augment_copies": 2, "augment_mode": "static", "noise": "gaussian",
               "noise_radius": 0.3, "noise_sigma": 0.1, "adv_eps": 0.05, "adv_step_size": 0.05, "adv_steps": 2,
               "adv_norm": "linf", "adv_weight": 0.5}


def test_an_objectives_options_are_refused_with_every_other_method():
    from xrobust.robust.objectives import method_options, owners

    assert set(NON_DEFAULT) == method_options()
    for option, value in NON_DEFAULT.items():
        for method in METHODS:
            config = TrainConfig(task="pawsx", method=method, **{option: value})
            if method in owners(option):
                continue  # accepted (rs-da's own are checked against files: test_cli_records_...)
            with pytest.raises(UserError, match=f"--{option.replace('_', '-')}: must be .* unless --method "
                                                f"{' or '.join(owners(option))}$"):
                config.validate()
    TrainConfig(task="pawsx", method="freelb", adv_steps=2, adv_norm="linf").validate()  # shared by adv and freelb
    TrainConfig(task="pawsx", method="rs-ri", noise="gaussian", noise_sigma=0.1).validate()
