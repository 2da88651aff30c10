"""`xrobust evaluate` on a run directory and on a checkpoint folder."""

import json

from xrobust.cli import main
from xrobust.encoders.processes import current_processes
from xrobust.training.config import TrainConfig
from xrobust.evaluation.trained_run import train_and_evaluate


def test_evaluate_accepts_run_dir_or_checkpoint_and_matches_training_metrics(tiny_model_dir, tiny_data, tmp_path, capsys,
                                                                             device_moves):
    run = train_and_evaluate(TrainConfig(task="pawsx", model=str(tiny_model_dir), data_dir=str(tiny_data),
                                         output_dir=str(tmp_path / "run"), epochs=2, batch_size=4, learning_rate=3e-3,
                                         max_length=32, checkpoint_every=0, eval_languages=["en", "de"]))
    trained = json.loads((run / "metrics.json").read_text())
    device_moves.clear()  # from here on: a single process evaluates on its device (the GPU where there is one)
    for target, out in ((run, tmp_path / "a"), (run / "model", tmp_path / "b")):
        code = main(["evaluate", str(target), "--task", "pawsx", "--languages", "en,de",
                     "--data-dir", str(tiny_data), "--output-dir", str(out)])
        assert code == 0
        assert device_moves.pop() == current_processes().device
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["accuracy"] == trained["accuracy"] and metrics["n"] == trained["n"]
        assert (out / "predictions" / "dev-de.jsonl").is_file()
        recorded = json.loads((out / "evaluate.json").read_text())  # how the numbers were made, resolved
        assert recorded["settings"]["languages"] == ["en", "de"] and recorded["settings"]["max_length"] == 32
        assert recorded["checkpoint"] == str(run / "model") and recorded["settings"]["checkpoint"] == str(target)
        assert recorded["settings"]["precision"]["asked"] == "auto"
        assert recorded["settings"]["precision"]["used"] in ("fp32", "bf16")  # what auto chose here
    assert "| de |" in capsys.readouterr().out
    assert main(["evaluate", str(run), "--task", "xnli", "--data-dir", str(tiny_data)]) == 2
    assert "labels differ" in capsys.readouterr().err
