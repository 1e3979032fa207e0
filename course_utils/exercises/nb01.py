"""Exercises and self-check questions of notebook 01 (linear models).

Shapes: ``X`` is (N, d) with N samples in rows, ``y`` is (N,), a weight vector is (d,).
Where a bias column is needed it is a column of ones, *last* (``course_utils.linear.add_bias``).

* 01.1 ``fit_least_squares(X, y)`` - least squares in closed form, bias trick included;
* 01.2 ``gd_step(w, X, y, eta)`` - one vectorised gradient-descent step on the MSE (with the 1/2);
* 01.3 ``adam_step(w, g, m, v, t, ...)`` - one Adam update, as ``torch.optim.Adam`` does it;
* 01.4 ``log_loss_grad(w, X, y)`` - the gradient of the mean log loss of logistic regression;
* 01.5 ``huber_grad(w, X, y, delta)`` - the gradient of the mean Huber loss, then a fit with an outlier.

Each is declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded inputs, so a
hard-coded answer does not pass, the reference, and each typical mistake as the code a student
would write (with the notebook's ``np`` and ``lin``), with its hint. The self-check questions
are in ``nb01.toml``.
"""

from __future__ import annotations

import numpy as np

from .. import linear as lin
from . import Case, Exercise, Mistake, Typical, compare, quizzes, quizzes_of

__all__ = [
    "EXERCISES",
    "check_normal_equations",
    "check_gd_step",
    "check_adam_step",
    "check_log_loss_grad",
    "check_huber_grad",
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

check_gd_step = Exercise(
    "01.2",
    "def gd_step(w, X, y, eta):",
    todo="Write gd_step(w, X, y, eta): return w - eta * grad Q(w) for "
    "Q(w) = mean((X w - y)^2) / 2, vectorised (no loop).",
    cases=lambda: [
        Case(f"for eta = {eta}", (w, X, y, eta))
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

EXERCISES = [check_normal_equations, check_gd_step, check_adam_step, check_log_loss_grad, check_huber_grad]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
