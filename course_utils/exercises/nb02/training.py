"""Notebook 02's training loop: 02.6 gradient descent on the 2-2-1 sigmoid network, by hand (see the package)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from .. import Exercise, Mistake, Typical, as_array, compare
from .common import NOTEBOOK, KeepsInputs, keeps_inputs, unpack

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
    got = unpack(got, (*_PARAMS, "losses"))
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
