"""`xrobust lexicon coverage`: what word-level attacks can reach, per language."""

import json

import pytest

from xrobust.cli import main
from xrobust.lexicon.bilingual import MUSE_LANGUAGES


@pytest.fixture
def folders(tmp_path):
    data = tmp_path / "xtreme"
    (data / "xnli").mkdir(parents=True)
    (data / "xnli" / "dev-zh.tsv").write_text("我试图理解。\t她还在附近。\tneutral\nNS\t\tneutral\n",
                                              encoding="utf-8")  # the second row is untranslated
    (data / "xnli" / "dev-en.tsv").write_text("The cat sat.\tA dog ran.\tneutral\n", encoding="utf-8")
    (data / "xnli" / "dev-sw.tsv").write_text("Paka alikaa.\tMbwa alikimbia.\tneutral\n", encoding="utf-8")
    resources = tmp_path / "resources"
    muse = resources / "muse"
    muse.mkdir(parents=True)
    # Traditional zh side, as MUSE writes it: 試圖 must be found for the simplified 试图.
    (muse / "zh-en.txt").write_text("我 I\n試圖 try\n附近 nearby\n", encoding="utf-8")
    for language in MUSE_LANGUAGES:  # English coverage asks every en-X dictionary
        (muse / f"en-{language}.txt").write_text("", encoding="utf-8")
    (muse / "en-de.txt").write_text("cat Katze\n", encoding="utf-8")
    (muse / "en-fr.txt").write_text("dog chien\n", encoding="utf-8")
    (resources / "counterfitted_neighbors.json").write_text('{"cat": ["kitty"]}', encoding="utf-8")
    return data, resources


def run(capsys, *args):
    code = main(["lexicon", "coverage", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_coverage_json_counts_words_and_reachable_words(folders, capsys):
    data, resources = folders
    code, out, _ = run(capsys, "--task", "xnli", "--languages", "zh,en,sw", "--data-dir", str(data),
                       "--resources", str(resources), "--json")
    assert code == 0
    result = json.loads(out)
    assert list(result) == ["zh", "en", "sw"]
    # zh: 我|试图|理解 + 她|还|在|附近 = 7 words in 2 sentences; 我, 试图, 附近 are in the dictionary.
    assert result["zh"]["sentences"] == 2 and result["zh"]["blank_rows"] == 1
    assert result["zh"]["words_per_sentence"] == pytest.approx(3.5)
    assert result["zh"]["codeswitch"] == pytest.approx(3 / 7)
    assert result["zh"]["synonym"] is None and result["zh"]["neighbors"] is None
    # en: The cat sat / A dog ran; cat and dog have translations, cat a synonym.
    assert result["en"]["words_per_sentence"] == pytest.approx(3.0)
    assert result["en"]["codeswitch"] == pytest.approx(2 / 6)
    assert result["en"]["synonym"] == pytest.approx(1 / 6)
    assert result["sw"]["codeswitch"] is None  # MUSE has no Swahili dictionary
    assert 0 < result["sw"]["words_per_sentence"] == pytest.approx(2.0)


def test_coverage_table_has_a_row_per_language(folders, capsys):
    data, resources = folders
    code, out, _ = run(capsys, "--task", "xnli", "--languages", "zh,sw", "--data-dir", str(data),
                       "--resources", str(resources))
    assert code == 0
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in out.splitlines() if line.startswith("| zh") or line.startswith("| sw")}
    assert rows["zh"][:3] == ["2", "1", "3.5"] and rows["zh"][5] == "0.43"
    assert rows["sw"][5] == "-"


@pytest.mark.parametrize("args, message", [
    (["--task", "nope"], "--task: unknown task 'nope'"),
    (["--task", "xnli", "--languages", "zh,xx"], "--languages: xnli has no language xx"),
    (["--task", "xnli", "--languages", "zh", "--split", "test"], "test-zh.tsv: no such file"),
    (["--task", "xnli", "--languages", "de"], "dev-de.tsv: no such file"),
    (["--task", "xnli", "--languages", "zh", "--max-examples", "0"], "--max-examples: 0 must be at least 1"),
])
def test_bad_input_is_one_line_and_exit_2(folders, capsys, args, message):
    data, resources = folders
    code, out, err = run(capsys, *args, "--data-dir", str(data), "--resources", str(resources))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err


def test_missing_dictionary_file_is_named(folders, capsys):
    data, resources = folders
    (resources / "muse" / "zh-en.txt").unlink()
    code, _, err = run(capsys, "--task", "xnli", "--languages", "zh", "--data-dir", str(data),
                       "--resources", str(resources))
    assert code == 2 and err.count("\n") == 1 and "zh-en.txt: MUSE dictionary not found" in err


@pytest.mark.integration
def test_real_data_coverage_after_segmentation(capsys):
    """On real XNLI dev rows: per-character splitting gave zh ~21 words a sentence and Thai
    ~3 (whole phrases) with 0.26 / 0.10 dictionary coverage; segmented and converted, more."""
    code, out, _ = run(capsys, "--task", "xnli", "--split", "dev", "--languages", "zh,th",
                       "--max-examples", "50", "--json")
    assert code == 0
    result = json.loads(out)
    assert 9 < result["zh"]["words_per_sentence"] < 17
    assert result["zh"]["codeswitch"] > 0.4
    assert result["th"]["words_per_sentence"] > 10
    assert result["th"]["codeswitch"] > 0.6


def test_neighbours_are_measured_only_when_asked_and_after_the_checks(folders):
    from xrobust.errors import UserError
    from xrobust.lexicon.coverage import measure_coverage, task_coverage

    row = measure_coverage("en", ["the cat sat", "cat"], has_neighbour=lambda word, language: word == "cat")
    assert row.neighbors == pytest.approx(2 / 4) and row.codeswitch is None
    assert measure_coverage("en", ["the cat"]).neighbors is None

    def encoder_must_not_load():
        raise AssertionError("the encoder was loaded before the options were checked")

    data, resources = folders
    with pytest.raises(UserError, match="no language xx"):
        task_coverage("xnli", "dev", "xx", data, resources, load_neighbour_check=encoder_must_not_load)


def test_synonym_coverage_follows_the_chosen_sources(folders, capsys):
    data, resources = folders
    # ("try" and "nearby" are English stopwords, which muse-pivot does not pivot through)
    (resources / "muse" / "en-zh.txt").write_text("vicinity 附近\nvicinity 邻近\n", encoding="utf-8")
    (resources / "muse" / "zh-en.txt").write_text("我 I\n試圖 try\n附近 vicinity\n鄰近 vicinity\n", encoding="utf-8")
    code, out, _ = run(capsys, "--task", "xnli", "--languages", "zh,en", "--data-dir", str(data),
                       "--resources", str(resources), "--json", "--synonym-source", "counter-fitted,muse-pivot")
    assert code == 0
    result = json.loads(out)
    # zh: 附近 -> vicinity -> 邻近 (a shared translation); 7 words, one of them with a synonym
    assert (result["zh"]["synonym"], result["zh"]["synonym_source"]) == (pytest.approx(1 / 7), "muse-pivot")
    assert result["en"]["synonym_source"] == "counter-fitted"
    code, _, err = run(capsys, "--task", "xnli", "--languages", "zh", "--data-dir", str(data),
                       "--resources", str(resources), "--synonym-source", "encoder-neighbours")
    assert code == 2 and "--neighbors" in err
