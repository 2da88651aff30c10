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
