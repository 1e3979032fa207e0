import numpy as np
import pytest
import torch

from course_utils import activations as A
from course_utils.datasets import logic_gate, make_toy_2d


def test_table_has_deck_entries_and_derivatives_match_autograd():
    assert set(A.ACTIVATIONS) == {
        "sigmoid",
        "tanh",
        "softsign",
        "step",
        "softplus",
        "relu",
        "leaky_relu",
        "prelu",
        "elu",
    }
    x = np.linspace(-4, 4, 200)  # an even count: 0, where ReLU and step have kinks, is not on the grid
    for name, (f, df) in A.ACTIVATIONS.items():
        t = torch.tensor(x)
        np.testing.assert_allclose(A.torch_activation(name)(t).numpy(), f(x), atol=1e-12, err_msg=name)
        np.testing.assert_allclose(A.autograd_derivative(name, x, device="cpu"), df(x), atol=1e-10, err_msg=name)
        # and against central differences
        num = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
        np.testing.assert_allclose(df(x), num, atol=1e-5, err_msg=name)


def test_sigmoid_is_stable_for_large_inputs():
    f, _ = A.ACTIVATIONS["sigmoid"]
    with np.errstate(all="raise"):
        assert f(np.array([-1000.0]))[0] == 0.0 and f(np.array([1000.0]))[0] == 1.0


def test_unknown_names_raise():
    with pytest.raises(ValueError):
        A.torch_activation("swish")
    with pytest.raises(ValueError):
        A.activation_module("step")
    with pytest.raises(ValueError):
        A.mlp([3])


def test_mlp_structure():
    net = A.mlp((2, 3, 4, 1), "relu")
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert isinstance(A.mlp((2, 1), "linear")[0], torch.nn.Linear)


def test_binary_accuracy():
    assert A.binary_accuracy(torch.tensor([1.0, -1.0, 2.0]), torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        A.binary_accuracy(torch.zeros(3), torch.zeros(3, 1))


def test_train_mlp_2d_learns_circles_and_linear_cannot():
    X, y = make_toy_2d("circles", 200, noise=0.05, seed=0)
    predict, acc, losses = A.train_mlp_2d(X, y, hidden=(8,), activation="tanh", steps=300, device="cpu")
    assert acc >= 0.95 and losses.shape == (300,) and losses[-1] < losses[0]
    p = predict(X[:5])
    assert p.shape == (5,) and np.all((0 <= p) & (p <= 1))
    _, acc_lin, _ = A.train_mlp_2d(X, y, hidden=(8,), activation="linear", steps=300, device="cpu")
    assert acc_lin < 0.75
    with pytest.raises(ValueError):
        A.train_mlp_2d(X[:, :1], y)


def test_train_mlp_restarts_solves_xor():
    X, y = logic_gate("xor")
    model, final = A.train_mlp_restarts(X, y, hidden=2, restarts=8, steps=600, device="cpu", progress=False)
    with torch.no_grad():
        logits = model(torch.tensor(X, dtype=torch.float32))[:, 0]
    assert A.binary_accuracy(logits, torch.tensor(y)) == 1.0
    assert final.shape == (8,) and final.min() < 0.05
    with pytest.raises(ValueError):
        A.train_mlp_restarts(X, y, restarts=0)


def test_staircase_error_falls_with_width():
    g = np.sin
    x = np.linspace(0, 3, 500)
    errors = []
    for n in (2, 4, 8, 16, 32):
        net = A.staircase_mlp(g, n, 0, 3)
        with torch.no_grad():
            out = net(torch.tensor(x, dtype=torch.float32)[:, None])[:, 0].numpy()
        errors.append(np.sqrt(np.mean((out - g(x)) ** 2)))
    assert np.all(np.diff(errors) < 0) and errors[-1] < 0.05
    with pytest.raises(ValueError):
        A.staircase_mlp(g, 0, 0, 1)


def test_tiny_model_threads_restores_setting():
    before = torch.get_num_threads()
    with A.tiny_model_threads(torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_mlp_dropout_flatten_and_custom_activation():
    net = A.mlp((4, 3, 2), "relu", dropout=0.5, flatten=True)
    assert [type(m).__name__ for m in net] == ["Flatten", "Linear", "ReLU", "Dropout", "Linear"]
    assert net(torch.zeros(5, 2, 2)).shape == (5, 2)
    leaky = A.mlp((4, 3, 3, 1), lambda: torch.nn.LeakyReLU(0.2))
    slopes = [m.negative_slope for m in leaky if isinstance(m, torch.nn.LeakyReLU)]
    assert slopes == [0.2, 0.2] and leaky[1] is not leaky[3]  # a new module after each hidden layer
    with pytest.raises(ValueError):
        A.mlp((4, 3, 2), dropout=1.0)
