"""Two CPU processes (gloo) against one: training with the same global batch, evaluation,
attacks, and a killed two-process run resuming on two.

The two-process commands run under `python -m torch.distributed.run --standalone` (a free
port, so parallel test runs do not collide), most of them in one launch
(tests/distributed_commands.py). The encoder is the tiny one with its dropout switched off:
with dropout, each process draws its own masks and the weights differ by design.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil  # an Accelerate dependency
import pytest
import torch
from safetensors.torch import load_file

from xrobust.attacks.runner import merge_process_rows, process_rows_path
from xrobust.cli import main
from xrobust.encoders.processes import Processes

TESTS = Path(__file__).resolve().parent
WEIGHT_TOLERANCE = 1e-6  # max |difference| of any weight: the processes' gradients are summed in another order
TIMINGS = {"seconds", "eval_seconds", "eval_examples_per_second", "train_seconds", "train_examples_per_second",
           "finished"}  # robustness.json: when each recipe's attack finished


def two_processes(*commands: list[str], wait: bool = True, log: Path | None = None):
    """Launch `commands` on 2 CPU processes; return the finished process, or the running one."""
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    if len(commands) == 1 and commands[0][0] == "-m":
        args += commands[0]  # `python -m xrobust ...` itself, as a user launches it
    else:
        args.append(str(TESTS / "distributed_commands.py"))
        for i, command in enumerate(commands):
            args += (["---"] if i else []) + command
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "TQDM_DISABLE": "1",
           "PYTHONPATH": os.pathsep.join(p for p in [str(TESTS.parent / "src"), os.environ.get("PYTHONPATH")] if p)}
    if wait:
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def train_args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "--task", "pawsx", "--model", str(model), "--data-dir", str(data), "--output-dir", str(out),
            "--epochs", "2", "--batch-size", "8", "--learning-rate", "3e-3", "--head-learning-rate", "1e-2",
            "--warmup-ratio", "0", "--checkpoint-every", "0", "--max-length", "32", "--dropout", "0",
            "--eval-languages", "en,de", "--device", "cpu",
            # weights are compared to 1e-6: in bf16 (auto's choice on CPUs with AVX512-BF16)
            # splitting a step's micro-batches over processes changes the rounding
            "--precision", "fp32", *extra]


def evaluate_args(checkpoint: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return ["evaluate", str(checkpoint), "--task", "pawsx", "--languages", "en,de", "--data-dir", str(data),
            "--output-dir", str(out), *extra]


ADV = ("--method", "adv", "--adv-steps", "2", "--epochs", "1")  # PGD: backward three times per micro-batch
# evaluate's modes: plain, the vote over noisy copies (2 examples a chunk), the language-pair matrix
EVALUATIONS = {"plain": (), "smoothed": ("--smooth", "3", "--smooth-perturbation", "uniform-ball", "--batch-size", "6"),
               "generalized": ("--generalized",)}


def attack_args(checkpoint: Path, data: Path, out: Path, recipe: str) -> list[str]:
    return ["attack", str(checkpoint), "--task", "pawsx", "--languages", "en,de", "--data-dir", str(data),
            "--output-dir", str(out), "--recipe", recipe, "--query-budget", "50", "--eps", "0,0.05,0.2",
            "--pgd-steps", "3"]


@pytest.fixture(scope="module")
def model(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny encoder without dropout: one process and two then compute the same thing."""
    folder = tmp_path_factory.mktemp("no-dropout") / "encoder"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="module")
def runs(model, tiny_data_module, tmp_path_factory) -> Path:
    """One process: batch 8 x accumulation 2, then its evaluation and attacks; two processes:
    batch 8 (the same 16 pairs a step), and the same evaluation and attacks of the one-process model."""
    root = tmp_path_factory.mktemp("distributed")
    data = tiny_data_module
    assert main(train_args(model, data, root / "one", "--gradient-accumulation", "2")) == 0
    assert main(train_args(model, data, root / "adv-one", *ADV, "--gradient-accumulation", "2")) == 0
    checkpoint = root / "one" / "model"
    for kind, extra in EVALUATIONS.items():
        assert main(evaluate_args(checkpoint, data, root / f"evaluate-{kind}-one", *extra)) == 0
    for recipe in ("typo-greedy", "embedding-pgd"):
        assert main(attack_args(checkpoint, data, root / "attack-one", recipe)) == 0
    finished = two_processes(train_args(model, data, root / "two"),
                             train_args(model, data, root / "adv-two", *ADV),
                             *(evaluate_args(checkpoint, data, root / f"evaluate-{kind}-two", *extra)
                               for kind, extra in EVALUATIONS.items()),
                             attack_args(checkpoint, data, root / "attack-two", "typo-greedy"),
                             attack_args(checkpoint, data, root / "attack-two", "embedding-pgd"))
    assert finished.returncode == 0, finished.stderr[-3000:]
    (root / "two.log").write_text(finished.stderr)
    return root


def max_weight_difference(a: Path, b: Path) -> float:
    worst = 0.0
    for name in ("model.safetensors", "head.safetensors"):
        left, right = load_file(str(a / name)), load_file(str(b / name))
        assert left.keys() == right.keys()
        worst = max(worst, max(float((left[k] - right[k]).abs().max()) for k in left))
    return worst


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMINGS | {"output_dir"}}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def same_numbers(a, b, tolerance: float = 1e-6) -> bool:
    """Equal, floats within `tolerance` (relative): what one and two processes sum in another order."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_numbers(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same_numbers(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tolerance * max(1.0, abs(a))
    return a == b


def test_two_processes_train_like_one_process_with_the_same_global_batch(runs):
    one, two = runs / "one", runs / "two"
    assert "2 processes on cpu: each optimizer step takes 8 x 1 x 2 pairs" in (runs / "two.log").read_text()
    assert json.loads((two / "config.json").read_text())["processes"] == 2
    assert max_weight_difference(one / "model", two / "model") <= WEIGHT_TOLERANCE
    stage_one, stage_two = (json.loads((r / "stage-1-pawsx" / "stage.json").read_text()) for r in (one, two))
    assert stage_two["steps"] == stage_one["steps"] == 4  # 32 pairs / 16 a step x 2 epochs
    assert stage_two["history"] == stage_one["history"]
    metrics_one, metrics_two = (json.loads((r / "metrics.json").read_text()) for r in (one, two))
    assert metrics_two["accuracy"] == metrics_one["accuracy"] and metrics_two["n"] == {"en": 4, "de": 3}
    for name in ("dev-en.jsonl", "dev-de.jsonl"):
        assert (two / "predictions" / name).read_text() == (one / "predictions" / name).read_text()
    # the process that is not the main one wrote nothing of its own
    assert not list(two.rglob("*process1*")) and not list(two.rglob(".*.tmp"))


def test_robust_objectives_train_on_two_processes_like_on_one(runs):
    """adv calls `backward` for the clean pass, the adversarial pass and the embedding table:
    each process accumulates all of them before the processes average."""
    assert max_weight_difference(runs / "adv-one" / "model", runs / "adv-two" / "model") <= WEIGHT_TOLERANCE
    metrics_one, metrics_two = (json.loads((runs / r / "metrics.json").read_text()) for r in ("adv-one", "adv-two"))
    assert metrics_two["accuracy"] == metrics_one["accuracy"] and metrics_two["method"] == "adv"


@pytest.mark.parametrize("kind", list(EVALUATIONS))
def test_two_process_evaluation_writes_what_one_process_writes(runs, kind):
    one, two = runs / f"evaluate-{kind}-one", runs / f"evaluate-{kind}-two"
    written = "generalized.json" if kind == "generalized" else "metrics.json"
    metrics_one, metrics_two = (without_timings(json.loads((d / written).read_text())) for d in (one, two))
    assert same_numbers(metrics_two, metrics_one) and metrics_one["accuracy"]
    assert {p.name for p in one.rglob("*")} == {p.name for p in two.rglob("*")}
    if kind == "generalized":
        return
    if kind == "smoothed":
        assert metrics_one["unanimous"].keys() == {"en", "de"}
    for name in ("dev-en.jsonl", "dev-de.jsonl"):
        rows_one, rows_two = ([json.loads(line) for line in (d / "predictions" / name).read_text().splitlines()]
                              for d in (one, two))
        assert [r["id"] for r in rows_two] == [r["id"] for r in rows_one] and len(rows_one) > 0
        assert same_numbers(rows_two, rows_one, tolerance=1e-4)  # probabilities are rounded to 5 digits


def test_two_process_attacks_write_the_robustness_json_of_one_process(runs):
    one, two = runs / "attack-one", runs / "attack-two"
    report_one, report_two = (without_timings(json.loads((d / "robustness.json").read_text())) for d in (one, two))
    assert set(report_two["recipes"]) == {"typo-greedy", "embedding-pgd"}
    assert report_two["recipes"]["typo-greedy"]["overall"]["n"] == 7
    assert same_numbers(report_two, report_one)
    for language in ("en", "de"):
        rows_one, rows_two = ([without_timings(json.loads(line)) for line in
                               (d / "adversarial" / f"typo-greedy-{language}.jsonl").read_text().splitlines()]
                              for d in (one, two))
        assert rows_two == rows_one  # the merged file is in input order
    assert not list((two / "adversarial").glob(".*"))  # each process's rows were merged and removed


def test_killed_two_process_run_resumes_on_two_processes(runs, model, tiny_data_module, tmp_path):
    """SIGKILL both processes after a checkpoint; one process may not continue the run; two
    finish it with the weights of the uninterrupted (one-process, same global batch) run."""
    out = tmp_path / "killed"
    args = train_args(model, tiny_data_module, out)
    args[args.index("--checkpoint-every") + 1] = "1"
    launched = two_processes(["-m", "xrobust", *args], wait=False, log=tmp_path / "first.log")
    deadline = time.time() + 300
    while not (out / "stage-1-pawsx" / "latest.json").exists():
        assert launched.poll() is None and time.time() < deadline, (tmp_path / "first.log").read_text()[-3000:]
        time.sleep(0.02)
    # The launcher and both processes at once (torchrun starts its workers in sessions of their own).
    for process in [psutil.Process(launched.pid), *psutil.Process(launched.pid).children(recursive=True)]:
        process.send_signal(signal.SIGKILL)
    launched.wait()
    time.sleep(0.5)  # the killed workers' files are closed
    assert not (out / "metrics.json").exists()

    assert main(args) == 2  # one process: the steps would count other micro-batches

    finished = two_processes(["-m", "xrobust", *args])
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "resuming from checkpoint" in finished.stderr
    assert max_weight_difference(runs / "one" / "model", out / "model") <= WEIGHT_TOLERANCE
    history = json.loads((out / "stage-1-pawsx" / "stage.json").read_text())["history"]
    assert history == json.loads((runs / "one" / "stage-1-pawsx" / "stage.json").read_text())["history"]
    assert not list((out / "stage-1-pawsx").glob("checkpoint-*"))  # the finished stage dropped its resume state


def test_a_finished_two_process_run_reports_on_one_process(runs, model, tiny_data_module, capsys):
    before = (runs / "two" / "metrics.json").read_text()
    assert main(train_args(model, tiny_data_module, runs / "two")) == 0
    assert "already finished" in capsys.readouterr().err  # only unfinished runs need the same count
    assert (runs / "two" / "metrics.json").read_text() == before


def test_process_rows_are_merged_in_input_order(tmp_path):
    path = tmp_path / "typo-greedy-en.jsonl"
    path.write_text(json.dumps({"id": "b"}) + "\n")
    process_rows_path(path, 0).write_text(json.dumps({"id": "d"}) + "\n" + json.dumps({"id": "a"}) + "\n")
    process_rows_path(path, 1).write_text(json.dumps({"id": "c"}) + "\n" + '{"id": "e"')  # torn by a kill
    rows = merge_process_rows(path, {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4})
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]  # e is attacked again
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a", "b", "c", "d"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_one_process_is_left_alone():
    one = Processes()
    assert one.shard(5) == range(5) and one.gather([1, 2]) == [1, 2] and one.on_main(lambda: 3) == 3
    param = torch.nn.Parameter(torch.ones(2))
    param.grad = torch.tensor([0.5, 1.5])
    assert one.mean_gradients([param], 8) == 8 and param.grad.tolist() == [0.5, 1.5]
    # blocks of several processes cover the rows once, in order
    blocks = [list(Processes(r, 3).shard(7)) for r in range(3)]
    assert sum(blocks, []) == list(range(7)) and [len(b) for b in blocks] == [2, 2, 3]
