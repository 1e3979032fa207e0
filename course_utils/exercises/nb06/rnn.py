"""Notebook 06's vanilla RNN: 06.1 one step of the cell, 06.2 the whole sequence, 06.3 back-propagation through time."""

from __future__ import annotations

import textwrap

import numpy as np
import torch

from .. import Case, Exercise, Typical, parts
from .common import NOTEBOOK

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
        Typical(
            "return np.tanh(W_x @ x + W_h @ h_prev) + b",
            "You added b after the tanh: the bias goes inside, h_t = tanh(W_x x_t + W_h h_(t-1) + b), which keeps "
            "the state in (-1, 1).",
        ),
        Typical("return W_x @ x + W_h @ h_prev + b", "You forgot the tanh: h_t = tanh(W_x x_t + W_h h_(t-1) + b)."),
        Typical("return np.tanh(x @ W_x + h_prev @ W_h + b)", "NumPy raised an error: " + _RNN_SHAPES),
    ],
    confirmation="one step of the cell is right. Applied T times with the same W_x, W_h, b, it is the whole RNN; "
    "recurrent.rnn_forward below is exactly this loop.",
    namespace=NOTEBOOK,
    result="h",
    shape_hints={
        (): "return the new state, an array of H numbers.",
        (4, 4): "you multiplied W_h * h_prev entry by entry, which broadcasts to an (H, H) matrix: use the matrix "
        "product W_h @ h_prev, H numbers.",
    },
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
            "you started from zeros and ignored h0 (reading hs[t - 1] at t = 0 gives hs[-1], still zeros): the state "
            "before the first step is the argument h0 (a caller continues a sequence by passing the last state back "
            "in).",
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
        (_T - 1, _N, _H): "one state is missing: loop over all T steps, for x in X (range(len(X)), not "
        "range(len(X) - 1)).",
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
        Typical(
            _bptt("reversed(range(T))", "range(T - 1, 0, -1)"),
            "your loop stops before t = 0 (range(T - 1, 0, -1) excludes its end): step 0, which reads X[0] and h0, "
            "is missing. Loop over reversed(range(T)), i.e. range(T - 1, -1, -1).",
        ),
        Typical(
            _bptt("(1 - hs[t] ** 2)", "(1 - np.tanh(hs[t]) ** 2)"),
            "hs[t] is already tanh(a_t): the derivative is 1 - hs[t]**2, not 1 - tanh(hs[t])**2, which applies "
            "the tanh a second time.",
        ),
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
