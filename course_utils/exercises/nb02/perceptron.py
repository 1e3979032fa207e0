"""Notebook 02's step neurons: 02.1 one perceptron epoch, 02.2 XOR from OR and NAND (see the package)."""

from __future__ import annotations

import numpy as np

from ... import linear as lin
from .. import Case, Exercise, Mistake, Typical, as_array, compare, compare_scalar, parts
from .common import NOTEBOOK, KeepsInputs, keeps_inputs, unpack

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
    # from zero the first example, of class 1, is on the boundary; after its update w = [1, 1, 0], b = 1, so the
    # second, of class 0, is exactly on it too: a point on the boundary is a mistake whatever its class
    X0, y0 = np.r_[[[1.0, 1.0, 0.0], [-0.5, -0.5, 0.0]], X[2:]], np.r_[1, 0, y[2:]]
    w, b = np.zeros(3), 0.0
    for x_i, s_i in zip(X0, 2 * y0 - 1):
        if s_i * (x_i @ w + b) <= 0:
            w, b = w + s_i * x_i, b + s_i
    X0, y0 = np.r_[X0, X0[2:3]], np.r_[y0, int(X0[2] @ w + b <= 0)]  # and the last example a mistake
    return [
        KeepsInputs("from random weights, lr = 0.5", (X, y, rng.standard_normal(3), 0.7, 0.5), names=_EPOCH_ARGS),
        KeepsInputs("from w = 0, b = 0, lr = 1", (X0, y0, np.zeros(3), 0.0, 1.0), names=_EPOCH_ARGS),
    ]


def _explain_epoch(where, got, expected, hints, exercise):
    """(w, b) together, then the count; b may be any single number (a float, a one-entry array)."""
    w, b, updates = unpack(got, ("w", "b", "mistakes"))
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
            "w, b, mistakes = w.astype(float), float(b), 0\nfor x_i, y_i in zip(X, y):\n"
            "    pred = neuron(x_i[None], w, b)[0]\n    if pred != y_i:\n"
            "        w = w + lr * (y_i - pred) * x_i\n        b = b + lr * (y_i - pred)\n        mistakes += 1\n"
            "return w, b, mistakes",
            "You update when the step neuron's prediction is wrong; step(0) = 1, so a class-1 example exactly "
            "on the boundary counts as right. Rosenblatt's rule counts it as a mistake: update when "
            "s_i (w . x_i + b) <= 0, with s = 2y - 1.",
        ),
        Typical(
            "w, b, mistakes = w.astype(float), float(b), 0\nfor x_i, y_i in zip(X, y):\n"
            "    pred = 1 if x_i @ w + b > 0 else 0\n    if pred != y_i:\n"
            "        w = w + lr * (y_i - pred) * x_i\n        b = b + lr * (y_i - pred)\n        mistakes += 1\n"
            "return w, b, mistakes",
            "You predict 1 only for a score > 0 and update when that prediction is wrong, so a class-0 example "
            "exactly on the boundary counts as right. Every point on the boundary is a mistake: update when "
            "s_i (w . x_i + b) <= 0.",
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
    h, out = (as_array(name, part) for name, part in zip(("h", "out"), unpack(got, ("h", "out"))))
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
