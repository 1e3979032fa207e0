"""Exercises and self-check questions of notebook 02 (perceptron and XOR).

* 02.1 ``perceptron_epoch(X, y, w, b, lr)``: one epoch of Rosenblatt's rule;
* 02.2 ``xor_by_hand(X)``: XOR from three step neurons (hidden OR and NAND, output AND);
* 02.3 ``collapse(W1, b1, W2, b2)``: the one linear layer equal to two stacked ones;
* 02.4 ``forward_221(X, W1, b1, W2, b2)``: the forward pass of the 2-2-1 tanh network;
* 02.5 ``sigmoid_tanh_derivatives(x)``: two rows of deck 002's activation table;
* 02.6 ``train_xor(W1, b1, W2, b2, X, y, lr, steps)``: the whole model, gradient descent on the
  2-2-1 sigmoid network with the backward pass written by hand, checked against ``torch.autograd``
  on the same weights (:func:`autograd_train_xor`, also what the notebook runs until
  :func:`accepted` says the student's loop is right).

Each is declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, the
reference, and each typical mistake as the code a student would write (with the notebook's ``np``
and its step ``neuron``), with its hint. Every answer is a tuple, compared part by part when it
matches no typical mistake. The docstrings' promises are checked too: 02.1 and 02.6 leave the
caller's arrays unchanged (:class:`KeepsInputs` records which ones a function changed), and 02.2's
output is computed from its hidden layer (away from the corners, where a hard-coded XOR of the
inputs gives itself away). The self-check questions are in ``nb02.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .. import linear as lin
from ..activations import ACTIVATIONS
from . import (
    Case,
    Exercise,
    Mistake,
    Typical,
    accepted,
    as_array,
    compare,
    compare_scalar,
    parts,
    quizzes,
    quizzes_of,
)

__all__ = [
    "EXERCISES",
    "check_perceptron_epoch",
    "check_xor_by_hand",
    "check_collapse",
    "check_forward_221",
    "check_sigmoid_tanh_derivatives",
    "check_train_xor",
    "autograd_train_xor",
    "accepted",
    "KeepsInputs",
    "QUIZZES",
    "quiz",
]

step = ACTIVATIONS["step"][0]


def neuron(X, w, b, f=step):
    """The notebook's neuron (section 2): X (N, d), w (d,), b scalar -> (N,)."""
    return f(X @ np.asarray(w, dtype=float) + b)


NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "lin": lin, "step": step, "neuron": neuron}


def _unpack(value, names: tuple[str, ...]) -> tuple:
    """The student's return value as a tuple of ``len(names)`` items, or a :class:`Mistake`."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise Mistake(
            f"return the tuple ({', '.join(names)}), got {type(value).__name__}"
            + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
            + "."
        )
    return tuple(value)


@dataclass(frozen=True)
class KeepsInputs(Case):
    """A case whose docstring promises to leave the caller's arrays alone: the outcome is
    ``(value, changed)``, ``changed`` naming (from ``names``, one per positional argument) the
    arrays the function changed in place, so that a function that updates its inputs in place is
    told so even when its value is right."""

    names: tuple[str, ...] = ()

    def call(self, fn):
        given = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in self.args)
        value = fn(*given, **self.kwargs)
        changed = tuple(
            name
            for name, a, original in zip(self.names, given, self.args)
            if isinstance(a, np.ndarray) and not (a.shape == original.shape and np.array_equal(a, original))
        )
        return value, changed


def keeps_inputs(explain, hint: str, updated: tuple[str, ...]):
    """An ``explain`` for :class:`KeepsInputs` cases: the promise first (``hint``, formatted with the
    changed arrays' names, when only arrays the function ``updated`` changed, else a plain
    statement of which inputs changed), then ``explain`` on the value alone."""

    def explain_value(where, got, expected, *rest):
        value, changed = got
        if changed and set(changed) <= set(updated):
            raise Mistake(hint.format(names=", ".join(changed)))
        if changed:
            raise Mistake(
                f"Your function changed the caller's {', '.join(changed)} in place: the docstring promises to leave "
                "its arguments unchanged. Work on new arrays (x = x - ..., or a copy, x = x.copy())."
            )
        return explain(where, value, expected[0], *rest)

    return explain_value


# ----------------------------------------------------------------------------- 02.1 perceptron epoch

_EPOCH = """\
s = 2 * y - 1
w, b, mistakes = w.astype(float), float(b), 0
for x_i, s_i in zip(X, s):
    if s_i * (x_i @ w + b) <= 0:
        w = w + lr * s_i * x_i
        b = b + lr * s_i
        mistakes += 1
return w, b, mistakes"""


_EPOCH_ARGS = ("X", "y", "w")
_EPOCH_IN_PLACE = (
    "You changed the caller's {names} in place (w += ... on the array you were given, or on "
    "np.asarray(w), which is the same array): the docstring promises to leave it unchanged. Start "
    "from a copy, w = w.astype(float) or w.copy(), or write w = w + lr * s_i * x_i (a new array)."
)


def _perceptron_cases():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 3))
    y = np.r_[np.zeros(6, dtype=np.int64), np.ones(6, dtype=np.int64)][rng.permutation(12)]
    return [  # from zero every point is on the boundary
        KeepsInputs("from random weights, lr = 0.5", (X, y, rng.standard_normal(3), 0.7, 0.5), names=_EPOCH_ARGS),
        KeepsInputs("from w = 0, b = 0, lr = 1", (X, y, np.zeros(3), 0.0, 1.0), names=_EPOCH_ARGS),
    ]


def _explain_epoch(where, got, expected, hints, exercise):
    """(w, b) together, then the count; b may be any single number (a float, a one-entry array)."""
    w, b, updates = _unpack(got, ("w", "b", "mistakes"))
    w, b = as_array("w", w), as_array("b", b)
    if w.shape != expected[0].shape:
        raise Mistake(f"`w` has shape {w.shape}, expected {expected[0].shape}: keep w a flat vector of d weights.")
    if b.size != 1:
        raise Mistake(f"`b` should be a single number, got shape {b.shape}: the bias is one scalar.")
    compare(f"(w, b) {where}", np.r_[w, b.ravel()], np.r_[expected[0], expected[1]])
    compare_scalar(f"mistakes {where}", updates, expected[2])


check_perceptron_epoch = Exercise(
    "02.1",
    "def perceptron_epoch(X, y, w, b, lr=1.0):",
    todo="Write `perceptron_epoch`: visit the examples in order and update w and b "
    "on each misclassified one, then run the cell below again.",
    cases=_perceptron_cases,
    reference=_EPOCH,
    typical=[
        Typical(  # no test: every example updates
            _EPOCH.replace("    if s_i * (x_i @ w + b) <= 0:\n", "").replace("        ", "    "),
            "You updated on every example. Rosenblatt's rule changes w and b only when the example is "
            "misclassified, s_i (w . x_i + b) <= 0; correctly classified examples leave them alone.",
        ),
        Typical(
            _EPOCH.replace("        b = b + lr * s_i\n", ""),
            "w moved but b never did: the bias is learned too, b <- b + lr * s_i on every mistake.",
        ),
        Typical(
            _EPOCH.replace("2 * y - 1", "y"),
            "You used the labels y in {0, 1} as they are. The rule needs the signs s = 2y - 1 in "
            "{-1, +1}; with y = 0 a class-0 example never pushes w away.",
        ),
        Typical(
            _EPOCH.replace("+ lr", "- lr"),
            "The update has the wrong sign: a mistake on x_i must move w towards s_i x_i, "
            "w <- w + lr * s_i * x_i (and b <- b + lr * s_i), not away from it.",
        ),
        Typical(
            _EPOCH.replace("<= 0", "< 0"),
            "You test s_i (w . x_i + b) < 0. A point exactly on the boundary counts as a mistake "
            "(from w = 0, b = 0 every point is on it, and < 0 would never update): use <= 0.",
        ),
        Typical(
            "s = 2 * y - 1\nwrong = s * (X @ w + b) <= 0\nw = w + lr * (s[wrong, None] * X[wrong]).sum(axis=0)\n"
            "b = b + lr * s[wrong].sum()\nreturn w, b, int(wrong.sum())",
            "You judged all the examples with the weights from the start of the epoch and then applied "
            "the updates. The rule is online: update right after each mistake, so the next example is "
            "judged with the new w and b.",
        ),
        Typical(
            _EPOCH.replace("lr * ", ""),
            "The step ignores the learning rate: the update is lr * s_i * x_i (and lr * s_i for b).",
        ),
        Typical(
            _EPOCH.replace("        mistakes += 1", "    mistakes += 1"),
            "You counted every example; count only the ones that caused an update.",
        ),
        Typical(
            _EPOCH.replace("w.astype(float)", "np.asarray(w, dtype=float)").replace(
                "w = w + lr * s_i * x_i", "w += lr * s_i * x_i"
            ),
            _EPOCH_IN_PLACE.format(names="w"),
        ),
    ],
    confirmation="This is one epoch of Rosenblatt's rule. Repeat epochs until one makes no mistake: on linearly "
    "separable data that happens after at most (R/gamma)^2 updates from w = 0 (this is the loop "
    "inside lin.train_perceptron).",
    namespace=NOTEBOOK,
    result="",
    explain=keeps_inputs(_explain_epoch, _EPOCH_IN_PLACE, ("w",)),
)

# ----------------------------------------------------------------------------- 02.2 XOR from OR and NAND

_OR, _NAND, _AND = "neuron(X, [1, 1], -0.5)", "neuron(X, [-1, -1], 1.5)", "neuron(X, [1, 1], -1.5)"
_NEAR_A_CORNER = (
    "Right on the exact corners, but wrong on points within 0.2 of them: a boundary passes "
    "exactly through a corner (step(0) = 1, so that corner sits on the boundary and a tiny "
    "nudge flips it). Put each threshold halfway between the points it separates, e.g. "
    "x1 + x2 = 0.5 for OR and x1 + x2 = 1.5 for NAND."
)
_FLAT_OUT = (
    "out should be flat, shape (N,): take the neuron's output [:, 0] or give "
    "the output neuron a weight vector of shape (2,)."
)
_SIDE_BY_SIDE = "The two hidden units side by side: h = np.c_[h_or, h_nand]."


def _xor(first: str = _OR, second: str = _NAND, out: str = "neuron(h, [1, 1], -1.5)") -> str:
    """The body of ``xor_by_hand`` with these hidden units and output."""
    return f"h = np.c_[{first}, {second}]\nreturn h, {out}"


_CORNERS, _NEAR, _SPREAD = "on the four corners", "on 24 points near the corners", "on 40 points spread over [-2, 3]^2"
_UNITS = ("h[:, 0] (your OR unit)", "h[:, 1] (your NAND unit)", "out")


def _xor_cases():
    corners = np.tile([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], (6, 1))
    jittered = corners + np.random.default_rng(0).uniform(-0.2, 0.2, corners.shape)
    jittered[:16] = corners[:16] + 0.19 * np.repeat([[1, 1], [-1, -1], [1, -1], [-1, 1]], 4, axis=0)  # the extremes
    spread = np.random.default_rng(1).uniform(-2.0, 3.0, (40, 2)).round(2)
    return [Case(_CORNERS, (corners[:4],)), Case(_NEAR, (jittered,)), Case(_SPREAD, (spread,))]


def _point(x) -> str:
    return f"({x[0]:.2f}, {x[1]:.2f})"


def _explain_xor(where, got, expected, *rest):
    """Part by part on the exact corners. Near them: which unit is wrong at which points (a boundary
    through or next to a corner). Spread out, where other thresholds than the reference's are right
    too: the promises of the docstring, each hidden unit a step neuron (a line splits its 1s from its
    0s, decided by linear programming) and out the AND of h."""
    shape_problem = None
    if where == _CORNERS:
        try:
            return parts("h", "out", h={(2, 4): _SIDE_BY_SIDE, None: _SIDE_BY_SIDE}, out={(4, 1): _FLAT_OUT})(
                where, got, expected, *rest
            )
        except Mistake as m:  # a wrong shape is said as parts() says it, wrong values in words below
            shape_problem = m
    (X,) = next(case for case in _xor_cases() if case.label == where).args
    h, out = (as_array(name, part) for name, part in zip(("h", "out"), _unpack(got, ("h", "out"))))
    if h.shape != (len(X), 2) or out.shape != (len(X),):
        raise shape_problem or Mistake(
            f"on {len(X)} points h should have shape ({len(X)}, 2) and out ({len(X)},), got {h.shape} and {out.shape}."
        )
    columns = (h[:, 0], h[:, 1], out)
    if where in (_CORNERS, _NEAR):
        corner = np.clip(X.round(), 0, 1).astype(int)
        said = []
        for name, mine, right in zip(_UNITS, columns, (expected[0][:, 0], expected[0][:, 1], expected[1])):
            wrong = np.flatnonzero(mine != right)
            if len(wrong) and where == _CORNERS:
                said.append(
                    f"{name} gives "
                    + ", ".join(f"{mine[i]:g} at ({corner[i, 0]}, {corner[i, 1]})" for i in wrong)
                    + " where it should give "
                    + ", ".join(f"{right[i]:g}" for i in wrong)
                )
            elif len(wrong):
                i = wrong[0]
                said.append(
                    f"{name} is wrong at {len(wrong)} of {len(X)} points, e.g. at {_point(X[i])} next to the corner "
                    f"({corner[i, 0]}, {corner[i, 1]}) it gives {mine[i]:g} instead of {right[i]:g}"
                )
        if where == _CORNERS:
            raise Mistake("On the four corners " + "; ".join(said) + ".")
        raise Mistake(
            "Right on the exact corners, but not near them: " + "; ".join(said) + ". A boundary runs through "
            "a corner or within 0.2 of it; put each threshold halfway between the points it separates."
        )
    if not np.isin(h, (0, 1)).all() or not np.isin(out, (0, 1)).all():
        raise Mistake(
            "Away from the corners your units give values other than 0 and 1: use step neurons, neuron(X, w, b)."
        )
    for name, column in zip(_UNITS[:2], columns):
        if not lin.linearly_separable(X, column):
            raise Mistake(
                f"Away from the corners {name} is not one step neuron: no straight line splits the points where it "
                "is 1 from those where it is 0 (linear programming says so). Compute it as neuron(X, w, b)."
            )
    wrong = np.flatnonzero(out != h[:, 0] * h[:, 1])
    if len(wrong):
        i = wrong[0]
        raise Mistake(
            f"Your out is not computed from your hidden layer: at {_point(X[i])} the hidden units are "
            f"h = [{h[i, 0]:g}, {h[i, 1]:g}] but out = {out[i]:g} (at {len(wrong)} of {len(X)} points spread "
            "away from the corners). The output unit must AND h: out = neuron(h, w, b), not a formula of X."
        )


check_xor_by_hand = Exercise(
    "02.2",
    "def xor_by_hand(X):",
    todo="Write `xor_by_hand` with three step neurons (pick their weights and biases), then run the cell below again.",
    cases=_xor_cases,
    reference=_xor(),
    typical=[
        Typical(
            _xor(first=_AND),
            "Your first hidden unit computes AND: OR fires as soon as one input is on, so lower its threshold.",
        ),
        Typical(_xor(_NAND, _OR), "The hidden units are swapped: return h = [OR, NAND] in that order."),
        Typical(
            _xor(second=_AND),
            "Your second hidden unit computes AND, not NAND (NOT AND): negate its weights and its bias.",
        ),
        Typical(
            _xor(second=_OR),
            "Your second hidden unit computes OR, like the first: it should be NAND (on unless both inputs are on).",
        ),
        Typical(
            _xor(out="neuron(h, [1, 1], -0.5)"),
            "Your output unit ORs the hidden units (OR or NAND is always true). "
            "XOR = OR AND NAND: the output fires only when both hidden units are on.",
        ),
        Typical(
            _xor(out="neuron(h, [-1, -1], 1.5)"),
            "Your output is inverted (XNOR): it should fire when exactly one input is on.",
        ),
        Typical(_xor(out="h[:, 0]"), "Your output follows the OR unit alone: it must AND the two hidden units."),
        Typical(_xor(out="neuron(h, [[1], [1]], -1.5)"), _FLAT_OUT),
        Typical(_xor(first="neuron(X, [1, 1], -1)"), _NEAR_A_CORNER),
        Typical(
            _xor(out="(X[:, 0].round() != X[:, 1].round()).astype(float)"),
            "Your out is XOR of the rounded inputs, computed from X: that is no network. The output unit reads "
            "the hidden layer: out = neuron(h, w, b), the AND of the OR and NAND units.",
        ),
    ],
    confirmation="Two lines (OR and NAND) map the four corners to a hidden space where one more line (AND) "
    "separates XOR, with every boundary well away from the points: this is the 2-2-1 network of "
    "section 6 with weights picked by hand.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_xor,
)

# ----------------------------------------------------------------------------- 02.3 collapse of linear layers

check_collapse = Exercise(
    "02.3",
    "def collapse(W1, b1, W2, b2):",
    todo="Write `collapse`: return the A and c of the single linear layer, then run the cell below again.",
    cases=lambda: [Case("", tuple(np.random.default_rng(3).standard_normal(s) for s in ((3, 4), (4,), (4, 3), (3,))))],
    reference="return W1 @ W2, b1 @ W2 + b2",
    typical=[
        Typical(
            "return W2 @ W1, b1 @ W2 + b2",
            "You multiplied in the wrong order: X goes through W1 first, so A = W1 @ W2 (shape (d, k)).",
        ),
        Typical(
            "return W2.T @ W1.T, b1 @ W2 + b2",
            "A is transposed: with X of shape (N, d), A must be (d, k) = W1 @ W2.",
        ),
        Typical(
            "return W1 @ W2, b2",
            "c misses the first layer's bias: b1 also passes through the second layer, so it arrives as b1 @ W2.",
        ),
        Typical("return W1 @ W2, b1 @ W2", "c misses the second layer's own bias b2."),
    ],
    confirmation="Any stack of linear layers is one linear layer, A = W1 W2 and c = b1 W2 + b2: "
    "depth adds nothing until a nonlinearity sits between the layers.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("A", "c", c={None: "c is one bias per output, shape (k,)."}),
)

# ----------------------------------------------------------------------------- 02.4 forward pass of the 2-2-1 net


def _forward_cases():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1.5, 1.5, (10, 2))
    return [Case("", (X, *(rng.standard_normal(s) for s in ((2, 2), (2,), (2, 1), (1,)))))]


_H = "h = np.tanh(X @ W1 + b1)\n"
_P = "return h, 1 / (1 + np.exp(-(h @ W2 + b2)))[:, 0]"
_FLAT_P = "p should be flat, one probability per point, shape (N,): take [:, 0]."

check_forward_221 = Exercise(
    "02.4",
    "def forward_221(X, W1, b1, W2, b2):",
    todo="Write `forward_221`: the hidden layer with tanh, the output with a sigmoid, then run the cell below again.",
    cases=_forward_cases,
    reference=_H + _P,
    typical=[
        Typical(
            "h = X @ W1 + b1\n" + _P,
            "h has no activation: without tanh the network is linear again (section 5) and cannot solve XOR.",
        ),
        Typical(
            "h = np.tanh(X @ W1.T + b1)\n" + _P,
            "You used W1 transposed (X @ W1.T is torch's nn.Linear layout, "
            "weight of shape (out, in)); here W1 is (in, out): X @ W1.",
        ),
        Typical(
            "h = 1 / (1 + np.exp(-(X @ W1 + b1)))\n" + _P,
            "The hidden layer of this network uses tanh, not the sigmoid.",
        ),
        Typical(
            _H + "return h, (h @ W2 + b2)[:, 0]",
            "p is the output's logit: squash it with the sigmoid, p = 1 / (1 + exp(-(h W2 + b2))), to get P(y = 1).",
        ),
        Typical(
            _H + "return h, np.tanh(h @ W2 + b2)[:, 0]",
            "The output uses tanh, which can be negative: a probability needs the sigmoid.",
        ),
        Typical(_H + _P.replace("[:, 0]", ""), _FLAT_P),
        Typical(
            _H + _P.replace("(h @ W2", "(X @ W2"),
            "p skips the hidden layer: you computed it from X. The output unit reads the hidden units, "
            "p = sigmoid(h W2 + b2).",
        ),
    ],
    confirmation="The hidden layer h = tanh(X W1 + b1) is the hidden space of section 6, where the output unit "
    "is just a line; the sigmoid turns that line's score into P(y = 1).",
    namespace=NOTEBOOK,
    result="",
    explain=parts("h", "p", p={(10, 1): _FLAT_P}),  # the case has N = 10 points
)

# ----------------------------------------------------------------------------- 02.5 activation derivatives

_S = "s = 1 / (1 + np.exp(-x))\n"
_D_SIGMOID, _D_TANH = "s * (1 - s)", "1 - np.tanh(x) ** 2"
_ON_X = (
    "You applied the table's formula to x itself: f(x) in the table means the activation's "
    "output, so compute f = {} first, then {}."
)

check_sigmoid_tanh_derivatives = Exercise(
    "02.5",
    "def sigmoid_tanh_derivatives(x):",
    todo="Write `sigmoid_tanh_derivatives` from the table, then run the cell below again.",
    cases=lambda: [Case("", (np.random.default_rng(5).uniform(-4, 4, 20),))],
    reference=f"{_S}return {_D_SIGMOID}, {_D_TANH}",
    typical=[
        Typical(
            "return x * (1 - x), 1 - x ** 2", _ON_X.format("sigmoid(x) and f = tanh(x)", "f * (1 - f) and 1 - f**2")
        ),
        Typical(f"return x * (1 - x), {_D_TANH}", _ON_X.format("sigmoid(x)", "f * (1 - f)")),
        Typical(f"{_S}return {_D_SIGMOID}, 1 - x ** 2", _ON_X.format("tanh(x)", "1 - f**2")),
        Typical(f"{_S}return s, {_D_TANH}", "That is the sigmoid itself, not its derivative f(x)(1 - f(x))."),
        Typical(f"{_S}return s * (1 + s), {_D_TANH}", "Sign slip: the derivative is f(x)(1 - f(x))."),
        Typical(
            f"{_S}return {_D_SIGMOID}, 1 - np.tanh(x)",
            "You forgot the square: the derivative of tanh is 1 - tanh(x)**2.",
        ),
        Typical(f"{_S}return {_D_SIGMOID}, np.tanh(x)", "That is tanh itself, not its derivative 1 - tanh(x)**2."),
    ],
    confirmation="Both derivatives are written with the function's own output (sigma(1 - sigma), 1 - tanh^2), "
    "so backpropagation can reuse the values saved in the forward pass (notebook 03).",
    namespace=NOTEBOOK,
    result="",
    explain=parts("d_sigmoid", "d_tanh"),
)

# ----------------------------------------------------------------------------- 02.6 training the 2-2-1 net

_PARAMS = ("W1", "b1", "W2", "b2")
_TRAIN_ARGS = (*_PARAMS, "X", "y")
_TRAIN = """\
N = len(X)
losses = []
for _ in range(steps):
    z1 = X @ W1 + b1
    h = 1 / (1 + np.exp(-z1))
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))[:, 0]
    losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    dz2 = (p - y)[:, None] / N
    dW2, db2 = h.T @ dz2, dz2.sum(axis=0)
    dz1 = (dz2 @ W2.T) * h * (1 - h)
    dW1, db1 = X.T @ dz1, dz1.sum(axis=0)
    W1, b1 = W1 - lr * dW1, b1 - lr * db1
    W2, b2 = W2 - lr * dW2, b2 - lr * db2
return W1, b1, W2, b2, np.array(losses)"""
_UPDATE_2 = "    W2, b2 = W2 - lr * dW2, b2 - lr * db2\n"
_NO_HIDDEN = """\
N = len(X)
losses = []
for _ in range(steps):
    p = 1 / (1 + np.exp(-(X @ W2 + b2)))[:, 0]
    losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    dz2 = (p - y)[:, None] / N
    W2, b2 = W2 - lr * X.T @ dz2, b2 - lr * dz2.sum(axis=0)
return W1, b1, W2, b2, np.array(losses)"""
_TRAIN_IN_PLACE = (
    "You updated the caller's {names} in place (W1 -= lr * dW1 changes the array you were given): the "
    "docstring promises to leave them unchanged, and the notebook trains twice from the same start. Write "
    "W1 = W1 - lr * dW1 (a new array), or start from copies, W1 = W1.copy()."
)
_NO_HIDDEN_LAYER = (
    "W1 and b1 come back exactly as they started: your loop trains no hidden layer. A network "
    "p = sigmoid(X W2 + b2) without one is logistic regression, a single line, which cannot get XOR "
    "right (section 4). Compute h = sigmoid(X W1 + b1), then p = sigmoid(h W2 + b2), and update all four."
)


def autograd_train_xor(W1, b1, W2, b2, X, y, lr, steps):
    """The reference of exercise 02.6, by ``torch.autograd`` in float64: ``steps`` full-batch gradient
    descent steps on the mean log loss of the 2-2-1 network with sigmoid hidden units and a sigmoid
    output (weights in the layout (in, out) of the formulas). Returns new arrays ``(W1, b1, W2, b2,
    losses)``, ``losses`` the loss before each step; the arguments are not changed."""
    params = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in (W1, b1, W2, b2)]
    X, y = (torch.as_tensor(np.asarray(a, dtype=np.float64)) for a in (X, y))
    losses = []
    for _ in range(int(steps)):
        w1, c1, w2, c2 = params
        loss = F.binary_cross_entropy_with_logits((torch.sigmoid(X @ w1 + c1) @ w2 + c2)[:, 0], y)
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():  # every parameter steps with the gradient of this step's loss
            params = [(param - lr * grad).requires_grad_() for param, grad in zip(params, grads)]
    return (*(param.detach().numpy() for param in params), np.array(losses))


def _train_cases():
    rng = np.random.default_rng(6)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X8 = np.tile(corners, (2, 1)) + rng.uniform(-0.1, 0.1, (8, 2))
    y4, y8 = np.array([0.0, 1.0, 1.0, 0.0]), np.tile([0.0, 1.0, 1.0, 0.0], 2)

    def start():
        return (
            rng.standard_normal((2, 2)),
            0.5 * rng.standard_normal(2),
            rng.standard_normal((2, 1)),
            0.5 * rng.standard_normal(1),
        )

    return [
        KeepsInputs(
            "after 1 step from a random start on XOR (lr = 0.5)", (*start(), corners, y4, 0.5, 1), names=_TRAIN_ARGS
        ),
        KeepsInputs(
            "after 25 steps on 8 points near the XOR corners (lr = 2)", (*start(), X8, y8, 2.0, 25), names=_TRAIN_ARGS
        ),
    ]


def _explain_train(where, got, expected, hints, exercise):
    """The parts against the autograd reference: their shapes, the loss history's length, a hidden
    layer that never moved, then which parts are right and which are wrong (after one step, where the
    error sits in the backward pass)."""
    case = next(case for case in _train_cases() if case.label == where)
    steps, start = case.args[-1], case.args[:4]
    got = _unpack(got, (*_PARAMS, "losses"))
    missing = [name for name, part in zip((*_PARAMS, "losses"), got) if part is None]
    if missing:
        raise Mistake(f"{', '.join(missing)} came back as None: return all five, (W1, b1, W2, b2, losses).")
    arrays = [as_array(name, part) for name, part in zip((*_PARAMS, "losses"), got)]
    for name, mine, right in zip((*_PARAMS, "losses"), arrays, expected):
        if name == "losses" and mine.shape != right.shape:
            raise Mistake(
                f"losses {where} has {mine.size} values, expected {steps}: one per step, the mean log loss of the "
                "weights before that step's update (for _ in range(steps), append the loss, then update)."
            )
        if mine.shape != right.shape:
            compare(f"{name} {where}", mine, right)  # says the shape (transposed, ...)
    moved = not np.allclose(expected[0], start[0]) or not np.allclose(expected[1], start[1])
    if moved and np.array_equal(arrays[0], start[0]) and np.array_equal(arrays[1], start[1]):
        raise Mistake(_NO_HIDDEN_LAYER)
    close = [bool(np.allclose(m, r, rtol=exercise.rtol, atol=exercise.atol)) for m, r in zip(arrays, expected)]
    names = (*_PARAMS, "losses")
    right = [n for n, ok in zip(names, close) if ok]
    wrong = [n for n, ok in zip(names, close) if not ok]
    formula = {
        "W1": "dW1 = X.T @ dz1",
        "b1": "db1 = dz1.sum(axis=0)",
        "W2": "dW2 = h.T @ dz2",
        "b2": "db2 = dz2.sum(axis=0)",
    }
    off = {name for name in wrong if name in formula}
    if steps != 1:
        why = (
            "one step is right (the first case) but several are not: look at what carries over from one step to "
            "the next (the loop, the updated weights, the loss history)."
        )
    elif wrong == ["losses"]:
        why = (
            "the weights are right, so your forward pass and gradients are; only the loss you record is off: "
            "losses[t] is the mean log loss -mean(y log p + (1 - y) log(1 - p)) before update t."
        )
    elif "losses" in wrong:
        why = (
            "losses[0], the loss of the starting weights, is wrong already: look at the forward pass and the mean "
            "log loss -mean(y log p + (1 - y) log(1 - p))."
        )
    elif off == set(_PARAMS):
        why = "all four gradients start from dz2 = (p - y) / N: look there first, then at the update W <- W - lr * dW."
    elif off == {"W1", "b1"}:
        why = (
            "the output layer is right and both hidden-layer gradients are off: look at "
            "dz1 = (dz2 @ W2.T) * h * (1 - h), which both use."
        )
    else:
        why = (
            "look at "
            + " and ".join(f"{formula[name]} (and the update of {name})" for name in _PARAMS if name in off)
            + "."
        )
    first, detail = wrong[0], ""
    try:
        compare(
            f"{first} {where}",
            arrays[names.index(first)],
            expected[names.index(first)],
            rtol=exercise.rtol,
            atol=exercise.atol,
        )
    except Mistake as m:
        detail = str(m)
    raise Mistake(
        f"Compared with torch.autograd on the same weights {where}: "
        + (f"{', '.join(right)} right; " if right else "")
        + f"{', '.join(wrong)} wrong: {why} {detail}"
    )


check_train_xor = Exercise(
    "02.6",
    "def train_xor(W1, b1, W2, b2, X, y, lr, steps):",
    todo="Write `train_xor`: each step a forward pass, the mean log loss, the backward pass by hand and the "
    "update of all four parameters; then run the cell below again.",
    cases=_train_cases,
    reference=autograd_train_xor,
    typical=[
        Typical(
            _TRAIN.replace("dz1 = (dz2 @ W2.T) * h * (1 - h)", "dz1 = dz2 @ W2.T"),
            "dz1 misses the sigmoid's derivative: the gradient reaching the hidden pre-activations is "
            "(dz2 @ W2.T) * h * (1 - h), sigma' = sigma (1 - sigma) from exercise 02.5.",
        ),
        Typical(
            _TRAIN.replace("dW2, db2 = h.T @ dz2", "dW2, db2 = z1.T @ dz2"),
            "dW2 uses the pre-activations z1 = X W1 + b1. The output layer's input is the activation "
            "h = sigmoid(z1), so dW2 = h.T @ dz2.",
        ),
        Typical(
            _TRAIN.replace("- lr *", "+ lr *"),
            "Your update climbs the loss: you added the gradient. Gradient descent steps against it, "
            "W <- W - lr * dW, for all four parameters.",
        ),
        Typical(
            _TRAIN.replace("dz2 = (p - y)[:, None] / N", "dz2 = (p - y)[:, None]"),
            "Your gradients are N times too large: the loss is the mean over the N examples, so "
            "dz2 = (p - y) / N (the sum would make the step grow with the data set).",
        ),
        Typical(
            _TRAIN.replace(_UPDATE_2, "").replace(
                "    dW2, db2 = h.T @ dz2, dz2.sum(axis=0)\n", "    dW2, db2 = h.T @ dz2, dz2.sum(axis=0)\n" + _UPDATE_2
            ),
            "You updated W2 before sending the gradient back through it: dz1 = (dz2 @ W2.T) * h * (1 - h) needs "
            "the W2 of this step's forward pass. Compute all four gradients first, then update.",
        ),
        Typical(
            _TRAIN.replace("X.T @ dz1", "dz1.T @ X"),
            "dW1 is transposed: dW1 = X.T @ dz1 has the shape (inputs, hidden) of W1. dz1.T @ X is (hidden, "
            "inputs), and with 2 inputs and 2 hidden units it fits silently with the wrong entries.",
        ),
        Typical(
            _TRAIN.replace(
                "    W1, b1 = W1 - lr * dW1, b1 - lr * db1\n" + _UPDATE_2,
                "    W1 -= lr * dW1\n    b1 -= lr * db1\n    W2 -= lr * dW2\n    b2 -= lr * db2\n",
            ),
            _TRAIN_IN_PLACE.format(names=", ".join(_PARAMS)),
        ),
        Typical(_NO_HIDDEN, _NO_HIDDEN_LAYER),
        Typical(
            _TRAIN.replace("h = 1 / (1 + np.exp(-z1))", "h = z1").replace(" * h * (1 - h)", ""),
            "Your hidden layer has no activation, h = X W1 + b1: the network is linear again (section 5), one "
            "line, and cannot solve XOR. Use h = sigmoid(z1) and its derivative h (1 - h) in the backward pass.",
        ),
        Typical(
            _TRAIN.replace("h = 1 / (1 + np.exp(-z1))", "h = np.tanh(z1)").replace("h * (1 - h)", "(1 - h ** 2)"),
            "Your hidden units are tanh, as in exercise 02.4. This loop's hidden units are sigmoids, "
            "h = 1 / (1 + exp(-z1)), with the derivative h (1 - h).",
        ),
        Typical(
            _TRAIN.replace("range(steps)", "range(1, steps)"),
            "Your loop makes one update too few (range(1, steps) or range(steps - 1)): run "
            "for _ in range(steps), one loss and one update per step.",
        ),
        Typical(
            _TRAIN.replace("db1 = X.T @ dz1, dz1.sum(axis=0)", "db1 = X.T @ dz1, dz1.sum(axis=1)"),
            "db1 sums over the wrong axis: sum dz1 over the examples, axis=0, to get one entry per hidden unit, "
            "shape (2,) like b1.",
        ),
    ],
    confirmation=lambda fn: (
        "Your loop matches torch.autograd on the same weights, step by step: "
        "forward, mean log loss, the backward pass by hand, W <- W - lr * dW for all four parameters. This is "
        "what loss.backward() and optimizer.step() do for you from notebook 03 on."
    ),
    namespace=NOTEBOOK,
    result="",
    rtol=1e-5,
    atol=1e-7,
    explain=keeps_inputs(_explain_train, _TRAIN_IN_PLACE, _PARAMS),
)


EXERCISES = [
    check_perceptron_epoch,
    check_xor_by_hand,
    check_collapse,
    check_forward_221,
    check_sigmoid_tanh_derivatives,
    check_train_xor,
]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
