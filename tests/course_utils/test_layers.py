"""course_utils.layers against torch.autograd (float64) and central differences."""

import warnings

import numpy as np
import pytest
import torch

from course_utils import layers


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _torch_grads(fn, *arrays):
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*ts)
    return out, ts


def test_affine_matches_torch(rng):
    x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((5, 3))
    out, cache = layers.affine_forward(x, w, b)
    dx, dw, db = layers.affine_backward(dout, cache)
    o, (tx, tw, tb) = _torch_grads(lambda x, w, b: x @ w + b, x, w, b)
    o.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, o.detach().numpy(), rtol=1e-12)
    for mine, theirs in [(dx, tx), (dw, tw), (db, tb)]:
        assert layers.relative_error(mine, theirs.grad.numpy()) < 1e-12


@pytest.mark.parametrize("name,torch_fn", [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)])
def test_activations_match_torch(rng, name, torch_fn):
    forward, backward = layers.ACTIVATION_LAYERS[name]
    x = rng.standard_normal((6, 7)) * 3
    dout = rng.standard_normal(x.shape)
    out, cache = forward(x)
    dx = backward(dout, cache)
    o, (tx,) = _torch_grads(torch_fn, x)
    o.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, o.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert layers.relative_error(dx, tx.grad.numpy()) < 1e-12


def test_sigmoid_is_stable_for_huge_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = layers.sigmoid(x)
    np.testing.assert_allclose(s, torch.sigmoid(torch.from_numpy(x)).numpy(), rtol=1e-12, atol=1e-300)
    assert s[0] >= 0 and s[-1] == 1.0 and s[2] == 0.5


def test_mse_matches_torch(rng):
    pred, y = rng.standard_normal((8, 2)), rng.standard_normal((8, 2))
    loss, dpred = layers.mse_loss(pred, y)
    tp = torch.tensor(pred, requires_grad=True)
    tl = 0.5 * ((tp - torch.from_numpy(y)) ** 2).sum() / len(pred)
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-12)
    assert layers.relative_error(dpred, tp.grad.numpy()) < 1e-12


def test_softmax_cross_entropy_matches_torch(rng):
    scores, y = rng.standard_normal((9, 4)) * 5, rng.integers(0, 4, 9)
    loss, dscores = layers.softmax_cross_entropy(scores, y)
    ts = torch.tensor(scores, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(ts, torch.from_numpy(y))
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-12)
    assert layers.relative_error(dscores, ts.grad.numpy()) < 1e-12
    np.testing.assert_allclose(layers.softmax(scores).sum(axis=1), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big, _ = layers.softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert big == pytest.approx(2000.0)


def test_log_softmax_and_softmax_match_torch_on_any_leading_shape(rng):
    for shape in [(5,), (4, 3), (2, 3, 6)]:
        z = rng.standard_normal(shape) * 10
        expected = torch.log_softmax(torch.from_numpy(z), dim=-1).numpy()
        np.testing.assert_allclose(layers.log_softmax(z), expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layers.softmax(z), np.exp(expected), rtol=1e-12, atol=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = layers.softmax(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]], atol=1e-300)


def test_numerical_gradient_and_relative_error(rng):
    x = rng.standard_normal((3, 4))
    x0 = x.copy()
    g = layers.numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    np.testing.assert_array_equal(x, x0)  # restored
    assert layers.relative_error(g, np.cos(x0) * x0 + np.sin(x0)) < 1e-9
    assert layers.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert layers.relative_error(np.ones(3), np.zeros(3)) == 1.0


def test_mlp_gradient_norms_match_torch(rng):
    X, y = rng.standard_normal((16, 5)), rng.integers(0, 3, 16)
    widths = [8, 8, 3]
    norms = layers.mlp_gradient_norms(X, y, widths, activation="sigmoid", init="lecun", seed=3)
    # rebuild the same weights and let torch differentiate
    r = np.random.default_rng(3)
    sizes = [5, *widths]
    ws = [
        torch.tensor(r.normal(0, 1 / np.sqrt(a), size=(a, b)), requires_grad=True)
        for a, b in zip(sizes[:-1], sizes[1:])
    ]
    h = torch.from_numpy(X)
    for i, w in enumerate(ws):
        h = h @ w
        if i < len(ws) - 1:
            h = torch.sigmoid(h)
    torch.nn.functional.cross_entropy(h, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(norms, [w.grad.norm().item() for w in ws], rtol=1e-10)


def test_bad_arguments():
    with pytest.raises(ValueError):
        layers.affine_forward(np.zeros((2, 3)), np.zeros((4, 2)), np.zeros(2))
    with pytest.raises(ValueError):
        layers.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError):
        layers.mse_loss(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError):
        layers.numerical_gradient(lambda v: 0.0, np.zeros(3, dtype=int))
    with pytest.raises(ValueError):
        layers.mlp_gradient_norms(np.zeros((2, 2)), np.zeros(2, dtype=int), [2], activation="swish")
    with pytest.raises(ValueError):
        layers.init_std(4, "xavier-ish")
