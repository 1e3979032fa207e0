import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import models, plots, widgets


def test_render_digit_transform():
    net = models.linear_classifier()
    images = torch.rand(3, 1, 8, 8)
    fig = widgets.render_digit_transform(net, images, index=1)
    assert np.allclose(fig.image, images[1, 0].numpy(), atol=1e-6)
    assert fig.probs.shape == (10,) and fig.probs.sum() == pytest.approx(1.0, abs=1e-5)
    moved = widgets.render_digit_transform(net, images, index=1, dx=1.0)
    assert np.allclose(moved.image[:, 1:], images[1, 0, :, :-1].numpy(), atol=1e-6)
    with pytest.raises(ValueError):
        widgets.render_digit_transform(net, images, index=3)
    plt.close("all")


def test_render_latent_interpolation():
    G = models.mlp_generator(4, 64, (8,), "sigmoid")
    z0, z1 = torch.zeros(4), torch.ones(4)
    fig = widgets.render_latent_interpolation(G, z0, z1, t=1.0, n_strip=5)
    assert fig.strip.shape == (5, 8, 8)
    assert np.allclose(fig.image, fig.strip[-1], atol=1e-6)
    with torch.no_grad():
        assert np.allclose(fig.strip[0], G(z0[None]).reshape(8, 8).numpy(), atol=1e-6)
    with pytest.raises(ValueError):
        widgets.render_latent_interpolation(G, z0, z1, n_strip=1)
    plt.close("all")


def test_plot_embedding():
    fig = plots.plot_embedding(np.random.rand(20, 2), np.arange(20) % 3, title="codes")
    assert fig.axes[0].get_title() == "codes" and len(fig.axes[0].get_legend().get_texts()) == 3
    with pytest.raises(ValueError):
        plots.plot_embedding(np.random.rand(20, 3), np.arange(20))
    plt.close("all")


def test_render_latent_interpolation_draws_a_given_path():
    from course_utils.generative import interpolate_latents

    G = models.mlp_generator(4, 64, (8,), "sigmoid")
    z0, z1 = torch.randn(2, 4, generator=torch.Generator().manual_seed(0))
    seen = []

    def slerp(a, b, ts):  # e.g. a student's slerp: (len(ts), latent_dim) from a 1-D tensor of positions
        seen.append(ts)
        return interpolate_latents(a, b, ts.numpy(), "slerp")

    fig = widgets.render_latent_interpolation(G, z0, z1, t=0.3, n_strip=5, method="slerp", path=slerp)
    ref = widgets.render_latent_interpolation(G, z0, z1, t=0.3, n_strip=5, method="slerp")
    assert isinstance(seen[0], torch.Tensor) and seen[0].shape == (6,)
    assert np.allclose(fig.strip, ref.strip, atol=1e-6) and np.allclose(fig.image, ref.image, atol=1e-6)
    with pytest.raises(ValueError):
        widgets.render_latent_interpolation(G, z0, z1, path=lambda a, b, ts: torch.zeros(len(ts), 3))
    plt.close("all")
