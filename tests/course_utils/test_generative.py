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
