"""Exercises and self-check questions of notebook 02 (perceptron and XOR).

* 02.1 ``perceptron_epoch(X, y, w, b, lr)``: one epoch of Rosenblatt's rule;
* 02.2 ``xor_by_hand(X)``: XOR from three step neurons (hidden OR and NAND, output AND);
* 02.3 ``collapse(W1, b1, W2, b2)``: the one linear layer equal to two stacked ones;
* 02.4 ``forward_221(X, W1, b1, W2, b2)``: the forward pass of the 2-2-1 tanh network;
* 02.5 ``sigmoid_tanh_derivatives(x)``: two rows of deck 002's activation table.

Each is declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, the
reference, and each typical mistake as the code a student would write (with the notebook's ``np``
and its step ``neuron``), with its hint. Every answer is a tuple, compared part by part when it
matches no typical mistake. The self-check questions are in ``nb02.toml``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import linear as lin
from ..activations import ACTIVATIONS
from . import Case, Exercise, Mistake, Typical, as_array, compare, compare_scalar, parts, quizzes, quizzes_of

__all__ = [
    "EXERCISES",
    "check_perceptron_epoch",
    "check_xor_by_hand",
    "check_collapse",
    "check_forward_221",
    "check_sigmoid_tanh_derivatives",
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


def _perceptron_cases():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 3))
    y = np.r_[np.zeros(6, dtype=np.int64), np.ones(6, dtype=np.int64)][rng.permutation(12)]
    return [  # from zero every point is on the boundary
        Case("from random weights, lr = 0.5", (X, y, rng.standard_normal(3), 0.7, 0.5)),
        Case("from w = 0, b = 0, lr = 1", (X, y, np.zeros(3), 0.0, 1.0)),
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
    ],
    confirmation="This is one epoch of Rosenblatt's rule. Repeat epochs until one makes no mistake: on linearly "
    "separable data that happens after at most (R/gamma)^2 updates from w = 0 (this is the loop "
    "inside lin.train_perceptron).",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_epoch,
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


def _xor_cases():
    corners = np.tile([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], (6, 1))
    jittered = corners + np.random.default_rng(0).uniform(-0.2, 0.2, corners.shape)
    return [Case("on the four corners", (corners[:4],)), Case("on 24 points near the corners", (jittered,))]


def _explain_xor(where, got, expected, *rest):
    """Part by part on the exact corners; near them any difference means a boundary through a corner."""
    try:
        parts("h", "out", h={(2, 4): _SIDE_BY_SIDE, None: _SIDE_BY_SIDE}, out={(4, 1): _FLAT_OUT})(
            where, got, expected, *rest
        )
    except Mistake:
        if len(expected[1]) == 4:  # on the exact corners: say what is wrong
            raise
        raise Mistake(_NEAR_A_CORNER) from None


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
        Typical(_xor(second=_OR), "The hidden units are swapped or both compute OR: the second one is NAND."),
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

EXERCISES = [
    check_perceptron_epoch,
    check_xor_by_hand,
    check_collapse,
    check_forward_221,
    check_sigmoid_tanh_derivatives,
]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
