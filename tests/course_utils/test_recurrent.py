import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from course_utils import recurrent


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- cells by hand


def test_rnn_forward_matches_torch_rnn():
    torch.manual_seed(0)
    rnn = nn.RNN(3, 5, batch_first=True).double()
    X = torch.randn(1, 7, 3, dtype=torch.float64)
    expected, _ = rnn(X)
    W_x, W_h = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy()
    states = recurrent.rnn_forward(X[0].numpy(), W_x, W_h, b)
    np.testing.assert_allclose(states, expected[0].detach().numpy(), atol=1e-12)


def test_rnn_forward_relu_sums_with_unit_weights():
    states = recurrent.rnn_forward(
        np.array([[1.0], [3.0], [7.0]]), np.eye(1), np.eye(1), np.zeros(1), nonlinearity="relu"
    )
    assert states[:, 0].tolist() == [1.0, 4.0, 11.0]


def test_rnn_forward_bad_arguments():
    with pytest.raises(ValueError):
        recurrent.rnn_forward(np.zeros((3, 2)), np.zeros((4, 3)), np.zeros((4, 4)), np.zeros(4))
    with pytest.raises(ValueError):
        recurrent.rnn_forward(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros((4, 4)), np.zeros(4), nonlinearity="sigmoid")
    with pytest.raises(ValueError):
        recurrent.rnn_forward(np.zeros(3), np.zeros((4, 1)), np.zeros((4, 4)), np.zeros(4))


def test_state_jacobian_norms_match_autograd_and_powers():
    rng = np.random.default_rng(0)
    W_x, W_h, b = rng.normal(size=(4, 2)), 0.5 * rng.normal(size=(4, 4)), rng.normal(size=4)
    X, h0 = rng.normal(size=(6, 2)), rng.normal(size=4)
    norms = recurrent.state_jacobian_norms(recurrent.rnn_forward(X, W_x, W_h, b, h0), W_h)

    def last_state(h):
        for x in torch.as_tensor(X):
            h = torch.tanh(torch.as_tensor(W_x) @ x + torch.as_tensor(W_h) @ h + torch.as_tensor(b))
        return h

    J = torch.autograd.functional.jacobian(last_state, torch.as_tensor(h0))
    assert norms[-1] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-10)
    # zero input and zero state: the Jacobian is exactly W_h^t
    Q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    zero_states = recurrent.rnn_forward(np.zeros((5, 2)), W_x, 1.5 * Q, np.zeros(4))
    np.testing.assert_allclose(recurrent.state_jacobian_norms(zero_states, 1.5 * Q), 1.5 ** np.arange(1, 6))
    with pytest.raises(ValueError):
        recurrent.state_jacobian_norms(np.zeros((3, 4)), np.zeros((3, 3)))


def test_lstm_step_matches_torch_lstm_cell():
    torch.manual_seed(1)
    cell = nn.LSTMCell(3, 4).double()
    x, h, c = (
        torch.randn(2, 3, dtype=torch.float64),
        torch.randn(2, 4, dtype=torch.float64),
        torch.randn(2, 4, dtype=torch.float64),
    )
    h_t, c_t = cell(x, (h, c))
    b = (cell.bias_ih + cell.bias_hh).detach().numpy()
    h_np, c_np, gates = recurrent.lstm_step(
        x.numpy(), h.numpy(), c.numpy(), cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy(), b
    )
    np.testing.assert_allclose(h_np, h_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c_np, c_t.detach().numpy(), atol=1e-12)
    assert set(gates) == {"i", "f", "g", "o"} and all(g.shape == (2, 4) for g in gates.values())
    with pytest.raises(ValueError):
        recurrent.lstm_step(np.zeros(3), np.zeros(4), np.zeros(4), np.zeros((12, 3)), np.zeros((16, 4)), np.zeros(16))


def test_input_gradient_norms_shapes_and_decay():
    torch.manual_seed(0)
    rnn = nn.RNN(2, 8, batch_first=True)
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(0.1)
    norms = recurrent.input_gradient_norms(rnn, torch.randn(1, 10, 2))
    assert norms.shape == (10,) and norms[0] > 0
    assert norms[-1] < 1e-3 * norms[0]
    with pytest.raises(ValueError):
        recurrent.input_gradient_norms(rnn, torch.randn(2, 10, 2))


def test_input_gradient_norms_equal_one_backward_pass_per_step():
    torch.manual_seed(1)
    lstm, X = nn.LSTM(3, 5, batch_first=True), torch.randn(1, 7, 3)
    Xg = X.clone().requires_grad_(True)
    out, _ = lstm(Xg)
    one_by_one = [torch.autograd.grad(out[0, t].sum(), Xg, retain_graph=True)[0][0, 0].norm().item() for t in range(7)]
    np.testing.assert_allclose(recurrent.input_gradient_norms(lstm, X), one_by_one, rtol=1e-5)


# ---------------------------------------------------------------- pictures
# The task shapes and the unrolled RNN are drawn by course_utils.diagrams.recurrent
# (tests/course_utils/test_diagrams_recurrent.py).


# ---------------------------------------------------------------- models


def test_many_to_one_packing_ignores_padding():
    torch.manual_seed(0)
    for cell in ("rnn", "lstm", "gru"):
        model = recurrent.ManyToOne(1, 4, 1, cell=cell)
        short = torch.tensor([[[1.0], [2.0]]])
        padded = torch.tensor([[[1.0], [2.0], [0.0], [0.0]]])
        out_short = model(short, torch.tensor([2]))
        out_padded = model(padded, torch.tensor([2]))
        assert torch.allclose(out_short, out_padded)
        assert not torch.allclose(model(padded), out_padded)  # without lengths the padding is read
        assert model(torch.zeros(5, 3, 1)).shape == (5, 1)
    with pytest.raises(ValueError):
        recurrent.ManyToOne(1, 4, 1, cell="transformer")
    with pytest.raises(ValueError):
        recurrent.ManyToOne(1, 4, 1)(torch.zeros(3, 1))


def test_many_to_one_lstm_forget_bias():
    model = recurrent.ManyToOne(2, 3, 2, cell="lstm", forget_bias=2.5, input_bias=-2.0)
    b = (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).detach()
    assert torch.allclose(b[3:6], torch.full((3,), 2.5)) and torch.allclose(b[:3], torch.full((3,), -2.0))


# ---------------------------------------------------------------- the memory experiment


def test_train_on_memory_is_reproducible_and_learns_a_short_lag():
    kwargs = dict(hidden_size=8, steps=60, n_train=256, n_test=200, batch_size=32, device="cpu")
    acc = recurrent.train_on_memory(dict(cell="lstm"), 2, seed=3, **kwargs)
    assert acc > 0.5 and acc == recurrent.train_on_memory(dict(cell="lstm"), 2, seed=3, **kwargs)
    with pytest.raises(ValueError):
        recurrent.train_on_memory(dict(cell="rnn"), 0)


def test_memory_lag_sweep_trains_every_cell_at_every_lag(monkeypatch):
    calls = []

    def fake(cell, lag, *, seed, init, **kwargs):
        calls.append((cell["cell"], lag, init, seed, kwargs))
        return 0.25 + 0.1 * init + (0.5 if cell["cell"] == "lstm" else 0.0)

    monkeypatch.setattr(recurrent, "train_on_memory", fake)
    cells = {"vanilla RNN": dict(cell="rnn"), "LSTM": dict(cell="lstm", forget_bias=5.0)}
    accuracy, longest = recurrent.memory_lag_sweep(
        cells, [5, 20, 50], inits_at_longest=3, seed=7, progress=False, steps=10
    )
    assert len(calls) == 2 + 2 + 2 * 3 and all(c[3] == 7 and c[4] == {"steps": 10} for c in calls)
    assert [c[2] for c in calls if c[1] == 50 and c[0] == "rnn"] == [0, 1, 2]
    assert longest["LSTM"] == pytest.approx([0.75, 0.85, 0.95])
    assert accuracy["vanilla RNN"] == pytest.approx([0.25, 0.25, 0.35]) and len(accuracy["LSTM"]) == 3
    with pytest.raises(ValueError):
        recurrent.memory_lag_sweep(cells, [20, 5])
    with pytest.raises(ValueError):
        recurrent.memory_lag_sweep(cells, [5], inits_at_longest=0)


def test_memory_lag_sweep_real_runs_agree_with_train_on_memory():
    kwargs = dict(hidden_size=4, steps=10, n_train=64, n_test=50, batch_size=16, device="cpu")
    accuracy, longest = recurrent.memory_lag_sweep(
        {"rnn": dict(cell="rnn")}, [2, 3], inits_at_longest=2, seed=1, progress=False, **kwargs
    )
    assert accuracy["rnn"][0] == recurrent.train_on_memory(dict(cell="rnn"), 2, seed=1, **kwargs)
    assert longest["rnn"] == [recurrent.train_on_memory(dict(cell="rnn"), 3, seed=1, init=k, **kwargs) for k in (0, 1)]
