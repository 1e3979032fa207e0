"""course_utils.style: the random feature network, the images, the losses and the transfer loop of notebook 10."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import style as st
from course_utils.exercises import nb10


def _images(size=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    content = torch.nn.functional.avg_pool2d(torch.rand(1, 3, size + 2, size + 2, generator=gen), 3, 1)
    return content, torch.rand(1, 3, size, size, generator=gen)


def test_random_features_are_frozen_multiscale_and_seeded():
    state = torch.random.get_rng_state()
    net = st.RandomFeatures(channels=(4, 6, 8), seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is untouched
    feats = net(torch.rand(2, 3, 16, 16))
    assert [tuple(f.shape) for f in feats] == [(2, 4, 16, 16), (2, 6, 8, 8), (2, 8, 4, 4)]
    assert all((f >= 0).all() for f in feats)  # after a ReLU
    assert not any(p.requires_grad for p in net.parameters()) and net.n_layers == 3
    again = st.RandomFeatures(channels=(4, 6, 8), seed=3)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters()))
    other = st.RandomFeatures(channels=(4, 6, 8), seed=4)
    assert not torch.equal(net.convs[0].weight, other.convs[0].weight)
    w = net.convs[1].weight
    assert torch.allclose(w.mean(dim=(1, 2, 3)), torch.zeros(6), atol=1e-6)  # zero-mean filters
    assert st.RandomFeatures(dtype=torch.float64).convs[0].weight.dtype == torch.float64


def test_receptive_fields_double_with_each_pool():
    assert st.receptive_fields(4) == [3, 8, 18, 38]
    assert st.receptive_fields(1) == [3]


def test_images_are_small_deterministic_and_in_range():
    photo = st.content_image(32)
    assert photo.shape == (32, 32, 3) and 0 <= photo.min() and photo.max() <= 1 and photo.std() > 0.1
    paint = st.painting_texture(32, seed=1)
    assert paint.shape == (32, 32, 3) and 0 <= paint.min() and paint.max() <= 1
    assert np.array_equal(paint, st.painting_texture(32, seed=1))
    assert not np.array_equal(paint, st.painting_texture(32, seed=2))
    assert paint[..., 2].mean() > paint[..., 0].mean()  # mostly blues, as the palette says
    x = st.to_tensor(paint)
    assert x.shape == (1, 3, 32, 32) and x.dtype == torch.float32
    np.testing.assert_allclose(st.to_image(x), paint, atol=1e-6)


def test_gram_matrix_is_a_position_blind_channel_average():
    f = torch.rand(2, 5, 4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    G = st.gram_matrix(f)
    assert G.shape == (2, 5, 5) and torch.allclose(G, G.transpose(1, 2))
    assert torch.allclose(G, torch.einsum("bchw,bdhw->bcd", f, f) / 12)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(1))
    shuffled = f.flatten(2)[:, :, perm].reshape(f.shape)
    assert torch.allclose(st.gram_matrix(shuffled), G)
    assert torch.allclose(G[1], st.gram_matrix(f[1:])[0])  # each image its own


def test_losses():
    a, b = torch.zeros(1, 2, 3, 3), torch.ones(1, 2, 3, 3)
    assert float(st.content_loss(a, b)) == 1.0 and float(st.content_loss(b, b)) == 0.0
    assert float(st.total_variation(torch.full((1, 3, 5, 5), 0.7))) == 0.0
    ramp = torch.arange(4.0).repeat(1, 3, 4, 1)  # each row 0, 1, 2, 3: horizontal steps of 1, no vertical change
    assert float(st.total_variation(ramp)) == 1.0
    feats = [torch.rand(1, 3, 4, 4), torch.rand(1, 2, 2, 2)]
    grams = [st.gram_matrix(f) for f in feats]
    assert float(st.style_loss(feats, grams, [0.5, 0.5])) == 0.0
    zero = [torch.zeros_like(g) for g in grams]
    expected = 0.2 * (grams[0] ** 2).mean() + 0.8 * (grams[1] ** 2).mean()
    assert torch.allclose(st.style_loss(feats, zero, [0.2, 0.8]), expected)


def test_transfer_step_moves_and_clamps_the_pixels():
    image = torch.full((1, 3, 2, 2), 0.5, requires_grad=True)
    image.grad = torch.ones_like(image)  # left over: must be cleared
    opt = torch.optim.SGD([image], lr=1.0)
    loss = st.transfer_step(image, opt, lambda x: ((x - 2.0) ** 2).sum())
    assert isinstance(loss, float) and loss == pytest.approx(12 * 1.5**2)
    assert torch.equal(image.detach(), torch.ones(1, 3, 2, 2))  # 0.5 + 3 = 3.5, clamped to 1


def test_style_transfer_lowers_the_loss_and_moves_towards_the_style():
    torch.manual_seed(0)
    content, art = _images()
    net = st.RandomFeatures(channels=(8, 8, 8), seed=0)
    image, losses = st.style_transfer(
        content, art, net, style_weight=100.0, content_layer=1, style_layers=(0, 1, 2), steps=40, lr=0.05
    )
    assert image.shape == content.shape and not image.requires_grad and len(losses) == 40
    assert 0 <= image.min() and image.max() <= 1
    assert losses[-1] < losses[0] / 3
    assert st.gram_distance(net, image, art) < st.gram_distance(net, content, art) / 2
    assert st.feature_distance(net, content, content, layer=1) == 0.0
    assert st.feature_distance(net, image, content, layer=1) < st.feature_distance(net, art, content, layer=1)


def test_the_module_loop_is_the_exercise_reference():
    content, art = _images(seed=2)
    net = st.RandomFeatures(channels=(4, 4, 4), seed=1, dtype=torch.float64)
    content, art = content.double(), art.double()
    kwargs = dict(content_weight=2.0, style_weight=30.0, tv_weight=0.5, content_layer=1, style_layers=(0, 2), steps=5)
    a, la = st.style_transfer(content, art, net, lr=0.05, **kwargs)
    b, lb = nb10.check_style_transfer.solution(content, art, net, lr=0.05, **kwargs)
    assert torch.allclose(a, b) and np.allclose(la, lb)


def test_tradeoff_figure_uses_the_given_transfer_and_reports_distances():
    content, art = _images()
    net = st.RandomFeatures(channels=(4, 4, 4, 4), seed=0)
    calls = []

    def transfer(*args, **kwargs):
        calls.append(kwargs)
        return st.style_transfer(*args, **kwargs)

    fig = st.tradeoff_figure(content, art, net, log_ratio=2.0, layers=[2, 0], steps=3, transfer=transfer)
    try:
        assert calls[0]["style_weight"] == 100.0 and calls[0]["style_layers"] == (0, 2) and calls[0]["steps"] == 3
        assert [ax.get_title() for ax in fig.axes] == ["content", "result", "style"]
        assert set(fig.distances) == {"style", "content"} and "10^2" in fig._suptitle.get_text()
        assert fig.image.shape == content.shape
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        st.tradeoff_figure(content, art, net, layers=())
