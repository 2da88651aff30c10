"""Tasks from the Hugging Face hub through `datasets`, mapped onto the same `Example`.

Only used when the hub is reachable; the mapping itself (`examples_from_dataset`) is pure
and tested on an in-memory `datasets.Dataset`.
"""

from xrobust.errors import UserError
from xrobust.tasks.example import Example
from xrobust.tasks.registry import TaskSpec


def load_hub_examples(task: TaskSpec, split: str, language: str) -> tuple[list[Example], int]:
    import datasets  # imported here: a slow import most runs (XTREME folders) never need

    if split not in task.hub_splits:
        raise UserError(f"--split: {task.name} on the hub has no split {split!r}")
    config = language if task.hub_language_configs else None
    try:
        dataset = datasets.load_dataset(task.hub_id, config, split=task.hub_splits[split])
    except Exception as err:  # offline, unknown config, ...: one line, not a traceback
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"hub dataset {task.hub_id} ({config or 'default'}, {split}): {first_line}") from None
    return examples_from_dataset(dataset, task, split, language)


def examples_from_dataset(dataset, task: TaskSpec, split: str, language: str) -> tuple[list[Example], int]:
    """Map hub rows onto Examples; return them and the number of unlabeled rows skipped.

    Hub labels are class indices; -1 marks rows without a gold label (MultiNLI has some).
    """
    first, second = task.hub_columns
    missing = [c for c in (first, second, "label") if c not in dataset.column_names]
    if missing:
        raise UserError(f"hub dataset for {task.name}: missing column(s) {', '.join(missing)}")
    examples, unlabeled = [], 0
    for row_no, row in enumerate(dataset):
        label = int(row["label"])
        if label < 0:
            unlabeled += 1  # cannot be scored; counted so the run can report it
            continue
        if label >= task.num_labels:
            raise UserError(f"hub dataset for {task.name}, row {row_no}: label {label} out of range")
        example_id = str(row["id"]) if "id" in row else f"{split}-{row_no + 1}"
        examples.append(
            Example(example_id, row[first].strip(), row[second].strip(), task.label_names[label], language)
        )
    return examples, unlabeled
