"""Notebook 03's whole model: 03.6 the network's loss and gradients, 03.7 a gradient check (see the package)."""

from __future__ import annotations

import warnings

import numpy as np

from ... import layers
from .. import (
    HINT,
    Case,
    Exercise,
    Mistake,
    Typical,
    accepted,
    as_array,
    attempt,
    compare,
    compare_scalar,
    exercise,
    verdict,
)
from .common import NOTEBOOK
from .pieces import check_affine_backward, check_softmax_cross_entropy

# ----------------------------------------------------------------------------- 03.6 the whole network

PARAMS = ("W1", "b1", "W2", "b2")


def two_layer_loss_and_grads(params, X, y):
    """The reference network of section 6: affine -> ReLU -> affine -> mean softmax cross-entropy, built from
    ``course_utils.layers``; returns ``(loss, grads)`` with ``grads`` a dict shaped like ``params``. What the
    notebook trains with until the student's 03.6 is accepted (``check_loss_and_grads.solution``)."""
    z, c1 = layers.affine_forward(X, params["W1"], params["b1"])
    h, c2 = layers.relu_forward(z)
    scores, c3 = layers.affine_forward(h, params["W2"], params["b2"])
    loss, dscores = layers.softmax_cross_entropy(scores, y)
    dh, dW2, db2 = layers.affine_backward(dscores, c3)
    _, dW1, db1 = layers.affine_backward(layers.relu_backward(dh, c2), c1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def autograd_loss_and_grads(params, X, y):
    """The same network in torch (float64), differentiated by autograd: what 03.6 is checked against."""
    import torch
    import torch.nn.functional as F

    t = {k: torch.tensor(np.asarray(params[k], dtype=np.float64), requires_grad=True) for k in PARAMS}
    scores = torch.relu(torch.tensor(np.asarray(X, dtype=np.float64)) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    loss = F.cross_entropy(scores, torch.tensor(np.asarray(y), dtype=torch.int64))
    loss.backward()
    return loss.item(), {k: t[k].grad.numpy() for k in PARAMS}


class _Model(Case):
    """``args``: (params, X, y). The outcome: (loss, grads['W1'], grads['b1'], grads['W2'], grads['b2']), after
    checking that params came back unchanged and that grads is a dict with the keys of params."""

    def call(self, fn):
        params, X, y = self.args
        given = {k: v.copy() for k, v in params.items()}
        out = fn(given, X.copy(), y.copy())
        if out is None:
            return None
        changed = [k for k in PARAMS if not np.array_equal(np.asarray(given[k], dtype=np.float64), params[k])]
        if changed:
            raise Mistake(
                f"loss_and_grads changed params[{changed[0]!r}]: it only computes the loss and the gradients; "
                "the training loop makes the step."
            )
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            raise Mistake("return a tuple (loss, grads), with grads a dict with the keys of params: W1, b1, W2, b2.")
        loss, grads = out
        missing = [k for k in PARAMS if k not in grads]
        if missing:
            raise Mistake(
                f"grads has no {', '.join(repr(k) for k in missing)}: one gradient per parameter, "
                "under the same key as in params."
            )
        return (loss, *(grads[k] for k in PARAMS))


def _model_cases():
    rng = np.random.default_rng(306)
    D, H, C = 3, 5, 4  # all different, so that a transpose shows as a wrong shape
    params = {
        "W1": rng.standard_normal((D, H)),
        "b1": 0.1 * rng.standard_normal(H),
        "W2": rng.standard_normal((H, C)),
        "b2": 0.1 * rng.standard_normal(C),
    }
    cases = []
    for n, label in [(7, "on a batch of 7"), (11, "on a batch of 11")]:
        X, y = rng.standard_normal((n, D)), rng.integers(0, C, n)
        cases.append(_Model(label, (params, X, y)))
    return cases


_LOSS = "loss, dscores = softmax_cross_entropy(scores, y)"


def _inline_loss(axis: int = 1, dscores: str = "(p - np.eye(p.shape[1])[y]) / len(y)") -> str:
    """The loss and dscores written out in numpy instead of calling softmax_cross_entropy."""
    keep = ", keepdims=True" if axis == 1 else ""
    return (
        f"e = np.exp(scores - scores.max(axis={axis}{keep}))\np = e / e.sum(axis={axis}{keep})\n"
        f"loss = -np.log(p[np.arange(len(y)), y]).mean()\ndscores = {dscores}"
    )


def _net(
    loss: str = _LOSS,
    back2: str = "dh, dW2, db2 = affine_backward(dscores, (h, W2))",
    relu: str = "dz = dh * (z > 0)",
    cache1: str = "(X, W1)",
) -> str:
    """The body of loss_and_grads with these lines (by default the right ones)."""
    return (
        'W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]\n'
        "z = X @ W1 + b1\nh = np.maximum(z, 0)\nscores = h @ W2 + b2\n"
        f"{loss}\n{back2}\n{relu}\n_, dW1, db1 = affine_backward(dz, {cache1})\n"
        'return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}'
    )


NO_MASK = _net(relu="dz = dh")  # the notebook's broken network for 03.7's interpretation


def _explain_model(where, got, expected, shape_hints, exercise):
    """Which parts are right and which are wrong, and from that where the error sits; then by how much."""
    names = ["loss", *(f"grads[{k!r}]" for k in PARAMS)]
    right, wrong, detail = [], [], ""
    for name, part, ref in zip(names, got, expected):
        try:
            if name == "loss":
                compare_scalar(name, part, float(ref), rtol=exercise.rtol, atol=exercise.atol)
            else:
                compare(name, part, ref, rtol=exercise.rtol, atol=exercise.atol)
            right.append(name)
        except Mistake as m:
            wrong.append(name)
            detail = detail or str(m)
    if not wrong:
        return
    if "loss" in wrong:
        where_to_look = (
            "the loss is wrong, so look at the forward pass: relu(X @ W1 + b1) @ W2 + b2, then the mean cross-entropy."
        )
    elif {"grads['W2']", "grads['b2']"} & set(wrong):
        where_to_look = (
            "the loss is right; the output layer's gradients are not: look at dscores and the second affine backward."
        )
    else:
        where_to_look = (
            "the loss and the output layer's gradients are right, so dscores is: the error is on the way back "
            "through the ReLU or the first affine layer."
        )
    raise Mistake(f"{where} {', '.join(wrong)} wrong, {', '.join(right) or 'nothing'} right: {where_to_look} {detail}")


class _WholeModel(Exercise):
    @property
    def solution(self):
        """The numpy reference (autograd is what it is checked against; numpy is what trains fast)."""
        return two_layer_loss_and_grads

    def check(self, fn, affine_backward=None, softmax_cross_entropy=None) -> None:
        """The verdict; on a hint, a note on each of the student's own pieces that its check does not accept yet."""
        out = verdict(self.eid, self.todo, self.diagnose, fn)
        if out.startswith(f"[{self.eid}] {HINT}"):
            for name, piece, check in [
                ("affine_backward", affine_backward, check_affine_backward),
                (
                    "softmax_cross_entropy",
                    softmax_cross_entropy,
                    check_softmax_cross_entropy,
                ),
            ]:
                if piece is not None and not accepted(check, piece):
                    out += (
                        f" Note: your {name} ({check.eid}) is not accepted by its check yet; if loss_and_grads "
                        f"calls it, fix it first (or call layers.{name} meanwhile)."
                    )
        print(out)


check_loss_and_grads = _WholeModel(
    "03.6",
    "def loss_and_grads(params, X, y):",
    todo="Write loss_and_grads(params, X, y): the forward pass relu(X @ W1 + b1) @ W2 + b2, the mean softmax "
    "cross-entropy, and the backward pass; return (loss, grads) with grads a dict with the keys of params.",
    cases=_model_cases,
    reference=autograd_loss_and_grads,
    typical=[
        Typical(
            NO_MASK,
            "the ReLU mask is missing: the gradient passes the ReLU only where its input was positive, "
            "dz = dh * (z > 0).",
        ),
        Typical(
            _net(relu="dz = dh * h"),
            "you multiplied dh by the ReLU's output h; its derivative is the 0/1 mask of the active units: "
            "dz = dh * (z > 0).",
        ),
        Typical(
            _net(relu="dz = dh * (dh > 0)"),
            "the mask comes from the forward pass (which units were active, z > 0), not from the sign of the "
            "gradient dh.",
        ),
        Typical(
            _net(cache1="(h, W1)"),
            "the first layer's input is X: its backward needs the cache (X, W1), not (h, W1); dW1 came out "
            "with the wrong shape.",
        ),
        Typical(
            _net(loss=_inline_loss(axis=0)),
            "softmax normalises each row (one sample's C scores): take the max and the sum over axis=1 with "
            "keepdims=True, not over axis=0.",
        ),
        Typical(
            _net(loss=_inline_loss(dscores="p / len(y)")),
            "subtract the one-hot of the labels: dscores = (p - onehot(y)) / N.",
        ),
        Typical(
            _net(loss=_inline_loss(dscores="p - np.eye(p.shape[1])[y]")),
            "every gradient is N times too large: the loss is the mean over the N samples, so dscores = "
            "(p - onehot(y)) / N.",
        ),
        Typical(
            _net(back2="dh, dW2, db2 = dscores @ W2, h.T @ dscores, dscores.sum(axis=0)"),
            "dscores @ W2 does not fit: W2 is (H, C), and the gradient goes back through its transpose, "
            "dh = dscores @ W2.T.",
        ),
        Typical(
            _net(back2="dh, dW2, db2 = dscores @ W2.T, h.T @ dscores, dscores.sum(axis=1)"),
            "db2 has one entry per class: sum dscores over the N rows (axis=0), not over axis=1.",
        ),
    ],
    confirmation="the same loss and gradients as torch's autograd in float64. Backprop is the layers' backward "
    "passes called in reverse order, each handing its dx to the layer before.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_model,
    quiet=True,  # a wrong softmax may overflow: the hint says what is wrong, numpy's warning would be noise
)

# ----------------------------------------------------------------------------- 03.7 a gradient check

_FINE, _BUG = (
    1e-7,
    1e-3,
)  # relative errors in float64: below _FINE a gradient is right, above _BUG it is wrong


def reference_gradient_check(loss_and_grads, params, X, y):
    """{name: relative error} between loss_and_grads's gradient of each parameter and central differences:
    the course's ``layers.numerical_gradient`` (h = 1e-5) and ``layers.relative_error``. Exercise 03.7's reference."""
    _, grads = loss_and_grads(params, X, y)
    errors = {}
    for name in params:
        numeric = layers.numerical_gradient(
            lambda v, name=name: loss_and_grads({**params, name: v}, X, y)[0],
            params[name],
        )
        errors[name] = layers.relative_error(grads[name], numeric)
    return errors


def _scaled(fn, c):
    """fn's loss and gradients times c (the same network, its loss in other units)."""

    def scaled(params, X, y):
        loss, grads = fn(params, X, y)
        return c * loss, {k: c * np.asarray(g) for k, g in grads.items()}

    return scaled


def _buggy(params, X, y):
    """A network with two bugs: no ReLU mask (W1 and b1 wrong) and db2 with the wrong sign; W2 is right."""
    loss, grads = check_loss_and_grads.function(NO_MASK)(params, X, y)
    return loss, {**grads, "b2": -grads["b2"]}


class _Probe:
    """loss_and_grads as the student's loop calls it: records which entries of params each call saw moved."""

    def __init__(self, fn, params):
        self.fn, self.original = fn, {k: v.copy() for k, v in params.items()}
        self.calls: list[list[tuple[str, tuple, float]]] = []

    def moved(self, params) -> list[tuple[str, tuple, float]]:
        out = []
        for k, v in self.original.items():
            d = np.asarray(params[k], dtype=np.float64) - v
            for idx in zip(*np.nonzero(np.abs(d) > 1e-13 * np.maximum(np.abs(v), 1))):
                out.append((k, tuple(int(i) for i in idx), float(d[idx])))
        return out

    def __call__(self, params, X, y):
        self.calls.append(self.moved(params))
        return self.fn(params, X, y)


def _entry(k, idx) -> str:
    return f"{k}[{', '.join(map(str, idx))}]"


def _gradient_check_cases():
    (case,) = _model_cases()[:1]
    params, X, y = case.args
    dead = {
        **params,
        "b1": np.full_like(params["b1"], -50.0),
    }  # every hidden unit off for every sample
    return [
        ("on a correct network", two_layer_loss_and_grads, params, X, y),
        ("on a network with bugs in W1, b1 and b2", _buggy, params, X, y),
        (
            "on the same network, its loss multiplied by 1e-5",
            _scaled(_buggy, 1e-5),
            params,
            X,
            y,
        ),
        (
            "on a network whose hidden layer is dead (every gradient of W1, b1, W2 is exactly 0)",
            two_layer_loss_and_grads,
            dead,
            X,
            y,
        ),
    ]


def _call_quietly(fn, *args):
    """The student's function, its numpy warnings hidden (a 0 / 0 is diagnosed in words)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return attempt(fn, *args)


def _diagnose_loop(probe: _Probe, after: dict) -> None:
    """Mistakes in the student's loop, read off the calls it made."""
    if not probe.calls:
        raise Mistake("gradient_check never called loss_and_grads: evaluate the loss at params moved by +h and -h.")
    for moved in probe.calls:
        if len(moved) > 1:
            (k1, i1, d1), (k2, i2, d2) = moved[:2]
            raise Mistake(
                f"put each entry back after moving it: loss_and_grads was called with {_entry(k1, i1)} moved by "
                f"{d1:.1e} and {_entry(k2, i2)} by {d2:.1e} at the same time, so every later difference mixes "
                "two moves. Save old = p[idx], and set p[idx] = old after the two evaluations."
            )
    if probe.moved(after):
        k, idx, d = probe.moved(after)[0]
        raise Mistake(
            f"params came back changed ({_entry(k, idx)} is off by {d:.1e}): set every entry back to its old value."
        )
    signs: dict[tuple, set] = {}
    for moved in probe.calls:
        for k, idx, d in moved:
            signs.setdefault((k, idx), set()).add(np.sign(d))
    every = [(k, idx) for k, v in probe.original.items() for idx in np.ndindex(v.shape)]
    skipped = [key for key in every if key not in signs]
    if skipped:
        names = ", ".join(_entry(*key) for key in skipped[:3])
        raise Mistake(
            f"{len(skipped)} of the {len(every)} entries were never moved "
            f"({names}{', ...' if len(skipped) > 3 else ''}): "
            "loop over every entry of every parameter (for idx in np.ndindex(p.shape))."
        )
    one_sided = [key for key, s in signs.items() if len(s) < 2]
    if one_sided:
        raise Mistake(
            f"{_entry(*one_sided[0])} was moved only one way: that is a forward difference (f(x + h) - f(x)) / h, "
            "whose "
            "error is O(h) (about 1e-5 here, larger than a correct gradient's 1e-7). Use central differences, "
            "(f(x + h) - f(x - h)) / (2h), error O(h^2)."
        )
    h = float(np.median([abs(d) for moved in probe.calls for _, _, d in moved]))
    if h > 1e-4:
        raise Mistake(
            f"h = {h:.0e} is too large: the central difference's O(h^2) error, and ReLU kinks within h of a "
            "unit's input, make a correct gradient look wrong. Use h = 1e-5."
        )
    if h < 1e-7:
        raise Mistake(
            f"h = {h:.0e} is too small: f(x + h) - f(x - h) cancels almost every digit of a float64 (about 16), "
            "so round-off dominates. Use h = 1e-5."
        )


@exercise(
    "03.7",
    todo="Write gradient_check(loss_and_grads, params, X, y): for every entry of every parameter, move it by +h "
    "and -h, put it back, and compare the central differences with the gradients; return {name: relative error}.",
)
def check_gradient_check(gradient_check) -> str:
    results = []
    for k, (label, fn, params, X, y) in enumerate(_gradient_check_cases()):
        given = {name: v.copy() for name, v in params.items()}
        probe = _Probe(fn, params)
        got = _call_quietly(gradient_check, probe, given, X, y)
        if k == 0:
            _diagnose_loop(probe, given)
        if not isinstance(got, dict) or set(got) != set(params):
            raise Mistake(
                f"return a dict {{name: relative error}} with one number for each of {', '.join(params)}; "
                f"got {type(got).__name__}{' with keys ' + ', '.join(map(str, got)) if isinstance(got, dict) else ''}."
            )
        values = {name: float(as_array(f"the error of {name}", got[name]).reshape(-1)[0]) for name in params}
        expected = reference_gradient_check(fn, params, X, y)
        results.append(values)
        for name, v in values.items():
            if not np.isfinite(v):
                raise Mistake(
                    f"{label} your error for {name} is {v}: where a gradient and its central difference are both 0, "
                    "0 / 0 is nan. Divide by max(||g|| + ||n||, 1e-12), so that equal gradients give 0."
                )
            if v < 0:
                raise Mistake(
                    f"{label} your error for {name} is negative ({v:.1e}): errors of opposite signs cancel in a "
                    "signed sum; measure the distance, ||g - n|| (or the sum of abs(g - n))."
                )
            if v > 2:
                raise Mistake(
                    f"{label} your error for {name} is {v:.1e}, more than any relative error can be (at most 1): "
                    "the denominator must be the sizes ||g|| + ||n||, which never cancel; ||g + n|| is about 0 "
                    "when the gradient has the wrong sign."
                )
        if k == 2:  # the same network, its loss in other units: a relative error does not change
            bug = [n for n in params if expected[n] > _BUG]
            ratio = min(values[n] / results[1][n] for n in bug if results[1][n] > 0)
            if not 0.5 < ratio < 2:
                raise Mistake(
                    f"multiplying the loss by 1e-5 changed your errors by a factor {ratio:.0e}: you computed an "
                    "absolute error ||g - n||. Divide by max(||g|| + ||n||, 1e-12), so that the verdict does not "
                    "depend on the loss's units."
                )
        for name, v in values.items():
            truth = expected[name]
            if (truth < _FINE) != (v < _FINE) or (truth > _BUG) != (v > _BUG):
                state = "right" if truth < _FINE else "wrong"
                raise Mistake(
                    f"{label} the gradient of {name} is {state} (the course's layers.relative_error gives "
                    f"{truth:.1e}), "
                    f"but your check reports {v:.1e}: below 1e-7 should mean right, above 1e-3 wrong."
                )
    return (
        "your check reads W1, b1 and b2 as wrong and W2 as right on the broken network, 0 on a dead layer, and "
        "the same verdict whatever the loss's units. Central differences cost two forward passes per "
        "parameter entry: a test, never a way to train."
    )


check_gradient_check.solution = reference_gradient_check  # what the notebook uses until the student's is accepted


def _gc_cell(
    h: str = "1e-5",
    loop: str = "for idx in np.ndindex(p.shape):",
    move: str = "p[idx] = old + h\n            f_plus = loss_and_grads(params, X, y)[0]\n"
    "            p[idx] = old - h\n            f_minus = loss_and_grads(params, X, y)[0]\n"
    "            p[idx] = old\n            numeric[idx] = (f_plus - f_minus) / (2 * h)",
    error: str = "np.linalg.norm(g - numeric) / max(np.linalg.norm(g) + np.linalg.norm(numeric), 1e-12)",
) -> str:
    """The student's whole gradient_check cell with these parts (by default the right one)."""
    return (
        "def gradient_check(loss_and_grads, params, X, y):\n"
        f"    h = {h}\n"
        "    _, grads = loss_and_grads(params, X, y)\n"
        "    errors = {}\n"
        "    for name, p in params.items():\n"
        "        numeric = np.zeros_like(p)\n"
        f"        {loop}\n"
        "            old = p[idx]\n"
        f"            {move}\n"
        "        g = grads[name]\n"
        f"        errors[name] = {error}\n"
        "    return errors\n"
    )


GRADIENT_CHECK = _gc_cell()

STEPWISE = {
    "03.7": (
        "gradient_check",
        [
            Typical(
                _gc_cell(
                    move="f0 = loss_and_grads(params, X, y)[0]\n            p[idx] = old + h\n"
                    "            numeric[idx] = (loss_and_grads(params, X, y)[0] - f0) / h\n            p[idx] = old"
                ),
                "that is a forward difference (f(x + h) - f(x)) / h",
            ),
            Typical(_gc_cell(h="1e-1"), "h = 1e-01 is too large"),
            Typical(_gc_cell(h="1e-12"), "h = 1e-12 is too small"),
            Typical(
                _gc_cell(
                    move="p[idx] += h\n            f_plus = loss_and_grads(params, X, y)[0]\n"
                    "            p[idx] -= 2 * h\n            f_minus = loss_and_grads(params, X, y)[0]\n"
                    "            numeric[idx] = (f_plus - f_minus) / (2 * h)"
                ),
                "put each entry back after moving it",
            ),
            Typical(
                _gc_cell(loop="for idx in list(np.ndindex(p.shape))[:-1]:"),
                "entries were never moved",
            ),
            Typical(
                _gc_cell(error="np.linalg.norm(g - numeric) / (np.linalg.norm(g) + np.linalg.norm(numeric))"),
                "0 / 0 is nan",
            ),
            Typical(
                _gc_cell(error="np.linalg.norm(g - numeric) / max(np.linalg.norm(g + numeric), 1e-12)"),
                "more than any relative error can be",
            ),
            Typical(
                _gc_cell(error="np.linalg.norm(g - numeric)"),
                "you computed an absolute error",
            ),
            Typical(
                _gc_cell(error="np.sum(g - numeric) / max(np.abs(g).sum() + np.abs(numeric).sum(), 1e-12)"),
                "errors of opposite signs cancel in a signed sum",
            ),
        ],
    )
}
