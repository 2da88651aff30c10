"""The hub path's column mapping, on in-memory datasets (no network)."""

import datasets
import pytest

from xrobust.errors import UserError
from xrobust.tasks import get_task
from xrobust.tasks.hub import examples_from_dataset


def test_pawsx_rows_map_onto_examples():
    data = datasets.Dataset.from_dict({"id": [7, 8], "sentence1": ["a ", "b"], "sentence2": ["c", "d"], "label": [1, 0]})
    examples, unlabeled = examples_from_dataset(data, get_task("pawsx"), "dev", "de")
    assert unlabeled == 0
    assert [(e.id, e.sentence1, e.label, e.language) for e in examples] == [("7", "a", "1", "de"), ("8", "b", "0", "de")]


def test_nli_labels_follow_hub_order_and_unlabeled_rows_are_counted():
    data = datasets.Dataset.from_dict({"premise": ["p"] * 4, "hypothesis": ["h"] * 4, "label": [0, 1, 2, -1]})
    examples, unlabeled = examples_from_dataset(data, get_task("mnli"), "train", "en")
    assert [e.label for e in examples] == ["entailment", "neutral", "contradiction"] and unlabeled == 1
    assert examples[2].id == "train-3"


def test_missing_columns_are_reported():
    data = datasets.Dataset.from_dict({"premise": ["p"], "label": [0]})
    with pytest.raises(UserError, match="missing column"):
        examples_from_dataset(data, get_task("xnli"), "dev", "fr")


def test_unreachable_hub_is_a_one_line_error(monkeypatch, tmp_path):
    from xrobust.tasks import load_examples

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    # The libraries read these at import time, which an earlier test may have done already.
    import huggingface_hub

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True, raising=False)
    with pytest.raises(UserError) as error:
        load_examples("hub", get_task("pawsx"), "dev", "de")
    assert str(error.value).startswith("hub dataset google-research-datasets/paws-x (de, dev): ")
    assert "\n" not in str(error.value)
