"""Adversarial training on the input word embeddings: PGD and FreeLB.

The perturbation `delta` [batch, len, hidden] lives in word-embedding space and is
bounded per token: each token's vector moves by at most `eps` in L2, or by at most `eps`
per coordinate under L-inf. (A per-token bound mirrors a word substitution, which moves
one word's vector; it does not grow with sentence length.) Padding positions never move.

- `pgd_step` (Madry et al. 2018): K ascent steps find delta, and the parameters get the
  gradient of clean + weight * adversarial loss. The first ascent step starts at delta = 0,
  so its forward pass *is* the clean forward pass, and one backward pass through it gives
  both the clean parameter gradient and the first ascent direction: K + 1 forward passes
  and K + 1 backward passes in all, ~ (K + 1) standard steps. It calls `backward` itself.
- `freelb_step` (Zhu et al. 2020): K ascent steps from a random start, and the parameter
  gradient of every step is accumulated (averaged): K forward/backward passes in all,
  with no separate clean pass. It calls `backward` itself for each step.
"""

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from xrobust.robust.noise import model_inputs, uniform_in_ball
from xrobust.robust.settings import AdversarialSettings


def ascent(delta: torch.Tensor, grad: torch.Tensor, step_size: float, norm: str) -> torch.Tensor:
    """One steepest-ascent step per token: along the normalised gradient (L2) or its sign (L-inf)."""
    if norm == "l2":
        return delta + step_size * F.normalize(grad, dim=-1)
    return delta + step_size * grad.sign()


def project(delta: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    """Back into the per-token ball: rescale vectors longer than eps (L2) or clamp (L-inf)."""
    if norm == "l2":
        lengths = delta.norm(dim=-1, keepdim=True)
        return delta * torch.clamp(eps / lengths.clamp(min=1e-12), max=1.0)
    return delta.clamp(-eps, eps)


def random_start(embeds: torch.Tensor, mask: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    """A uniform draw inside the per-token ball, zero at padding (FreeLB's random start)."""
    if norm == "l2":
        start = uniform_in_ball(tuple(embeds.shape), eps, embeds.device)
    else:
        start = (torch.rand(embeds.shape, device=embeds.device) * 2 - 1) * eps
    return start.to(embeds.dtype) * mask


def pgd_step(model, task: str, batch: dict, settings: AdversarialSettings,
             backward: Callable[[torch.Tensor], None]) -> float:
    """Accumulate the parameter gradient of clean + weight * adversarial cross-entropy, the
    adversarial input found by K PGD steps; returns that loss's value (for logging)."""
    inputs = model_inputs(batch)
    mask = batch["attention_mask"].unsqueeze(-1).float()  # [batch, len, 1]: padding never moves
    embeds = model.word_embeddings()(batch["input_ids"])  # [batch, len, hidden]; see _backward_into_table
    base = embeds.detach()
    # Step 1 at delta = 0 is the clean pass: its backward fills the parameter gradients of the
    # clean loss and the input's gradient, the first ascent direction (the caller's loss
    # scale on it does not matter: both ascent rules are scale-free).
    clean_input = base.clone().requires_grad_(True)
    clean_loss = F.cross_entropy(model(task, inputs_embeds=clean_input, **inputs), batch["labels"])
    backward(clean_loss)
    delta = project(ascent(torch.zeros_like(base), clean_input.grad, settings.step_size, settings.norm),
                    settings.eps, settings.norm) * mask
    for _ in range(settings.steps - 1):
        delta.requires_grad_(True)
        # Ascent passes want delta's gradient only (autograd.grad leaves parameters alone).
        loss = F.cross_entropy(model(task, inputs_embeds=base + delta, **inputs), batch["labels"])
        (grad,) = torch.autograd.grad(loss, delta)
        delta = project(ascent(delta.detach(), grad, settings.step_size, settings.norm),
                        settings.eps, settings.norm) * mask
    adversarial_input = (base + delta.detach()).requires_grad_(True)
    adversarial_loss = F.cross_entropy(model(task, inputs_embeds=adversarial_input, **inputs), batch["labels"])
    backward(settings.weight * adversarial_loss)
    _backward_into_table(embeds, clean_input.grad + adversarial_input.grad)
    return clean_loss.item() + settings.weight * adversarial_loss.item()


def _backward_into_table(embeds: torch.Tensor, grad: torch.Tensor) -> None:
    """One backward through the word-embedding lookup for all passes of a batch. Every pass
    feeds the encoder a detached copy of the looked-up vectors (+ delta) and keeps the
    gradient arriving there (already carrying the caller's loss scale); their sum goes
    through the lookup once. On CPU the table's dense gradient (250k x 384 for e5-small)
    costs a good part of a small model's backward pass: once per batch, not once per pass."""
    if embeds.requires_grad:  # not with --freeze-word-embeddings
        embeds.backward(grad)


@dataclass
class FreeLBResult:
    loss: float  # mean adversarial loss over the ascent steps (for logging)
    deltas: list[torch.Tensor]  # the perturbation at which each step's gradient was taken


def freelb_step(model, task: str, batch: dict, settings: AdversarialSettings,
                backward: Callable[[torch.Tensor], None]) -> FreeLBResult:
    """K ascent steps; each calls `backward(loss / K)`, so the parameter gradients of all
    steps accumulate into their average, which the optimizer then applies. One backward pass
    per step gives both the parameter gradients and delta's ascent direction (delta enters
    additively, so its gradient is the input's)."""
    inputs = model_inputs(batch)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    embeds = model.word_embeddings()(batch["input_ids"])
    base = embeds.detach()
    delta = random_start(base, mask, settings.eps, settings.norm)
    table_grad = torch.zeros_like(base)
    total, deltas = 0.0, []
    for _ in range(settings.steps):
        step_input = (base + delta).requires_grad_(True)
        loss = F.cross_entropy(model(task, inputs_embeds=step_input, **inputs), batch["labels"])
        backward(loss / settings.steps)
        deltas.append(delta.clone())
        total += loss.item()
        table_grad += step_input.grad
        delta = project(ascent(delta, step_input.grad, settings.step_size, settings.norm),
                        settings.eps, settings.norm) * mask
    _backward_into_table(embeds, table_grad)
    return FreeLBResult(total / settings.steps, deltas)
