"""The VAE part of course_utils.generative that notebook 07 trains and measures with: vae_step,
train_autoencoder, nearest_distance and two_sample_accuracy (the VAE's pieces are in test_generative.py)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import generative, seed_everything
from course_utils.exercises import nb07 as ex


def _digits(n=200):
    from course_utils.datasets import digits_tensors

    return digits_tensors().X_train.reshape(-1, 64)[:n]


def test_vae_step_takes_one_step_of_the_loss_it_is_given():
    x = _digits(32)
    seed_everything(0)
    model = generative.DigitVAE(n_code=3, sample=lambda mu, logvar: mu)  # deterministic: the two runs compare
    before = [p.detach().clone() for p in model.parameters()]
    calls = []

    def loss_fn(x, logits, mu, logvar, beta):
        calls.append(beta)
        return generative.vae_loss(x, logits, mu, logvar, beta)

    for p in model.parameters():  # left-over gradients must not leak into the step
        p.grad = torch.full_like(p, 100.0)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss = generative.vae_step(model, x, opt, beta=0.5, loss_fn=loss_fn)
    assert isinstance(loss, float) and calls == [0.5]
    with torch.no_grad():  # the step by hand, from the same weights
        fresh = generative.DigitVAE(n_code=3, sample=lambda mu, logvar: mu)
        for q, b in zip(fresh.parameters(), before):
            q.copy_(b)
    expected = generative.vae_loss(x, *fresh(x), beta=0.5)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-6)
    for p, q, b in zip(model.parameters(), fresh.parameters(), before):
        assert torch.allclose(p.detach(), b - 1e-3 * q.grad, atol=1e-7)
        assert not torch.equal(p.detach(), b)


def test_train_autoencoder_reproduces_the_loop_and_lowers_the_loss():
    X = _digits()
    AE, step = ex.check_autoencoder.solution
    seed_everything(3)
    model, losses = generative.train_autoencoder(AE(n_code=4), X, step, epochs=6, seed=3, device="cpu")
    assert not model.training and len(losses) == 6 and losses[-1] < 0.7 * losses[0], losses
    seed_everything(3)  # the loop written out: the same result
    again = AE(n_code=4)
    opt = torch.optim.Adam(again.parameters(), lr=5e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-3, total_steps=6)
    from course_utils.datasets import tensor_loader

    loader = tensor_loader(X, X, batch_size=64, seed=3)  # one loader, reshuffled every epoch
    for _ in range(6):
        for xb, _ in loader:
            step(again, xb, opt)
        schedule.step()
    for p, q in zip(model.parameters(), again.parameters()):
        assert torch.allclose(p, q)
    vae_losses = generative.train_autoencoder(
        generative.DigitVAE(n_code=4), X, generative.vae_step, epochs=4, seed=0, device="cpu"
    )[1]
    assert vae_losses[-1] < vae_losses[0]
    with pytest.raises(ValueError):
        generative.train_autoencoder(AE(), X, step, epochs=0)


def test_nearest_distance():
    data = np.array([[0.0, 0.0], [10.0, 0.0]])
    assert generative.nearest_distance([[0.0, 3.0], [10.0, 1.0]], data) == pytest.approx(2.0)
    assert generative.nearest_distance(torch.tensor(data), torch.tensor(data)) == pytest.approx(0.0, abs=1e-6)
    X = _digits(300)
    d = torch.cdist(X[:100], X[100:]).min(dim=1).values.mean()
    assert generative.nearest_distance(X[:100], X[100:]) == pytest.approx(float(d), rel=1e-5)
    with pytest.raises(ValueError):
        generative.nearest_distance(np.zeros((3, 2)), np.zeros((3, 4)))


def test_two_sample_accuracy_tells_fakes_not_fresh_real_data():
    X = _digits(600)
    real, more_real = X[:300], X[300:]
    assert generative.two_sample_accuracy(more_real, real) < 0.65  # the same distribution: near chance
    noise = torch.rand(300, 64, generator=torch.Generator().manual_seed(0))
    assert generative.two_sample_accuracy(noise, real) > 0.95
    blurred = F.avg_pool2d(more_real.reshape(-1, 1, 8, 8), 3, stride=1, padding=1).reshape(-1, 64)
    assert generative.two_sample_accuracy(blurred, real) > generative.two_sample_accuracy(more_real, real) + 0.1
    with pytest.raises(ValueError):
        generative.two_sample_accuracy(noise[:3], real)
