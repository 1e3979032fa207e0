"""Recurrent cells and models (notebook 06).

* the recurrent cell and the LSTM step written out in NumPy, to check torch against
  (:func:`rnn_forward`, :func:`lstm_step`), and how gradients fade along the steps
  (:func:`state_jacobian_norms`, :func:`input_gradient_norms`);
* small torch models: :class:`ManyToOne` (variable lengths through
  ``pack_padded_sequence``) and :class:`CharModel` (next-character prediction);
* the RNN-against-LSTM experiment on the memory task over several lags
  (:func:`train_on_memory`, :func:`memory_lag_sweep`), trained with
  :func:`course_utils.training.train_steps`.

Text tools (vocabulary, training windows, sampling) are in :mod:`course_utils.text`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from .datasets import memory_task
from .layers import sigmoid
from .runtime import device as default_device
from .runtime import keeps_global_rng
from .training import progress_bar, train_steps

# --------------------------------------------------------------------------- #
# The recurrent cell and the LSTM step by hand (NumPy)
# --------------------------------------------------------------------------- #

_NONLINEARITIES = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}


def rnn_forward(
    X: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    h0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
) -> np.ndarray:
    """Run the recurrent cell h_t = f(W_x x_t + W_h h_{t-1} + b) over a sequence.

    The same weights are used at every step: the cell is one box applied T times.

    Args:
        X: (T, I) inputs, one row per time step.
        W_x: (H, I) input weights.  W_h: (H, H) recurrent weights.  b: (H,) bias.
        h0: (H,) initial state (zeros by default).
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Returns:
        (T, H) array: row t is the state h_t after reading x_1..x_t.
    """
    X = np.asarray(X, dtype=np.float64)
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {sorted(_NONLINEARITIES)}, got {nonlinearity!r}")
    if X.ndim != 2:
        raise ValueError(f"X must be (T, I), got shape {X.shape}")
    H = W_h.shape[0]
    if W_x.shape != (H, X.shape[1]) or W_h.shape != (H, H) or np.shape(b) != (H,):
        raise ValueError(
            f"need W_x (H, I), W_h (H, H), b (H,) with H={H}, I={X.shape[1]}; "
            f"got {W_x.shape}, {W_h.shape}, {np.shape(b)}"
        )
    f = _NONLINEARITIES[nonlinearity]
    h = np.zeros(H) if h0 is None else np.asarray(h0, dtype=np.float64)
    states = np.empty((len(X), H))
    for t, x in enumerate(X):
        h = f(W_x @ x + W_h @ h + b)
        states[t] = h
    return states


def state_jacobian_norms(states: np.ndarray, W_h: np.ndarray) -> np.ndarray:
    """Spectral norms of d h_t / d h_0 for a tanh RNN, t = 1..T.

    Back-propagation through time multiplies one Jacobian per step,
    d h_t / d h_{t-1} = diag(1 - h_t^2) W_h, so the product shrinks or grows
    geometrically with t: vanishing or exploding gradients.

    Args:
        states: (T, H) states h_1..h_T from :func:`rnn_forward` (tanh).
        W_h: (H, H) recurrent weights.

    Returns:
        (T,) array: entry t-1 is ||d h_t / d h_0||_2.
    """
    states = np.asarray(states, dtype=np.float64)
    if states.ndim != 2 or W_h.shape != (states.shape[1],) * 2:
        raise ValueError(f"need states (T, H) and W_h (H, H), got {states.shape} and {W_h.shape}")
    J = np.eye(W_h.shape[0])
    norms = np.empty(len(states))
    for t, h in enumerate(states):
        J = ((1.0 - h**2)[:, None] * W_h) @ J
        norms[t] = np.linalg.norm(J, 2)
    return norms


def lstm_step(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict]:
    """One LSTM step, with the gates stacked in PyTorch's order (input, forget, cell, output).

    i = s(.), f = s(.), g = tanh(.), o = s(.) of W_x x + W_h h + b (s: sigmoid), then
    c' = f * c + i * g and h' = o * tanh(c').

    Args:
        x: (I,) or (B, I) input.  h, c: (H,) or (B, H) previous state and cell.
        W_x: (4H, I).  W_h: (4H, H).  b: (4H,) (torch's bias_ih + bias_hh).

    Returns:
        (h', c', gates) where gates maps "i", "f", "g", "o" to arrays shaped like h.
    """
    x, h, c = (np.asarray(a, dtype=np.float64) for a in (x, h, c))
    H = h.shape[-1]
    if W_x.shape != (4 * H, x.shape[-1]) or W_h.shape != (4 * H, H) or np.shape(b) != (4 * H,):
        raise ValueError(
            f"need W_x (4H, I), W_h (4H, H), b (4H,) with H={H}; got {W_x.shape}, {W_h.shape}, {np.shape(b)}"
        )
    z = x @ W_x.T + h @ W_h.T + b
    i, f, g, o = (z[..., k * H : (k + 1) * H] for k in range(4))
    gates = {"i": sigmoid(i), "f": sigmoid(f), "g": np.tanh(g), "o": sigmoid(o)}
    c_new = gates["f"] * c + gates["i"] * gates["g"]
    return gates["o"] * np.tanh(c_new), c_new, gates


def input_gradient_norms(rnn: nn.Module, X: torch.Tensor) -> np.ndarray:
    """How strongly the state at each step t depends on the first input: ||d sum(h_t) / d x_1||.

    Args:
        rnn: a batch-first ``nn.RNN``/``nn.LSTM``/``nn.GRU``.
        X: (1, T, I) input sequence.

    Returns:
        (T,) array; entry t-1 belongs to the state after t steps.
    """
    if X.ndim != 3 or X.shape[0] != 1:
        raise ValueError(f"X must be (1, T, I), got {tuple(X.shape)}")
    T = X.shape[1]
    # one copy of the sequence per step t; copy t's loss is sum(h_t): a single backward pass gives every
    # d sum(h_t) / d x_1 at once (the copies share no computation), instead of T passes through the graph
    copies = X.detach().expand(T, -1, -1).clone().requires_grad_(True)
    out, _ = rnn(copies)
    picked = out[torch.arange(T), torch.arange(T)]  # (T, H): copy t's state after t + 1 steps
    (grad,) = torch.autograd.grad(picked.sum(), copies)
    return grad[:, 0].norm(dim=1).detach().cpu().numpy().astype(np.float64)


# --------------------------------------------------------------------------- #
# Models
# --------------------------------------------------------------------------- #

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _make_cell(
    cell: str,
    input_size: int,
    hidden_size: int,
    nonlinearity: str,
    bias: bool,
    forget_bias: float,
    input_bias: float | None = None,
) -> nn.Module:
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}")
    if input_size < 1 or hidden_size < 1:
        raise ValueError(f"sizes must be positive, got input_size={input_size}, hidden_size={hidden_size}")
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = _CELLS[cell](input_size, hidden_size, batch_first=True, bias=bias, **kwargs)
    if cell == "lstm" and bias:
        H = hidden_size
        with torch.no_grad():  # gates are stacked (i, f, g, o): open the forget gate at the start
            module.bias_ih_l0[H : 2 * H].fill_(forget_bias)
            module.bias_hh_l0[H : 2 * H].zero_()
            if input_bias is not None:
                module.bias_ih_l0[:H].fill_(input_bias)
                module.bias_hh_l0[:H].zero_()
    return module


class ManyToOne(nn.Module):
    """Read a whole (padded) sequence, answer once from the last state: a many-to-one model.

    ``forward(X, lengths=None)`` takes X (B, T, I) and optional lengths (B,);
    with lengths, ``pack_padded_sequence`` makes the cell stop at each
    sequence's own end, so padding never touches the state. Returns (B, output_size).

    Args:
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.
        nonlinearity: ``"tanh"`` or ``"relu"`` (vanilla RNN only).
        bias: use biases in the cell and the read-out.
        forget_bias: initial forget-gate bias of an LSTM (1-5 helps it remember).
        input_bias: initial input-gate bias of an LSTM (None: PyTorch's default;
            negative values make it write little into the cell until it learns when to).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        cell: str = "rnn",
        nonlinearity: str = "tanh",
        bias: bool = True,
        forget_bias: float = 1.0,
        input_bias: float | None = None,
    ):
        super().__init__()
        self.rnn = _make_cell(cell, input_size, hidden_size, nonlinearity, bias, forget_bias, input_bias)
        self.readout = nn.Linear(hidden_size, output_size, bias=bias)

    def forward(self, X: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if X.ndim != 3:
            raise ValueError(f"X must be (B, T, I), got {tuple(X.shape)}")
        if lengths is None:
            out, _ = self.rnn(X)
            return self.readout(out[:, -1])
        packed = pack_padded_sequence(X, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state  # LSTM returns (h_n, c_n)
        return self.readout(h_n[-1])


class CharModel(nn.Module):
    """Next-character model: embedding -> recurrent cell -> logits at every step (many to many).

    ``forward(x, state=None)`` takes x (B, T) int64 character ids and returns
    (logits (B, T, vocab_size), state); pass the state back in to continue a text.
    """

    def __init__(
        self, vocab_size: int, hidden_size: int = 128, embed_dim: int = 32, cell: str = "lstm", forget_bias: float = 1.0
    ):
        super().__init__()
        if vocab_size < 2 or embed_dim < 1:
            raise ValueError(f"need vocab_size >= 2 and embed_dim >= 1, got {vocab_size}, {embed_dim}")
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.rnn = _make_cell(cell, embed_dim, hidden_size, "tanh", True, forget_bias)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        out, state = self.rnn(self.embed(x), state)
        return self.head(out), state


# --------------------------------------------------------------------------- #
# The memory experiment: vanilla RNN against LSTM
# --------------------------------------------------------------------------- #


@keeps_global_rng
def train_on_memory(
    cell: dict,
    lag: int,
    *,
    hidden_size: int = 32,
    steps: int = 300,
    batch_size: int = 128,
    n_train: int = 4096,
    n_test: int = 1000,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    seed: int = 0,
    init: int = 0,
    device=None,
) -> float:
    """Train one :class:`ManyToOne` on ``memory_task(lag)`` and return its test accuracy.

    The task: ``lag + 1`` one-hot symbols (4 symbols), the target is the first one.
    Training is :func:`train_steps` (Adam, one-cycle schedule, clipping at ``clip``) on
    random mini-batches of the ``n_train`` training sequences.

    Args:
        cell: keyword arguments of :class:`ManyToOne` for the cell, e.g. ``dict(cell="rnn")``
            or ``dict(cell="lstm", forget_bias=5.0)``.
        lag: the number of distractors between the first symbol and the answer.
        seed: the data seeds (training ``seed + lag``, test ``seed + 1000 + lag``) and,
            with ``init``, the model's initialisation and the batch order.
        init: which initialisation (0, 1, ...) for the same data.

    Returns:
        The accuracy on ``n_test`` fresh test sequences (chance is 0.25).
    """
    if lag < 1 or init < 0:
        raise ValueError(f"need lag >= 1 and init >= 0, got lag={lag}, init={init}")
    dev = torch.device(device) if device is not None else default_device()
    torch.manual_seed(seed * 1000 + lag * 10 + init)
    data = memory_task(n_train, lag, seed=seed + lag)
    test = memory_task(n_test, lag, seed=seed + 1000 + lag)
    X, y = torch.tensor(data.X, device=dev), torch.tensor(data.y, device=dev)
    model = ManyToOne(X.shape[-1], hidden_size, X.shape[-1], **cell).to(dev)
    gen = torch.Generator().manual_seed(seed + lag + 7919 * init)

    def batch(step):
        idx = torch.randint(0, len(X), (batch_size,), generator=gen).to(dev)
        return (X[idx],), y[idx]

    train_steps(model, batch, nn.functional.cross_entropy, steps=steps, lr=lr, clip=clip, progress=False)
    with torch.no_grad():
        pred = model(torch.tensor(test.X, device=dev)).argmax(1).cpu().numpy()
    return float((pred == test.y).mean())


def memory_lag_sweep(
    cells: dict[str, dict],
    lags: Sequence[int],
    *,
    inits_at_longest: int = 1,
    seed: int = 0,
    progress: bool = True,
    **train_kwargs,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Test accuracy of every cell at every lag on the memory task (:func:`train_on_memory`).

    At the longest lag each cell is trained from ``inits_at_longest`` initialisations (one
    run can be lucky or unlucky); at the other lags once.

    Args:
        cells: name -> :class:`ManyToOne` cell arguments, e.g. ``{"vanilla RNN": dict(cell="rnn")}``.
        lags: increasing lags; the last one is the longest.
        train_kwargs: passed on to :func:`train_on_memory` (``hidden_size``, ``steps``, ``device``...).

    Returns:
        ``(accuracy, longest)``: ``accuracy[name]`` has one entry per lag, the last being the
        mean over the initialisations; ``longest[name]`` lists the accuracy of each
        initialisation at the longest lag.
    """
    lags = [int(lag) for lag in lags]
    if not lags or inits_at_longest < 1 or sorted(lags) != lags:
        raise ValueError(f"need increasing lags and inits_at_longest >= 1, got {lags}, {inits_at_longest}")
    runs = [
        (name, lag, init)
        for lag in lags
        for name in cells
        for init in range(inits_at_longest if lag == lags[-1] else 1)
    ]
    accuracy = {name: [] for name in cells}
    longest = {name: [] for name in cells}
    for name, lag, init in progress_bar(runs, desc="RNN vs LSTM", unit="model", progress=progress):
        acc = train_on_memory(cells[name], lag, seed=seed, init=init, **train_kwargs)
        (longest if lag == lags[-1] else accuracy)[name].append(acc)
    for name in cells:
        accuracy[name].append(float(np.mean(longest[name])))
    return accuracy, longest
