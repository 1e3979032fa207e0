import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from course_utils import sequence as sq
from course_utils.datasets import memory_task, pad_sequences, sum_sequences
from course_utils.widgets import render_temperature_sampling


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
    states = sq.rnn_forward(X[0].numpy(), W_x, W_h, b)
    np.testing.assert_allclose(states, expected[0].detach().numpy(), atol=1e-12)


def test_rnn_forward_relu_sums_with_unit_weights():
    states = sq.rnn_forward(np.array([[1.0], [3.0], [7.0]]), np.eye(1), np.eye(1), np.zeros(1), nonlinearity="relu")
    assert states[:, 0].tolist() == [1.0, 4.0, 11.0]


def test_rnn_forward_bad_arguments():
    with pytest.raises(ValueError):
        sq.rnn_forward(np.zeros((3, 2)), np.zeros((4, 3)), np.zeros((4, 4)), np.zeros(4))
    with pytest.raises(ValueError):
        sq.rnn_forward(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros((4, 4)), np.zeros(4), nonlinearity="sigmoid")
    with pytest.raises(ValueError):
        sq.rnn_forward(np.zeros(3), np.zeros((4, 1)), np.zeros((4, 4)), np.zeros(4))


def test_state_jacobian_norms_match_autograd_and_powers():
    rng = np.random.default_rng(0)
    W_x, W_h, b = rng.normal(size=(4, 2)), 0.5 * rng.normal(size=(4, 4)), rng.normal(size=4)
    X, h0 = rng.normal(size=(6, 2)), rng.normal(size=4)
    norms = sq.state_jacobian_norms(sq.rnn_forward(X, W_x, W_h, b, h0), W_h)

    def last_state(h):
        for x in torch.as_tensor(X):
            h = torch.tanh(torch.as_tensor(W_x) @ x + torch.as_tensor(W_h) @ h + torch.as_tensor(b))
        return h

    J = torch.autograd.functional.jacobian(last_state, torch.as_tensor(h0))
    assert norms[-1] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-10)
    # zero input and zero state: the Jacobian is exactly W_h^t
    Q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    zero_states = sq.rnn_forward(np.zeros((5, 2)), W_x, 1.5 * Q, np.zeros(4))
    np.testing.assert_allclose(sq.state_jacobian_norms(zero_states, 1.5 * Q), 1.5 ** np.arange(1, 6))
    with pytest.raises(ValueError):
        sq.state_jacobian_norms(np.zeros((3, 4)), np.zeros((3, 3)))


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
    h_np, c_np, gates = sq.lstm_step(
        x.numpy(), h.numpy(), c.numpy(), cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy(), b
    )
    np.testing.assert_allclose(h_np, h_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c_np, c_t.detach().numpy(), atol=1e-12)
    assert set(gates) == {"i", "f", "g", "o"} and all(g.shape == (2, 4) for g in gates.values())
    with pytest.raises(ValueError):
        sq.lstm_step(np.zeros(3), np.zeros(4), np.zeros(4), np.zeros((12, 3)), np.zeros((16, 4)), np.zeros(16))


def test_input_gradient_norms_shapes_and_decay():
    torch.manual_seed(0)
    rnn = nn.RNN(2, 8, batch_first=True)
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(0.1)
    norms = sq.input_gradient_norms(rnn, torch.randn(1, 10, 2))
    assert norms.shape == (10,) and norms[0] > 0
    assert norms[-1] < 1e-3 * norms[0]
    with pytest.raises(ValueError):
        sq.input_gradient_norms(rnn, torch.randn(2, 10, 2))


# ---------------------------------------------------------------- pictures
# The task shapes and the unrolled RNN are drawn by course_utils.diagrams.recurrent
# (tests/course_utils/test_diagrams_recurrent.py).


# ---------------------------------------------------------------- models and training


def test_many_to_one_packing_ignores_padding():
    torch.manual_seed(0)
    for cell in ("rnn", "lstm", "gru"):
        model = sq.ManyToOne(1, 4, 1, cell=cell)
        short = torch.tensor([[[1.0], [2.0]]])
        padded = torch.tensor([[[1.0], [2.0], [0.0], [0.0]]])
        out_short = model(short, torch.tensor([2]))
        out_padded = model(padded, torch.tensor([2]))
        assert torch.allclose(out_short, out_padded)
        assert not torch.allclose(model(padded), out_padded)  # without lengths the padding is read
        assert model(torch.zeros(5, 3, 1)).shape == (5, 1)
    with pytest.raises(ValueError):
        sq.ManyToOne(1, 4, 1, cell="transformer")
    with pytest.raises(ValueError):
        sq.ManyToOne(1, 4, 1)(torch.zeros(3, 1))


def test_many_to_one_lstm_forget_bias():
    model = sq.ManyToOne(2, 3, 2, cell="lstm", forget_bias=2.5, input_bias=-2.0)
    b = (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).detach()
    assert torch.allclose(b[3:6], torch.full((3,), 2.5)) and torch.allclose(b[:3], torch.full((3,), -2.0))


def test_fit_lbfgs_learns_to_sum_exactly():
    torch.manual_seed(0)
    data = sum_sequences(300, 1, 5, seed=0)
    X, L, y = torch.tensor(data.X) / 10, torch.tensor(data.lengths), torch.tensor(data.y) / 10
    model = sq.ManyToOne(1, 2, 1, nonlinearity="relu", bias=False)
    with torch.no_grad():
        model.rnn.weight_ih_l0.abs_()
        model.readout.weight.abs_()
    losses = sq.fit_lbfgs(model, (X, L), y, lambda out, t: ((out[:, 0] - t) ** 2).mean(), rounds=5, progress=False)
    assert len(losses) == 5 and losses[-1] < 1e-8
    deck = pad_sequences([(1, 3, 7), (12, 5)])
    pred = model(torch.tensor(deck.X) / 10, torch.tensor(deck.lengths))[:, 0] * 10
    assert torch.allclose(pred, torch.tensor([11.0, 17.0]), atol=1e-2)
    with pytest.raises(ValueError):
        sq.fit_lbfgs(model, (X, L), y, lambda out, t: out.sum(), rounds=0)


def test_train_steps_solves_a_short_memory_task():
    torch.manual_seed(0)
    data = memory_task(512, lag=3, seed=0)
    X, y = torch.tensor(data.X), torch.tensor(data.y)
    model = sq.ManyToOne(4, 16, 4, cell="lstm")
    losses = sq.train_steps(
        model,
        lambda step: ((X[(step * 64) % 512 :][:64],), y[(step * 64) % 512 :][:64]),
        nn.functional.cross_entropy,
        steps=150,
        lr=1e-2,
        progress=False,
    )
    assert len(losses) == 150 and losses[-1] < 0.1 and not model.training
    assert (model(X).argmax(1) == y).float().mean() > 0.95
    with pytest.raises(ValueError):
        sq.train_steps(model, lambda s: None, nn.functional.cross_entropy, steps=0)


def test_train_on_memory_is_reproducible_and_learns_a_short_lag():
    kwargs = dict(hidden_size=8, steps=60, n_train=256, n_test=200, batch_size=32, device="cpu")
    acc = sq.train_on_memory(dict(cell="lstm"), 2, seed=3, **kwargs)
    assert acc > 0.5 and acc == sq.train_on_memory(dict(cell="lstm"), 2, seed=3, **kwargs)
    with pytest.raises(ValueError):
        sq.train_on_memory(dict(cell="rnn"), 0)


def test_memory_lag_sweep_trains_every_cell_at_every_lag(monkeypatch):
    calls = []

    def fake(cell, lag, *, seed, init, **kwargs):
        calls.append((cell["cell"], lag, init, seed, kwargs))
        return 0.25 + 0.1 * init + (0.5 if cell["cell"] == "lstm" else 0.0)

    monkeypatch.setattr(sq, "train_on_memory", fake)
    cells = {"vanilla RNN": dict(cell="rnn"), "LSTM": dict(cell="lstm", forget_bias=5.0)}
    accuracy, longest = sq.memory_lag_sweep(cells, [5, 20, 50], inits_at_longest=3, seed=7, progress=False, steps=10)
    assert len(calls) == 2 + 2 + 2 * 3 and all(c[3] == 7 and c[4] == {"steps": 10} for c in calls)
    assert [c[2] for c in calls if c[1] == 50 and c[0] == "rnn"] == [0, 1, 2]
    assert longest["LSTM"] == pytest.approx([0.75, 0.85, 0.95])
    assert accuracy["vanilla RNN"] == pytest.approx([0.25, 0.25, 0.35]) and len(accuracy["LSTM"]) == 3
    with pytest.raises(ValueError):
        sq.memory_lag_sweep(cells, [20, 5])
    with pytest.raises(ValueError):
        sq.memory_lag_sweep(cells, [5], inits_at_longest=0)


def test_memory_lag_sweep_real_runs_agree_with_train_on_memory():
    kwargs = dict(hidden_size=4, steps=10, n_train=64, n_test=50, batch_size=16, device="cpu")
    accuracy, longest = sq.memory_lag_sweep(
        {"rnn": dict(cell="rnn")}, [2, 3], inits_at_longest=2, seed=1, progress=False, **kwargs
    )
    assert accuracy["rnn"][0] == sq.train_on_memory(dict(cell="rnn"), 2, seed=1, **kwargs)
    assert longest["rnn"] == [sq.train_on_memory(dict(cell="rnn"), 3, seed=1, init=k, **kwargs) for k in (0, 1)]


# ---------------------------------------------------------------- characters


def test_char_vocab_roundtrip_and_errors():
    vocab = sq.CharVocab("hello world")
    assert len(vocab) == 8 and vocab.chars[0] == " "
    ids = vocab.encode("low")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "low" and vocab.decode(torch.tensor(ids)) == "low"
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("zoo")
    with pytest.raises(ValueError):
        vocab.decode([99])
    with pytest.raises(ValueError):
        sq.CharVocab("")


def test_train_val_split_is_contiguous():
    tr, va = sq.train_val_split(np.arange(100), 0.1)
    assert tr.tolist() == list(range(90)) and va.tolist() == list(range(90, 100))
    with pytest.raises(ValueError):
        sq.train_val_split(np.arange(100), 1.5)
    with pytest.raises(ValueError):
        sq.train_val_split(np.arange(3), 0.5)


def test_random_windows_targets_are_shifted_inputs():
    ids = torch.arange(50)
    x, y = sq.random_windows(ids, 4, 10, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 10)
    assert torch.equal(y, x + 1) and int(y.max()) < 50
    with pytest.raises(ValueError):
        sq.random_windows(ids, 4, 50)


def test_bigram_baseline_counts_with_add_one():
    train = np.array([0, 1, 0, 1, 0])  # bigrams 0->1 twice, 1->0 twice
    nll, P = sq.bigram_baseline(train, np.array([0, 1]), vocab_size=3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert P[0, 1] == pytest.approx(3 / 5) and P[2, 0] == pytest.approx(1 / 3)
    assert nll == pytest.approx(-np.log(3 / 5))
    with pytest.raises(ValueError):
        sq.bigram_baseline(train, np.array([0, 5]), vocab_size=3)
    with pytest.raises(ValueError):
        sq.bigram_baseline(train, np.array([0, 1]), vocab_size=3, alpha=0)


def test_char_nll_of_a_uniform_model_is_log_v():
    class Uniform(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1))

        def forward(self, x, state=None):
            return torch.zeros(*x.shape, 7) + self.w, state

    assert sq.char_nll(Uniform(), torch.randint(0, 7, (1000,)), n_streams=4, chunk=33) == pytest.approx(np.log(7))
    with pytest.raises(ValueError):
        sq.char_nll(Uniform(), torch.zeros(3, dtype=torch.long), n_streams=4)


def test_temperature_probs_limits():
    logits = np.array([2.0, 1.0, 0.0])
    np.testing.assert_allclose(sq.temperature_probs(logits, 1.0), np.exp(logits) / np.exp(logits).sum())
    assert sq.temperature_probs(logits, 0.01)[0] == pytest.approx(1.0)
    np.testing.assert_allclose(sq.temperature_probs(logits, 1e6), 1 / 3, atol=1e-5)
    assert sq.temperature_probs(torch.tensor([[1000.0, 0.0]]), 1.0).shape == (1, 2)  # stable, tensors accepted
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError):
            sq.temperature_probs(logits, bad)


def test_sample_with_temperature_frequencies():
    rng = np.random.default_rng(0)
    logits = np.log([0.7, 0.2, 0.1])
    draws = np.array([sq.sample_with_temperature(logits, 1.0, rng) for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 4000, [0.7, 0.2, 0.1], atol=0.03)
    assert {sq.sample_with_temperature(logits, 0.05, rng) for _ in range(50)} == {0}
    with pytest.raises(ValueError):
        sq.sample_with_temperature(np.zeros((2, 3)), 1.0, rng)


def test_char_model_generate_is_reproducible():
    torch.manual_seed(0)
    vocab = sq.CharVocab("abcdef\n")
    model = sq.CharModel(len(vocab), hidden_size=8, embed_dim=4)
    logits, state = model(torch.zeros(2, 5, dtype=torch.long))
    assert logits.shape == (2, 5, 7) and state[0].shape == (1, 2, 8)
    a = sq.generate(model, vocab, "abc", 30, temperature=0.8, seed=3)
    assert len(a) == 30 and set(a) <= set(vocab.chars)
    assert a == sq.generate(model, vocab, "abc", 30, temperature=0.8, seed=3)
    greedy = sq.generate(model, vocab, "abc", 10, temperature=1e-4, seed=1)
    assert greedy == sq.generate(model, vocab, "abc", 10, temperature=1e-4, seed=2)
    first_logits, _ = sq.next_char_logits(model, vocab, "abc")
    assert greedy[0] == vocab.chars[int(np.argmax(first_logits))]
    with pytest.raises(ValueError):
        sq.next_char_logits(model, vocab, "")
    with pytest.raises(ValueError):
        sq.CharModel(1)


# ---------------------------------------------------------------- widget view


def test_render_temperature_sampling():
    chars = list("ab \n$\x0c")
    logits = np.array([3.0, 2.0, 1.0, 0.5, 0.2, 0.1])
    fig = render_temperature_sampling(logits, chars, 0.5, sample="x = 1\n\tif $y:\x0c", prompt="def f():\n")
    np.testing.assert_allclose(fig.probs, sq.temperature_probs(logits, 0.5))
    hot = render_temperature_sampling(logits, chars, 2.0)
    assert hot.entropy > fig.entropy
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[:2] == ["a", "b"] and "space" in labels and "\\n" in labels
    text = fig.axes[1].texts[0].get_text()
    assert text.startswith("def f():") and "\x0c" not in text
    fig.canvas.draw()  # renders without mathtext or glyph errors
    with pytest.raises(ValueError):
        render_temperature_sampling(logits[:3], chars, 1.0)
    with pytest.raises(ValueError):
        render_temperature_sampling(logits, chars, 0.0)
    with pytest.raises(ValueError):
        render_temperature_sampling(logits, chars, 1.0, top_k=0)
