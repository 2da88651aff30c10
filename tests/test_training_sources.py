"""Training pairs from a task's labelled dev files spread over languages (a multilingual
intermediate stage), held out of model selection and evaluation, and recorded per stage."""

import json

import pytest

from conftest import write_tsv
from xrobust.cli import main
from xrobust.errors import UserError
from xrobust.tasks.sources import TrainingSource
from xrobust.training.config import TrainConfig
from xrobust.evaluation.trained_run import train_and_evaluate

NLI = [("A man is eating.", "Someone eats.", "entailment"),
       ("A man is eating.", "Nobody eats.", "contradiction"),
       ("A man is eating.", "He is hungry.", "neutral")]


@pytest.fixture
def xnli_data(tiny_data):
    for language in ("en", "de", "fr"):
        rows = [(f"{a} ({language} {i})", b, label) for i, (a, b, label) in enumerate(NLI * 4)]
        if language == "fr":
            rows[3] = ("", rows[3][1], rows[3][2])  # an untranslated row: skipped, not replaced
        write_tsv(tiny_data / "xnli" / f"dev-{language}.tsv", rows)
    return tiny_data


def test_sources_parse_and_name_themselves():
    assert TrainingSource.parse("mnli", "--intermediate") == TrainingSource("mnli")
    multi = TrainingSource.parse("xnli:dev:de,fr", "--intermediate")
    assert multi == TrainingSource("xnli", "dev", ("de", "fr")) and multi.slug() == "xnli-dev-de-fr"
    assert TrainingSource.parse("xnli:dev", "--intermediate").slug() == "xnli-dev-en"
    many = TrainingSource.parse("xnli:dev:ar,bg,de,el", "--intermediate")
    assert many.slug() == "xnli-dev-4-languages"
    for bad, message in (("xnli:dev:xx", "xnli has no language xx"), ("xnli:val", "unknown split 'val'"),
                         ("nli", "unknown task 'nli'"), ("xnli:dev:de,de", "listed twice"),
                         ("a:b:c:d", "is not TASK")):
        with pytest.raises(UserError, match=message):
            TrainingSource.parse(bad, "--intermediate")


def test_multilingual_intermediate_stage_spreads_rows_and_holds_them_out(tiny_model_dir, xnli_data, tmp_path):
    config = TrainConfig(task="pawsx", intermediate=["xnli:dev:de,fr"], max_intermediate_examples=6,
                         model=str(tiny_model_dir), data_dir=str(xnli_data), output_dir=str(tmp_path / "run"),
                         epochs=1, batch_size=8, checkpoint_every=0, eval_languages=["en"], max_length=32,
                         freeze_word_embeddings=True)
    run = train_and_evaluate(config)
    stage = json.loads((run / "stage-1-xnli-dev-de-fr" / "stage.json").read_text())
    (source,) = stage["sources"]
    # rows 1..6: odd rows in German, even rows in French; French row 4 is blank, so skipped
    assert source["rows"] == {"de": "1,3,5", "fr": "2,6"} and source["pairs"] == 5
    assert stage["train_examples"] == {"xnli": 5}
    # model selection on English dev rows the stage did not train on (12 rows - rows 1..6 in any language)
    assert stage["dev_examples"] == {"xnli": 12 - 5}
    recorded = json.loads((run / "config.json").read_text())
    assert recorded["config"]["intermediate"] == ["xnli:dev:de,fr"]
    assert any(path.endswith("dev-fr.tsv") for path in recorded["data_files"])


def test_a_run_trained_on_dev_rows_is_evaluated_without_them(tiny_model_dir, xnli_data, tmp_path):
    config = TrainConfig(task="xnli", train_split="dev", train_languages=["de", "fr"], max_train_examples=6,
                         model=str(tiny_model_dir), data_dir=str(xnli_data), output_dir=str(tmp_path / "run"),
                         epochs=1, batch_size=8, checkpoint_every=0, eval_languages=["en", "de"], max_length=32,
                         freeze_word_embeddings=True)
    run = train_and_evaluate(config)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n"] == {"en": 7, "de": 7} and metrics["excluded_training_rows"] == 5
    ids = {json.loads(line)["id"] for line in (run / "predictions" / "dev-de.jsonl").read_text().splitlines()}
    assert not ids & {"dev-1", "dev-2", "dev-3", "dev-5", "dev-6"}


def test_cli_reads_sources_and_refuses_the_target_as_intermediate(xnli_data, tmp_path, capsys):
    from xrobust.cli import _config_from_args, build_parser

    args = build_parser().parse_args(["train", "--task", "pawsx", "--intermediate", "mnli,xnli:dev:de,fr",
                                      "--data-dir", str(xnli_data)])
    # a value with a colon is one source: its commas separate languages
    assert _config_from_args(args).intermediate == ["mnli,xnli:dev:de,fr"]
    args = build_parser().parse_args(["train", "--task", "pawsx", "--intermediate", "mnli",
                                      "--intermediate", "xnli:dev:de,fr", "--data-dir", str(xnli_data)])
    assert _config_from_args(args).intermediate == ["mnli", "xnli:dev:de,fr"]
    out = tmp_path / "r"
    for bad in (["--intermediate", "pawsx:dev:de"], ["--intermediate", "xnli:dev:xx"],
                ["--intermediate", "xnli", "--intermediate", "xnli:dev:de"]):
        assert main(["train", "--task", "pawsx", "--data-dir", str(xnli_data), "--output-dir", str(out)] + bad) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors == ["xrobust: error: --intermediate: pawsx is the target task; an intermediate task must differ",
                      "xrobust: error: --intermediate: xnli has no language xx; it has en, ar, bg, de, el, es, fr, "
                      "hi, ru, sw, th, tr, ur, vi, zh",
                      "xrobust: error: --intermediate: a task is listed twice (one head per task in a stage)"]
    assert not out.exists()
