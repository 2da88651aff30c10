"""Every kind of bad input ends in one line naming the option, file or key, exit code 2, no
traceback, and nothing trained: the checks run before any model is loaded."""

import json

import pytest

from xrobust.cli import main


@pytest.fixture
def world(tiny_data, tiny_model_dir, tmp_path, monkeypatch):
    """A data folder, the tiny model, a run folder path, and an offline hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XROBUST_RESOURCES", str(tmp_path / "resources"))
    empty = tmp_path / "empty-model"
    empty.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    other_run = tmp_path / "other-run"
    other_run.mkdir()
    (other_run / "config.json").write_text(json.dumps({"config": {"task": "pawsx", "epochs": 9}}))
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    return {"DATA": str(tiny_data), "MODEL": str(tiny_model_dir), "OUT": str(tmp_path / "run"),
            "EMPTY": str(empty), "FILE": str(a_file), "OTHER": str(other_run), "STRANGER": str(stranger),
            "TMP": str(tmp_path)}


TRAIN = ["train", "--task", "pawsx", "--data-dir", "{DATA}", "--model", "{MODEL}", "--output-dir", "{OUT}",
         "--max-length", "32", "--eval-languages", "en,de"]

# (extra arguments, what the one line must say)
TRAIN_CASES = [
    (["--task", "nope"], "--task: unknown task 'nope'"),
    (["--task", "pawx"], "did you mean 'pawsx'?"),
    (["--eval-languages", "xx"], "--eval-languages: pawsx has no language xx"),
    (["--eval-languages", "dee"], "(did you mean 'de'?)"),
    (["--eval-languages", "fr"], "dev-fr.tsv: no such file"),  # found before training, not after it
    (["--epochs", "0"], "--epochs: must be at least 1"),
    (["--batch-size", "0"], "--batch-size: must be at least 1"),
    (["--learning-rate", "-1"], "--learning-rate: must be positive"),
    (["--warmup-ratio", "1.5"], "--warmup-ratio: must be in [0, 1)"),
    (["--dropout", "1.5"], "--dropout: must be in [0, 1)"),
    (["--max-length", "4"], "--max-length: must be between 8 and 4096"),
    (["--max-length", "1000"], "--max-length 1000: the model"),
    (["--max-train-examples", "0"], "--max-train-examples: must be at least 1"),
    (["--model", "{EMPTY}"], "not a transformers model folder (no config.json)"),
    (["--model", "someone/not-cached-model"], "HF_HUB_OFFLINE=1 is set and there is no cached copy"),
    (["--method", "rs-da", "--synonyms", "{TMP}/missing.json"], "missing.json: synonym table not found"),
    (["--method", "rs-da"], "counterfitted_neighbors.json: synonym table not found"),
    (["--augment-copies", "3"], "--augment-copies: must be 1 unless --method rs-da"),
    (["--substitution", "per-pair"], "--substitution: must be independent unless --method rs-da"),
    (["--method", "adv", "--adv-eps", "0"], "--adv-eps: must be positive"),
    (["--method", "adv", "--adv-steps", "0"], "--adv-steps: must be at least 1"),
    (["--intermediate", "pawsx"], "--intermediate: pawsx is the target task"),
    (["--intermediate", "xnli:dev:xx"], "--intermediate: xnli has no language xx"),
    (["--intermediate", "xnli:valid"], "unknown split 'valid'"),
    (["--train-languages", "xx"], "pawsx has no language xx"),
    (["--data-dir", "{TMP}/nowhere"], "--data-dir: "),
    (["--output-dir", "{FILE}/run"], "is a file, not a folder"),
    (["--output-dir", "{OTHER}"], "holds a different run"),
    (["--output-dir", "{STRANGER}"], "exists and is not an xrobust run"),
    (["--precision", "fp8"], "--precision: invalid choice"),
    (["--pooling", "max"], "--pooling: invalid choice"),
]


def _run(argv, world, capsys):
    argv = [a.format(**world) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    return code, capsys.readouterr()


@pytest.mark.parametrize("extra, message", TRAIN_CASES, ids=[" ".join(c[0]) for c in TRAIN_CASES])
def test_train_refuses_bad_input_before_training(extra, message, world, capsys):
    code, out = _run(TRAIN + extra, world, capsys)
    lines = out.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in out.err, out.err
    assert message.format(**world) in lines[0], lines[0]
    for folder in (world["OUT"], world["OTHER"], world["STRANGER"]):  # nothing trained anywhere
        assert not list(__import__("pathlib").Path(folder).rglob("*.safetensors"))


OTHER_CASES = [
    (["evaluate", "{TMP}/no-run", "--task", "pawsx", "--data-dir", "{DATA}"], "CHECKPOINT {TMP}/no-run: no such folder"),
    (["evaluate", "{OTHER}", "--task", "pawsx", "--data-dir", "{DATA}"], "has not finished training"),
    (["evaluate", "{MODEL}", "--task", "pawsx", "--data-dir", "{DATA}"], "neither a run directory"),
    (["evaluate", "{MODEL}", "--task", "pawsx", "--smooth", "0"], "--smooth: must be at least 1"),
    (["augment", "--task", "pawsx", "--copies", "0", "--data-dir", "{DATA}", "--output-dir", "{TMP}/aug"],
     "--copies: must be at least 1"),
    (["augment", "--task", "pawsx", "--data-dir", "{DATA}", "--output-dir", "{TMP}/aug"],
     "synonym table not found"),
    (["compare", "{TMP}/no-run"], "no metrics.json"),
    (["train", "--data-dir", "{DATA}"], "--task: required"),
]


@pytest.mark.parametrize("argv, message", OTHER_CASES, ids=[" ".join(c[0][:2]) for c in OTHER_CASES])
def test_other_commands_refuse_bad_input_in_one_line(argv, message, world, capsys):
    code, out = _run(argv, world, capsys)
    lines = out.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in out.err, out.err
    assert message.format(**world) in lines[0], lines[0]


def test_a_run_interrupted_before_its_first_checkpoint_is_reported_by_evaluate(world, capsys, monkeypatch):
    import xrobust.training.loop as loop

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # killed during the first stage, before any checkpoint

    monkeypatch.setattr(loop, "train_on_batch", crash)
    assert main([a.format(**world) for a in TRAIN + ["--epochs", "1", "--eval-languages", "en"]]) == 130
    capsys.readouterr()
    code, out = _run(["evaluate", "{OUT}", "--task", "pawsx", "--data-dir", "{DATA}"], world, capsys)
    assert code == 2 and "an xrobust run that has not finished training" in out.err
    assert "run the same `xrobust train` command to resume it" in out.err
