"""Notebook 01's gradients and steps: 01.2 a GD step, 01.3 an Adam step, 01.4 log-loss and 01.5 Huber gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ... import linear as lin
from .. import Case, Exercise, Mistake, Typical, compare
from .common import N_TIMES, NOTEBOOK, SHAPES, WRONG_SIGN_STEP, regression

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
        for X, y, w in [regression(np.random.default_rng(seed))]
    ],
    reference="return w - eta * X.T @ (X @ w - y) / len(X)",
    typical=[
        Typical("return w + eta * X.T @ (X @ w - y) / len(X)", WRONG_SIGN_STEP),
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
        Typical("return w - eta * X @ (X @ w - y) / len(X)", "NumPy cannot multiply X by the residual. " + SHAPES),
        Typical("w -= eta * X.T @ (X @ w - y) / len(X)\nreturn w", _H_GD_IN_PLACE),
        Typical(
            "return w - X.T @ (X @ w - y) / len(X)",
            "Your step ignores the learning rate: scale the gradient by eta, w - eta * grad.",
        ),
    ],
    confirmation="This one line is all that `lin.gradient_descent` repeats, and what torch.optim.SGD does "
    "with the whole data as the batch.",
    namespace=NOTEBOOK,
    result="w_new",
    shape_hints=lambda case: {(len(case.args[1]),): "It has one entry per sample: " + SHAPES, None: SHAPES},
    on_error={ValueError: SHAPES},
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
        Typical(
            _CORRECTED.replace("m = beta1 * m + (1 - beta1) * g", "m = (1 - beta1) * m + beta1 * g").replace(
                "v = beta2 * v + (1 - beta2) * g**2", "v = (1 - beta2) * v + beta2 * g**2"
            )
            + "return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
            "The running averages have their weights swapped: beta1 is the weight of the OLD m, "
            "m = beta1 * m + (1 - beta1) * g (and v = beta2 * v + (1 - beta2) * g**2).",
        ),
        Typical(
            _MOMENTS + "m_hat = m / (1 - beta1**t)\nreturn w - lr * m_hat / (np.sqrt(v) + eps), m, v",
            "You corrected the bias of m but not of v: divide v by (1 - beta2**t) too, and take the square root "
            "of v_hat.",
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
        Typical(_P + "return X.T @ (p - y)", N_TIMES),
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
        Typical(
            _P.replace("np.exp(-X @ w)", "np.exp(X @ w)") + "return X.T @ (p - y) / len(X)",
            "Your sigmoid lost its minus sign: 1 / (1 + np.exp(X @ w)) is sigmoid(-X @ w) = 1 - p. "
            "The probability is p = 1 / (1 + np.exp(-X @ w)).",
        ),
    ],
    confirmation="The log loss of a sigmoid has the same gradient form as the MSE of a linear model, "
    "X^T (prediction - target) / N; `lin.logistic_grad` is this function.",
    namespace=NOTEBOOK,
    result="grad",
    shape_hints=lambda case: {
        (len(case.args[1]),): _WRONG_AXIS,
        (): "It is one number, not a gradient: the gradient has one entry per weight, X.T @ (p - y) / N "
        "(do not average it to a number, and do not return the loss itself).",
        None: SHAPES,
    },
    on_error={ValueError: SHAPES},
)

# ----------------------------------------------------------------------------- 01.5 Huber gradient


def _huber_cases():
    cases = []
    for seed, delta in [(51, 1.0), (52, 0.5)]:
        X, y, w = regression(np.random.default_rng(seed), n=12)
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
        Typical("return -X.T @ np.clip(y - X @ w, -delta, delta)", N_TIMES),
        Typical(
            "return -X.T @ np.minimum(y - X @ w, delta) / len(X)",
            "You capped the residuals only from above: a large NEGATIVE residual pulls without limit. Clip both "
            "sides, np.clip(r, -delta, delta).",
        ),
        Typical(
            "return -X.T @ np.clip(y - X @ w, -1, 1) / len(X)",
            "You clipped at 1 whatever delta is: use the argument, np.clip(r, -delta, delta).",
        ),
        Typical(
            "r = y - X @ w\nreturn -X.T @ np.where(np.abs(r) <= delta, r, np.sign(r)) / len(X)",
            "Beyond delta the pull is delta * sign(r), not sign(r): the Huber loss grows with slope delta there.",
        ),
    ],
    confirmation=_huber_confirmation,
    namespace=NOTEBOOK,
    result="grad",
    shape_hints=lambda case: {(len(case.args[1]),): SHAPES, None: SHAPES},
    on_error={ValueError: SHAPES},
)
