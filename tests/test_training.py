"""The training recipe on a tiny encoder: learning, checkpoints, stages, resume after SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time

import torch
from transformers import AutoModel, AutoTokenizer

from xrobust.encoders.classifier import load_classifier
from xrobust.training.config import TrainConfig
from xrobust.training.loop import lr_factor
from xrobust.evaluation.trained_run import train_and_evaluate


def tiny_config(model_dir, data_dir, out, **overrides) -> TrainConfig:
    values = dict(task="pawsx", model=str(model_dir), data_dir=str(data_dir), output_dir=str(out), epochs=3,
                  batch_size=4, learning_rate=3e-3, head_learning_rate=1e-2, warmup_ratio=0.0,
                  checkpoint_every=0, max_length=32, dropout=0.0, eval_languages=["en", "de"])
    values.update(overrides)
    return TrainConfig(**values)


def test_lr_schedule_warms_up_then_decays_to_zero():
    factors = [lr_factor(s, 10, 2) for s in range(10)]
    assert factors[:2] == [0.5, 1.0]
    assert factors[2] == 1.0 and factors[-1] == 0.125
    assert all(a >= b for a, b in zip(factors[1:], factors[2:]))


def test_training_learns_and_writes_a_complete_run(tiny_model_dir, tiny_data, tmp_path):
    run = train_and_evaluate(tiny_config(tiny_model_dir, tiny_data, tmp_path / "run", epochs=8))
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("task", "split", "model", "method", "intermediate", "seed", "accuracy", "ci95", "n", "average"):
        assert key in metrics
    assert metrics["accuracy"]["en"] == 1.0  # 4 training pairs seen 8 times each: memorised
    assert metrics["n"] == {"en": 4, "de": 3} and metrics["skipped_blank"]["de"] == 1
    stage = json.loads((run / "stage-1-pawsx" / "stage.json").read_text())
    assert stage["best_dev_score"] == 1.0 and len(stage["history"]) == 8
    lines = (run / "predictions" / "dev-de.jsonl").read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["id"] == "dev-1"
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["blank_policy"] == "skip"
    assert all(len(f["sha256"]) == 64 for f in config["data_files"].values())


def test_selected_checkpoint_loads_with_transformers_and_predicts_the_same(tiny_model_dir, tiny_data, tmp_path):
    run = train_and_evaluate(tiny_config(tiny_model_dir, tiny_data, tmp_path / "run", epochs=1))
    encoder = AutoModel.from_pretrained(run / "model")
    tokenizer = AutoTokenizer.from_pretrained(run / "model")
    model, _, head = load_classifier(run / "model")
    assert head["task"] == "pawsx" and head["heads"] == {"pawsx": ["0", "1"]}
    batch = tokenizer(["A cat."], ["A dog."], return_tensors="pt")
    with torch.no_grad():
        direct = encoder(**batch).last_hidden_state
        assert torch.allclose(direct, model.encoder(**batch).last_hidden_state)


def test_intermediate_stage_trains_first_and_target_gets_a_new_head(tiny_model_dir, tiny_data, tmp_path):
    run = train_and_evaluate(tiny_config(tiny_model_dir, tiny_data, tmp_path / "run", epochs=1, intermediate=["mnli"]))
    first = json.loads((run / "stage-1-mnli" / "stage.json").read_text())
    second = json.loads((run / "stage-2-pawsx" / "stage.json").read_text())
    assert first["tasks"] == ["mnli"] and first["train_examples"] == {"mnli": 24}
    assert second["tasks"] == ["pawsx"]
    _, _, head = load_classifier(run / "model")
    assert list(head["heads"]) == ["pawsx"]
    # The target stage started from the intermediate stage's encoder, not the pretrained one.
    pretrained = AutoModel.from_pretrained(tiny_model_dir).embeddings.word_embeddings.weight
    after_mnli = AutoModel.from_pretrained(run / "stage-1-mnli" / "best").embeddings.word_embeddings.weight
    assert not torch.equal(pretrained, after_mnli)
    assert json.loads((run / "metrics.json").read_text())["intermediate"] == ["mnli"]


def test_same_command_on_a_finished_run_reports_without_training(tiny_model_dir, tiny_data, tmp_path, capsys):
    config = tiny_config(tiny_model_dir, tiny_data, tmp_path / "run", epochs=1)
    train_and_evaluate(config)
    before = (tmp_path / "run" / "metrics.json").stat().st_mtime_ns
    train_and_evaluate(config)
    assert "already finished" in capsys.readouterr().err
    assert (tmp_path / "run" / "metrics.json").stat().st_mtime_ns == before


def test_killed_run_resumes_to_the_same_metrics(tiny_model_dir, tiny_data, tmp_path):
    """SIGKILL a run after its first checkpoint; the same command finishes it with the
    metrics of an uninterrupted run."""
    command = [sys.executable, "-m", "xrobust.cli", "train", "--task", "pawsx", "--intermediate", "mnli",
               "--model", str(tiny_model_dir), "--data-dir", str(tiny_data), "--epochs", "3",
               "--batch-size", "4", "--learning-rate", "3e-3", "--max-length", "32", "--checkpoint-every", "2",
               "--eval-languages", "en,de"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    reference = tmp_path / "reference"
    subprocess.run(command + ["--output-dir", str(reference)], check=True, env=env, capture_output=True, timeout=600)

    resumed = tmp_path / "resumed"
    process = subprocess.Popen(command + ["--output-dir", str(resumed)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    # Kill inside the second (target) stage, after one of its checkpoints.
    while not (resumed / "stage-2-pawsx" / "latest.json").exists():
        assert process.poll() is None and time.time() < deadline, "run ended before it could be killed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (resumed / "metrics.json").exists()

    finished = subprocess.run(command + ["--output-dir", str(resumed)], env=env, capture_output=True, text=True,
                              timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert "resuming from checkpoint" in finished.stderr
    want = json.loads((reference / "metrics.json").read_text())
    got = json.loads((resumed / "metrics.json").read_text())
    assert got["accuracy"] == want["accuracy"]
    ref_probs = (reference / "predictions" / "dev-de.jsonl").read_text()
    assert (resumed / "predictions" / "dev-de.jsonl").read_text() == ref_probs
    for stage in ("stage-1-mnli", "stage-2-pawsx"):
        want_stage = json.loads((reference / stage / "stage.json").read_text())
        got_stage = json.loads((resumed / stage / "stage.json").read_text())
        assert got_stage["history"] == want_stage["history"]


def test_config_file_repeats_a_run(tiny_model_dir, tiny_data, tmp_path):
    from xrobust.cli import main

    run = train_and_evaluate(tiny_config(tiny_model_dir, tiny_data, tmp_path / "run", epochs=1))
    saved = json.loads((run / "config.json").read_text())
    saved["config"]["output_dir"] = str(tmp_path / "again")
    (tmp_path / "again.json").write_text(json.dumps(saved))
    assert main(["train", "--config", str(tmp_path / "again.json")]) == 0
    first = json.loads((run / "metrics.json").read_text())["accuracy"]
    assert json.loads((tmp_path / "again" / "metrics.json").read_text())["accuracy"] == first


def test_different_settings_in_an_existing_run_dir_are_refused(tiny_model_dir, tiny_data, tmp_path, capsys):
    from xrobust.cli import main

    train_and_evaluate(tiny_config(tiny_model_dir, tiny_data, tmp_path / "run", epochs=1))
    code = main(["train", "--task", "pawsx", "--model", str(tiny_model_dir), "--data-dir", str(tiny_data),
                 "--output-dir", str(tmp_path / "run"), "--epochs", "2"])
    assert code == 2 and "holds a different run (settings differ: " in capsys.readouterr().err


def test_a_run_can_start_from_another_runs_model(tiny_model_dir, tiny_data, tmp_path):
    """--model RUN/model: the encoder carries over (e.g. an intermediate-task model shared by
    several target-task runs), the heads are new, and the run says where it started."""
    first = train_and_evaluate(tiny_config(tiny_model_dir, tiny_data, tmp_path / "first", epochs=2))
    # lr ~ 0: the second run's selected encoder is its starting point, which must be the first run's
    second = train_and_evaluate(tiny_config(first / "model", tiny_data, tmp_path / "second", epochs=1,
                                            learning_rate=1e-12, head_learning_rate=1e-12))
    start, trained = (AutoModel.from_pretrained(p) for p in (tiny_model_dir, first / "model"))
    carried = AutoModel.from_pretrained(second / "model")
    name = "embeddings.word_embeddings.weight"
    assert torch.allclose(carried.state_dict()[name], trained.state_dict()[name])
    assert not torch.allclose(carried.state_dict()[name], start.state_dict()[name])
    encoder = json.loads((second / "config.json").read_text())["encoder"]
    assert encoder.startswith(f"xrobust checkpoint {first / 'model'}") and str(tiny_model_dir) in encoder
