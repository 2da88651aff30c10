"""XTREME-layout reading: messy rows are counted, structural defects are one-line errors."""

import subprocess
import sys

import pytest

from conftest import PAWS_ROWS_DE, write_tsv
from xrobust.cli import main
from xrobust.errors import UserError
from xrobust.tasks import evenly_spaced, get_task, load_examples

PAWSX = get_task("pawsx")


def test_reads_rows_and_skips_untranslated_rows(tiny_data):
    examples, report = load_examples(tiny_data, PAWSX, "dev", "de")
    assert report.rows == 4 and report.kept == 3 and report.blank_lines == [2]
    assert [e.id for e in examples] == ["dev-1", "dev-3", "dev-4"]
    assert examples[0].language == "de" and examples[0].label == "1"


def test_keep_policy_keeps_untranslated_rows(tiny_data):
    examples, report = load_examples(tiny_data, PAWSX, "dev", "de", blank_policy="keep")
    assert len(examples) == 4 and report.blank_lines == [2] and examples[1].sentence2 == "NS"


def test_ids_align_across_languages(tiny_data):
    en, _ = load_examples(tiny_data, PAWSX, "dev", "en")
    de, _ = load_examples(tiny_data, PAWSX, "dev", "de")
    assert {e.id for e in de} < {e.id for e in en}


def test_mnli_found_beside_xtreme_folder(tiny_data):
    examples, report = load_examples(tiny_data, get_task("mnli"), "train", "en")
    assert report.rows == 24 and examples[0].label == "entailment"


def test_evenly_spaced_picks_same_rows_in_every_language(tiny_data):
    en, en_report = load_examples(tiny_data, PAWSX, "dev", "en")
    de, de_report = load_examples(tiny_data, PAWSX, "dev", "de")
    assert [e.id for e in evenly_spaced(en, en_report.rows, 2)] == ["dev-1", "dev-3"]
    assert [e.id for e in evenly_spaced(de, de_report.rows, 2)] == ["dev-1", "dev-3"]


@pytest.mark.parametrize("content, message", [
    (b"a\tb\n", "dev-en.tsv:1: expected 3 tab-separated columns, found 2"),
    (b"a\tb\t1\nc\td\tmaybe\n", "dev-en.tsv:2: unknown label 'maybe'"),
    (b"a\tb\t1\n\xff\xfe\tx\t0\n", "dev-en.tsv:2: invalid UTF-8"),
    (b"\n\n", "dev-en.tsv: file is empty"),
])
def test_bad_rows_are_one_line_errors(tmp_path, content, message):
    (tmp_path / "pawsx").mkdir()
    (tmp_path / "pawsx" / "dev-en.tsv").write_bytes(content)
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        load_examples(tmp_path, PAWSX, "dev", "en")


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(UserError, match="pawsx: no such folder"):
        load_examples(tmp_path, PAWSX, "dev", "en")
    (tmp_path / "pawsx").mkdir()
    with pytest.raises(UserError, match=r"dev-fr.tsv: no such file"):
        load_examples(tmp_path, PAWSX, "dev", "fr")


def test_cli_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, tiny_model_dir):
    write_tsv(tmp_path / "pawsx" / "train-en.tsv", [("a", "b", "2")])
    result = subprocess.run(
        [sys.executable, "-m", "xrobust.cli", "train", "--task", "pawsx", "--model", str(tiny_model_dir),
         "--data-dir", str(tmp_path), "--output-dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "train-en.tsv:1: unknown label '2'" in lines[0]
    assert "Traceback" not in result.stderr


def test_data_check_lists_rows_and_every_problem(tmp_path, capsys):
    write_tsv(tmp_path / "pawsx" / "dev-de.tsv", PAWS_ROWS_DE)
    (tmp_path / "pawsx" / "dev-fr.tsv").write_bytes(b"a\tb\t1\nonly one column\nx\ty\tz\n")
    assert main(["data", "check", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "dev-de.tsv: 4 rows, 1 empty or untranslated (lines 2)" in out
    assert "dev-fr.tsv:2: expected 3 tab-separated columns, found 1" in out
    assert "dev-fr.tsv:3: unknown label 'z'" in out
    assert "2 problem(s) found" in out


def test_unknown_options_are_one_line_errors(capsys):
    assert main(["train", "--task", "nope", "--data-dir", "."]) == 2
    assert capsys.readouterr().err.strip() == "xrobust: error: --task: unknown task 'nope'; known tasks: mnli, pawsx, xnli"
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--task", "pawsx", "--epochs", "many"])
    assert exit_info.value.code == 2
