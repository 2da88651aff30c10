"""RS-RI: randomized smoothing with random noise on the input word embeddings.

The noise is per token: each token's embedding vector moves by a draw that is either
uniform in the L2 ball of radius `radius` (in the embedding's dimension d) or Gaussian with
standard deviation `sigma` per coordinate. Padding positions get no noise. Draws use torch's
global RNG, which checkpoints save and restore, so a resumed run draws the same noise.
"""

import torch
import torch.nn.functional as F

from xrobust.robust.settings import EmbeddingNoise


def uniform_in_ball(shape: tuple, radius: float, device=None, generator=None) -> torch.Tensor:
    """Vectors uniform in the L2 ball of `radius` along the last dimension: a uniform direction
    (normalised Gaussian) times radius * U^(1/d), which makes the volume, not the radius, uniform."""
    direction = F.normalize(torch.randn(shape, device=device, generator=generator), dim=-1)
    u = torch.rand(shape[:-1] + (1,), device=device, generator=generator)
    return direction * radius * u.pow(1.0 / shape[-1])


def sample_noise(embeds: torch.Tensor, attention_mask: torch.Tensor, noise: EmbeddingNoise,
                 generator=None) -> torch.Tensor:
    """Noise shaped like `embeds` [batch, len, hidden], zero at padding."""
    if noise.kind == "uniform-ball":
        draw = uniform_in_ball(tuple(embeds.shape), noise.radius, embeds.device, generator)
    elif noise.kind == "gaussian":
        draw = noise.sigma * torch.randn(embeds.shape, device=embeds.device, generator=generator)
    else:
        raise ValueError(f"unknown noise kind {noise.kind!r}")
    return draw.to(embeds.dtype) * attention_mask.unsqueeze(-1).to(embeds.dtype)


def model_inputs(batch: dict) -> dict:
    """The batch without labels and input ids: what goes with `inputs_embeds`."""
    return {k: v for k, v in batch.items() if k not in ("labels", "input_ids")}


def random_noise_loss(model, task: str, batch: dict, noise: EmbeddingNoise) -> torch.Tensor:
    """Cross-entropy on the batch with fresh noise on every token's word embedding."""
    embeds = model.word_embeddings()(batch["input_ids"])  # [batch, len, hidden]
    noisy = embeds + sample_noise(embeds, batch["attention_mask"], noise)
    logits = model(task, inputs_embeds=noisy, **model_inputs(batch))
    return F.cross_entropy(logits, batch["labels"])
