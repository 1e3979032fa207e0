"""Exercises and self-check questions of notebook 01 (linear models).

Shapes: ``X`` is (N, d) with N samples in rows, ``y`` is (N,), a weight vector is (d,).
Where a bias column is needed it is a column of ones, *last* (``course_utils.linear.add_bias``).

* 01.1 ``fit_least_squares(X, y)`` - least squares in closed form, bias trick included;
* 01.2 ``gd_step(w, X, y, eta)`` - one vectorised gradient-descent step on the MSE (with the 1/2);
* 01.3 ``adam_step(w, g, m, v, t, ...)`` - one Adam update, as ``torch.optim.Adam`` does it;
* 01.4 ``log_loss_grad(w, X, y)`` - the gradient of the mean log loss of logistic regression;
* 01.5 ``huber_grad(w, X, y, delta)`` - the gradient of the mean Huber loss, then a fit with an outlier;
* 01.6 ``sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol)`` - the whole mini-batch SGD loop (a fresh
  order from ``rng`` each epoch, one full-data loss per epoch, the step stopping rule); the notebook trains
  SGD with it once :func:`accepted`, with :func:`sgd_train_reference` until then.

Each is declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, so a
hard-coded answer does not pass, the reference, and each typical mistake as the code a student
would write (with the notebook's ``np`` and ``lin``), with its hint. 01.6's check is code (its
diagnosis runs the loop on several problems and watches the rng it is given); its typical mistakes are
whole cells in ``STEPWISE``. The self-check questions are in ``nb01.toml``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass

import numpy as np

from .. import linear as lin
from . import (
    Case,
    Exercise,
    Mistake,
    Typical,
    accepted,
    as_array,
    compare,
    exercise,
    quizzes,
    quizzes_of,
    require,
    source,
)

__all__ = [
    "EXERCISES",
    "check_normal_equations",
    "check_gd_step",
    "check_adam_step",
    "check_log_loss_grad",
    "check_huber_grad",
    "check_sgd_train",
    "sgd_train_reference",
    "STEPWISE",
    "accepted",
    "QUIZZES",
    "quiz",
]

_SHAPES = (
    "Check the shapes: X is (N, d), the residual X @ w - y is (N,), and the gradient "
    "X.T @ r / N is (d,) (one entry per weight). X @ r does not fit: use X.T @ r."
)
_WRONG_SIGN_STEP = (
    "Wrong sign: you stepped uphill. The step is w - eta * grad with grad = "
    "X.T @ (X @ w - y) / N (or w + eta * X.T @ (y - X @ w) / N)."
)
_N_TIMES = "Your gradient is N times too big: the loss is the MEAN over N samples, divide by N."
NOTEBOOK = {"np": np, "lin": lin}  # what the notebook has imported when the student's cell runs


def _regression(rng: np.random.Generator, n: int = 9, d: int = 3):
    """Fresh (N, d) features, bias column last, targets (N,) and weights (d,)."""
    X = lin.add_bias(rng.standard_normal((n, d - 1)) * [1.0, 2.0][: d - 1] + 0.5)
    w = rng.standard_normal(d)
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    return X, y, w


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


def _explain_w(where, got, expected, shape_hints, exercise):
    if isinstance(got, tuple) and len(got) == 4:
        raise Mistake(_LSTSQ)
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

# ----------------------------------------------------------------------------- 01.2 one GD step

_H_GD_IN_PLACE = (
    "You changed the caller's w in place (w -= ... or w[:] = ...): return a NEW array, "
    "w - eta * grad, and leave w as it was (the caller may still need the old weights)."
)


@dataclass(frozen=True)
class _KeepsInputs(Case):
    """A case whose function must not change its array arguments (the stub promises it)."""

    def call(self, fn: Callable):
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in self.args)
        out = fn(*args, **self.kwargs)
        if any(isinstance(a, np.ndarray) and not np.array_equal(a, b) for a, b in zip(args, self.args)):
            raise Mistake(_H_GD_IN_PLACE)
        return out


check_gd_step = Exercise(
    "01.2",
    "def gd_step(w, X, y, eta):",
    todo="Write gd_step(w, X, y, eta): return w - eta * grad Q(w) for "
    "Q(w) = mean((X w - y)^2) / 2, vectorised (no loop).",
    cases=lambda: [
        _KeepsInputs(f"for eta = {eta}", (w, X, y, eta))
        for seed, eta in [(21, 0.1), (22, 0.03)]
        for X, y, w in [_regression(np.random.default_rng(seed))]
    ],
    reference="return w - eta * X.T @ (X @ w - y) / len(X)",
    typical=[
        Typical("return w + eta * X.T @ (X @ w - y) / len(X)", _WRONG_SIGN_STEP),
        Typical(
            "return w - eta * X.T @ (X @ w - y)",
            "Your step is N times too big: the loss is a MEAN over the N samples, "
            "so the gradient is X.T @ (X @ w - y) / N. You forgot the 1/N.",
        ),
        Typical(
            "return w - eta * 2 * X.T @ (X @ w - y) / len(X)",
            "Your gradient is twice the right one: Q has the factor 1/2, whose derivative cancels the 2 of the square.",
        ),
        Typical(
            "return w - eta * X.T @ (X @ w - y) / X.shape[1]",
            "You divided by the number of weights d; the mean runs over the N samples, divide by N = len(X).",
        ),
        Typical("return X.T @ (X @ w - y) / len(X)", "You returned the gradient, not the new weights w - eta * grad."),
        Typical("return -eta * X.T @ (X @ w - y) / len(X)", "You returned only the step; add it to w: w - eta * grad."),
        Typical("return w - eta * X @ (X @ w - y) / len(X)", "NumPy cannot multiply X by the residual. " + _SHAPES),
        Typical("w -= eta * X.T @ (X @ w - y) / len(X)\nreturn w", _H_GD_IN_PLACE),
    ],
    confirmation="This one line is all that `lin.gradient_descent` repeats, and what torch.optim.SGD does "
    "with the whole data as the batch.",
    namespace=NOTEBOOK,
    result="w_new",
    shape_hints=lambda case: {(len(case.args[1]),): "It has one entry per sample: " + _SHAPES, None: _SHAPES},
    on_error={ValueError: _SHAPES},
)

# ----------------------------------------------------------------------------- 01.3 one Adam step

_MOMENTS = "m = beta1 * m + (1 - beta1) * g\nv = beta2 * v + (1 - beta2) * g**2\n"
_CORRECTED = _MOMENTS + "m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)\n"


def _adam_cases():
    rng = np.random.default_rng(31)
    cases = []
    for t in (1, 4):  # a large eps, so that where it goes shows
        d = 5
        w, g = rng.standard_normal(d), 0.01 * rng.standard_normal(d)
        m = np.zeros(d) if t == 1 else 0.01 * rng.standard_normal(d)
        v = np.zeros(d) if t == 1 else 1e-4 * rng.random(d)
        cases.append(Case(f"at step t = {t}", (w, g, m, v, t), {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-4}))
    return cases


def _explain_adam(where, got, expected, shape_hints, exercise):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise Mistake("Return the three arrays (w, m, v): the next step needs the updated moments.")
    for k, name in ((1, "m"), (2, "v"), (0, "w_new")):
        compare(f"{name} ({where})", got[k], expected[k])


check_adam_step = Exercise(
    "01.3",
    "def adam_step(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):",
    todo="Write adam_step(w, g, m, v, t, lr, beta1, beta2, eps): update the moments m and v, "
    "correct their bias with t, step w, and return (w, m, v).",
    cases=_adam_cases,
    reference=_CORRECTED + "return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
    typical=[
        Typical(
            _MOMENTS + "return w - lr * m / (np.sqrt(v) + eps), m, v",
            "No bias correction: m and v start at 0, so early on they are too small; divide them by "
            "(1 - beta1**t) and (1 - beta2**t) before the step.",
        ),
        Typical(
            _CORRECTED + "return w - lr * m_hat / (v_hat + eps), m, v",
            "The square root is missing: divide by sqrt(v_hat) + eps, the root mean square of the gradients, "
            "not by their mean square.",
        ),
        Typical(
            _CORRECTED + "return w - lr * m_hat / np.sqrt(v_hat + eps), m, v",
            "Eps belongs OUTSIDE the square root: m_hat / (np.sqrt(v_hat) + eps), as in torch.optim.Adam.",
        ),
        Typical(
            _CORRECTED + "return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat",
            "Return the raw moment m, not the bias-corrected m_hat (and v, not v_hat): the running average "
            "must go on from m; m_hat is only used for the step.",
        ),
        Typical(
            _CORRECTED.replace("g**2", "g") + "return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
            "V averages the SQUARED gradients: v = beta2 * v + (1 - beta2) * g**2.",
        ),
        Typical(
            _CORRECTED + "return w + lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
            "Wrong sign: step against the gradient, w - lr * ...",
        ),
        Typical(
            _MOMENTS + "m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))\n"
            "return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
            "The bias correction uses t + 1: t counts steps from 1, so the first step divides by (1 - beta1**1).",
        ),
    ],
    confirmation="With the bias correction the very first step moves every weight by about lr, whatever the "
    "gradient's scale; this is the update `lin.train_linear(..., 'adam')` and torch.optim.Adam make.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_adam,
)

# ----------------------------------------------------------------------------- 01.4 log-loss gradient

_P = "p = 1 / (1 + np.exp(-X @ w))\n"


def _log_loss_cases():
    rng = np.random.default_rng(41)
    cases = []
    for n, d in [(10, 3), (25, 4)]:
        X = lin.add_bias(rng.standard_normal((n, d - 1)))
        y = (rng.random(n) > 0.5).astype(float)
        cases.append(Case(f"for N = {n}", (rng.standard_normal(d), X, y)))
    return cases


_WRONG_AXIS = (
    "It has one entry per sample: you averaged over the wrong axis. The mean "
    "runs over the N samples (axis 0), leaving one entry per weight: X.T @ (p - y) / N."
)

check_log_loss_grad = Exercise(
    "01.4",
    "def log_loss_grad(w, X, y):",
    todo="Write log_loss_grad(w, X, y): the gradient of the mean log loss of p = sigmoid(X w), shape (d,), vectorised.",
    cases=_log_loss_cases,
    reference=_P + "return X.T @ (p - y) / len(X)",
    typical=[
        Typical(
            _P + "return X.T @ (y - p) / len(X)",
            "Wrong sign: the gradient is X.T @ (p - y) / N, prediction minus target; "
            "X.T @ (y - p) / N is minus the gradient.",
        ),
        Typical(_P + "return X.T @ (p - y)", _N_TIMES),
        Typical(
            "return X.T @ (X @ w - y) / len(X)",
            "You used the score X @ w where the probability p = sigmoid(X @ w) "
            "belongs: that is the MSE gradient of linear regression.",
        ),
        Typical(
            _P + "return X.T @ ((p - y) * p * (1 - p)) / len(X)",
            "The factor p (1 - p) cancels: d/ds of the log loss of sigmoid(s) is simply p - y.",
        ),
        Typical(_P + "return np.mean(X * (p - y)[:, None], axis=1)", _WRONG_AXIS),
    ],
    confirmation="The log loss of a sigmoid has the same gradient form as the MSE of a linear model, "
    "X^T (prediction - target) / N; `lin.logistic_grad` is this function.",
    namespace=NOTEBOOK,
    result="grad",
    shape_hints=lambda case: {(len(case.args[1]),): _WRONG_AXIS, None: _SHAPES},
    on_error={ValueError: _SHAPES},
)

# ----------------------------------------------------------------------------- 01.5 Huber gradient


def _huber_cases():
    cases = []
    for seed, delta in [(51, 1.0), (52, 0.5)]:
        X, y, w = _regression(np.random.default_rng(seed), n=12)
        y = y + np.where(np.arange(len(y)) % 3 == 0, 4.0, 0.0)  # some residuals far beyond delta
        cases.append(Case(f"for delta = {delta}", (w, X, y), {"delta": delta}))
    return cases


def _huber_confirmation(student_huber_grad) -> str:
    """Why it matters: the pair-regression line with one gross outlier, MSE against the student's Huber."""
    x, y = lin.make_pair_regression(50, seed=0)
    X = lin.add_bias(x)
    y_out = y.copy()
    y_out[0] += 30.0
    clean, mse_fit = lin.closed_form(X, y), lin.closed_form(X, y_out)
    grad = lambda w: np.asarray(student_huber_grad(w, X, y_out, delta=1.0), dtype=float)  # noqa: E731
    huber_fit = lin.gradient_descent(grad, np.zeros(X.shape[1]), 0.5, 3000, step_tol=1e-10).w
    return (
        f"Fitting the line to the pair-regression data with one outlier (+30): clean slope {clean[0]:.2f}, "
        f"MSE {mse_fit[0]:.2f}, Huber with your gradient {huber_fit[0]:.2f}. Capping each residual's "
        "pull at delta keeps one bad point from dragging the whole line."
    )


check_huber_grad = Exercise(
    "01.5",
    "def huber_grad(w, X, y, delta=1.0):",
    todo="Write huber_grad(w, X, y, delta): the gradient of the mean Huber loss of the residuals y - X w, shape (d,).",
    cases=_huber_cases,
    reference="return -X.T @ np.clip(y - X @ w, -delta, delta) / len(X)",
    typical=[
        Typical(
            "return -X.T @ (y - X @ w) / len(X)",
            "You did not clip: beyond |r| = delta the Huber loss grows linearly, so each "
            "residual's pull is capped at delta: np.clip(r, -delta, delta).",
        ),
        Typical(
            "return X.T @ np.clip(y - X @ w, -delta, delta) / len(X)",
            "Wrong sign: with r = y - X @ w the gradient is -X.T @ clip(r, -delta, delta) / N.",
        ),
        Typical(
            "return np.clip(-X.T @ (y - X @ w) / len(X), -delta, delta)",
            "Clip each residual, not the final gradient: -X.T @ np.clip(r, -delta, delta) / N.",
        ),
        Typical("return -X.T @ np.clip(y - X @ w, -delta, delta)", _N_TIMES),
    ],
    confirmation=_huber_confirmation,
    namespace=NOTEBOOK,
    result="grad",
    shape_hints=lambda case: {(len(case.args[1]),): _SHAPES, None: _SHAPES},
    on_error={ValueError: _SHAPES},
)

# ----------------------------------------------------------------------------- 01.6 the SGD training loop

_SGD_SIGNATURE = "def sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):"
_SGD_EPOCH_START = "w = np.array(w0, dtype=float)\nhistory = []\nfor epoch in range(epochs):\n    w_prev = w.copy()\n"
_SGD_STEP = "        w = w - eta * X[B].T @ (X[B] @ w - y[B]) / len(B)\n"
_SGD_EPOCH_END = (
    "    history.append(np.mean((X @ w - y) ** 2) / 2)\n"
    "    if np.linalg.norm(w - w_prev) < tol:\n"
    "        break\n"
    "return w, np.array(history)\n"
)
_SGD_BATCHES = (
    "    order = rng.permutation(len(X))\n"
    "    for start in range(0, len(X), batch_size):\n"
    "        B = order[start:start + batch_size]\n"
)
SGD_REFERENCE = _SGD_EPOCH_START + _SGD_BATCHES + _SGD_STEP + _SGD_EPOCH_END


def _sgd_cell(body: str) -> str:
    return source(_SGD_SIGNATURE, body)


def _sgd_variant(old: str, new: str, base: str = SGD_REFERENCE) -> str:
    assert old in base, old
    return base.replace(old, new)


_H_NO_SHUFFLE = (
    "You never shuffle: every epoch visits the samples in the same order 0, 1, ..., N - 1, and the rng passed in "
    "is not used. Draw a fresh order at the start of EVERY epoch: order = rng.permutation(len(X))."
)
_H_SHUFFLE_ONCE = (
    "You shuffle only once, before the first epoch, so every epoch repeats the same order. Move "
    "order = rng.permutation(len(X)) inside the epoch loop: a fresh order each epoch."
)
_H_GLOBAL = (
    "Your function draws from NumPy's global generator (np.random....), so the same rng gives different "
    "results and other code's random numbers change. Use the rng passed in: order = rng.permutation(len(X))."
)
_H_RESEED = (
    "The rng passed in is never used, and your result is the same whatever rng the caller passes: you make "
    "your own generator inside (np.random.default_rng(...)). Draw from the argument rng instead; the caller "
    "decides the seed."
)
_H_SUM = (
    "Your steps are too big by the batch size: the mini-batch gradient is the MEAN over the batch, "
    "X_B.T @ (X_B @ w - y_B) / len(B). You summed over the batch (forgot the 1/B)."
)
_H_DROP_LAST = (
    "You drop the last, smaller mini-batch when batch_size does not divide N (e.g. range(N // batch_size) "
    "batches): those samples are skipped in that epoch. Use range(0, N, batch_size), so the last batch "
    "takes the remaining samples."
)
_H_FULL_B = (
    "You divide every mini-batch gradient by batch_size, but the last batch can be smaller: divide by the "
    "number of samples actually in the batch, len(B)."
)
_H_BATCH_HISTORY = (
    "Your history has one entry per mini-batch: record ONE entry per epoch, the loss on ALL the data "
    "(mean((X @ w - y)**2) / 2) after the epoch's updates."
)
_H_BEFORE = (
    "Your history is one epoch late: history[0] is the loss at w0, before any update. As the docstring says, "
    "append the loss on all the data AFTER the epoch's updates, so history[-1] is the loss of the w you return."
)
_H_BATCH_MEAN = (
    "Your history holds the mean of the mini-batch losses seen during each epoch, computed while w was still "
    "changing: record the loss on ALL the data after the epoch's updates, mean((X @ w - y)**2) / 2."
)
_H_NEVER_STOPS = (
    "Your loop never stops early: it ran all the epochs although w had stopped moving. After appending the "
    "epoch's loss, break when np.linalg.norm(w - w_prev) < tol (w_prev: a copy of w from the start of the epoch)."
)
_H_STOPS_AT_ONCE = (
    "Your loop stops after the first epoch although w still moved then: w_prev = w makes both names point to "
    "the same array, and the in-place w -= ... changes both, so ||w - w_prev|| is 0. Keep a copy: w_prev = w.copy()."
)
_H_SIGN = "Wrong sign: you stepped uphill (the loss grows). The step is w - eta * X_B.T @ (X_B @ w - y_B) / len(B)."
_H_IN_PLACE = (
    "You changed the caller's w0 in place (w = w0 and then w -= ... updates the same array). Start from a "
    "copy, w = np.array(w0, dtype=float), so the caller's starting point is left as it was."
)

_SGD_MISTAKES = [
    Typical(_sgd_cell(_sgd_variant("order = rng.permutation(len(X))", "order = np.arange(len(X))")), _H_NO_SHUFFLE),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "history = []\n",
                "history = []\norder = rng.permutation(len(X))\n",
                _sgd_variant("    order = rng.permutation(len(X))\n", ""),
            )
        ),
        _H_SHUFFLE_ONCE,
    ),
    Typical(
        _sgd_cell(_sgd_variant("order = rng.permutation(len(X))", "order = np.random.permutation(len(X))")),
        _H_GLOBAL,
    ),
    Typical(_sgd_cell(_sgd_variant("history = []\n", "history = []\nrng = np.random.default_rng(0)\n")), _H_RESEED),
    Typical(_sgd_cell(_sgd_variant(" / len(B)", "")), _H_SUM),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "for start in range(0, len(X), batch_size):",
                "for start in range(0, len(X) - batch_size + 1, batch_size):",
            )
        ),
        _H_DROP_LAST,
    ),
    Typical(_sgd_cell(_sgd_variant(" / len(B)", " / batch_size")), _H_FULL_B),
    Typical(
        _sgd_cell(
            _sgd_variant(
                _SGD_STEP,
                _SGD_STEP + "        history.append(np.mean((X[B] @ w - y[B]) ** 2) / 2)\n",
                _sgd_variant("    history.append(np.mean((X @ w - y) ** 2) / 2)\n", ""),
            )
        ),
        _H_BATCH_HISTORY,
    ),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "    w_prev = w.copy()\n",
                "    w_prev = w.copy()\n    history.append(np.mean((X @ w - y) ** 2) / 2)\n",
                _sgd_variant("    history.append(np.mean((X @ w - y) ** 2) / 2)\n", ""),
            )
        ),
        _H_BEFORE,
    ),
    Typical(
        _sgd_cell(
            _sgd_variant(
                _SGD_STEP,
                "        batch_losses.append(np.mean((X[B] @ w - y[B]) ** 2) / 2)\n" + _SGD_STEP,
                _sgd_variant(
                    "    w_prev = w.copy()\n",
                    "    w_prev = w.copy()\n    batch_losses = []\n",
                    _sgd_variant(
                        "history.append(np.mean((X @ w - y) ** 2) / 2)", "history.append(np.mean(batch_losses))"
                    ),
                ),
            )
        ),
        _H_BATCH_MEAN,
    ),
    Typical(_sgd_cell(_sgd_variant("    if np.linalg.norm(w - w_prev) < tol:\n        break\n", "")), _H_NEVER_STOPS),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "w_prev = w.copy()", "w_prev = w", _sgd_variant(_SGD_STEP, _SGD_STEP.replace("w = w - eta", "w -= eta"))
            )
        ),
        _H_STOPS_AT_ONCE,
    ),
    Typical(_sgd_cell(_sgd_variant("w = w - eta", "w = w + eta")), _H_SIGN),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "w = np.array(w0, dtype=float)",
                "w = w0",
                _sgd_variant(_SGD_STEP, _SGD_STEP.replace("w = w - eta", "w -= eta")),
            )
        ),
        _H_IN_PLACE,
    ),
]

STEPWISE = {"01.6": ("sgd_train", _SGD_MISTAKES)}


class _CountingRng(np.random.Generator):
    """``np.random.default_rng(seed)`` that also counts the calls made on it from outside (a call that
    calls another method counts once). It is a real Generator: isinstance and default_rng(rng) work."""

    def __init__(self, seed: int):
        super().__init__(np.random.PCG64(seed))
        self._calls, self._depth = 0, 0

    @property
    def calls(self) -> int:
        return self._calls

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name.startswith("_") or not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self._calls += self._depth == 0
            self._depth += 1
            try:
                return attr(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted


@dataclass(frozen=True)
class _SGDCase:
    label: str
    X: np.ndarray
    y: np.ndarray
    w0: np.ndarray
    eta: float
    batch_size: int
    epochs: int
    tol: float

    def run(self, fn, rng) -> tuple:
        """``fn`` on copies of the data with ``rng``: (its value, whether it changed w0, whether it drew from
        np.random's global generator). Hides prints and warnings; np.random's state is left as it was."""
        w0, state = self.w0.copy(), np.random.get_state()
        try:
            with redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = fn(self.X.copy(), self.y.copy(), w0, self.eta, self.batch_size, self.epochs, rng, tol=self.tol)
            return out, not np.array_equal(w0, self.w0), not _same_state(state, np.random.get_state())
        finally:
            np.random.set_state(state)


def _identical_rows(epochs: int, tol: float) -> _SGDCase:
    """Five copies of one sample: every order gives the same run, so the result checks the steps alone."""
    X = np.tile([[1.0, 2.0, 1.0]], (5, 1))
    return _SGDCase(
        f"on 5 identical samples, batch_size 2 (batches of 2, 2, 1), eta 0.05, epochs {epochs}, tol {tol}",
        X,
        np.full(5, 3.0),
        np.zeros(3),
        0.05,
        2,
        epochs,
        tol,
    )


def _noise_free_regression() -> _SGDCase:
    rng = np.random.default_rng(61)
    X = lin.add_bias(rng.standard_normal((30, 2)))
    return _SGDCase(
        "on 30 noise-free samples, batch_size 8, eta 0.1, tol 1e-8",
        X,
        X @ np.array([1.5, -2.0, 0.5]),
        np.zeros(3),
        0.1,
        8,
        300,
        1e-8,
    )


def _sgd_result(out, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The student's (w, history) as arrays, or a :class:`Mistake` saying what the return value lacks."""
    require(out)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        kind = type(out).__name__ + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        raise Mistake(f"return the pair (w, history), got {kind}.")
    w, history = as_array("w", require(out[0])), as_array("history", require(out[1]))
    if history.ndim != 1:
        raise Mistake(f"history {where} has shape {history.shape}: make it a flat list of numbers, one per epoch.")
    return w, history


_TYPICAL_FNS: dict[str, Callable] = {}


def _typical_fn(cell: str) -> Callable:
    if cell not in _TYPICAL_FNS:
        scope = dict(NOTEBOOK)
        exec(cell, scope)  # noqa: S102 - the course's own code
        _TYPICAL_FNS[cell] = scope["sgd_train"]
    return _TYPICAL_FNS[cell]


def sgd_train_reference(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):
    """The reference of exercise 01.6 (what the notebook runs until the student's loop is accepted)."""
    return _typical_fn(_sgd_cell(SGD_REFERENCE))(X, y, w0, eta, batch_size, epochs, rng, tol=tol)


def _outcome(fn, case: _SGDCase, seed: int):
    """``fn``'s (w, history) on ``case`` with a fresh rng (``None`` when it fails)."""
    try:
        return _sgd_result(case.run(fn, np.random.default_rng(seed))[0], "")
    except Exception:  # noqa: BLE001 - a wrong function may fail; it then matches nothing
        return None


def _same_run(a, b) -> bool:
    return (
        a is not None
        and b is not None
        and a[0].shape == b[0].shape
        and a[1].shape == b[1].shape
        and np.allclose(a[0], b[0], rtol=1e-9, atol=1e-12)
        and np.allclose(a[1], b[1], rtol=1e-9, atol=1e-12)
    )


def _typical_hint(got, case: _SGDCase, seed: int) -> None:
    """The hint of the typical mistake whose run on ``case`` equals the student's, if any."""
    for typical in _SGD_MISTAKES:
        if _same_run(got, _outcome(_typical_fn(typical.body), case, seed)):
            raise Mistake(typical.hint)


def _explain_run(got, expected, case: _SGDCase) -> None:
    """What differs between the student's (w, history) and the reference's on ``case``, in words."""
    (w, history), (w_ref, h_ref) = got, expected
    if len(history) != len(h_ref):
        raise Mistake(
            f"{case.label}: your history has {len(history)} entries, the reference's {len(h_ref)} (one per epoch "
            f"run, {'all ' + str(case.epochs) if len(h_ref) == case.epochs else 'stopping by the rule'})."
        )
    compare(f"w {case.label}", w, w_ref, rtol=1e-7, atol=1e-10)
    compare(f"history {case.label}", history, h_ref, rtol=1e-7, atol=1e-10)


@exercise(
    "01.6",
    todo="Write sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol): each epoch a fresh order from "
    "rng.permutation, mini-batch steps, the loss on all the data appended after the epoch, and a stop once "
    "||w - w_prev|| < tol; return (w, history).",
)
def check_sgd_train(sgd_train) -> str:
    reference = sgd_train_reference
    # 1. The steps, the batches and the history: identical samples make every order give the same run.
    for case in (_identical_rows(3, 0.0), _identical_rows(50, 0.05)):
        out, changed_w0, _ = case.run(sgd_train, np.random.default_rng(0))
        got = _sgd_result(out, case.label)
        if changed_w0:
            raise Mistake(_H_IN_PLACE)
        expected = _outcome(reference, case, 0)
        if not _same_run(got, expected):
            _typical_hint(got, case, 0)
            _explain_run(got, expected, case)
    # 2. The rng promise and the solution, on a noise-free regression problem.
    case, seed = _noise_free_regression(), 7
    spy = _CountingRng(seed)
    out, _, drew_global = case.run(sgd_train, spy)
    got = _sgd_result(out, case.label)
    if drew_global:
        raise Mistake(_H_GLOBAL)
    w, history = got
    if spy.calls == 0:
        _typical_hint(got, case, seed)  # the samples in a fixed order
        raise Mistake(_H_RESEED)
    if spy.calls == 1 and len(history) > 1:
        raise Mistake(_H_SHUFFLE_ONCE)
    again = _sgd_result(case.run(sgd_train, np.random.default_rng(seed))[0], case.label)
    if not _same_run(got, again):
        raise Mistake(
            f"{case.label}: two calls with generators in the same state gave different results: draw every "
            "random number from rng, and nothing else may change between calls."
        )
    other = _sgd_result(case.run(sgd_train, np.random.default_rng(seed + 1))[0], case.label)
    if _same_run(got, other):
        raise Mistake(
            f"{case.label}: two different rngs gave exactly the same run: you draw from rng, but the order it "
            "gives does not pick the batches. Take the batch indices B from order = rng.permutation(len(X))."
        )
    w_star = lin.closed_form(case.X, case.y)
    if w.shape != w_star.shape or not np.allclose(w, w_star, atol=1e-5):
        compare(f"w {case.label} (the least-squares solution)", w, w_star, atol=1e-5)
    if not len(history) < case.epochs:
        raise Mistake(f"{case.label}: your loop ran all {case.epochs} epochs; w stops moving long before.")
    final = lin.mse_objective(w, case.X, case.y)
    if not np.isclose(history[-1], final, rtol=1e-6, atol=1e-12):
        raise Mistake(
            f"{case.label}: history[-1] = {history[-1]:.3e}, but the loss on all the data at the w you return is "
            f"{final:.3e}: the last entry must be the loss after the last epoch."
        )
    rises = np.flatnonzero(np.diff(history) > 1e-12 * history[0])
    if rises.size:
        k = rises[0] + 1
        raise Mistake(
            f"{case.label}: the loss on all the data rose in epoch {k + 1} ({history[k - 1]:.3e} -> "
            f"{history[k]:.3e}); on this convex, noise-free problem with a small eta it falls every epoch."
        )
    return (
        f"Your loop reshuffles with the rng you pass, so the same rng state gives the same run, and it reaches "
        f"the least-squares solution (|w - w*| = {np.linalg.norm(w - w_star):.0e}) in {len(history)} epochs, "
        f"stopped by the step rule, the loss falling every epoch. The rest of the notebook trains SGD with it."
    )


def _same_state(a, b) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


check_sgd_train.solution = sgd_train_reference


EXERCISES = [check_normal_equations, check_gd_step, check_adam_step, check_log_loss_grad, check_huber_grad]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
