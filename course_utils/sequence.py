"""Sequences and recurrent networks (notebook 06).

* the recurrent cell and the LSTM step written out in NumPy, to check torch against;
* small torch models: :class:`ManyToOne` (variable lengths through
  ``pack_padded_sequence``) and :class:`CharModel` (next-character prediction);
* a step-based training loop with Adam, a one-cycle schedule and gradient
  clipping (:func:`train_steps`), and a full-batch L-BFGS fit without clipping (:func:`fit_lbfgs`);
* the RNN-against-LSTM experiment on the memory task over several lags
  (:func:`train_on_memory`, :func:`memory_lag_sweep`);
* character text: :class:`CharVocab`, random (B, T) training windows, the
  validation loss in nats per character with the state carried across chunks,
  the add-one-smoothed bigram baseline, and temperature sampling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from tqdm.auto import tqdm

from .datasets import memory_task
from .runtime import device as default_device

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


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


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
    gates = {"i": _sigmoid(i), "f": _sigmoid(f), "g": np.tanh(g), "o": _sigmoid(o)}
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
    X = X.detach().clone().requires_grad_(True)
    out, _ = rnn(X)
    norms = []
    for t in range(out.shape[1]):
        (grad,) = torch.autograd.grad(out[0, t].sum(), X, retain_graph=t + 1 < out.shape[1])
        norms.append(grad[0, 0].norm().item())
    return np.array(norms)


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
# Training
# --------------------------------------------------------------------------- #


def train_steps(
    model: nn.Module,
    next_batch: Callable[[int], tuple],
    loss_fn: Callable,
    *,
    steps: int,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    weight_decay: float = 0.0,
    desc: str = "training",
    progress: bool = True,
) -> list[float]:
    """Train for a number of mini-batch steps: Adam, one-cycle LR schedule, gradient clipping.

    Args:
        model: already on its device.
        next_batch: step -> (inputs, target); ``model(*inputs)`` is compared to
            ``target`` by ``loss_fn``. ``inputs`` is a tuple of tensors on the model's device.
        steps: number of optimiser steps (>= 1).
        lr: peak learning rate of the one-cycle schedule.
        clip: rescale the gradient to at most this norm (None: no clipping).

    Returns:
        The training loss of every step (a list of floats).
    """
    if int(steps) != steps or steps < 1 or lr <= 0:
        raise ValueError(f"need a positive integer steps and lr > 0, got steps={steps!r}, lr={lr!r}")
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=int(steps), pct_start=0.2)
    model.train()
    losses = []
    bar = tqdm(range(int(steps)), desc=desc, unit="step", disable=not progress, leave=True)
    for step in bar:
        inputs, target = next_batch(step)
        loss = loss_fn(model(*inputs), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        schedule.step()
        losses.append(loss.item())
        if step % 25 == 0 or step + 1 == steps:
            bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
    bar.close()
    model.eval()
    return losses


def fit_lbfgs(
    model: nn.Module,
    inputs: tuple,
    target: torch.Tensor,
    loss_fn: Callable,
    *,
    rounds: int = 10,
    iters_per_round: int = 10,
    desc: str = "L-BFGS",
    progress: bool = True,
) -> list[float]:
    """Full-batch training with L-BFGS (for tiny models on small data sets).

    A quasi-Newton method: it builds a curvature estimate from recent
    gradients, so on a small smooth problem it reaches machine precision where
    Adam crawls. Runs ``rounds`` x ``iters_per_round`` iterations with a
    strong-Wolfe line search.

    Returns:
        The loss after every round (a list of floats).
    """
    if rounds < 1 or iters_per_round < 1:
        raise ValueError(f"rounds and iters_per_round must be positive, got {rounds}, {iters_per_round}")
    opt = torch.optim.LBFGS(
        model.parameters(),
        lr=1.0,
        max_iter=iters_per_round,
        history_size=20,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-12,
        tolerance_change=1e-16,
    )

    def closure():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(*inputs), target)
        loss.backward()
        return loss

    model.train()
    losses = []
    bar = tqdm(range(rounds), desc=desc, unit="round", disable=not progress, leave=True)
    for _ in bar:
        opt.step(closure)
        with torch.no_grad():
            losses.append(loss_fn(model(*inputs), target).item())
        bar.set_postfix(loss=f"{losses[-1]:.2e}", refresh=False)
    bar.close()
    model.eval()
    return losses


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
    for name, lag, init in tqdm(runs, desc="RNN vs LSTM", unit="model", disable=not progress):
        acc = train_on_memory(cells[name], lag, seed=seed, init=init, **train_kwargs)
        (longest if lag == lags[-1] else accuracy)[name].append(acc)
    for name in cells:
        accuracy[name].append(float(np.mean(longest[name])))
    return accuracy, longest


# --------------------------------------------------------------------------- #
# Characters
# --------------------------------------------------------------------------- #


class CharVocab:
    """The characters of a text, each with an integer id (sorted, so ids are reproducible)."""

    def __init__(self, text: str):
        if not text:
            raise ValueError("cannot build a vocabulary from an empty text")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """(len(text),) int64 ids; ValueError names the first unknown character."""
        try:
            return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        """The text for a sequence of ids (list, NumPy array or 1-D tensor)."""
        ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
        if any(not 0 <= i < len(self.chars) for i in ids):
            raise ValueError(f"ids must lie in [0, {len(self.chars)})")
        return "".join(self.chars[i] for i in ids)


def train_val_split(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Split a long id sequence into a leading training part and a trailing validation part.

    A contiguous split (not random windows) keeps the validation text unseen.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    n_train = int(round(len(ids) * (1 - val_fraction)))
    if n_train < 2 or len(ids) - n_train < 2:
        raise ValueError(f"{len(ids)} ids are too few to split with val_fraction={val_fraction}")
    return ids[:n_train], ids[n_train:]


def random_windows(
    ids: torch.Tensor, batch_size: int, seq_len: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of random windows for truncated back-propagation through time.

    Args:
        ids: (N,) int64 tensor of character ids (on any device).
        batch_size: B windows.  seq_len: T characters each.

    Returns:
        x (B, T) and y (B, T) on ids' device, where y is x shifted by one
        character: y[b, t] is the character after x[b, t].
    """
    if batch_size < 1 or seq_len < 1:
        raise ValueError(f"batch_size and seq_len must be positive, got {batch_size}, {seq_len}")
    if len(ids) < seq_len + 1:
        raise ValueError(f"need at least seq_len + 1 = {seq_len + 1} ids, got {len(ids)}")
    starts = torch.randint(0, len(ids) - seq_len, (batch_size,), generator=generator)
    window = ids[(starts[:, None] + torch.arange(seq_len + 1)).to(ids.device)]
    return window[:, :-1], window[:, 1:]


@torch.no_grad()
def char_nll(model: nn.Module, ids: torch.Tensor, n_streams: int = 16, chunk: int = 256) -> float:
    """Mean negative log-likelihood (nats per character) of ``model`` on a text.

    The text is cut into ``n_streams`` consecutive streams read in parallel,
    ``chunk`` characters at a time, carrying the state from chunk to chunk so
    every prediction sees all the text before it in its stream. The first
    character of each stream is not predicted.

    Args:
        model: a :class:`CharModel` (or anything with the same ``forward``).
        ids: (N,) int64 tensor on the model's device.
    """
    if n_streams < 1 or chunk < 1 or len(ids) < 2 * n_streams:
        raise ValueError(
            f"need n_streams, chunk >= 1 and at least 2 ids per stream; got {n_streams}, {chunk}, {len(ids)} ids"
        )
    was_training = model.training
    model.eval()
    length = (len(ids) - 1) // n_streams
    x = ids[: n_streams * length].view(n_streams, length)
    y = ids[1 : n_streams * length + 1].view(n_streams, length)
    total, state = 0.0, None
    for start in range(0, length, chunk):
        logits, state = model(x[:, start : start + chunk], state)
        total += nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y[:, start : start + chunk].reshape(-1), reduction="sum"
        ).item()
    model.train(was_training)
    return total / (n_streams * length)


def bigram_baseline(
    train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int, alpha: float = 1.0
) -> tuple[float, np.ndarray]:
    """The bigram model P(next | current) from counts with add-alpha (Laplace) smoothing.

    P(b | a) = (count(a, b) + alpha) / (count(a) + alpha * V), counted on the
    training ids; scored on the validation ids.

    Returns:
        (validation NLL in nats per character, P as a (V, V) array whose rows sum to 1).
    """
    train_ids, val_ids = np.asarray(train_ids), np.asarray(val_ids)
    if alpha <= 0 or len(train_ids) < 2 or len(val_ids) < 2:
        raise ValueError("need alpha > 0 and at least two training and two validation ids")
    if min(train_ids.min(), val_ids.min()) < 0 or max(train_ids.max(), val_ids.max()) >= vocab_size:
        raise ValueError(f"ids must lie in [0, {vocab_size})")
    counts = np.full((vocab_size, vocab_size), float(alpha))
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(-np.log(probs[val_ids[:-1], val_ids[1:]]).mean()), probs


def temperature_probs(logits, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) in float64, computed stably.

    Low temperatures sharpen the distribution towards the arg-max (T -> 0 is
    greedy decoding); T = 1 is the model's own distribution; high temperatures
    flatten it towards uniform.

    Args:
        logits: (V,) or (..., V) scores (NumPy array, list or tensor).
        temperature: > 0.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if isinstance(logits, torch.Tensor):
        logits = logits.detach().cpu().numpy()
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def sample_with_temperature(logits, temperature: float, rng: np.random.Generator) -> int:
    """Draw one index from softmax(logits / temperature) for 1-D ``logits``."""
    p = temperature_probs(logits, temperature)
    if p.ndim != 1:
        raise ValueError(f"logits must be 1-D, got shape {p.shape}")
    return int(rng.choice(len(p), p=p))


@torch.no_grad()
def next_char_logits(model: nn.Module, vocab: CharVocab, prompt: str):
    """Logits (V,) NumPy for the character after ``prompt``, and the model state after reading it."""
    if not prompt:
        raise ValueError("the prompt must contain at least one character")
    dev = next(model.parameters()).device
    x = torch.as_tensor(vocab.encode(prompt), device=dev)[None]
    logits, state = model(x)
    return logits[0, -1].double().cpu().numpy(), state


@torch.no_grad()
def generate(
    model: nn.Module, vocab: CharVocab, prompt: str, n_chars: int, temperature: float = 1.0, seed: int = 0
) -> str:
    """Continue ``prompt`` by ``n_chars`` characters sampled at ``temperature`` (the prompt is not repeated).

    Each sampled character is fed back in as the next input; the same seed
    gives the same text.
    """
    if n_chars < 0:
        raise ValueError(f"n_chars must be >= 0, got {n_chars}")
    was_training = model.training
    model.eval()
    rng = np.random.default_rng(seed)
    dev = next(model.parameters()).device
    logits, state = next_char_logits(model, vocab, prompt)
    out = []
    for _ in range(n_chars):
        idx = sample_with_temperature(logits, temperature, rng)
        out.append(idx)
        step_logits, state = model(torch.tensor([[idx]], device=dev), state)
        logits = step_logits[0, -1].double().cpu().numpy()
    model.train(was_training)
    return vocab.decode(out)
