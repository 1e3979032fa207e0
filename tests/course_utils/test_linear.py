import numpy as np
import pytest
import torch

from course_utils import linear as lin
from course_utils.datasets import logic_gate, make_toy_2d


def test_add_bias_and_data_generators():
    Xb = lin.add_bias(np.arange(6.0).reshape(3, 2))
    assert Xb.shape == (3, 3) and np.all(Xb[:, -1] == 1)
    assert lin.add_bias(np.arange(3.0)).shape == (3, 2)
    with pytest.raises(ValueError):
        lin.add_bias(np.zeros((2, 2, 2)))
    x, y = lin.make_pair_regression(30, seed=1)
    assert x.shape == y.shape == (30,) and 0 <= x.min() and x.max() <= 2
    np.testing.assert_array_equal(lin.make_pair_regression(30, seed=1)[1], y)
    x, y = lin.make_sine_regression(10)
    assert np.all(np.diff(x) >= 0) and y.shape == (10,)
    with pytest.raises(ValueError):
        lin.make_pair_regression(1)
    with pytest.raises(ValueError):
        lin.make_sine_regression(5, noise=-1)


def test_losses_match_torch():
    rng = np.random.default_rng(0)
    y, yh = rng.standard_normal(50), rng.standard_normal(50) * 2
    t = lambda a: torch.tensor(a)  # noqa: E731
    assert np.isclose(lin.mse(y, yh), 0.5 * torch.nn.functional.mse_loss(t(yh), t(y)).item())
    assert np.isclose(lin.huber(y, yh, 1.0), torch.nn.functional.huber_loss(t(yh), t(y), delta=1.0).item())
    labels = (rng.random(50) > 0.5).astype(float)
    p = 1 / (1 + np.exp(-yh))
    assert np.isclose(lin.log_loss(labels, p), torch.nn.functional.binary_cross_entropy(t(p), t(labels)).item())
    s = 2 * labels - 1
    assert np.isclose(lin.hinge(s, yh), np.mean(np.maximum(0, 1 - s * yh)))
    assert lin.mse(y, yh, reduction="none").shape == (50,)
    for bad in (
        lambda: lin.log_loss([2.0], [0.5]),
        lambda: lin.hinge([0.0], [1.0]),
        lambda: lin.huber([1.0], [1.0], delta=0),
        lambda: lin.mse([1.0], [1.0], reduction="sum"),
    ):
        with pytest.raises(ValueError):
            bad()


def test_closed_form_and_gradient():
    rng = np.random.default_rng(1)
    X = lin.add_bias(rng.standard_normal((40, 3)))
    w_true = np.array([1.0, -2.0, 0.5, 3.0])
    y = X @ w_true
    np.testing.assert_allclose(lin.closed_form(X, y), w_true, atol=1e-10)
    # gradient against central differences, with a penalty
    w = rng.standard_normal(4)
    num = np.array(
        [(lin.mse_objective(w + e, X, y, 0.3) - lin.mse_objective(w - e, X, y, 0.3)) / 2e-6 for e in np.eye(4) * 1e-6]
    )
    np.testing.assert_allclose(lin.mse_objective_grad(w, X, y, 0.3), num, rtol=1e-6)
    # the ridge solution zeroes the penalised gradient and leaves the bias unpenalised
    w_r = lin.closed_form(X, y, l2=0.5)
    assert np.linalg.norm(lin.mse_objective_grad(w_r, X, y, 0.5)) < 1e-10
    assert np.linalg.norm(w_r[:-1]) < np.linalg.norm(w_true[:-1])
    with pytest.raises(ValueError):
        lin.closed_form(X, y, l2=-1)
    with pytest.raises(ValueError):
        lin.closed_form(X, y[:-1])


def test_gradient_descent_stopping_rules_and_divergence():
    H = np.diag([1.0, 10.0])
    grad = lambda w: H @ w  # noqa: E731
    loss = lambda w: 0.5 * w @ H @ w  # noqa: E731
    r = lin.gradient_descent(grad, [1.0, 1.0], 0.1, 10_000, loss=loss, step_tol=1e-8)
    assert r.stopped_by == "step_tol" and np.linalg.norm(r.w) < 1e-6 and len(r.losses) == len(r.path)
    r = lin.gradient_descent(grad, [1.0, 1.0], 0.1, 10_000, grad_tol=1e-6)
    assert r.stopped_by == "grad_tol" and np.linalg.norm(grad(r.w)) < 1e-6
    r = lin.gradient_descent(grad, [1.0, 1.0], 0.1, 5)
    assert r.stopped_by == "max_steps" and r.steps == 5
    r = lin.gradient_descent(grad, [1.0, 1.0], 0.25, 10_000)
    assert r.stopped_by == "diverged"
    with pytest.raises(ValueError):
        lin.gradient_descent(grad, [1.0, 1.0], 0.0, 5)


def test_lr_regime_thresholds():
    H = np.diag([0.5, 2.0])
    assert lin.lr_regime(0.4, H) == "smooth"
    assert lin.lr_regime(0.6, H) == "oscillating"
    assert lin.lr_regime(1.0, H) == "diverging"
    with pytest.raises(ValueError):
        lin.lr_regime(0.1, -np.eye(2))


@pytest.mark.parametrize("method", lin.OPTIMIZERS)
def test_train_linear_matches_torch_optimizers(method):
    rng = np.random.default_rng(2)
    X = lin.add_bias(rng.standard_normal((16, 2)))
    y = X @ np.array([2.0, -1.0, 0.5]) + 0.1 * rng.standard_normal(16)
    res = lin.train_linear(X, y, method, lr=0.05, epochs=3, batch_size=4, seed=0)
    # replay the same mini-batches with torch.optim
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = {"gd": torch.optim.SGD, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}[
        method
    ]([w], lr=0.05)
    order_rng = np.random.default_rng(0)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(3):
        order = np.arange(16) if method == "gd" else order_rng.permutation(16)
        bs = 16 if method == "gd" else 4
        for s in range(0, 16, bs):
            idx = torch.tensor(order[s : s + bs])
            loss = 0.5 * ((Xt[idx] @ w - yt[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    np.testing.assert_allclose(res.w, w.detach().numpy(), atol=1e-12)
    assert res.losses.shape == (4,) and len(res.path) == 4


def test_train_linear_bad_arguments():
    X, y = np.ones((4, 2)), np.ones(4)
    with pytest.raises(ValueError):
        lin.train_linear(X, y, "newton", 0.1, 1)
    with pytest.raises(ValueError):
        lin.train_linear(X, y, "sgd", 0.1, 1, batch_size=5)


def test_early_stopping_index():
    assert lin.early_stopping_index([5, 4, 3, 3.5, 4, 5, 6], patience=2) == 2
    assert lin.early_stopping_index([3, 2, 1], patience=5) == 2
    with pytest.raises(ValueError):
        lin.early_stopping_index([], 3)
    with pytest.raises(ValueError):
        lin.early_stopping_index([1.0], 0)


def test_perceptron_separable_and_xor():
    for gate in ("and", "or"):
        X, y = logic_gate(gate)
        r = lin.train_perceptron(X, y)
        assert r.converged and np.array_equal(r.predict(X), y) and r.mistakes[-1] == 0
    X, y = make_toy_2d("blobs", 100, noise=0.0, seed=0)
    r = lin.train_perceptron(X, y, shuffle_seed=0, w0=[5.0, -3.0])
    assert r.converged and np.array_equal(r.predict(X), y)
    r = lin.train_perceptron(*logic_gate("xor"), max_epochs=50)
    assert not r.converged and min(r.mistakes) > 0 and r.updates == sum(r.mistakes)
    with pytest.raises(ValueError):
        lin.train_perceptron(X, np.full(len(X), 2))
    with pytest.raises(ValueError):
        lin.train_perceptron(X, y[:-1])


def test_best_linear_accuracy():
    assert lin.best_linear_accuracy(*logic_gate("xor")) == 0.75
    assert lin.best_linear_accuracy(*logic_gate("and")) == 1.0
    X, y = make_toy_2d("blobs", 60, noise=0.0, seed=0)
    assert lin.best_linear_accuracy(X, y) == 1.0
    with pytest.raises(ValueError):
        lin.best_linear_accuracy(np.zeros((4, 3)), np.zeros(4))


def test_linearly_separable():
    # XOR is not separable, AND/OR are; both label conventions are accepted.
    assert lin.linearly_separable(*logic_gate("xor")) is False
    assert lin.linearly_separable(*logic_gate("and")) is True
    assert lin.linearly_separable(*logic_gate("or")) is True
    X, y = logic_gate("xor")
    assert lin.linearly_separable(X, 2 * y - 1) is False
    # Separable blobs, in 2-D and in 3-D; a duplicated point with both labels is not separable.
    X, y = make_toy_2d("blobs", 60, noise=0.0, seed=0)
    assert lin.linearly_separable(X, y) is True
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=(40, 3))
    y3 = (X3 @ np.array([1.0, -2.0, 0.5]) + 0.3 > 0).astype(int)
    assert lin.linearly_separable(X3, y3) is True
    assert lin.linearly_separable(np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([0, 1])) is False
    # A single flipped label deep inside the other class breaks separability.
    y_flip = y3.copy()
    y_flip[np.argmax(X3 @ np.array([1.0, -2.0, 0.5]))] = 0
    assert lin.linearly_separable(X3, y_flip) is False
    with pytest.raises(ValueError):
        lin.linearly_separable(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError):
        lin.linearly_separable(np.zeros((4, 2)), np.array([0, 1, 2, 0]))


def test_mse_surface_2d_matches_mse_objective():
    x, y = lin.make_pair_regression(20)
    X = lin.add_bias(x)
    loss, H = lin.mse_surface_2d(X, y)
    W1, W2 = np.meshgrid(np.linspace(-1, 2, 4), np.linspace(0, 1, 3))
    expected = np.vectorize(lambda a, b: lin.mse_objective(np.array([a, b]), X, y))(W1, W2)
    np.testing.assert_allclose(loss(W1, W2), expected)
    np.testing.assert_allclose(H, X.T @ X / 20)
    with pytest.raises(ValueError):
        lin.mse_surface_2d(np.ones((3, 3)), np.ones(3))


def test_logistic_loss_and_grad_match_torch():
    rng = np.random.default_rng(3)
    X, y, w = lin.add_bias(rng.standard_normal((40, 3))), (rng.random(40) > 0.5).astype(float), rng.standard_normal(4)
    w_t = torch.tensor(w, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(X) @ w_t, torch.tensor(y))
    ref.backward()
    assert np.isclose(lin.logistic_loss(w, X, y), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(lin.logistic_grad(w, X, y), w_t.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert np.isclose(lin.logistic_loss(w, X, y), lin.log_loss(y, lin.sigmoid(X @ w)), rtol=1e-10)
    # no overflow however confident the scores, and sigmoid is symmetric
    assert np.isfinite(lin.logistic_loss(1e4 * w, X, y))
    np.testing.assert_allclose(lin.sigmoid(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(lin.sigmoid(-np.arange(5.0)), 1 - lin.sigmoid(np.arange(5.0)))
    with pytest.raises(ValueError):
        lin.logistic_loss(w, X, 2 * y)
