"""A cell's recorded lineage (metrics.json) must be the one its condition in the spec needs."""

from pathlib import Path

import pytest

from xrobust.errors import UserError
from xrobust.study.collect import check_lineage, describe_lineage, expected_lineage
from xrobust.study.spec import load_spec

SMOKE = Path(__file__).resolve().parents[1] / "studies" / "smoke.toml"


def _recorded(stage: str, task: str, languages: list[str], seed: int = 42) -> dict:
    """metrics.json of a cell started from an intermediate run's model (fields of lineage.InheritedStage)."""
    return {"intermediate": [], "intermediate_condition": f"{task} (inherited)",
            "inherited": [{"run": "/x", "stage": stage, "tasks": [task], "languages": languages, "epochs": 1,
                           "seed": seed, "method": "standard"}]}


def test_the_expected_lineage_names_split_and_languages():
    spec = load_spec(SMOKE)
    assert expected_lineage(spec.condition("none"), 42) == ("none", [])
    assert expected_lineage(spec.condition("xnli-multi"), 7) == ("xnli (inherited)", [
        {"stage": "stage-1-xnli-dev-de-fr", "tasks": ["xnli"], "languages": ["de", "fr"], "epochs": 1, "seed": 7}])


def test_agreeing_records_pass():
    spec = load_spec(SMOKE)
    check_lineage(spec.condition("none"), 42, {"intermediate": [], "intermediate_condition": "none",
                                               "inherited": []}, Path("m.json"))
    metrics = _recorded("stage-1-xnli-dev-de-fr", "xnli", ["de", "fr"])
    check_lineage(spec.condition("xnli-multi"), 42, metrics, Path("m.json"))
    assert describe_lineage(metrics) == "xnli (inherited): stage-1-xnli-dev-de-fr in de,fr"


@pytest.mark.parametrize("condition, metrics", [
    ("none", _recorded("stage-1-mnli", "mnli", ["en"])),  # a baseline cell that has seen MNLI
    ("mnli", {"intermediate": [], "intermediate_condition": "none", "inherited": []}),
    ("xnli-multi", _recorded("stage-1-xnli-dev-en", "xnli", ["en"])),  # English rows, not de/fr
    ("xnli-multi", _recorded("stage-1-xnli-dev-de-fr", "xnli", ["de", "fr"], seed=1)),  # another seed's stage
    ("none", {"intermediate": ["mnli"], "intermediate_condition": "mnli", "inherited": []}),  # trained its own
])
def test_a_cell_recording_another_condition_is_refused_naming_its_file(condition, metrics):
    spec = load_spec(SMOKE)
    with pytest.raises(UserError, match=rf"^cells/x/metrics.json: records .* but the spec puts it in condition "
                                        rf"'{condition}'"):
        check_lineage(spec.condition(condition), 42, metrics, Path("cells/x/metrics.json"))
