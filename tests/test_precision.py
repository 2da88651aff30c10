"""--precision auto: bf16 where the hardware runs it natively, fp32 elsewhere, with the reason
recorded in the run; a resumed run keeps the precision it started with."""

import json

import pytest
import torch

from xrobust.encoders.devices import resolve_precision
from xrobust.results.machine import cpu_model, read_cpu_flags
from xrobust.training.config import TrainConfig
from xrobust.evaluation.trained_run import train_and_evaluate


def test_auto_follows_the_cpu_flags(tmp_path):
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu, {"avx512f", "avx512_bf16"}).name == "bf16"
    assert resolve_precision("auto", cpu, {"amx_bf16"}).name == "bf16"
    chosen = resolve_precision("auto", cpu, {"avx2", "avx512f"})
    assert chosen.name == "fp32" and "neither avx512_bf16 nor amx_bf16" in chosen.reason
    assert resolve_precision("bf16", cpu, set()).name == "bf16"  # an explicit choice stands
    assert resolve_precision("fp32", cpu, {"avx512_bf16"}).name == "fp32"
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu sse avx512_bf16 amx_tile\n\n"
                       "processor\t: 1\nmodel name\t: AMD EPYC 9R14\n")
    assert read_cpu_flags(cpuinfo) == {"fpu", "sse", "avx512_bf16", "amx_tile"}
    assert cpu_model(cpuinfo) == "AMD EPYC 9R14"
    assert read_cpu_flags(tmp_path / "missing") == set() and cpu_model(tmp_path / "missing") is None


def test_a_run_records_what_auto_chose(tiny_model_dir, tiny_data, tmp_path):
    config = TrainConfig(task="pawsx", model=str(tiny_model_dir), data_dir=str(tiny_data), output_dir=str(tmp_path / "r"),
                         epochs=1, batch_size=16, checkpoint_every=0, eval_languages=["en"], max_length=32,
                         freeze_word_embeddings=True, precision="auto")
    run = train_and_evaluate(config)
    recorded = json.loads((run / "config.json").read_text())
    expected = resolve_precision("auto", torch.device("cpu"))
    assert recorded["config"]["precision"] == "auto"
    assert recorded["precision"] == {"name": expected.name, "reason": expected.reason}
    assert json.loads((run / "metrics.json").read_text())["precision"] == expected.name


def test_the_same_command_resumes_a_run_made_before_precision_existed(tiny_model_dir, tiny_data, tmp_path):
    from xrobust.errors import UserError
    from xrobust.training.run_folder import run_folder

    run = tmp_path / "old"
    run.mkdir()
    settings = dict(task="pawsx", model=str(tiny_model_dir), data_dir=str(tiny_data), output_dir=str(run))
    saved = {k: v for k, v in TrainConfig(**settings).to_dict().items() if k != "precision"}  # an fp32-era run
    (run / "config.json").write_text(json.dumps({"config": saved}))
    assert run_folder(TrainConfig(**settings)) == run  # --precision auto (the default) keeps the run's fp32
    assert run_folder(TrainConfig(**settings, precision="fp32")) == run
    with pytest.raises(UserError, match="settings differ: precision"):
        run_folder(TrainConfig(**settings, precision="bf16"))  # asked for explicitly: a different run
