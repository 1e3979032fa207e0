import numpy as np
import pytest
import torch

from course_utils import datasets, generative, models, seed_everything


def test_mode_coverage_counts_collapse():
    centers = datasets.ring_centers(8)
    X, _ = datasets.gaussian_ring(4000, std=0.05, seed=0)
    full = generative.mode_coverage(X, centers, radius=0.15)
    assert full.n_covered == 8 and full.high_quality > 0.95 and full.counts.sum() <= 4000
    collapsed = np.repeat(centers[:3], 100, axis=0)
    assert generative.mode_coverage(collapsed, centers, radius=0.15).n_covered == 3
    far = generative.mode_coverage(np.full((10, 2), 50.0), centers, radius=0.15)
    assert far.n_covered == 0 and far.high_quality == 0
    with pytest.raises(ValueError):
        generative.mode_coverage(X, centers[:, :1], radius=0.1)
    with pytest.raises(ValueError):
        generative.mode_coverage(X, centers, radius=0)


def test_interpolate_latents():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    path = generative.interpolate_latents(z0, z1, [0, 0.5, 1])
    assert torch.allclose(path, torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]))
    as_tensor = generative.interpolate_latents(z0, z1, torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
    assert torch.equal(as_tensor, path)  # t as a tensor (the latent walk hands one over, on the generator's device)
    mid = generative.interpolate_latents(z0, z1, 0.5, method="slerp")
    assert mid.shape == (1, 2) and mid.norm().item() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        generative.interpolate_latents(z0, z1, 1.5)
    with pytest.raises(ValueError):
        generative.interpolate_latents(z0, z1, 0.5, method="cubic")
    with pytest.raises(ValueError):
        generative.interpolate_latents(z0, torch.zeros(3), 0.5)


def test_gan_step_moves_both_players_and_checks_pack():
    seed_everything(0)
    G, D = models.mlp_generator(4, 2, (16,)), models.mlp_discriminator(4, (16,))
    opt_G, opt_D = torch.optim.Adam(G.parameters(), 1e-2), torch.optim.Adam(D.parameters(), 1e-2)
    g0, d0 = [p.clone() for p in G.parameters()], [p.clone() for p in D.parameters()]
    d_loss, g_loss = generative.gan_step(G, D, opt_G, opt_D, torch.randn(8, 2), 4, pack=2)
    assert np.isfinite(d_loss) and np.isfinite(g_loss)
    assert any(not torch.equal(a, b) for a, b in zip(g0, G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, D.parameters()))
    with pytest.raises(ValueError):
        generative.gan_step(G, D, opt_G, opt_D, torch.randn(7, 2), 4, pack=2)
    with pytest.raises(ValueError):
        generative.gan_step(G, D, opt_G, opt_D, torch.randn(8, 2), 4, real_label=0.4, pack=2)


def test_train_gan_learns_a_gaussian_and_snapshots():
    seed_everything(0)
    data = torch.randn(512, 2) * 0.1 + torch.tensor([2.0, -1.0])
    G, D = models.mlp_generator(2, 2, (32,)), models.mlp_discriminator(2, (32,))
    h = generative.train_gan(
        G,
        D,
        data,
        latent_dim=2,
        steps=300,
        batch_size=64,
        lr=5e-3,
        snapshot_at=[0, 300],
        n_snapshot=256,
        progress=False,
        device="cpu",
    )
    assert len(h.d_loss) == 300 and sorted(h.snapshots) == [0, 300]
    err0 = (h.snapshots[0].mean(0) - torch.tensor([2.0, -1.0])).norm()
    err = (h.snapshots[300].mean(0) - torch.tensor([2.0, -1.0])).norm()
    assert err < 0.3 < err0
    with pytest.raises(ValueError):
        generative.train_gan(G, D, data, latent_dim=2, steps=10, snapshot_at=[11], progress=False, device="cpu")


def test_sample_latent():
    z = generative.sample_latent(5, 3, "cpu", torch.Generator().manual_seed(0))
    assert z.shape == (5, 3)
    with pytest.raises(ValueError):
        generative.sample_latent(0, 3, "cpu")


def _ring_run(step=None, steps=40, **kwargs):
    seed_everything(0)
    G, D = models.mlp_generator(4, 2, (16,)), models.mlp_discriminator(2, (16,))
    data = torch.randn(256, 2)
    return generative.train_gan(
        G,
        D,
        data,
        latent_dim=4,
        steps=steps,
        batch_size=32,
        snapshot_at=[steps],
        progress=False,
        device="cpu",
        step=step,
        **kwargs,
    )


def test_train_gan_plays_a_given_step_with_the_noise_gan_step_would_draw():
    plain, played = _ring_run(), _ring_run(step=generative.gan_round)
    assert plain.d_loss == played.d_loss and plain.g_loss == played.g_loss  # the same run, number for number
    assert torch.equal(plain.snapshots[40], played.snapshots[40])
    calls = []

    def step(G, D, opt_G, opt_D, real, z):  # a student's round may return 0-d tensors: recorded as floats
        calls.append((real.shape, z.shape))
        d_loss, g_loss = generative.gan_round(G, D, opt_G, opt_D, real, z)
        return torch.tensor(d_loss), torch.tensor(g_loss)

    h = _ring_run(step=step, steps=5)
    assert calls == [((32, 2), (32, 4))] * 5 and all(type(v) is float for v in h.d_loss + h.g_loss)
    with pytest.raises(ValueError):
        _ring_run(step=step, pack=2)
    with pytest.raises(ValueError):
        _ring_run(step=step, real_label=0.9)


def test_gan_round_needs_one_latent_per_sample():
    G, D = models.mlp_generator(4, 2, (16,)), models.mlp_discriminator(2, (16,))
    opt_G, opt_D = torch.optim.Adam(G.parameters(), 1e-2), torch.optim.Adam(D.parameters(), 1e-2)
    with pytest.raises(ValueError):
        generative.gan_round(G, D, opt_G, opt_D, torch.randn(8, 2), torch.randn(7, 4))
    with pytest.raises(ValueError):
        generative.gan_round(G, D, opt_G, opt_D, torch.randn(7, 2), torch.randn(7, 4), pack=2)


# ----------------------------------------------------------------------------- the VAE's pieces (notebook 07)


def test_reparameterize_draws_with_the_generator_and_passes_gradients():
    mu = torch.tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    logvar = torch.tensor([[0.0, -2.0], [1.0, 0.5]], requires_grad=True)
    z1 = generative.reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    z2 = generative.reparameterize(mu, logvar, torch.Generator().manual_seed(3))
    assert z1.shape == (2, 2) and torch.equal(z1, z2)
    eps = torch.randn((2, 2), generator=torch.Generator().manual_seed(3))
    assert torch.allclose(z1, mu + torch.exp(logvar / 2) * eps)
    z1.sum().backward()
    assert torch.allclose(mu.grad, torch.ones(2, 2))
    assert torch.allclose(logvar.grad, (torch.exp(logvar / 2) * eps / 2).detach())
    many = generative.reparameterize(torch.full((20000, 1), 1.0), torch.full((20000, 1), np.log(4.0)))
    assert abs(many.mean() - 1.0) < 0.05 and abs(many.std() - 2.0) < 0.05


def test_kl_closed_form_matches_known_values_and_monte_carlo():
    zero = generative.kl_to_standard_normal(torch.zeros(3, 4), torch.zeros(3, 4))
    assert float(zero) == 0.0
    # one dimension, mu = 1, sigma^2 = e: 1/2 (1 + e - 1 - 1) = (e - 1) / 2; two rows averaged, two dims summed
    mu, logvar = torch.tensor([[1.0, 0.0], [1.0, 0.0]]), torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    assert float(generative.kl_to_standard_normal(mu, logvar)) == pytest.approx((np.e - 1) / 2, rel=1e-6)
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(16, 3, generator=g), torch.rand(16, 3, generator=g) * 3 - 2
    estimate, se = generative.kl_monte_carlo(mu, logvar, n_samples=4000, generator=g)
    closed = float(generative.kl_to_standard_normal(mu, logvar))
    assert abs(estimate - closed) < 4 * se and se < 0.02 * closed
    with pytest.raises(ValueError):
        generative.kl_monte_carlo(mu, logvar, n_samples=1)


def test_vae_loss_is_reconstruction_plus_beta_kl():
    g = torch.Generator().manual_seed(1)
    x, logits = torch.rand(5, 8, generator=g), torch.randn(5, 8, generator=g)
    mu, logvar = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    p = torch.sigmoid(logits)
    bce = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(dim=1).mean()
    kl = generative.kl_to_standard_normal(mu, logvar)
    for beta in (0.0, 0.5, 2.0):
        assert torch.allclose(generative.vae_loss(x, logits, mu, logvar, beta), bce + beta * kl, rtol=1e-5)


def test_digit_vae_shapes_and_its_sampler():
    torch.manual_seed(0)
    vae = generative.DigitVAE(n_in=64, n_hidden=16, n_code=3)
    x = torch.rand(7, 64)
    logits, mu, logvar = vae(x)
    assert logits.shape == (7, 64) and mu.shape == logvar.shape == (7, 3)
    assert vae.generate(torch.zeros(2, 3)).min() > 0 and vae.generate(torch.zeros(2, 3)).max() < 1
    seen = []
    vae.sample = lambda m, lv: seen.append(m.shape) or m
    vae(x)
    assert seen == [(7, 3)]
