"""Data and commands shared by the tests that run studies/smoke.toml (in-process, as
subprocesses, in workers and in shards)."""

import json
import os
from contextlib import contextmanager
from pathlib import Path

import torch

from conftest import PAWS_ROWS_DE, PAWS_ROWS_EN, write_tsv

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "studies" / "smoke.toml"
RESOURCES = ROOT.parent / "shared" / "data" / "resources"
NLI = [("A man is eating.", "Someone eats.", "entailment"), ("A man is eating.", "Nobody eats.", "contradiction"),
       ("A man is eating.", "He is hungry.", "neutral")]
SMOKE_UNITS = 26  # 2 intermediate stages, 6 cells, 2 attacks and a matrix per cell


def write_smoke_data(root: Path) -> Path:
    """tiny_data's PAWS-X rows, MNLI beside them, and XNLI dev in en, de and fr (the
    multilingual condition's rows); returns the XTREME-layout folder."""
    data = root / "xtreme"
    write_tsv(data / "pawsx" / "train-en.tsv", PAWS_ROWS_EN * 8)
    write_tsv(data / "pawsx" / "dev-en.tsv", PAWS_ROWS_EN)
    write_tsv(data / "pawsx" / "dev-de.tsv", PAWS_ROWS_DE)
    for language in ("en", "de", "fr"):
        write_tsv(data / "xnli" / f"dev-{language}.tsv", NLI * 4)
    write_tsv(root / "mnli" / "train.tsv", NLI * 8)
    write_tsv(root / "mnli" / "dev.tsv", NLI)
    return data


def smoke_arguments(study: Path, data: Path, model: Path) -> list[str]:
    """`xrobust study ...` arguments, after the program name."""
    return ["study", "--spec", str(SMOKE), "--output-dir", str(study), "--model", str(model),
            "--data-dir", str(data), "--resources", str(RESOURCES)]


def subprocess_env() -> dict:
    """For `python -m xrobust` children: this checkout's sources, no bars, and one torch
    thread (the tiny encoder gains nothing from more, and on a shared machine a second
    thread mostly spin-waits: 20x slower steps were measured)."""
    src = str(ROOT / "src")
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": src + (os.pathsep + path if path else ""), "TQDM_DISABLE": "1",
            "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


@contextmanager
def one_torch_thread():
    """In-process study runs, for the reason given in subprocess_env."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# Left out when two runs of one study are compared: they measure the run, not its results.
# (`created` and `finished` are timestamps; `config_sha256` hashes an intermediate run's
# config.json, which holds that timestamp and absolute paths; provenance.json sums times.)
NOT_RESULTS = frozenset({"seconds", "eval_seconds", "train_seconds", "eval_examples_per_second",
                         "train_examples_per_second", "created", "finished", "config_sha256"})
NOT_RESULT_FILES = frozenset({"tokenizer.json", "provenance.json"})  # tokenizer.json: 17 MB, the input's copy


def study_records(study: Path, root: Path) -> dict[str, object]:
    """Every JSON and JSONL file of a study folder (reports, metrics, run configs, stage
    records, predictions, attack results, matrices, head configs) by relative path, with `root`
    (the folder holding the study and its data) written as <root> and NOT_RESULTS removed.
    `.study/` (locks, error lines) is left out: it says which process ran what."""
    records = {}
    for path in sorted(study.rglob("*.json*")):
        relative = path.relative_to(study)
        if relative.parts[0] == ".study" or path.suffix not in (".json", ".jsonl") or path.name in NOT_RESULT_FILES:
            continue
        text = path.read_text(encoding="utf-8").replace(str(root), "<root>")
        lines = [text] if path.suffix == ".json" else [line for line in text.splitlines() if line.strip()]
        records[str(relative)] = [_results_only(json.loads(line)) for line in lines]
    return records


def _results_only(value):
    if isinstance(value, dict):
        return {k: _results_only(v) for k, v in value.items() if k not in NOT_RESULTS}
    if isinstance(value, list):
        return [_results_only(v) for v in value]
    return value
