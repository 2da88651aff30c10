"""Adversarial training on the input word embeddings: PGD and FreeLB.

The perturbation `delta` [batch, len, hidden] lives in word-embedding space and is
bounded per token: each token's vector moves by at most `eps` in L2, or by at most `eps`
per coordinate under L-inf. (A per-token bound mirrors a word substitution, which moves
one word's vector; it does not grow with sentence length.) Padding positions never move.

- `pgd_loss` (Madry et al. 2018): K ascent steps find delta, then the loss is
  clean + weight * adversarial. The first ascent step starts at delta = 0, so its forward
  pass *is* the clean forward pass and is reused: cost ~ (K + 1) standard steps.
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


def pgd_loss(model, task: str, batch: dict, settings: AdversarialSettings) -> torch.Tensor:
    """Clean cross-entropy + weight * cross-entropy at the PGD perturbation (K steps)."""
    inputs = model_inputs(batch)
    mask = batch["attention_mask"].unsqueeze(-1).float()  # [batch, len, 1]: padding never moves
    embeds = model.word_embeddings()(batch["input_ids"])  # [batch, len, hidden]
    # Step 1 at delta = 0: this forward is the clean one. Its graph is kept for the parameter
    # gradient of the clean loss, which the caller's backward takes at the end.
    delta = torch.zeros_like(embeds, requires_grad=True)
    clean_loss = F.cross_entropy(model(task, inputs_embeds=embeds + delta, **inputs), batch["labels"])
    (grad,) = torch.autograd.grad(clean_loss, delta, retain_graph=True)
    delta = project(ascent(delta.detach(), grad, settings.step_size, settings.norm), settings.eps, settings.norm) * mask
    for _ in range(settings.steps - 1):
        delta.requires_grad_(True)
        # embeds are detached in the ascent: only delta's gradient is wanted here.
        loss = F.cross_entropy(model(task, inputs_embeds=embeds.detach() + delta, **inputs), batch["labels"])
        (grad,) = torch.autograd.grad(loss, delta)
        delta = project(ascent(delta.detach(), grad, settings.step_size, settings.norm),
                        settings.eps, settings.norm) * mask
    adversarial_loss = F.cross_entropy(model(task, inputs_embeds=embeds + delta.detach(), **inputs), batch["labels"])
    return clean_loss + settings.weight * adversarial_loss


@dataclass
class FreeLBResult:
    loss: float  # mean adversarial loss over the ascent steps (for logging)
    deltas: list[torch.Tensor]  # the perturbation at which each step's gradient was taken


def freelb_step(model, task: str, batch: dict, settings: AdversarialSettings,
                backward: Callable[[torch.Tensor], None]) -> FreeLBResult:
    """K ascent steps; each calls `backward(loss / K)`, so the parameter gradients of all
    steps accumulate into their average, which the optimizer then applies. One backward pass
    per step gives both the parameter gradients and delta's ascent direction."""
    inputs = model_inputs(batch)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    lookup = model.word_embeddings()
    delta = random_start(lookup(batch["input_ids"]).detach(), mask, settings.eps, settings.norm)
    total, deltas = 0.0, []
    for _ in range(settings.steps):
        delta.requires_grad_(True)
        # A fresh (cheap) embedding lookup per step, so each backward frees its own graph.
        embeds = lookup(batch["input_ids"])
        loss = F.cross_entropy(model(task, inputs_embeds=embeds + delta, **inputs), batch["labels"])
        backward(loss / settings.steps)
        deltas.append(delta.detach().clone())
        total += loss.item()
        # delta.grad carries the caller's loss scale; both ascent rules are scale-free.
        delta = project(ascent(delta.detach(), delta.grad, settings.step_size, settings.norm),
                        settings.eps, settings.norm) * mask
    return FreeLBResult(total / settings.steps, deltas)
