"""Notebook 03's gradient check: 03.7, a check written as code that watches every call the student's loop makes
(see the package)."""

from __future__ import annotations

import warnings

import numpy as np

from ... import layers
from .. import Mistake, Typical, as_array, attempt, edited, exercise
from .network import NO_MASK, _model_cases, check_loss_and_grads, two_layer_loss_and_grads

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
    first = next((moved for moved in probe.calls if moved), None)
    if first is None:
        raise Mistake(
            "loss_and_grads never saw a moved entry: did you move a copy (p = params[name].copy())? Move the "
            "entry of the array in params itself, p = params[name]; p[idx] = old + h, in place, then put it back."
        )
    if len(first) > 1:
        names = ", ".join(_entry(k, idx) for k, idx, _ in first[:3])
        raise Mistake(
            f"{len(first)} entries were moved together in one evaluation ({names}{', ...' if len(first) > 3 else ''}):"
            " with one index, p[i] of a 2-D array is a whole row. Move one entry at a time: "
            "for idx in np.ndindex(p.shape), p[idx]."
        )
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
        if k == 0 and all(abs(v - 1 / 3) < 1e-3 for v in values.values()):  # numeric = 2 g
            raise Mistake(
                "on a correct network every error is 1/3: your central difference is twice the derivative. "
                "f(x + h) - f(x - h) spans 2h, so divide it by 2 * h."
            )
        if k == 0 and all(abs(v - 1) < 1e-3 for v in values.values()):  # numeric = -g
            raise Mistake(
                "on a correct network every error is 1: your central differences have the sign flipped (or are 0). "
                "The derivative is (f(x + h) - f(x - h)) / (2h), the loss at x + h first."
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


_MOVE = (
    "p[idx] = old + h\n            f_plus = loss_and_grads(params, X, y)[0]\n"
    "            p[idx] = old - h\n            f_minus = loss_and_grads(params, X, y)[0]\n"
    "            p[idx] = old\n            numeric[idx] = (f_plus - f_minus) / (2 * h)"
)


def _gc_cell(
    h: str = "1e-5",
    loop: str = "for idx in np.ndindex(p.shape):",
    move: str = _MOVE,
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
            Typical(_gc_cell(move=_MOVE.replace("/ (2 * h)", "/ h")), "is twice the derivative"),
            Typical(_gc_cell(move=_MOVE.replace("(f_plus - f_minus)", "(f_minus - f_plus)")), "have the sign flipped"),
            Typical(
                edited(GRADIENT_CHECK, ("params.items():\n", "params.items():\n        p = p.copy()\n")),
                "never saw a moved entry",
            ),
            Typical(_gc_cell(loop="for idx in range(len(p)):"), "entries were moved together"),
        ],
    )
}
