"""Exercises and self-check questions of notebook 06 (recurrent networks).

* 06.1 ``rnn_step``: one step of the vanilla recurrent cell;
* 06.2 ``rnn_unroll``: the vanilla RNN over a whole batch of sequences, every hidden state returned;
* 06.3 ``rnn_bptt``: back-propagation through time by hand, checked against torch autograd (float64);
* 06.4 ``clip_by_norm``: gradient clipping by the global norm;
* 06.5 ``lstm_update``: the LSTM's gates, cell update and new state from the pre-activations;
* 06.6 ``sample_with_temperature``: draw the next character from softmax(logits / T).

06.1 to 06.5 are declared once (:class:`~course_utils.exercises.Exercise`), each typical mistake as the code
a student would write, with its hint. 06.6 judges a random sampler by the frequencies of its draws: its check
is code, its typical mistakes are in ``STEPWISE``. The self-check questions are in ``nb06.toml``.

The notebook runs the student's ``rnn_unroll`` once :func:`accepted` says its check would confirm it, and
``check_rnn_unroll.solution`` (the reference) until then.
"""

from __future__ import annotations

import random
import textwrap
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..layers import softmax
from . import (
    Case,
    Exercise,
    Mistake,
    NotAttempted,
    Typical,
    accepted,  # noqa: F401 (re-exported: the notebook calls ex.accepted)
    attempt,
    compare,
    exercise,
    parts,
    quizzes,
    quizzes_of,
    source,
)

NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "F": F}  # what the notebook has imported when the student's cell runs

# ----------------------------------------------------------------------------- 06.1 the recurrent cell

_RNN_SHAPES = (
    "the shapes do not fit. W_x is (H, I) = (4, 3) and x is (I,) = (3,): W_x @ x gives the H numbers, "
    "one per hidden unit (x @ W_x does not fit when I != H). Likewise W_h @ h_prev."
)


def _rnn_args(rng: np.random.Generator):
    """x (I,), h_prev (H,), W_x (H, I), W_h (H, H), b (H,) with I = 3 != H = 4."""
    x, h_prev = rng.normal(size=3), rng.normal(size=4)
    return x, h_prev, rng.normal(0, 0.7, (4, 3)), rng.normal(0, 0.7, (4, 4)), rng.normal(0, 0.3, 4)


check_rnn_step = Exercise(
    "06.1",
    "def rnn_step(x, h_prev, W_x, W_h, b):",
    todo="Write rnn_step: h_t = tanh(W_x @ x_t + W_h @ h_prev + b) for one time step.",
    cases=lambda: [Case(f"(case {k})", _rnn_args(np.random.default_rng(seed))) for k, seed in [(1, 6), (2, 61)]],
    reference="return np.tanh(W_x @ x + W_h @ h_prev + b)",
    typical=[
        Typical(
            "return np.tanh(W_x @ x + b)",
            "You left out the previous state: add W_h @ h_prev. It is the only way "
            "information from earlier steps reaches h_t.",
        ),
        Typical(
            "return 1 / (1 + np.exp(-(W_x @ x + W_h @ h_prev + b)))",
            "You used a sigmoid: the vanilla cell squashes with tanh, which is centred on 0 "
            "and lets the state go negative.",
        ),
        Typical(
            "return np.maximum(W_x @ x + W_h @ h_prev + b, 0)",
            "You used a ReLU: this cell uses tanh (a ReLU cell is what the summing RNN of section 3 uses).",
        ),
        Typical(
            "return np.tanh(W_x @ x + h_prev @ W_h + b)",
            "W_h is transposed: h_prev @ W_h computes W_h.T @ h_prev. Row j of W_h holds the weights "
            "into unit j, so write W_h @ h_prev.",
        ),
        Typical("return np.tanh(W_x @ x + W_h @ h_prev)", "You forgot the bias b."),
        Typical("return W_x @ x + W_h @ h_prev + b", "You forgot the tanh: h_t = tanh(W_x x_t + W_h h_(t-1) + b)."),
        Typical("return np.tanh(x @ W_x + h_prev @ W_h + b)", "NumPy raised an error: " + _RNN_SHAPES),
    ],
    confirmation="one step of the cell is right. Applied T times with the same W_x, W_h, b, it is the whole RNN; "
    "recurrent.rnn_forward below is exactly this loop.",
    namespace=NOTEBOOK,
    result="h",
    shape_hints={(): "return the new state, an array of H numbers."},
    on_error={ValueError: _RNN_SHAPES},
)

# ----------------------------------------------------------------------------- 06.2 the whole sequence

# shapes of the cases: T = 5 steps, N = 3 sequences, I = 2 inputs, H = 4 hidden units (all different, so that a
# transpose or a wrong axis shows)
_T, _N, _I, _H = 5, 3, 2, 4


def _unroll(start="h0", step="x @ W_x.T + h @ W_h.T + b", loop="for x in X:", keep="", ret="np.stack(hs)") -> str:
    """A body of ``rnn_unroll``, the reference unless a part is replaced by a typical mistake."""
    update = f"h = np.tanh({step})\nhs.append(h)" if not keep else f"hs.append(h)\nh = np.tanh({step})"
    return f"h, hs = {start}, {keep or '[]'}\n{loop}\n" + textwrap.indent(update, "    ") + f"\nreturn {ret}"


def _unroll_args(rng: np.random.Generator):
    """X (T, N, I), h0 (N, H), W_x (H, I), W_h (H, H), b (H,): small weights, states away from saturation."""
    return (
        rng.normal(size=(_T, _N, _I)),
        rng.normal(0, 0.5, (_N, _H)),
        rng.normal(0, 0.6, (_H, _I)),
        rng.normal(0, 0.4, (_H, _H)),
        rng.normal(0, 0.3, _H),
    )


_TIME_FIRST = (
    "you stacked the states along axis 1, giving (N, T, H): stack along axis 0, time first, so that hs[t] is "
    "the (N, H) state of all the sequences after step t."
)

check_rnn_unroll = Exercise(
    "06.2",
    "def rnn_unroll(X, h0, W_x, W_h, b):",
    todo="Write rnn_unroll: start from h0, apply h_t = tanh(x_t @ W_x.T + h_(t-1) @ W_h.T + b) for t = 1..T "
    "and return all T states stacked, shape (T, N, H).",
    cases=lambda: [
        Case("(from a random h0)", _unroll_args(np.random.default_rng(62))),
        Case("(second case)", _unroll_args(np.random.default_rng(620))),
    ],
    reference=_unroll(),
    typical=[
        Typical(
            _unroll(start="np.zeros_like(h0)"),
            "you started from zeros and ignored h0: the state before the first step is the argument h0 "
            "(a caller continues a sequence by passing the last state back in).",
        ),
        Typical(
            _unroll(ret="h"),
            "you returned only the last state h_T, shape (N, H): return every state, stacked, shape (T, N, H) "
            "(the many-to-many tasks read a prediction out of each one).",
        ),
        Typical(
            _unroll(keep="[h0]"),
            "your result starts with h0 and has T + 1 states: h0 is the state BEFORE the sequence; "
            "return h_1, ..., h_T, one per input.",
        ),
        Typical(
            _unroll(keep="[]"),
            "your states are one step late: you stored h before updating it, so hs[0] is h0 and h_T is "
            "missing. Update h first, then store it: hs[t] is the state after reading x_t.",
        ),
        Typical(
            _unroll(step="x @ W_x.T + h0 @ W_h.T + b"),
            "every step reads h0 instead of the previous state: the recurrence is h_t = tanh(... + h_(t-1) @ W_h.T "
            "+ b), with h the state the previous step computed.",
        ),
        Typical(
            _unroll(step="x @ W_x.T + h @ W_h + b"),
            "W_h is transposed: for a batch of row vectors the recurrent term is h_(t-1) @ W_h.T "
            "(row j of W_h holds the weights into unit j, as in rnn_step's W_h @ h_prev).",
        ),
        Typical(
            _unroll(step="x @ W_x + h @ W_h.T + b"),
            "x_t @ W_x does not fit: W_x is (H, I) and a batch of inputs x_t is (N, I), so the input term is "
            "x_t @ W_x.T, of shape (N, H).",
        ),
        Typical(
            _unroll(loop="for x in X.transpose(1, 0, 2):"),
            "you looped over axis 1 as if X were (N, T, I): here X is (T, N, I), time first, so `for x in X` "
            "(or X[t]) gives the (N, I) inputs of step t.",
        ),
        Typical(
            _unroll().replace("np.tanh(", "(", 1),
            "you forgot the tanh: h_t = tanh(x_t @ W_x.T + h_(t-1) @ W_h.T + b), which keeps the state in (-1, 1).",
        ),
        Typical(_unroll(step="x @ W_x.T + h @ W_h.T"), "you left out the bias b: add it at every step."),
        Typical(_unroll(ret="np.stack(hs, axis=1)"), _TIME_FIRST),
    ],
    confirmation="the same cell applied T times, with the same W_x, W_h, b at every step, gives one state per "
    "step: this is nn.RNN's first output. The rest of the notebook uses your rnn_unroll from here on.",
    namespace=NOTEBOOK,
    result="hs",
    shape_hints={
        (_N, _H): "return every state, not only the last: shape (T, N, H).",
        (_N, _T, _H): _TIME_FIRST,
        (_T + 1, _N, _H): "return the T states h_1..h_T, not h0 as well.",
    },
    on_error={ValueError: "check each product's shapes: X[t] is (N, I), W_x (H, I), h (N, H), W_h (H, H)."},
)

# ----------------------------------------------------------------------------- 06.3 back-propagation through time

_BPTT_LOOP = """T, (N, H) = len(X), h0.shape
dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(H)
dX, dh_next = np.zeros_like(X), np.zeros_like(h0)
for t in reversed(range(T)):
    h_prev = hs[t - 1] if t > 0 else h0
    da = (dhs[t] + dh_next) * (1 - hs[t] ** 2)
    dW_x += da.T @ X[t]
    dW_h += da.T @ h_prev
    db += da.sum(axis=0)
    dX[t] = da @ W_x
    dh_next = da @ W_h
return dW_x, dW_h, db, dh_next, dX"""


def _bptt(old: str = "", new: str = "", *more: str) -> str:
    """The reference body of ``rnn_bptt`` with ``old`` replaced by ``new`` (and more pairs): a typical mistake."""
    body, pairs = _BPTT_LOOP, [old, new, *more]
    for a, b in zip(pairs[::2], pairs[1::2]):
        if a:
            assert a in body, a
            body = body.replace(a, b)
    return body


def rnn_bptt_autograd(X, h0, W_x, W_h, hs, dhs):
    """06.3's reference: the gradients by torch autograd (float64) through the unrolled graph.

    The loss is L = sum_t sum(hs[t] * dhs[t]), so that dL/dh_t from the loss's own term at step t is dhs[t].
    The bias is not an argument (back-propagation never needs it): it is recovered from the first state."""
    X, h0, W_x, W_h, hs, dhs = (np.asarray(a, dtype=np.float64) for a in (X, h0, W_x, W_h, hs, dhs))
    b = np.arctanh(hs[0, 0]) - X[0, 0] @ W_x.T - h0[0] @ W_h.T
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (W_x, W_h, b, h0, X)]
    Wx_, Wh_, b_, h, X_ = leaves
    states = []
    for x in X_:  # the graph of the unrolled network, one tanh cell per step
        h = torch.tanh(x @ Wx_.T + h @ Wh_.T + b_)
        states.append(h)
    loss = (torch.stack(states) * torch.from_numpy(dhs)).sum()
    return tuple(g.numpy() for g in torch.autograd.grad(loss, leaves))


def _bptt_args(seed: int, last_only: bool = False):
    """X, h0, W_x, W_h, hs (from the reference forward) and dhs (T, N, H): the gradient on every state, or on
    the last one only (a many-to-one loss)."""
    rng = np.random.default_rng(seed)
    X, h0, W_x, W_h, b = _unroll_args(rng)
    hs = check_rnn_unroll.solution(X, h0, W_x, W_h, b)
    dhs = rng.normal(size=hs.shape)
    if last_only:
        dhs[:-1] = 0.0
    return X, h0, W_x, W_h, hs, dhs


_FIVE = "return the five gradients as a tuple: return dW_x, dW_h, db, dh0, dX."
_SUM_STEPS = (
    "dW_x, dW_h and db hold only one step's contribution: the same weights are used at every step, so their "
    "gradient is the SUM over the steps (accumulate with +=)."
)

check_rnn_bptt = Exercise(
    "06.3",
    "def rnn_bptt(X, h0, W_x, W_h, hs, dhs):",
    todo="Write rnn_bptt: loop t = T-1, ..., 0, add the gradient coming from step t+1 to dhs[t], go back "
    "through the tanh, accumulate dW_x, dW_h, db, and return (dW_x, dW_h, db, dh0, dX).",
    cases=lambda: [
        Case("with a loss on every state", _bptt_args(63)),
        Case("with a loss on the last state only", _bptt_args(630, last_only=True)),
    ],
    reference=rnn_bptt_autograd,
    typical=[
        Typical(
            _bptt("(dhs[t] + dh_next) * (1 - hs[t] ** 2)", "dhs[t] + dh_next"),
            "you did not go back through the tanh: multiply the incoming gradient by its derivative, "
            "1 - h_t**2 (h_t = hs[t]), before the weights.",
        ),
        Typical(
            _bptt("(1 - hs[t] ** 2)", "(1 - h_prev ** 2)"),
            "the tanh's derivative uses the state it PRODUCED at this step, 1 - hs[t]**2, not the previous state.",
        ),
        Typical(
            _bptt("(dhs[t] + dh_next)", "dhs[t]"),
            "you dropped the gradient that comes back from step t+1: h_t also feeds h_(t+1), so the gradient on h_t "
            "is dhs[t] + dh_next (dh_next = da_(t+1) @ W_h).",
        ),
        Typical(
            _bptt("dW_h += da.T @ h_prev", "dW_h += da.T @ hs[t]"),
            "dW_h pairs da_t with the state that ENTERED step t, h_(t-1) (h0 at t = 0), not with h_t.",
        ),
        Typical(
            _bptt("hs[t - 1] if t > 0 else h0", "hs[t - 1]"),
            "at t = 0 you used hs[-1], which Python reads as the LAST state h_T: the state before the first step "
            "is h0.",
        ),
        Typical(
            _bptt("reversed(range(T))", "range(T)"),
            "you looped forward in time: the gradient of step t needs dh_next from step t+1, so loop backward, "
            "t = T-1, ..., 0.",
        ),
        Typical(
            _bptt("dW_x +=", "dW_x =", "dW_h +=", "dW_h =", "db +=", "db ="),
            _SUM_STEPS,
        ),
        Typical(
            _bptt("da.T @ h_prev", "h_prev.T @ da"),
            "dW_h is transposed: dW_h[j, k] is the sum of da[:, j] * h_prev[:, k], i.e. da.T @ h_prev, the shape "
            "and layout of W_h.",
        ),
        Typical(
            _bptt("da.T @ X[t]", "X[t].T @ da"),
            "dW_x is transposed, (I, H): it has the shape of W_x, (H, I), dW_x += da.T @ X[t].",
        ),
        Typical(
            _bptt("dh_next = da @ W_h", "dh_next = da @ W_h.T"),
            "the gradient to h_(t-1) is da @ W_h: the forward pass multiplies by W_h.T (h_prev @ W_h.T), "
            "its backward by W_h, not W_h.T again.",
        ),
        Typical(
            _bptt("db += da.sum(axis=0)", "db += da.sum(axis=1)"),
            "db sums da over the batch, axis 0: one entry per hidden unit, shape (H,). You summed over axis 1.",
        ),
        Typical(_bptt("return dW_x, dW_h, db, dh_next, dX", "return dW_x, dW_h, db, dX"), _FIVE),
    ],
    confirmation="these are autograd's gradients through the unrolled network. The loop is all of "
    "back-propagation through time: dh_next carries the gradient one step back, multiplied by W_h and by "
    "1 - h**2 each time, which is why it vanishes or explodes over many steps (section 4).",
    namespace=NOTEBOOK,
    result="",
    explain=parts(
        "dW_x",
        "dW_h",
        "db",
        "dh0",
        "dX",
        missing=_FIVE,
        dW_x={(_I, _H): "it looks transposed: dW_x has the shape of W_x, (H, I)."},
        db={(_N,): "db sums over the batch (axis 0): shape (H,)."},
    ),
    on_error={ValueError: "check each product's shapes: da is (N, H), X[t] (N, I), W_x (H, I), W_h (H, H)."},
)

# ----------------------------------------------------------------------------- 06.4 gradient clipping

_NORM = "norm = np.sqrt(sum((g ** 2).sum() for g in grads))\n"


def _normal(seed: int, scale: float, *shapes) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [scale * rng.normal(size=s) for s in shapes]


def _explain_clip(where, got, expected, shape_hints, exercise):
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        length = f" of length {len(got)}" if hasattr(got, "__len__") else ""
        raise Mistake(
            f"return a list with one array per parameter ({len(expected)} here), got {type(got).__name__}{length}."
        )
    for k, (o, e) in enumerate(zip(got, expected)):
        if np.shape(o) != e.shape:
            raise Mistake(
                f"array {k} of the result has shape {np.shape(o)}, expected {e.shape}: "
                "each clipped gradient keeps its parameter's shape."
            )
    flat = lambda grads: np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads])  # noqa: E731
    compare(f"{where}, flattened", flat(got), flat(expected), rtol=exercise.rtol)


check_clip_by_norm = Exercise(
    "06.4",
    "def clip_by_norm(grads, max_norm):",
    todo="Write clip_by_norm: rescale all the gradients together when their global norm exceeds max_norm.",
    cases=lambda: [
        Case("on a long gradient (global norm > max_norm)", (_normal(6, 3.0, (3, 4), 5, (2, 2)), 2.5)),
        Case("on a short gradient (global norm < max_norm)", (_normal(60, 0.1, (3, 4), 5, (2, 2)), 2.5)),
    ],
    reference=_NORM + "return [g * min(1.0, max_norm / norm) for g in grads]",
    typical=[
        Typical(
            "return [np.clip(g, -max_norm, max_norm) for g in grads]",
            "You clipped each entry to [-max_norm, max_norm]: that changes the gradient's direction. "
            "Multiply all arrays by the same factor max_norm / norm instead.",
        ),
        Typical(
            _NORM + "return [g * max_norm / norm for g in grads]",
            "You rescaled a gradient that was already short enough: rescale only when the norm "
            "exceeds max_norm (the factor is min(1, max_norm / norm)).",
        ),
        Typical(
            _NORM + "return [g / norm for g in grads]",
            "You divided by the norm but did not multiply by max_norm: the clipped gradient should "
            "have norm max_norm, not 1.",
        ),
        Typical(
            "norm = sum((g ** 2).sum() for g in grads)\nreturn [g * min(1.0, max_norm / norm) for g in grads]",
            "you used the SQUARED norm (no square root): ||g|| = sqrt(sum of all the squared entries).",
        ),
        Typical(
            "return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]",
            "You clipped each array by its own norm: the norm is the global one, over all the arrays "
            "together (as torch's clip_grad_norm_ does), so all parameters are scaled alike.",
        ),
    ],
    confirmation="the gradient keeps its direction and its norm is at most max_norm. This is what "
    "nn.utils.clip_grad_norm_ does in every training.train_steps loop of this notebook.",
    namespace=NOTEBOOK,
    result="clip_by_norm(grads, 2.5)",
    explain=_explain_clip,
    rtol=1e-5,
)

# ----------------------------------------------------------------------------- 06.5 the LSTM update

_LSTM = """sig = lambda a: 1 / (1 + np.exp(-a))
i, f, g, o = np.split(z, 4, axis=1)
c = sig(f) * c_prev + sig(i) * np.tanh(g)
return sig(o) * np.tanh(c), c"""


def _explain_lstm(where, got, expected, shape_hints, exercise):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake("return the pair (h, c): the new hidden state and the new cell, each of shape (N, H).")
    compare("c", got[1], expected[1], shape_hints=shape_hints)
    compare("h", got[0], expected[0])


check_lstm_update = Exercise(
    "06.5",
    "def lstm_update(z, c_prev):",
    todo="Write lstm_update: split z into the four gates (order i, f, g, o), then "
    "c = f * c_prev + i * g and h = o * tanh(c).",
    cases=lambda: [Case("", tuple(_normal(63, 1.5, (3, 4 * 5), (3, 5))))],
    reference=_LSTM,
    typical=[
        Typical(
            _LSTM.replace("i, f, g, o =", "i, f, o, g ="),
            "You read the blocks in the order i, f, o, g: PyTorch stacks them i, f, g, o "
            "(z[:, 2H:3H] is the candidate g, z[:, 3H:] the output gate).",
        ),
        Typical(
            _LSTM.replace("i, f, g, o =", "f, i, g, o ="),
            "You swapped the input and forget gates: the first block (z[:, :H]) is i, the second (z[:, H:2H]) is f.",
        ),
        Typical(
            _LSTM.replace("np.tanh(g)", "sig(g)"),
            "The candidate g uses tanh, not the sigmoid: it is the content to write, and must be able "
            "to be negative. Only i, f, o are gates (sigmoids).",
        ),
        Typical(
            _LSTM.replace("axis=1", "axis=0"),
            "you split z along axis 0, the batch: the four blocks i, f, g, o lie side by side along axis 1 "
            "(columns), z[:, :H], z[:, H:2H], ...",
        ),
        Typical(_LSTM.replace("sig(i) * ", ""), "You added g without the input gate: c = f * c_prev + i * g."),
        Typical(_LSTM.replace("np.tanh(c),", "c,"), "You forgot the tanh on the cell: h = o * tanh(c)."),
        Typical(_LSTM.replace("sig(o) * ", ""), "You forgot the output gate: h = o * tanh(c)."),
        Typical(
            _LSTM.replace("np.tanh(c),", "np.tanh(c_prev),"),
            "H uses the NEW cell: h = o * tanh(c), not tanh(c_prev).",
        ),
        Typical(
            _LSTM.replace("sig(o) * np.tanh(c), c", "c, sig(o) * np.tanh(c)"),
            "you returned (c, h): return (h, c), the order torch's LSTMCell uses.",
        ),
    ],
    confirmation="c is the conveyor belt: f decides what to keep, i * g what to write, and o how much of "
    "tanh(c) to show as h. recurrent.lstm_step (the reference below) does the same after computing z.",
    namespace=NOTEBOOK,
    shape_hints=lambda case: {case.args[0].shape: "c has one entry per hidden unit: (N, H)."},
    explain=_explain_lstm,
)

# ----------------------------------------------------------------------------- 06.6 temperature sampling

_ARGMAX = (
    "you always return the most likely index (the arg-max): that is only the limit "
    "temperature -> 0. Draw the index at random from p with rng.choice(len(p), p=p)."
)
_MULTIPLIED = (
    "you multiplied the logits by the temperature: divide them, softmax(logits / temperature); "
    "a high temperature must flatten the distribution."
)
_IGNORED = "the temperature changes nothing in your draws: divide the logits by it before the softmax."
_UNIFORM = "your draws are uniform: draw with the probabilities, rng.choice(len(p), p=p)."
_OVERFLOW = (
    "exp(1000 / T) overflows to inf and inf / inf is NaN. Subtract the largest logit before exp: "
    "softmax does not change when a constant is subtracted from every logit."
)


def _draws(fn, logits, temperature, n, seed):
    """``n`` draws of the student's sampler with one rng; the frequencies of the indices."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(logits))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(n):
            k = attempt(fn, logits, temperature, rng)
            k = np.ravel(k)[0] if isinstance(k, (np.ndarray, list, tuple)) and np.size(k) == 1 else k
            k = int(k) if isinstance(k, (float, np.floating)) and float(k).is_integer() else k
            if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
                raise Mistake(
                    f"return one index (an int between 0 and V - 1), got {k!r}: draw it with rng.choice(len(p), p=p)."
                )
            if not 0 <= k < len(logits):
                raise Mistake(f"the index {k} is outside 0..{len(logits) - 1}.")
            counts[int(k)] += 1
    return counts / n


_GLOBAL = (
    "you drew with a global generator (np.random, random or torch), not with the rng argument: draw with "
    "rng.choice(len(p), p=p), so that the same rng gives the same text and no other random numbers change."
)
_OWN_RNG = (
    "two generators in the same state gave different draws: draw with the rng passed in, not with a generator "
    "of your own (np.random.default_rng() inside the function starts from a new random state every call)."
)


def _global_states():
    return np.random.get_state(), random.getstate(), torch.random.get_rng_state()


def _restore(states) -> None:
    np.random.set_state(states[0])
    random.setstate(states[1])
    torch.random.set_rng_state(states[2])


def _check_uses_rng(fn, logits) -> None:
    """The draws must come from ``rng``: the global generators untouched, and two generators in the same state
    give the same draws."""
    saved = _global_states()
    runs = [[attempt(fn, logits, 1.0, rng) for _ in range(30)] for rng in map(np.random.default_rng, (5, 5))]
    after = _global_states()
    untouched = (
        np.array_equal(after[0][1], saved[0][1])
        and after[0][2:] == saved[0][2:]
        and after[1] == saved[1]
        and torch.equal(after[2], saved[2])
    )
    if not untouched:
        raise Mistake(_GLOBAL)
    if [int(k) for k in runs[0]] != [int(k) for k in runs[1]]:
        raise Mistake(_OWN_RNG)


def _tv(p, q) -> float:
    return 0.5 * float(np.abs(p - q).sum())


@exercise(
    "06.6",
    todo="Write sample_with_temperature: p = softmax(logits / temperature) computed stably, "
    "then draw one index with rng.",
)
def check_sample_with_temperature(sample_with_temperature) -> str:
    """Check ``sample_with_temperature`` (see :func:`_check_sampler`); whatever the student's code does to the
    global random generators (np.random, random, torch) is undone."""
    saved = _global_states()
    try:
        return _check_sampler(sample_with_temperature)
    finally:
        _restore(saved)


def _check_sampler(sample_with_temperature) -> str:
    """Check ``sample_with_temperature(logits, temperature, rng) -> int``: logits (V,), one index drawn from
    softmax(logits / temperature) with ``rng`` (a NumPy Generator). The frequencies of 3000 draws at T = 0.5 and 2
    are compared with the right distribution (total-variation distance below 0.05); the draws must come from
    ``rng`` (global generators untouched, the same rng state gives the same draws); then logits near 1000 are tried."""
    logits = np.random.default_rng(64).normal(0, 1.5, 6)
    n, tol = 3000, 0.05
    for temperature in (0.5, 2.0):
        freq = _draws(sample_with_temperature, logits, temperature, n, seed=int(temperature * 10))
        p = softmax(logits / temperature)
        if freq[np.argmax(logits)] == 1.0:
            raise Mistake(_ARGMAX)
        if _tv(freq, p) < tol:
            continue
        uniform = np.full(len(logits), 1 / len(logits))
        for q, text in [(softmax(logits * temperature), _MULTIPLIED), (softmax(logits), _IGNORED), (uniform, _UNIFORM)]:
            if _tv(freq, q) < tol:
                raise Mistake(f"at temperature {temperature}, {text}")
        raise Mistake(
            f"at temperature {temperature} the frequencies of {n} draws, {np.round(freq, 3)}, are far "
            f"from softmax(logits / temperature) = {np.round(p, 3)}."
        )
    _check_uses_rng(sample_with_temperature, logits)
    try:
        freq = _draws(sample_with_temperature, logits + 1000.0, 0.5, 500, seed=7)
    except (Mistake, NotAttempted):
        raise
    except Exception as e:  # typically rng.choice refusing NaN probabilities
        raise Mistake(f"with logits near 1000 your code fails ({type(e).__name__}: {e}): {_OVERFLOW}") from None
    if _tv(freq, softmax(logits / 0.5)) >= 2 * tol:
        raise Mistake(f"with logits near 1000 the draws are wrong: {_OVERFLOW}")
    return (
        "the draws follow softmax(logits / T), also for huge logits. text_tools.generate samples each character "
        "this way and feeds it back in."
    )


_SAMPLE = "def sample_with_temperature(logits, temperature, rng):"
_DRAW = "\nreturn rng.choice(len(p), p=p / p.sum())"
_STABLE = "z = logits / temperature\np = np.exp(z - z.max())"
STEPWISE = {  # the typical mistakes of the check written as code: the student's whole cell, and its hint
    "06.6": (
        "sample_with_temperature",
        [
            Typical(source(_SAMPLE, "z = logits * temperature\np = np.exp(z - z.max())" + _DRAW), _MULTIPLIED),
            Typical(source(_SAMPLE, "p = np.exp(logits - logits.max())" + _DRAW), _IGNORED),
            Typical(source(_SAMPLE, "return int(rng.integers(len(logits)))"), _UNIFORM),
            Typical(source(_SAMPLE, "p = np.exp(logits / temperature)" + _DRAW), _OVERFLOW),
            Typical(source(_SAMPLE, "return int(np.argmax(logits / temperature))"), _ARGMAX),
            Typical(source(_SAMPLE, _STABLE + "\nreturn int(np.random.choice(len(p), p=p / p.sum()))"), _GLOBAL),
            Typical(source(_SAMPLE, _STABLE + "\nrng = np.random.default_rng()" + _DRAW), _OWN_RNG),
        ],
    )
}

EXERCISES = [check_rnn_step, check_rnn_unroll, check_rnn_bptt, check_clip_by_norm, check_lstm_update]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
