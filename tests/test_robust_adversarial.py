"""Adversarial training: PGD stays in the per-token ball and raises the loss; the PGD gradient is
that of clean + weight * adversarial loss; FreeLB accumulates the gradients of all its ascent steps."""

import pytest
import torch
import torch.nn.functional as F
from robust_fixtures import tiny_batch, tiny_classifier

from xrobust.robust.adversarial import freelb_step, pgd_step, project
from xrobust.robust.noise import model_inputs
from xrobust.robust.settings import AdversarialSettings
from xrobust.robust.losses import standard_loss


def loss_at(model, batch, delta):
    embeds = model.word_embeddings()(batch["input_ids"])
    return F.cross_entropy(model("pawsx", inputs_embeds=embeds + delta, **model_inputs(batch)), batch["labels"])


def capture_deltas(model):
    """Record the perturbation of every forward pass (inputs_embeds minus the clean lookup)."""
    seen, forward = [], model.forward

    def spy(task, inputs_embeds=None, **kw):
        if inputs_embeds is not None:
            seen.append(inputs_embeds.detach().clone())
        return forward(task, inputs_embeds=inputs_embeds, **kw)

    model.forward = spy
    return seen


def test_projection_bounds_each_token():
    delta = torch.randn(2, 4, 8) * 3
    assert project(delta, 0.5, "l2").norm(dim=-1).max() <= 0.5 + 1e-6
    assert project(delta, 0.5, "linf").abs().max() <= 0.5
    small = torch.full((1, 1, 8), 0.01)
    assert torch.equal(project(small, 0.5, "l2"), small)  # inside the ball: unchanged


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_pgd_raises_the_loss_inside_the_ball(tiny_model_dir, norm):
    model, tokenizer = tiny_classifier(tiny_model_dir)
    model.eval()  # no dropout: losses are comparable
    batch = tiny_batch(tokenizer)
    eps = 0.5 if norm == "l2" else 0.05
    settings = AdversarialSettings(eps=eps, step_size=eps / 2, steps=4, norm=norm, weight=1.0)
    seen = capture_deltas(model)
    total = pgd_step(model, "pawsx", batch, settings, lambda loss: loss.backward())
    clean_embeds = model.word_embeddings()(batch["input_ids"]).detach()
    deltas = [s - clean_embeds for s in seen]
    assert len(deltas) == settings.steps + 1  # K ascent passes (the first is the clean pass) + the final one
    assert torch.all(deltas[0] == 0)
    final = deltas[-1]
    padding = batch["attention_mask"] == 0
    assert torch.all(final[padding] == 0)
    bound = final.norm(dim=-1).max() if norm == "l2" else final.abs().max()
    assert bound <= eps + 1e-5
    with torch.no_grad():
        clean, adversarial = loss_at(model, batch, 0), loss_at(model, batch, final)
    assert adversarial > clean + 1e-3
    assert total == pytest.approx(clean.item() + adversarial.item(), rel=1e-5)


def pgd_gradients(model, batch, settings):
    model.zero_grad(set_to_none=True)
    seen = capture_deltas(model)
    total = pgd_step(model, "pawsx", batch, settings, lambda loss: loss.backward())
    del model.forward  # drop the spy
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return total, grads, seen[-1] - model.word_embeddings()(batch["input_ids"]).detach()


def test_pgd_gradient_is_that_of_clean_plus_weighted_adversarial_loss(tiny_model_dir):
    """Two backward passes (clean, then weight * adversarial) add up to the one gradient of the sum."""
    model, tokenizer = tiny_classifier(tiny_model_dir)
    model.eval()
    batch = tiny_batch(tokenizer)
    settings = AdversarialSettings(eps=0.5, step_size=0.3, steps=2, weight=0.7)
    total, grads, delta = pgd_gradients(model, batch, settings)
    model.zero_grad(set_to_none=True)
    expected = loss_at(model, batch, 0) + 0.7 * loss_at(model, batch, delta)
    expected.backward()
    assert total == pytest.approx(expected.item(), rel=1e-5)
    assert grads.keys() == {n for n, p in model.named_parameters() if p.grad is not None}
    for name, param in model.named_parameters():
        if param.grad is not None:
            assert torch.allclose(grads[name], param.grad, atol=1e-6, rtol=1e-4), name


def test_pgd_weight_scales_the_adversarial_term(tiny_model_dir):
    model, tokenizer = tiny_classifier(tiny_model_dir)
    model.eval()
    batch = tiny_batch(tokenizer)
    clean = standard_loss(model, "pawsx", batch).item()
    zero, grads, _ = pgd_gradients(model, batch, AdversarialSettings(weight=0.0))
    assert zero == pytest.approx(clean, rel=1e-5)
    model.zero_grad(set_to_none=True)
    standard_loss(model, "pawsx", batch).backward()
    assert torch.allclose(grads["heads.pawsx.weight"], model.heads["pawsx"].weight.grad, atol=1e-7)
    with_weight = pgd_gradients(model, batch, AdversarialSettings(weight=2.0))[0]
    adversarial = pgd_gradients(model, batch, AdversarialSettings(weight=1.0))[0] - clean
    assert with_weight == pytest.approx(clean + 2 * adversarial, rel=1e-4)


def test_pgd_works_with_frozen_word_embeddings(tiny_model_dir):
    model, tokenizer = tiny_classifier(tiny_model_dir)
    model.word_embeddings().weight.requires_grad_(False)
    pgd_step(model, "pawsx", tiny_batch(tokenizer), AdversarialSettings(steps=2), lambda loss: loss.backward())
    assert model.word_embeddings().weight.grad is None
    assert model.heads["pawsx"].weight.grad.abs().sum() > 0


def test_freelb_accumulates_the_gradient_of_every_step(tiny_model_dir):
    model, tokenizer = tiny_classifier(tiny_model_dir)
    model.eval()
    batch = tiny_batch(tokenizer)
    settings = AdversarialSettings(eps=0.5, step_size=0.3, steps=3)
    calls = []

    def backward(loss):
        calls.append(loss.item())
        loss.backward()

    result = freelb_step(model, "pawsx", batch, settings, backward)
    accumulated = {n: p.grad.clone() for n, p in model.named_parameters()}
    assert len(calls) == 3 and len(result.deltas) == 3
    assert result.loss == pytest.approx(sum(calls), rel=1e-5)  # backward got loss / K each time
    for delta in result.deltas:
        assert delta.norm(dim=-1).max() <= 0.5 + 1e-5
        assert torch.all(delta[batch["attention_mask"] == 0] == 0)
    assert not torch.equal(result.deltas[0], result.deltas[1])
    # The same sum, step by step: the average of the per-step gradients at the recorded deltas.
    model.zero_grad()
    for delta in result.deltas:
        (loss_at(model, batch, delta) / 3).backward()
    for name, param in model.named_parameters():
        torch.testing.assert_close(accumulated[name], param.grad, rtol=1e-4, atol=1e-7)
    # ... which is not the last step's gradient alone.
    model.zero_grad()
    loss_at(model, batch, result.deltas[-1]).backward()
    head = model.heads["pawsx"].weight
    assert not torch.allclose(head.grad, accumulated["heads.pawsx.weight"], rtol=1e-3)
