"""Exercises and self-check questions of notebook 03 (backpropagation).

Each check builds its own seeded inputs, runs the student's function on them and compares
with a reference (``course_utils.layers`` or ``torch.autograd``); typical mistakes are
recognised by computing what the mistaken code returns. ``MISTAKES`` lists, for every
exercise, mistaken student cells and a piece of the hint each must get (the notebook test
runs them); ``QUIZZES`` holds the self-check questions, shown with :func:`quiz`.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from .. import layers
from . import Mistake, Quiz, attempt, compare, compare_scalar, exercise, quizzes

__all__ = [
    "check_value_tanh",
    "check_sigmoid_backward",
    "check_affine_backward",
    "check_softmax",
    "check_softmax_cross_entropy",
    "quiz",
    "QUIZZES",
    "MISTAKES",
]


def _quietly(fn, *args):
    """``attempt(fn, *args)`` with numpy's overflow warnings silenced (a naive softmax
    overflows on purpose in the checks; the hint says so, the warning would only be noise)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return attempt(fn, *args)


# ----------------------------------------------------------------------------- 03.1 tanh in the engine


@exercise(
    "03.1",
    todo="Write value_tanh(self): return a new Value holding tanh(self.data) whose _backward "
    "adds the local derivative times out.grad to self.grad.",
)
def check_value_tanh(value_tanh, Value) -> str:
    """``value_tanh(self) -> Value`` for the notebook's scalar ``Value`` class (passed in).

    Tried on three graphs at five random points x: tanh(x) alone, c * tanh(x) (an upstream
    gradient c != 1) and x * tanh(x) (x used twice, so its gradient must accumulate).
    """
    rng = np.random.default_rng(301)
    xs, cs = rng.uniform(-2, 2, 5), rng.uniform(1.5, 3, 5)
    data, alone, scaled, twice = [], [], [], []
    for x0, c0 in zip(xs, cs):
        x = Value(x0)
        out = attempt(value_tanh, x)
        if not isinstance(out, Value):
            raise Mistake(
                f"value_tanh must return a new Value, got {type(out).__name__}: out = Value(t, (self,), 'tanh')."
            )
        if not any(p is x for p in getattr(out, "parents", ())):
            raise Mistake(
                "out does not list self among its parents, so backward() never reaches self: "
                "create it as Value(t, (self,), 'tanh')."
            )
        data.append(out.data)
        out.backward()
        alone.append(x.grad)
        x = Value(x0)
        (value_tanh(x) * Value(c0)).backward()
        scaled.append(x.grad)
        x = Value(x0)
        (value_tanh(x) * x).backward()
        twice.append(x.grad)
    t = np.tanh(xs)
    d = 1 - t**2
    compare("out.data", data, t)
    compare(
        "x.grad in out = tanh(x)",
        alone,
        d,
        mistakes=[
            (1 - xs**2, "tanh'(x) = 1 - tanh(x)**2: square the saved output t = out.data, not the input self.data."),
            (t, "the local derivative of tanh is 1 - t**2, not t."),
        ],
    )
    compare(
        "x.grad in out = c * tanh(x)",
        scaled,
        cs * d,
        mistakes=[
            (d, "multiply the local derivative by out.grad (the chain rule): self.grad += (1 - t**2) * out.grad.")
        ],
    )
    compare(
        "x.grad in out = x * tanh(x)",
        twice,
        xs * d + t,
        mistakes=[
            (
                xs * d,
                "`self.grad = ...` overwrites the gradient x already received from its other use "
                "(the product). Accumulate: self.grad += (1 - t**2) * out.grad.",
            )
        ],
    )
    return (
        "tanh sends (1 - t^2) * out.grad back, computed from the saved output, and += lets a value "
        "used twice collect the gradient of both uses: exactly what autograd does."
    )


# ----------------------------------------------------------------------------- 03.2 sigmoid backward


@exercise(
    "03.2",
    todo="Write sigmoid_backward(dout, s): the gradient dLoss/dx of the sigmoid layer, "
    "from the upstream gradient dout and the cached output s = sigmoid(x).",
)
def check_sigmoid_backward(sigmoid_backward) -> str:
    """``sigmoid_backward(dout (N, M), s (N, M)) -> dx (N, M)``, on random inputs."""
    rng = np.random.default_rng(302)
    s = layers.sigmoid(rng.normal(0, 2, (5, 3)))
    dout = rng.standard_normal((5, 3))
    dx = attempt(sigmoid_backward, dout, s)
    compare(
        "dx",
        dx,
        dout * s * (1 - s),
        mistakes=[
            (dout * s, "the sigmoid's derivative is s * (1 - s), not s."),
            (
                dout * layers.sigmoid(s) * (1 - layers.sigmoid(s)),
                "the cache s is already the output sigmoid(x): use s * (1 - s) directly, do not apply "
                "sigmoid to it again.",
            ),
            (s * (1 - s), "multiply by the upstream gradient dout (the chain rule): dx = dout * s * (1 - s)."),
        ],
    )
    return (
        "dx = dout * s * (1 - s) needs only the saved output, which is why the forward pass caches s; "
        "s * (1 - s) <= 1/4 is the factor behind vanishing gradients in section 7."
    )


# ----------------------------------------------------------------------------- 03.3 affine backward


@exercise(
    "03.3", todo="Write affine_backward(dout, cache): return (dx, dw, db) for out = x @ w + b, with cache = (x, w)."
)
def check_affine_backward(affine_backward) -> str:
    """``affine_backward(dout (N, M), (x (N, D), w (D, M))) -> (dx (N, D), dw (D, M), db (M,))``."""
    rng = np.random.default_rng(303)
    n, d, m = 5, 4, 3
    x, w, dout = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal((n, m))
    grads = attempt(affine_backward, dout, (x.copy(), w.copy()))
    if not isinstance(grads, tuple) or len(grads) != 3:
        raise Mistake("return the three gradients as a tuple: return dx, dw, db.")
    dx, dw, db = grads
    compare("dx", dx, dout @ w.T, mistakes=[(w @ dout.T, "dx must have the shape of x, (N, D): dx = dout @ w.T.")])
    compare(
        "dw",
        dw,
        x.T @ dout,
        mistakes=[
            (dout.T @ x, "dw must have the shape of w, (D, M): dw = x.T @ dout (you computed its transpose)."),
            (
                x.T @ dout / n,
                "dw sums the contributions of the N examples: do not divide by N, the loss's 1/N "
                "is already inside dout.",
            ),
        ],
    )
    compare(
        "db",
        db,
        dout.sum(axis=0),
        mistakes=[
            (
                dout.mean(axis=0),
                "db is the SUM of dout over the N rows (every example adds its own "
                "contribution); the 1/N of a mean loss is already inside dout.",
            ),
            (dout.sum(axis=0, keepdims=True), "db should have the shape of b, (M,): drop keepdims=True."),
        ],
        shape_hints={(n,): "db has one entry per output unit: sum over the rows (axis=0), not axis=1."},
    )
    return (
        "dx = dout @ w.T, dw = x.T @ dout, db = dout summed over the batch: every gradient has the shape "
        "of the thing it is the gradient of, a quick check for any backward pass."
    )


# ----------------------------------------------------------------------------- 03.4 stable softmax


@exercise(
    "03.4",
    todo="Write softmax(z): the row-wise softmax of (N, C) logits, stable for large logits "
    "(subtract each row's maximum first).",
)
def check_softmax(softmax) -> str:
    """``softmax(z (N, C)) -> p (N, C)`` with rows summing to 1; tried on ordinary logits, then on
    the same logits with rows shifted by +1000, -1000, +500 and 0 (softmax ignores such shifts)."""
    rng = np.random.default_rng(304)
    z = rng.normal(0, 2, (4, 3))
    expected = layers.softmax(z)
    try:
        p = _quietly(softmax, z)
    except ValueError as e:
        if "broadcast" in str(e):
            raise Mistake(
                "shapes do not broadcast: z.max(axis=1) has shape (N,); keep it a column with "
                "keepdims=True, (N, 1), so it is subtracted from every entry of its row."
            ) from None
        raise
    e_cols = np.exp(z - z.max(axis=0))
    compare(
        "softmax(z)",
        p,
        expected,
        mistakes=[
            (
                e_cols / e_cols.sum(axis=0),
                "each ROW (one sample) is a distribution over the C classes: take "
                "the max and the sum over axis=1, with keepdims=True.",
            ),
            (
                np.exp(z) / np.exp(z).sum(),
                "normalise each row separately (sum over axis=1, keepdims=True), not the whole array.",
            ),
        ],
    )
    shifted = z + np.array([[1000.0], [-1000.0], [500.0], [0.0]])
    p_big = _quietly(softmax, shifted)
    bad = ~np.isfinite(np.asarray(p_big, dtype=np.float64))
    if bad.shape == expected.shape and bad.any():
        if bad[0].any():
            raise Mistake(
                "on logits near 1000 you get NaN: np.exp overflows above ~709 and inf / inf = nan. "
                "Subtract each row's max first; softmax(z - c) = softmax(z)."
            )
        raise Mistake(
            "on a row far below the others you get NaN: subtracting the global max makes its "
            "exponentials underflow to 0 / 0. Subtract each row's own max (axis=1, keepdims=True)."
        )
    compare("softmax(z + c) for large row shifts c", p_big, expected)
    return (
        "subtracting each row's maximum changes nothing mathematically (it cancels in the ratio) but keeps "
        "every exponent <= 0, so np.exp never overflows."
    )


# ----------------------------------------------------------------------------- 03.5 cross-entropy gradient


@exercise(
    "03.5",
    todo="Write softmax_cross_entropy(scores, y): return (loss, dscores), the mean "
    "cross-entropy and its gradient (softmax(scores) - onehot(y)) / N.",
)
def check_softmax_cross_entropy(softmax_cross_entropy) -> str:
    """``softmax_cross_entropy(scores (N, C), y (N,) int) -> (loss float, dscores (N, C))``,
    compared with ``torch.nn.functional.cross_entropy`` and its autograd gradient."""
    rng = np.random.default_rng(305)
    n, c = 6, 4
    scores, y = rng.normal(0, 2, (n, c)), rng.integers(0, c, n)
    out = _quietly(softmax_cross_entropy, scores, y)
    if not isinstance(out, tuple) or len(out) != 2:
        raise Mistake("return a tuple (loss, dscores).")
    loss, dscores = out
    t = torch.tensor(scores, requires_grad=True)
    loss_t = F.cross_entropy(t, torch.tensor(y))
    loss_t.backward()
    expected = t.grad.numpy()
    p, onehot = layers.softmax(scores), np.eye(c)[y]
    rows_wrong = p.copy()
    rows_wrong[:, y] -= 1
    compare(
        "dscores",
        dscores,
        expected,
        mistakes=[
            (
                p - onehot,
                f"dscores is N = {n} times too large: the loss is the MEAN over the N samples, so "
                "divide softmax - onehot by N.",
            ),
            (p / n, "subtract 1 at the true class: dL/dz_k = (p_k - [k = y]) / N."),
            (
                (onehot - p) / n,
                "the sign is flipped: the gradient is (softmax - onehot) / N, so gradient "
                "descent raises the true class's score.",
            ),
            (
                rows_wrong / n,
                "dscores[:, y] -= 1 subtracts 1 in the columns y of EVERY row; pick one entry per "
                "row with dscores[np.arange(N), y] -= 1.",
            ),
        ],
    )
    log_p = np.log(p)
    compare_scalar(
        "loss",
        loss,
        loss_t.item(),
        mistakes=[
            (n * loss_t.item(), "the loss is the mean over the N samples, not the sum."),
            (-log_p.mean(), "average -log p only at the true classes, p[np.arange(N), y], not over every entry."),
            (-log_p.sum(axis=1).mean(), "take -log p of the true class only, p[np.arange(N), y]."),
        ],
    )
    shifted = scores + np.array([[1000.0], [-1000.0], [0.0], [300.0], [0.0], [-300.0]])
    big_loss, big_d = _quietly(softmax_cross_entropy, shifted, y)
    if not np.all(np.isfinite(np.asarray(big_d, dtype=np.float64))) or not np.isfinite(float(big_loss)):
        raise Mistake(
            "on logits near +-1000 you get NaN or inf: compute the softmax stably, subtracting "
            "each row's max (layers.softmax does)."
        )
    compare("dscores for logits shifted by +-1000", big_d, expected)
    return (
        "dL/dz = (softmax(z) - onehot(y)) / N, the same as torch's autograd: the predicted distribution "
        "minus the target one, so a confident right answer gets almost no gradient."
    )


# ----------------------------------------------------------------------------- self-check questions

QUIZZES = {
    "03.q1": Quiz(
        question="A fully connected layer maps a 32 x 32 colour image (3 x 32 x 32 = 3072 numbers) to 500 "
        "hidden units. How many parameters does it have?",
        options={"a": "1,536,000", "b": "1,536,500", "c": "1,537,572", "d": "3,572"},
        answer="b",
        explanations={
            "a": "that counts the n * m weights only; each of the m = 500 outputs also has a bias.",
            "b": "(3072 + 1) * 500 = 1,536,500: every output is a linear model with 3072 weights and one bias.",
            "c": "(n + 1)(m + 1) gives the inputs a bias too; only the outputs have one: (n + 1) * m.",
            "d": "n + m counts the units, but every input is connected to every output: multiply.",
        },
    ),
    "03.q2": Quiz(
        question="A freshly initialised 10-layer sigmoid network (weights N(0, 1/n_in)) is run forward and "
        "backward on one batch. Which layer's weight gradient ||dL/dW|| is the smallest?",
        options={
            "a": "the last layer, next to the loss",
            "b": "the first layer, next to the input",
            "c": "all layers have gradients of about the same size",
            "d": "a layer in the middle",
        },
        answer="b",
        explanations={
            "a": "the last layer gets the loss's gradient almost directly; it is the largest, not the smallest.",
            "b": "on its way back to the input the gradient is multiplied by sigmoid' <= 1/4 once per layer, "
            "so it shrinks the most before it reaches the first layer. Section 7 measures it.",
            "c": "that needs every layer to pass gradients on unchanged; sigmoid' <= 1/4 shrinks them at every layer.",
            "d": "the shrinking compounds layer by layer, so it is largest at the end farthest from the loss.",
        },
    ),
    "03.q3": Quiz(
        question="A batch of N = 4 samples and C = 4 classes; every logit is 0. With the mean cross-entropy "
        "loss, what is dL/dz at the true class of one sample?",
        answer=-0.1875,
        explanations={
            "right": "softmax of equal logits is 1/4 for every class, so (1/4 - 1) / 4 = -0.1875; "
            "negative, so a gradient step raises the true class's logit."
        },
        wrong="equal logits give softmax = 1/C for every class; the true class's gradient is (p - 1) / N. "
        "Mind the sign and the 1/N.",
    ),
}

quiz = quizzes(QUIZZES)


# ----------------------------------------------------------------------------- typical mistakes (tested)

MISTAKES = {
    "03.1": [
        (
            """def value_tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad = (1 - t**2) * out.grad
    out._backward = _backward
    return out


Value.tanh = value_tanh
""",
            "Accumulate: self.grad +=",
        ),
        (
            """def value_tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - self.data**2) * out.grad
    out._backward = _backward
    return out


Value.tanh = value_tanh
""",
            "not the input self.data",
        ),
        (
            """def value_tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += 1 - t**2
    out._backward = _backward
    return out


Value.tanh = value_tanh
""",
            "multiply the local derivative by out.grad",
        ),
    ],
    "03.2": [
        (
            """def sigmoid_backward(dout, s):
    return dout * s
""",
            "derivative is s * (1 - s), not s",
        ),
        (
            """def sigmoid_backward(dout, s):
    return dout * layers.sigmoid(s) * (1 - layers.sigmoid(s))
""",
            "do not apply sigmoid to it again",
        ),
    ],
    "03.3": [
        (
            """def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.mean(axis=0)
""",
            "db is the SUM of dout over the N rows",
        ),
        (
            """def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)
""",
            "dw must have the shape of w",
        ),
    ],
    "03.4": [
        (
            """def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
""",
            "Subtract each row's max first",
        ),
        (
            """def softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)
""",
            "each ROW (one sample)",
        ),
        (
            """def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)
""",
            "Subtract each row's own max",
        ),
    ],
    "03.5": [
        (
            """def softmax_cross_entropy(scores, y):
    n = len(y)
    p = layers.softmax(scores)
    loss = -np.log(p[np.arange(n), y]).mean()
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores
""",
            "the loss is the MEAN over the N samples",
        ),
        (
            """def softmax_cross_entropy(scores, y):
    n = len(y)
    p = layers.softmax(scores)
    loss = -np.log(p[np.arange(n), y]).mean()
    return loss, p / n
""",
            "subtract 1 at the true class",
        ),
        (
            """def softmax_cross_entropy(scores, y):
    n = len(y)
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores / n
""",
            "compute the softmax stably",
        ),
    ],
}
