"""White-box attack: projected gradient descent on the input word embeddings (Madry et al.,
2018, applied to text embeddings as in FreeLB, Zhu et al., 2020).

Every real token's embedding (not <s>, </s> or padding) may move within an L2 ball of radius
eps; `steps` normalised gradient-ascent steps on the cross-entropy of the gold label, each
followed by projection back onto the ball. No text corresponds to the perturbed embeddings:
this measures how flat the classifier is around the inputs, not a realistic attack. The
curve (accuracy per eps) is reported with the mean token-embedding norm, for scale.
"""

import torch

from xrobust.encoders.pairs import EncodedPairs, collate, inference_batches
from xrobust.progress import progress_bar


def pgd_accuracy_curve(model, head: str, pairs: EncodedPairs, pad_id: int, special_ids, eps_values,
                       steps: int = 10, batch_size: int = 32, desc: str = "embedding-pgd",
                       autocast_dtype=None) -> dict:
    """{"eps": [...], "accuracy": [...], "n": int, "mean_token_norm": float}. A bar counts
    pairs: each costs len(eps_values) x steps forward/backward passes. `autocast_dtype` (bf16,
    fp16): forward passes under autocast; the perturbation, its projection and the loss stay fp32."""
    model.eval()
    device = next(model.parameters()).device

    def forward(embeds_in, inputs):
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            return model(head, inputs_embeds=embeds_in, **inputs).float()

    correct = torch.zeros(len(eps_values))
    norm_sum, token_count = 0.0, 0
    special = torch.tensor(sorted(special_ids), device=device)
    bar = progress_bar(total=len(pairs), desc=desc, unit="ex")
    for indices in inference_batches(pairs.lengths(), batch_size):
        batch = {k: v.to(device) for k, v in collate(pairs, indices, pad_id).items()}
        labels = batch.pop("labels")
        with torch.no_grad():
            embeds = model.word_embeddings()(batch["input_ids"])  # [batch, len, hidden]
        movable = (batch["attention_mask"].bool() & ~torch.isin(batch["input_ids"], special)).unsqueeze(-1)
        norm_sum += float(embeds.norm(dim=-1)[movable.squeeze(-1)].sum())
        token_count += int(movable.sum())
        inputs = {k: v for k, v in batch.items() if k != "input_ids"}
        for i, eps in enumerate(eps_values):
            delta = _pgd_delta(forward, embeds, inputs, labels, movable, eps, steps)
            with torch.no_grad():
                logits = forward(embeds + delta, inputs)
            correct[i] += float((logits.argmax(-1) == labels).sum())
        bar.update(len(indices))
    bar.close()
    n = len(pairs)
    return {"eps": [float(e) for e in eps_values], "accuracy": [float(c) / max(1, n) for c in correct],
            "n": n, "steps": steps, "mean_token_norm": norm_sum / max(1, token_count)}


def _pgd_delta(forward, embeds, inputs, labels, movable, eps: float, steps: int) -> torch.Tensor:
    delta = torch.zeros_like(embeds)
    if eps <= 0:
        return delta
    step_size = 2.5 * eps / steps  # reaches the boundary and can still move along it (Madry et al.)
    for _ in range(steps):
        delta.requires_grad_(True)
        with torch.enable_grad():
            logits = forward(embeds + delta, inputs)
            loss = torch.nn.functional.cross_entropy(logits, labels, reduction="sum")
            (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            direction = grad / grad.norm(dim=-1, keepdim=True).clamp(min=1e-12)
            delta = (delta + step_size * direction) * movable
            scale = (eps / delta.norm(dim=-1, keepdim=True).clamp(min=1e-12)).clamp(max=1.0)
            delta = delta * scale
    return delta.detach()
