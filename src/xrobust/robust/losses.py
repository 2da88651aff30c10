"""The clean loss every objective builds on."""

import torch


def standard_loss(model, task: str, batch: dict) -> torch.Tensor:
    """Plain cross-entropy on the clean input."""
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    return torch.nn.functional.cross_entropy(model(task, **inputs), batch["labels"])
