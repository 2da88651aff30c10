"""Batched prediction with dynamic padding (length-sorted batches, original order restored)."""

import torch

from xrobust.encoders.pairs import EncodedPairs, collate, inference_batches
from xrobust.encoders.processes import Processes


@torch.no_grad()
def predict_logits(model, task: str, pairs: EncodedPairs, pad_id: int, batch_size: int = 64,
                   device: torch.device | None = None, autocast_dtype=None, progress=None,
                   processes: Processes = Processes()) -> torch.Tensor:
    """Logits [n, num_labels] in the order of `pairs`. On several processes each scores a
    contiguous block of the pairs and every process gets all logits, in input order."""
    if processes.distributed:
        rows = processes.shard(len(pairs))
        mine = predict_logits(model, task, pairs.select(rows), pad_id, batch_size, device, autocast_dtype)
        blocks = processes.gather([mine] if len(rows) else [])
        if progress is not None:
            progress.update(len(pairs))
        return torch.cat(blocks) if blocks else torch.empty((0, 0))
    was_training = model.training
    model.eval()
    device = device or next(model.parameters()).device
    out = None
    for indices in inference_batches(pairs.lengths(), batch_size):
        batch = {k: v.to(device) for k, v in collate(pairs, indices, pad_id).items() if k != "labels"}
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(task, **batch).float().cpu()
        if out is None:
            out = torch.empty((len(pairs), logits.shape[1]))
        out[torch.tensor(indices)] = logits
        if progress is not None:
            progress.update(len(indices))
    model.train(was_training)
    return out if out is not None else torch.empty((0, 0))
