"""The study spec: every shipped spec validates; a bad spec names its file and key (exit 2)
before anything is loaded or trained."""

import tomllib
from pathlib import Path

import pytest

from xrobust.errors import UserError
from xrobust.study.spec import load_spec, parse_spec

STUDIES = Path(__file__).resolve().parents[1] / "studies"
SHIPPED = sorted(STUDIES.glob("*.toml"))


def test_there_are_shipped_specs():
    assert {p.name for p in SHIPPED} >= {"smoke.toml", "intermediate-robustness.toml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_spec_validates(path):
    spec = load_spec(path)
    assert spec.baseline == ("none", "standard")
    assert spec.condition("none").trains is False


def test_intermediate_robustness_is_the_study_the_issue_describes():
    spec = load_spec(STUDIES / "intermediate-robustness.toml")
    assert [c.name for c in spec.conditions] == ["none", "mnli", "xnli-en", "xnli-multi"]
    assert {c.examples for c in spec.conditions if c.trains} == {2000}  # the same number of pairs each
    multi = spec.condition("xnli-multi")
    assert (multi.task, multi.split, len(multi.languages), "en" in multi.languages) == ("xnli", "dev", 14, False)
    assert spec.seeds == (42, 1, 2)
    assert dict(spec.train)["max_train_examples"] == 1600
    assert {a.recipe: a.languages for a in spec.attacks}["synonym-greedy"] == ("en",)
    assert len({a.recipe: a.languages for a in spec.attacks}["typo-greedy"]) == 7
    assert spec.evaluation.generalized == ("en", "de", "zh", "ja")


def test_model_override_replaces_the_spec_model():
    assert load_spec(STUDIES / "smoke.toml", model="/tmp/tiny").model == "/tmp/tiny"


def _smoke() -> dict:
    return tomllib.loads((STUDIES / "smoke.toml").read_text())


def _error(raw: dict) -> str:
    with pytest.raises(UserError) as err:
        parse_spec(raw, "studies/x.toml")
    message = str(err.value)
    assert "\n" not in message
    return message


def test_unknown_method_names_its_index_and_the_choices():
    raw = _smoke()
    raw["methods"][1]["name"] = "rs-dx"
    assert _error(raw) == ("studies/x.toml: methods[1].name: unknown method 'rs-dx' "
                           "(standard, rs-da, rs-ri, adv, freelb)")


@pytest.mark.parametrize("change, expected", [
    (lambda r: r["target"]["train"].update(epochs="3"), "target.train.epochs: expected an integer, got '3'"),
    (lambda r: r["target"]["train"].update(epoch=3), "target.train.epoch: not a training setting"),
    (lambda r: r["target"]["train"].update(seed=3), "target.train.seed: set by the study itself"),
    (lambda r: r["target"]["train"].update(learning_rate=-1.0), "target.train.learning_rate: must be positive"),
    (lambda r: r["target"].update(task="pawz"), "target.task: unknown task 'pawz'"),
    (lambda r: r["methods"][0].update(substitution="per-pair"),
     "methods[0].substitution: must be independent unless --method rs-da"),
    (lambda r: r["methods"][1].update(adv_eps="big"), "methods[1].adv_eps: expected a number"),
    (lambda r: r["intermediate"][2].update(languages=["de", "xx"]), "intermediate[2].languages: xnli has no language 'xx'"),
    (lambda r: r["intermediate"][1].update(split="dev", task="pawsx"),
     "intermediate[1]: pawsx dev is the target task's evaluation data"),
    (lambda r: r["intermediate"][1].update(task="pawsx"), "intermediate[1].task: pawsx is the target task"),
    (lambda r: r["intermediate"][1].update(languages=["de"]), "intermediate[1].languages: mnli has no language 'de'"),
    (lambda r: r["intermediate"][0].update(task="mnli"), "intermediate[0].task: unknown key"),
    (lambda r: r["intermediate"].append({"name": "mnli", "task": "mnli"}), "intermediate: 'mnli' appears twice"),
    (lambda r: r["intermediate"][1].update(name="MNLI/x"), "intermediate[1].name: 'MNLI/x' becomes a folder name"),
    (lambda r: r["attacks"][0].update(recipe="typo"), "attacks[0].recipe: unknown recipe 'typo'"),
    (lambda r: r["attacks"][0].update(recipe="synonym-greedy"), "attacks[0].languages: no synonym source covers de"),
    (lambda r: r["attacks"][0].update(eps=[0.1]), "attacks[0].eps: only embedding-pgd takes eps"),
    (lambda r: r["attacks"][0].update(steps=2), "attacks[0].steps: only embedding-pgd takes steps"),
    (lambda r: r["attacks"][1].update(steps=0), "attacks[1].steps: must be at least 1"),
    (lambda r: r["evaluation"].update(generalized=["en"]), "evaluation.generalized: a matrix needs"),
    (lambda r: r.update(seeds=[1, 1]), "seeds: must list at least one seed, each once"),
    (lambda r: r.update(baseline={"condition": "nothing"}), "baseline.condition: 'nothing' is not one"),
    (lambda r: r.pop("methods"), "methods: required"),
    (lambda r: r.update(colour="red"), "colour: unknown key"),
])
def test_a_bad_spec_names_its_key(change, expected):
    raw = _smoke()
    change(raw)
    assert _error(raw).startswith(f"studies/x.toml: {expected}")


def test_invalid_toml_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("seeds = [1,\n")
    with pytest.raises(UserError, match=r"bad.toml: not valid TOML"):
        load_spec(bad)


def test_the_intermediate_robustness_grid_is_listed_without_running_anything(tmp_path, capsys):
    from xrobust.cli import main

    study = tmp_path / "ir"
    assert main(["study", "--spec", str(STUDIES / "intermediate-robustness.toml"), "--output-dir", str(study),
                 "--status"]) == 0
    out = capsys.readouterr().out
    # 3 trained conditions x 3 seeds stages; 4 conditions x 2 methods x 3 seeds cells, each
    # with 4 attacks and a generalized matrix: 9 + 24 + 24 * 5
    assert "study intermediate-robustness" in out and "153 units: 0 done, 0 running, 0 failed, 153 left" in out
    header = next(line for line in out.splitlines() if line.startswith("unit"))
    assert header.split() == ["unit", "train", "codeswitch-greedy", "typo-greedy", "synonym-greedy",
                              "embedding-pgd", "generalized"]
    rows = [line.split()[0] for line in out.splitlines() if line.startswith(("intermediate/", "cells/"))]
    assert len(rows) == 9 + 24 and "intermediate/xnli-multi/s2" in rows and "cells/xnli-multi/rs-da/s42" in rows
    assert not study.exists()  # --status only reads


def test_every_unit_of_the_intermediate_robustness_study_has_a_valid_training_config(tmp_path):
    from study_fixtures import RESOURCES
    from xrobust.study.plan import plan_units
    from xrobust.study.run import RunSettings, attack_config, cell_config, intermediate_config

    if not (RESOURCES / "counterfitted_neighbors.json").is_file():
        pytest.skip("rs-da cells check their synonym table")
    spec = load_spec(STUDIES / "intermediate-robustness.toml")
    settings = RunSettings(str(tmp_path), str(RESOURCES))
    for unit in plan_units(spec):
        if unit.kind == "intermediate":
            config = intermediate_config(spec, spec.condition(unit.condition), unit.seed, tmp_path, settings)
            assert config.training_source().languages == spec.condition(unit.condition).languages
        elif unit.kind == "cell":
            config = cell_config(spec, unit, tmp_path, settings)
        elif unit.kind == "attack":  # attacks compute in the spec's precision, as training does
            assert attack_config(spec, unit, tmp_path, settings).precision == spec.precision
            continue
        else:
            continue
        config.validate()
        assert config.precision == spec.precision
    multi = intermediate_config(spec, spec.condition("xnli-multi"), 1, tmp_path, settings)
    assert (multi.task, multi.train_split, len(multi.train_languages), multi.max_train_examples) == \
        ("xnli", "dev", 14, 2000)
