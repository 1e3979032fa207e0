"""Notebook 01's closed form: 01.1 least squares by the normal equations (see the package)."""

from __future__ import annotations

import numpy as np

from .. import Case, Exercise, Mistake, Typical, compare
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 01.1 normal equations

_LSTSQ = (
    "np.linalg.lstsq returns four things (solution, residuals, rank, singular values): "
    "return only the first, np.linalg.lstsq(X, y, rcond=None)[0]."
)
_OUTER = (
    "check the shapes. With Xb = lin.add_bias(X) of shape (N, d + 1), the normal equations use the "
    "(d + 1) x (d + 1) matrix Xb.T @ Xb, not the N x N matrix Xb @ Xb.T, and the vector Xb.T @ y: "
    "np.linalg.solve(Xb.T @ Xb, Xb.T @ y)."
)


def _least_squares_cases():
    rng = np.random.default_rng(11)
    cases = []
    for n, d in [(12, 3), (30, 1)]:
        X = rng.standard_normal((n, d)) * 2 + 1.0
        y = X @ rng.standard_normal(d) - 2.5 + 0.2 * rng.standard_normal(n)
        cases.append(Case(f"for N = {n}, d = {d}", (X, y)))
    return cases


_PAIR = (
    "you returned W and b separately. Return ONE vector w = [W, b] of shape (d + 1,), the bias last: "
    "the solution of the normal equations for lin.add_bias(X) is exactly that vector."
)


def _explain_w(where, got, expected, shape_hints, exercise):
    if isinstance(got, tuple) and len(got) == 4:
        raise Mistake(_LSTSQ)
    if isinstance(got, (tuple, list)) and len(got) == 2 and np.ndim(got[1]) == 0 and np.ndim(got[0]) == 1:
        raise Mistake(_PAIR)
    compare(where, got, expected, rtol=exercise.rtol, atol=exercise.atol, shape_hints=shape_hints)


check_normal_equations = Exercise(
    "01.1",
    "def fit_least_squares(X, y):",
    todo="Write fit_least_squares(X, y): add the column of ones, then solve "
    "X^T X w = X^T y for w = [W, b] (shape (d + 1,), bias last).",
    cases=_least_squares_cases,
    reference="Xb = lin.add_bias(X)\nreturn np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
    typical=[
        Typical(
            "return np.linalg.solve(X.T @ X, X.T @ y)",
            "W has no bias: you forgot the bias trick. Append a column of ones "
            "to X (lin.add_bias(X)) so that the fitted line need not pass through 0.",
        ),
        Typical(
            "Xb = np.hstack([np.ones((len(X), 1)), X])\nreturn np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
            "The bias is first in your w: put the column of ones LAST (lin.add_bias(X) does), so that w = [W, b].",
        ),
        Typical(
            "Xb = lin.add_bias(X)\nreturn np.linalg.solve(Xb @ Xb.T, Xb.T @ y)", "NumPy raised an error: " + _OUTER
        ),
        Typical("return np.linalg.lstsq(lin.add_bias(X), y, rcond=None)", _LSTSQ),
        Typical(
            "Xb = lin.add_bias(X)\nreturn Xb @ np.linalg.solve(Xb.T @ Xb, Xb.T @ y)",
            "You returned the fitted values Xb @ w, one per sample: return the weights w = [W, b] themselves.",
        ),
    ],
    confirmation="The column of ones turns the intercept into an ordinary weight, and solving X^T X w = X^T y "
    "(never inverting it) is exactly what `lin.closed_form` does.",
    namespace=NOTEBOOK,
    result="w",
    shape_hints=lambda case: {
        (case.args[0].shape[0],): "W has one entry per sample: the normal equations use X^T X (d + 1 "
        "by d + 1) and X^T y, not X X^T.",
    },
    explain=_explain_w,
    on_error={ValueError: _OUTER, np.linalg.LinAlgError: _OUTER},
)
