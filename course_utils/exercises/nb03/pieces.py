"""Notebook 03's pieces: 03.1 tanh in the engine to 03.5 softmax cross-entropy (see the package)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ... import layers
from .. import (
    Case,
    Exercise,
    Mistake,
    Typical,
    as_array,
    compare,
    compare_scalar,
    parts,
)
from .common import NOTEBOOK, Value, randn

# ----------------------------------------------------------------------------- 03.1 tanh in the engine


class _Graph(Case):
    """``args``: the Value class, points x, the gradient out sends back at each and the gradient x already
    holds there. The outcome: out.data and x.grad after out's _backward, at every point."""

    def call(self, fn):
        data, grads = [], []
        Value, *points = self.args
        for x0, upstream, before in zip(*points):
            x = Value(x0)
            x.grad = before
            out = fn(x)
            if out is None:
                return None
            if not hasattr(out, "_backward"):
                raise Mistake(
                    f"value_tanh must return a new Value, got {type(out).__name__}: out = Value(t, (self,), 'tanh')."
                )
            parents = getattr(out, "parents", ())
            if not isinstance(parents, (tuple, list, set, frozenset)):
                raise Mistake(
                    f"out's parents are a {type(parents).__name__}, not a tuple: (self) is self in parentheses. "
                    "Write the tuple with its comma, Value(t, (self,), 'tanh')."
                )
            if not any(p is x for p in parents):
                raise Mistake(
                    "out does not list self among its parents, so backward() never reaches self: "
                    "create it as Value(t, (self,), 'tanh')."
                )
            if not callable(out._backward):
                raise Mistake(
                    f"out._backward is {out._backward!r}, not a function: attach the function itself, "
                    "out._backward = _backward (with () you call it once, now, and store what it returns)."
                )
            out.grad = upstream
            out._backward()
            data.append(out.data)
            grads.append(x.grad)
        return np.array(data), np.array(grads)


def _tanh_cases(Value=Value):
    rng = np.random.default_rng(301)
    x, c = rng.uniform(-2, 2, 5), rng.uniform(1.5, 3, 5)
    return [
        _Graph("in out = tanh(x)", (Value, x, np.ones(5), np.zeros(5))),
        _Graph("in out = c * tanh(x)", (Value, x, c, np.zeros(5))),  # an upstream gradient != 1
        _Graph("in out = x * tanh(x)", (Value, x, x, np.tanh(x))),  # x used twice: it holds tanh(x) from the product
    ]


def _tanh(backward: str) -> str:
    """The body of value_tanh whose _backward does ``self.grad <backward>``."""
    return (
        "t = math.tanh(self.data)\nout = Value(t, (self,), 'tanh')\n\ndef _backward():\n"
        f"    self.grad {backward}\n\nout._backward = _backward\nreturn out"
    )


class _Engine(Exercise):
    def check(self, fn, Value=Value) -> None:  # the x tried are of Value, the class the notebook passes
        Exercise.check(replace(self, cases=lambda: _tanh_cases(Value)), fn)


check_value_tanh = _Engine(
    "03.1",
    "def value_tanh(self):",
    todo="Write value_tanh(self): return a new Value holding tanh(self.data) whose _backward "
    "adds the local derivative times out.grad to self.grad.",
    cases=_tanh_cases,
    reference=_tanh("+= (1 - t**2) * out.grad"),
    typical=[
        Typical(
            _tanh("+= (1 - self.data**2) * out.grad"),
            "tanh'(x) = 1 - tanh(x)**2: square the saved output t = out.data, not the input self.data.",
        ),
        Typical(_tanh("+= t * out.grad"), "the local derivative of tanh is 1 - t**2, not t."),
        Typical(
            _tanh("+= t * (1 - t) * out.grad"),
            "t * (1 - t) is the sigmoid's derivative; tanh's is 1 - t**2 (t = tanh(x), the saved output).",
        ),
        Typical(
            _tanh("+= 1 - t**2"),
            "multiply the local derivative by out.grad (the chain rule): self.grad += (1 - t**2) * out.grad.",
        ),
        Typical(
            _tanh("= (1 - t**2) * out.grad"),
            "`self.grad = ...` overwrites the gradient x already received from its other use "
            "(the product). Accumulate: self.grad += (1 - t**2) * out.grad.",
        ),
        Typical(
            _tanh("+= (1 - t**2) * out.grad").replace("out._backward = _backward\n", ""),
            "x.grad never changed: your _backward is not attached to out, so backward() calls the Value's "
            "default, which does nothing. Set out._backward = _backward before returning out.",
        ),
    ],
    confirmation="tanh sends (1 - t^2) * out.grad back, computed from the saved output, and += lets a value "
    "used twice collect the gradient of both uses: exactly what autograd does.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("out.data", "x.grad"),
)

# ----------------------------------------------------------------------------- 03.2 sigmoid backward

check_sigmoid_backward = Exercise(
    "03.2",
    "def sigmoid_backward(dout, s):",
    todo="Write sigmoid_backward(dout, s): the gradient dLoss/dx of the sigmoid layer, "
    "from the upstream gradient dout and the cached output s = sigmoid(x).",
    cases=lambda: [Case("", (dout, layers.sigmoid(2 * z))) for dout, z in [randn(302, (5, 3), (5, 3))]],
    reference=layers.sigmoid_backward,
    typical=[
        Typical("return dout * s", "the sigmoid's derivative is s * (1 - s), not s."),
        Typical(
            "return dout * layers.sigmoid(s) * (1 - layers.sigmoid(s))",
            "the cache s is already the output sigmoid(x): use s * (1 - s) directly, do not apply sigmoid to it again.",
        ),
        Typical(
            "return s * (1 - s)",
            "multiply by the upstream gradient dout (the chain rule): dx = dout * s * (1 - s).",
        ),
        Typical(
            "return dout * s * (s - 1)",
            "the sign is flipped: the sigmoid rises everywhere, so its derivative s * (1 - s) is positive.",
        ),
        Typical(
            "return dout * (1 - s**2)",
            "1 - s**2 is the derivative of tanh (03.1), whose output s it would be; the sigmoid's is s * (1 - s).",
        ),
    ],
    confirmation="dx = dout * s * (1 - s) needs only the saved output, which is why the forward pass caches s; "
    "s * (1 - s) <= 1/4 is the factor behind vanishing gradients in section 7.",
    namespace=NOTEBOOK,
    result="dx",
    shape_hints={(5, 5): "The chain rule here is elementwise (each x_ij has its own s_ij): multiply with *, not @."},
)

# ----------------------------------------------------------------------------- 03.3 affine backward

_DB_ROWS = "db has one entry per output unit: sum over the rows (axis=0), not axis=1."
_THREE = "return the three gradients as a tuple: return dx, dw, db."


def _affine(dx="dout @ w.T", dw="x.T @ dout", db="dout.sum(axis=0)") -> str:
    return f"x, w = cache\nreturn {dx}, {dw}, {db}"


def _located(*names: str, missing: str, **shape_hints):
    """An ``explain`` for a tuple result: which parts are wrong and which are right (so that a right part is
    never blamed), then by how much the first wrong one is off (as :func:`~course_utils.exercises.parts`)."""
    whole = parts(*names, missing=missing, **shape_hints)

    def explain(where, got, expected, hints, exercise):
        if not isinstance(got, (tuple, list)) or len(got) != len(names):
            whole(where, got, expected, hints, exercise)  # says what to return
        right, wrong, detail = [], [], ""
        for name, part, ref in zip(names, got, expected):
            try:
                parts(name, **{name: shape_hints.get(name, hints)})(where, (part,), (ref,), hints, exercise)
                right.append(name)
            except Mistake as m:
                wrong.append(name)
                detail = detail or str(m)
        if wrong:
            raise Mistake(f"{', '.join(wrong)} wrong, {', '.join(right)} right. {detail}" if right else detail)

    return explain


check_affine_backward = Exercise(
    "03.3",
    "def affine_backward(dout, cache):",
    todo="Write affine_backward(dout, cache): return (dx, dw, db) for out = x @ w + b, with cache = (x, w).",
    cases=lambda: [Case("", (dout, (x, w))) for x, w, dout in [randn(303, (5, 4), (4, 3), (5, 3))]],
    reference=layers.affine_backward,
    typical=[
        Typical(
            _affine(dx="w @ dout.T"),
            "dx must have the shape of x, (N, D): dx = dout @ w.T.",
        ),
        Typical(
            _affine(dw="dout.T @ x"),
            "dw must have the shape of w, (D, M): dw = x.T @ dout (you computed its transpose).",
        ),
        Typical(
            _affine(dw="x.T @ dout / len(x)"),
            "dw sums the contributions of the N examples: do not divide by N, the loss's 1/N is already inside dout.",
        ),
        Typical(
            _affine(db="dout.mean(axis=0)"),
            "db is the SUM of dout over the N rows (every example adds its own "
            "contribution); the 1/N of a mean loss is already inside dout.",
        ),
        Typical(
            _affine(db="dout.sum(axis=0, keepdims=True)"),
            "db should have the shape of b, (M,): drop keepdims=True.",
        ),
        Typical(_affine(db="dout.sum(axis=1)"), _DB_ROWS),
        Typical("x, w = cache\nreturn dout @ w.T, x.T @ dout", _THREE),
    ],
    confirmation="dx = dout @ w.T, dw = x.T @ dout, db = dout summed over the batch: every gradient has the shape "
    "of the thing it is the gradient of, a quick check for any backward pass.",
    namespace=NOTEBOOK,
    result="",
    shape_hints={(5,): _DB_ROWS},
    explain=_located("dx", "dw", "db", missing=_THREE),
)

# ----------------------------------------------------------------------------- 03.4 stable softmax

_KEEPDIMS = (
    "shapes do not broadcast: a row's max or sum, z.max(axis=1) or e.sum(axis=1), has shape (N,); keep each a "
    "column with keepdims=True, (N, 1), so that it meets every entry of its row."
)
_WHOLE = "normalise each row separately (sum over axis=1, keepdims=True), not the whole array."
_OVERFLOW = (
    "on logits near 1000 you get NaN: np.exp overflows above ~709 and inf / inf = nan. "
    "Subtract each row's max first; softmax(z - c) = softmax(z)."
)
_UNDERFLOW = (
    "on a row far below the others you get NaN: subtracting the global max makes its "
    "exponentials underflow to 0 / 0. Subtract each row's own max (axis=1, keepdims=True)."
)


def _logit_cases(seed: int, n: int, c: int, shifts: list[float]):
    """Ordinary (n, c) logits, then the same with row i shifted by shifts[i] (softmax ignores it)."""
    z = 2 * randn(seed, (n, c))[0]
    return [
        Case("", (z,)),
        Case("for logits shifted by +-1000", (z + np.array(shifts)[:, None],)),
    ]


def _softmax_cases():
    """The logit cases, then rows that span 2000 (only each row's MAX keeps every exponent <= 0 there)."""
    wide = 2 * randn(3040, (4, 3))[0]
    wide[:, 0] += 2000.0
    return [*_logit_cases(304, 4, 3, [1000.0, -1000.0, 500.0, 0.0]), Case("for rows that span 2000", (wide,))]


def _explain_softmax(where, got, expected, shape_hints, exercise):
    array = as_array(where, got)
    bad = ~np.isfinite(array)
    if bad.shape == expected.shape and bad.any():
        raise Mistake(_OVERFLOW if bad[0].any() else _UNDERFLOW)
    if array.shape == expected.shape and np.isclose(array.sum(), 1) and not np.allclose(array.sum(axis=1), 1):
        raise Mistake(_WHOLE)  # a stable softmax normalised over the whole array
    compare(where, got, expected)


check_softmax = Exercise(
    "03.4",
    "def softmax(z):",
    todo="Write softmax(z): the row-wise softmax of (N, C) logits, stable for large logits "
    "(subtract each row's maximum first).",
    cases=_softmax_cases,
    reference=layers.softmax,
    typical=[
        Typical(
            "e = np.exp(z - z.min(axis=1, keepdims=True))\nreturn e / e.sum(axis=1, keepdims=True)",
            "on rows that span 2000 you get NaN: after subtracting a row's min (or mean) its largest exponent is "
            "still far above 709, and np.exp overflows. Subtract the row's MAX, so that every exponent is <= 0.",
        ),
        Typical(
            "e = np.exp(z - z.max(axis=1))\nreturn e / e.sum(axis=1, keepdims=True)",
            _KEEPDIMS,
        ),
        Typical(
            "e = np.exp(z - z.max(axis=0))\nreturn e / e.sum(axis=0)",
            "each ROW (one sample) is a distribution over the C classes: take "
            "the max and the sum over axis=1, with keepdims=True.",
        ),
        Typical("e = np.exp(z)\nreturn e / e.sum()", _WHOLE),
        Typical("e = np.exp(z)\nreturn e / e.sum(axis=1, keepdims=True)", _OVERFLOW),
        Typical(
            "e = np.exp(z - z.max())\nreturn e / e.sum(axis=1, keepdims=True)",
            _UNDERFLOW,
        ),
    ],
    confirmation="subtracting each row's maximum changes nothing mathematically (it cancels in the ratio) but keeps "
    "every exponent <= 0, so np.exp never overflows.",
    namespace=NOTEBOOK,
    result="softmax(z)",
    explain=_explain_softmax,
    quiet=True,  # a naive softmax overflows on purpose: the hint says so, numpy's warning would be noise
    on_error={ValueError: _KEEPDIMS},
)

# ----------------------------------------------------------------------------- 03.5 cross-entropy gradient

_UNSTABLE = (
    "on logits near +-1000 you get NaN or inf: compute the softmax stably, subtracting "
    "each row's max (layers.softmax does)."
)


def _ce(
    loss="-np.log(p[np.arange(n), y]).mean()",
    rows="np.arange(n)",
    grad="dscores / n",
    p="layers.softmax(scores)",
):
    """The body of softmax_cross_entropy with these parts (by default the right one)."""
    return f"n = len(y)\np = {p}\nloss = {loss}\ndscores = p.copy()\ndscores[{rows}, y] -= 1\nreturn loss, {grad}"


def _cross_entropy_cases():
    y = np.random.default_rng(3050).integers(0, 4, 6)
    return [Case(c.label, (*c.args, y)) for c in _logit_cases(305, 6, 4, [1000, -1000, 0, 300, 0, -300])]


def _explain_cross_entropy(where, got, expected, shape_hints, exercise):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake("return a tuple (loss, dscores).")
    loss, dscores = got
    if np.size(dscores) == 1 and np.ndim(loss) == 2:
        raise Mistake("return (loss, dscores) in that order: your first value is the (N, C) gradient.")
    if not (np.isfinite(as_array("loss", loss)).all() and np.isfinite(as_array("dscores", dscores)).all()):
        raise Mistake(_UNSTABLE)
    compare(f"dscores {where}".strip(), dscores, expected[1])
    compare_scalar(f"loss {where}".strip(), loss, expected[0])


check_softmax_cross_entropy = Exercise(
    "03.5",
    "def softmax_cross_entropy(scores, y):",
    todo="Write softmax_cross_entropy(scores, y): return (loss, dscores), the mean "
    "cross-entropy and its gradient (softmax(scores) - onehot(y)) / N.",
    cases=_cross_entropy_cases,
    reference=_ce(),
    typical=[
        Typical(
            _ce(grad="dscores"),
            "dscores is N = 6 times too large: the loss is the MEAN over the N samples, so "
            "divide softmax - onehot by N.",
        ),
        Typical(
            _ce(grad="p / n"),
            "subtract 1 at the true class: dL/dz_k = (p_k - [k = y]) / N.",
        ),
        Typical(
            _ce(grad="(np.eye(p.shape[1])[y] - p) / n"),
            "the sign is flipped: the gradient is (softmax - onehot) / N, so gradient "
            "descent raises the true class's score.",
        ),
        Typical(
            _ce(rows=":"),
            "dscores[:, y] -= 1 subtracts 1 in the columns y of EVERY row; pick one entry per "
            "row with dscores[np.arange(N), y] -= 1.",
        ),
        Typical(
            _ce(loss="-np.log(p[np.arange(n), y]).sum()"),
            "the loss is the mean over the N samples, not the sum.",
        ),
        Typical(
            _ce(loss="-np.log(p[:, y]).mean()"),
            "p[:, y] is an N x N array (the columns y of every row): the loss averages one entry per row, "
            "-log p[np.arange(N), y].",
        ),
        Typical(
            "n = len(y)\np = layers.softmax(scores)\ndscores = p\ndscores[np.arange(n), y] -= 1\n"
            "loss = -np.log(p[np.arange(n), y]).mean()\nreturn loss, dscores / n",
            "dscores = p does not copy p: subtracting 1 in dscores changed p too, so your loss takes the log of "
            "p - 1 (NaN). Copy it, dscores = p.copy(), or compute the loss before.",
        ),
        Typical(
            _ce(loss="-np.log(p).mean()"),
            "average -log p only at the true classes, p[np.arange(N), y], not over every entry.",
        ),
        Typical(
            _ce(loss="-np.log(p).sum(axis=1).mean()"),
            "take -log p of the true class only, p[np.arange(N), y].",
        ),
        Typical(
            _ce(p="np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)"),
            _UNSTABLE,
        ),
    ],
    confirmation="dL/dz = (softmax(z) - onehot(y)) / N, the same as torch's autograd: the predicted distribution "
    "minus the target one, so a confident right answer gets almost no gradient.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_cross_entropy,
    quiet=True,  # a naive softmax overflows on purpose (see 03.4)
)
