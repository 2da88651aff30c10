"""RS-RI: noise norms respect the radius, padding stays clean, the loss uses the noise."""

import math

import pytest
import torch
from robust_fixtures import tiny_batch, tiny_classifier

from xrobust.robust.noise import random_noise_loss, sample_noise, uniform_in_ball
from xrobust.robust.settings import EmbeddingNoise
from xrobust.robust.losses import standard_loss


def test_uniform_ball_norms_within_radius_and_fill_the_ball():
    draws = uniform_in_ball((20000, 8), radius=0.5, generator=torch.Generator().manual_seed(0))
    norms = draws.norm(dim=-1)
    assert norms.max() <= 0.5 + 1e-6
    # Uniform in volume: P(norm <= r) = (r / R)^d, so in 8 dimensions half the draws lie beyond 0.5 * 0.5^(1/8).
    assert abs(float((norms <= 0.5 * 0.5 ** (1 / 8)).float().mean()) - 0.5) < 0.02
    directions = draws / norms.unsqueeze(-1)
    assert directions.mean(0).abs().max() < 0.03  # no preferred direction


def test_noise_is_zero_at_padding_and_bounded_per_token():
    embeds = torch.zeros(3, 5, 16)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
    noise = sample_noise(embeds, mask, EmbeddingNoise("uniform-ball", radius=0.3))
    norms = noise.norm(dim=-1)
    assert torch.all(norms[mask == 0] == 0)
    assert torch.all(norms[mask == 1] > 0) and norms.max() <= 0.3 + 1e-6


def test_gaussian_noise_has_the_requested_sigma():
    embeds = torch.zeros(64, 32, 64)
    noise = sample_noise(embeds, torch.ones(64, 32, dtype=torch.long), EmbeddingNoise("gaussian", sigma=0.05))
    assert noise.std().item() == pytest.approx(0.05, rel=0.03)
    assert noise.norm(dim=-1).mean().item() == pytest.approx(0.05 * math.sqrt(64), rel=0.05)


def test_zero_radius_gives_the_clean_loss_and_noise_changes_it(tiny_model_dir):
    model, tokenizer = tiny_classifier(tiny_model_dir)
    batch = tiny_batch(tokenizer)
    clean = standard_loss(model, "pawsx", batch)
    assert random_noise_loss(model, "pawsx", batch, EmbeddingNoise(radius=0.0)).item() == pytest.approx(clean.item(), abs=1e-6)
    noisy = random_noise_loss(model, "pawsx", batch, EmbeddingNoise(radius=5.0))
    assert abs(noisy.item() - clean.item()) > 1e-4


def test_noise_loss_trains_frozen_word_embeddings_too(tiny_model_dir):
    model, tokenizer = tiny_classifier(tiny_model_dir)
    model.word_embeddings().weight.requires_grad_(False)
    random_noise_loss(model, "pawsx", tiny_batch(tokenizer), EmbeddingNoise(kind="gaussian", sigma=0.1)).backward()
    assert model.word_embeddings().weight.grad is None
    assert model.heads["pawsx"].weight.grad.abs().sum() > 0
