"""Exercises and self-check questions of notebook 01 (linear models).

Shapes: ``X`` is (N, d) with N samples in rows, ``y`` is (N,), a weight vector is (d,).
Where a bias column is needed it is a column of ones, *last* (``course_utils.linear.add_bias``).

* 01.1 :func:`check_normal_equations` - least squares in closed form, bias trick included;
* 01.2 :func:`check_gd_step` - one vectorised gradient-descent step on the MSE (with the 1/2);
* 01.3 :func:`check_adam_step` - one Adam update, as ``torch.optim.Adam`` does it;
* 01.4 :func:`check_log_loss_grad` - the gradient of the mean log loss of logistic regression;
* 01.5 :func:`check_huber_grad` - the gradient of the mean Huber loss, then a fit with an outlier.

Every check builds fresh, seeded inputs of its own, so a hard-coded answer does not pass.
"""

from __future__ import annotations

import numpy as np

from .. import linear as lin
from . import Mistake, Quiz, attempt, compare, exercise, quizzes

__all__ = [
    "check_normal_equations",
    "check_gd_step",
    "check_adam_step",
    "check_log_loss_grad",
    "check_huber_grad",
    "QUIZZES",
    "MISTAKES",
    "quiz",
]

_SHAPES = (
    "Check the shapes: X is (N, d), the residual X @ w - y is (N,), and the gradient "
    "X.T @ r / N is (d,) (one entry per weight). X @ r does not fit: use X.T @ r."
)


def _call(fn, *args, **kwargs):
    """The student's ``fn(*args)``; a numpy shape error becomes a hint about X.T @ r."""
    try:
        return attempt(fn, *args, **kwargs)
    except ValueError as e:
        if "matmul" in str(e) or "aligned" in str(e) or "broadcast" in str(e):
            raise Mistake(f"NumPy raised ValueError ({str(e)[:90]}...): {_SHAPES}") from None
        raise


def _regression(seed: int, n: int = 9, d: int = 3):
    """Fresh (N, d) features, bias column last, targets (N,) and weights (d,)."""
    rng = np.random.default_rng(seed)
    X = lin.add_bias(rng.standard_normal((n, d - 1)) * [1.0, 2.0][: d - 1] + 0.5)
    w = rng.standard_normal(d)
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    return X, y, w


# ----------------------------------------------------------------------------- 01.1 normal equations


@exercise(
    "01.1",
    todo="Write fit_least_squares(X, y): add the column of ones, then solve "
    "X^T X w = X^T y for w = [W, b] (shape (d + 1,), bias last).",
)
def check_normal_equations(fit_least_squares):
    """``fit_least_squares(X, y)``: X (N, d) raw features (no bias column), y (N,) ->
    w (d + 1,) minimising the MSE, bias last."""
    rng = np.random.default_rng(11)
    for n, d in [(12, 3), (30, 1)]:
        X = rng.standard_normal((n, d)) * 2 + 1.0
        y = X @ rng.standard_normal(d) - 2.5 + 0.2 * rng.standard_normal(n)
        expected = lin.closed_form(lin.add_bias(X), y)
        try:
            got = attempt(fit_least_squares, X, y)
        except (ValueError, np.linalg.LinAlgError) as e:
            raise Mistake(
                f"NumPy raised {type(e).__name__} ({str(e)[:80]}): check the shapes. With "
                "Xb = lin.add_bias(X) of shape (N, d + 1), the normal equations use the (d + 1) x "
                "(d + 1) matrix Xb.T @ Xb, not the N x N matrix Xb @ Xb.T, and the vector "
                "Xb.T @ y: np.linalg.solve(Xb.T @ Xb, Xb.T @ y)."
            ) from None
        if isinstance(got, tuple) and len(got) == 4:
            raise Mistake(
                "np.linalg.lstsq returns four things (solution, residuals, rank, singular values): "
                "return only the first, np.linalg.lstsq(X, y, rcond=None)[0]."
            )
        bias_first = np.r_[expected[-1], expected[:-1]]
        compare(
            "w",
            got,
            expected,
            rtol=1e-6,
            atol=1e-8,
            mistakes=[
                (
                    bias_first,
                    "The bias is first in your w: put the column of ones LAST "
                    "(lin.add_bias(X) does), so that w = [W, b].",
                )
            ],
            shape_hints={
                (d,): "W has no bias: you forgot the bias trick. Append a column of ones "
                "to X (lin.add_bias(X)) so that the fitted line need not pass through 0.",
                (n,): "W has one entry per sample: the normal equations use X^T X (d + 1 "
                "by d + 1) and X^T y, not X X^T.",
            },
        )
    return (
        "The column of ones turns the intercept into an ordinary weight, and solving X^T X w = X^T y "
        "(never inverting it) is exactly what `lin.closed_form` does."
    )


# ----------------------------------------------------------------------------- 01.2 one GD step


@exercise(
    "01.2",
    todo="Write gd_step(w, X, y, eta): return w - eta * grad Q(w) for "
    "Q(w) = mean((X w - y)^2) / 2, vectorised (no loop).",
)
def check_gd_step(gd_step):
    """``gd_step(w, X, y, eta)``: w (d,), X (N, d), y (N,), eta > 0 -> new w (d,)."""
    for seed, eta in [(21, 0.1), (22, 0.03)]:
        X, y, w = _regression(seed)
        n = len(X)
        grad = X.T @ (X @ w - y) / n
        got = _call(gd_step, w, X, y, eta)
        compare(
            "w_new",
            got,
            w - eta * grad,
            mistakes=[
                (
                    w + eta * grad,
                    "Wrong sign: you stepped uphill. The step is w - eta * grad with grad = "
                    "X.T @ (X @ w - y) / N (or w + eta * X.T @ (y - X @ w) / N).",
                ),
                (
                    w - eta * n * grad,
                    "Your step is N times too big: the loss is a MEAN over the N samples, "
                    "so the gradient is X.T @ (X @ w - y) / N. You forgot the 1/N.",
                ),
                (
                    w - 2 * eta * grad,
                    "Your gradient is twice the right one: Q has the factor 1/2, whose "
                    "derivative cancels the 2 of the square.",
                ),
                (
                    w - eta * grad * n / X.shape[1],
                    "You divided by the number of weights d; the mean runs over the N samples, divide by N = len(X).",
                ),
                (grad, "You returned the gradient, not the new weights w - eta * grad."),
                (-eta * grad, "You returned only the step; add it to w: w - eta * grad."),
            ],
            shape_hints={(n,): "It has one entry per sample: " + _SHAPES, None: _SHAPES},
        )
    return (
        "This one line is all that `lin.gradient_descent` repeats, and what torch.optim.SGD does "
        "with the whole data as the batch."
    )


# ----------------------------------------------------------------------------- 01.3 one Adam step


def _adam_reference(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, m_hat, v_hat


@exercise(
    "01.3",
    todo="Write adam_step(w, g, m, v, t, lr, beta1, beta2, eps): update the moments m and v, "
    "correct their bias with t, step w, and return (w, m, v).",
)
def check_adam_step(adam_step):
    """``adam_step(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)``: w, g, m, v (d,),
    t >= 1 the step number -> (w_new, m_new, v_new), each (d,)."""
    rng = np.random.default_rng(31)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-4  # a large eps, so that where it goes shows
    for t in (1, 4):
        d = 5
        w, g = rng.standard_normal(d), 0.01 * rng.standard_normal(d)
        m = np.zeros(d) if t == 1 else 0.01 * rng.standard_normal(d)
        v = np.zeros(d) if t == 1 else 1e-4 * rng.random(d)
        exp_w, exp_m, exp_v, m_hat, v_hat = _adam_reference(w, g, m, v, t, lr, b1, b2, eps)
        out = attempt(adam_step, w, g, m, v, t, lr=lr, beta1=b1, beta2=b2, eps=eps)
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise Mistake("Return the three arrays (w, m, v): the next step needs the updated moments.")
        got_w, got_m, got_v = out
        compare(
            "m",
            got_m,
            exp_m,
            mistakes=[
                (
                    m_hat,
                    "Return the raw moment m, not the bias-corrected m_hat: the running average must go on "
                    "from m; m_hat is only used for the step.",
                )
            ],
        )
        compare(
            "v",
            got_v,
            exp_v,
            mistakes=[
                (b2 * v + (1 - b2) * g, "V averages the SQUARED gradients: v = beta2 * v + (1 - beta2) * g**2."),
                (v_hat, "Return the raw moment v, not the bias-corrected v_hat."),
            ],
        )
        compare(
            "w_new",
            got_w,
            exp_w,
            mistakes=[
                (
                    w - lr * exp_m / (np.sqrt(exp_v) + eps),
                    "No bias correction: m and v start at 0, so early on "
                    "they are too small; divide them by (1 - beta1**t) and (1 - beta2**t) before the step.",
                ),
                (
                    w - lr * m_hat / (v_hat + eps),
                    "The square root is missing: divide by sqrt(v_hat) + eps, the "
                    "root mean square of the gradients, not by their mean square.",
                ),
                (
                    w - lr * m_hat / np.sqrt(v_hat + eps),
                    "Eps belongs OUTSIDE the square root: m_hat / (np.sqrt(v_hat) + eps), as in torch.optim.Adam.",
                ),
                (w + lr * m_hat / (np.sqrt(v_hat) + eps), "Wrong sign: step against the gradient, w - lr * ..."),
                (
                    _adam_reference(w, g, m, v, t + 1, lr, b1, b2, eps)[0],
                    "The bias correction uses t + 1: "
                    "t counts steps from 1, so the first step divides by (1 - beta1**1).",
                ),
            ],
        )
    return (
        "With the bias correction the very first step moves every weight by about lr, whatever the "
        "gradient's scale; this is the update `lin.train_linear(..., 'adam')` and torch.optim.Adam make."
    )


# ----------------------------------------------------------------------------- 01.4 log-loss gradient


@exercise(
    "01.4",
    todo="Write log_loss_grad(w, X, y): the gradient of the mean log loss of p = sigmoid(X w), shape (d,), vectorised.",
)
def check_log_loss_grad(log_loss_grad):
    """``log_loss_grad(w, X, y)``: w (d,), X (N, d) bias column last, y (N,) in {0, 1} -> (d,)."""
    rng = np.random.default_rng(41)
    for n, d in [(10, 3), (25, 4)]:
        X = lin.add_bias(rng.standard_normal((n, d - 1)))
        y = (rng.random(n) > 0.5).astype(float)
        w = rng.standard_normal(d)
        p = lin.sigmoid(X @ w)
        expected = X.T @ (p - y) / n
        got = _call(log_loss_grad, w, X, y)
        compare(
            "grad",
            got,
            expected,
            mistakes=[
                (
                    -expected,
                    "Wrong sign: the gradient is X.T @ (p - y) / N, prediction minus target; "
                    "X.T @ (y - p) / N is minus the gradient.",
                ),
                (n * expected, "Your gradient is N times too big: the loss is the MEAN over N samples, divide by N."),
                (
                    X.T @ (X @ w - y) / n,
                    "You used the score X @ w where the probability p = sigmoid(X @ w) "
                    "belongs: that is the MSE gradient of linear regression.",
                ),
                (
                    X.T @ ((p - y) * p * (1 - p)) / n,
                    "The factor p (1 - p) cancels: d/ds of the log loss of sigmoid(s) is simply p - y.",
                ),
            ],
            shape_hints={
                (n,): "It has one entry per sample: you averaged over the wrong axis. The mean "
                "runs over the N samples (axis 0), leaving one entry per weight: X.T @ (p - y) / N.",
                None: _SHAPES,
            },
        )
    return (
        "The log loss of a sigmoid has the same gradient form as the MSE of a linear model, "
        "X^T (prediction - target) / N; `lin.logistic_grad` is this function."
    )


# ----------------------------------------------------------------------------- 01.5 Huber gradient


def _huber_fit(grad, X, y, lr=0.5, steps=3000):
    return lin.gradient_descent(grad, np.zeros(X.shape[1]), lr, steps, step_tol=1e-10).w


@exercise(
    "01.5",
    todo="Write huber_grad(w, X, y, delta): the gradient of the mean Huber loss of the residuals y - X w, shape (d,).",
)
def check_huber_grad(huber_grad):
    """``huber_grad(w, X, y, delta=1.0)``: w (d,), X (N, d) bias last, y (N,) -> (d,)."""
    for seed, delta in [(51, 1.0), (52, 0.5)]:
        X, y, w = _regression(seed, n=12)
        y = y + np.where(np.arange(len(y)) % 3 == 0, 4.0, 0.0)  # some residuals far beyond delta
        n, r = len(X), y - X @ w
        expected = -X.T @ np.clip(r, -delta, delta) / n
        got = _call(huber_grad, w, X, y, delta=delta)
        compare(
            "grad",
            got,
            expected,
            mistakes=[
                (-expected, "Wrong sign: with r = y - X @ w the gradient is -X.T @ clip(r, -delta, delta) / N."),
                (n * expected, "Your gradient is N times too big: the loss is the MEAN over N samples, divide by N."),
                (
                    -X.T @ r / n,
                    "You did not clip: beyond |r| = delta the Huber loss grows linearly, so each "
                    "residual's pull is capped at delta: np.clip(r, -delta, delta).",
                ),
                (
                    np.clip(-X.T @ r / n, -delta, delta),
                    "Clip each residual, not the final gradient: -X.T @ np.clip(r, -delta, delta) / N.",
                ),
            ],
            shape_hints={(n,): _SHAPES, None: _SHAPES},
        )
    # why it matters: fit the pair-regression line with one gross outlier, MSE vs the student's Huber
    x, y = lin.make_pair_regression(50, seed=0)
    X = lin.add_bias(x)
    y_out = y.copy()
    y_out[0] += 30.0
    clean, mse_fit = lin.closed_form(X, y), lin.closed_form(X, y_out)
    huber_fit = _huber_fit(lambda w: np.asarray(huber_grad(w, X, y_out, delta=1.0), dtype=float), X, y_out)
    return (
        f"Fitting the line to the pair-regression data with one outlier (+30): clean slope {clean[0]:.2f}, "
        f"MSE {mse_fit[0]:.2f}, Huber with your gradient {huber_fit[0]:.2f}. Capping each residual's "
        "pull at delta keeps one bad point from dragging the whole line."
    )


# ----------------------------------------------------------------------------- self-check questions

QUIZZES = {
    "01.q1": Quiz(
        question="GD on a quadratic loss whose Hessian has eigenvalues 0.5 and 4. What is the largest "
        "learning rate &eta; for which gradient descent still converges (the boundary value)?",
        answer=0.5,
        explanations={
            "right": "Along an eigenvector with eigenvalue &lambda; each step multiplies the "
            "error by (1 - &eta; &lambda;); it shrinks only while |1 - &eta; &lambda;| < 1, "
            "that is &eta; < 2 / &lambda;. The steepest direction (&lambda; = 4) "
            "decides: &eta; < 2 / 4 = 0.5."
        },
        wrong="each step multiplies the error along an eigenvector by (1 - eta * lambda). For which eta "
        "does that factor stay within (-1, 1) for BOTH eigenvalues?",
    ),
    "01.q2": Quiz(
        question="Adam's very first step (t = 1, m and v start at 0, eps negligible): how far does it move "
        "a weight whose gradient is g &ne; 0?",
        options={
            "a": "lr * |g|, like SGD",
            "b": "lr, whatever the size of g",
            "c": "lr * 0.1 * |g|, because m is only 0.1 g",
            "d": "lr / sqrt(0.001), because v is tiny",
        },
        answer="b",
        explanations={
            "a": "That is SGD. Adam divides by the root mean square of the gradients, which removes g's scale.",
            "b": "m_hat = 0.1 g / (1 - 0.9) = g and v_hat = 0.001 g^2 / (1 - 0.999) = g^2, so the step is "
            "lr * g / |g|: exactly lr, in the direction of -g. The bias correction makes it so.",
            "c": "Without the bias correction m would be 0.1 g, but m_hat = m / (1 - 0.9^1) = g.",
            "d": "Without the bias correction v would be tiny, but v_hat = v / (1 - 0.999^1) = g^2.",
        },
    ),
}

quiz = quizzes(QUIZZES)

# ----------------------------------------------------------------------------- typical mistakes (tested)

_STUB_HEAD = {
    "01.1": "def fit_least_squares(X, y):\n",
    "01.2": "def gd_step(w, X, y, eta):\n",
    "01.3": "def adam_step(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n",
    "01.4": "def log_loss_grad(w, X, y):\n",
    "01.5": "def huber_grad(w, X, y, delta=1.0):\n",
}


def _code(eid: str, body: str) -> str:
    return _STUB_HEAD[eid] + "".join(f"    {line}\n" for line in body.strip().splitlines())


_ADAM = """m = beta1 * m + (1 - beta1) * g
v = beta2 * v + (1 - beta2) * g**2
m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
"""

#: For every exercise: (the complete code replacing the student's cell, using the notebook's ``np`` and
#: ``lin``; a substring of the hint the check must print for it).
MISTAKES = {
    "01.1": [
        (_code("01.1", "return np.linalg.solve(X.T @ X, X.T @ y)"), "forgot the bias trick"),
        (
            _code("01.1", "Xb = np.hstack([np.ones((len(X), 1)), X])\nreturn np.linalg.solve(Xb.T @ Xb, Xb.T @ y)"),
            "The bias is first",
        ),
        (_code("01.1", "Xb = lin.add_bias(X)\nreturn np.linalg.solve(Xb @ Xb.T, Xb.T @ y)"), "not the N x N matrix"),
        (_code("01.1", "return np.linalg.lstsq(lin.add_bias(X), y, rcond=None)"), "returns four things"),
    ],
    "01.2": [
        (_code("01.2", "return w - eta * X.T @ (X @ w - y)"), "You forgot the 1/N"),
        (_code("01.2", "return w + eta * X.T @ (X @ w - y) / len(X)"), "Wrong sign"),
        (_code("01.2", "return w - eta * X @ (X @ w - y) / len(X)"), "use X.T @ r"),
        (_code("01.2", "return w - eta * 2 * X.T @ (X @ w - y) / len(X)"), "factor 1/2"),
    ],
    "01.3": [
        (
            _code(
                "01.3",
                "m = beta1 * m + (1 - beta1) * g\nv = beta2 * v + (1 - beta2) * g**2\n"
                "return w - lr * m / (np.sqrt(v) + eps), m, v",
            ),
            "No bias correction",
        ),
        (_code("01.3", _ADAM + "return w - lr * m_hat / (v_hat + eps), m, v"), "square root is missing"),
        (_code("01.3", _ADAM + "return w - lr * m_hat / np.sqrt(v_hat + eps), m, v"), "OUTSIDE the square root"),
        (_code("01.3", _ADAM + "return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat"), "raw moment m"),
    ],
    "01.4": [
        (_code("01.4", "p = 1 / (1 + np.exp(-X @ w))\nreturn X.T @ (y - p) / len(X)"), "Wrong sign"),
        (_code("01.4", "return X.T @ (X @ w - y) / len(X)"), "probability p = sigmoid"),
        (
            _code("01.4", "p = 1 / (1 + np.exp(-X @ w))\nreturn np.mean(X * (p - y)[:, None], axis=1)"),
            "averaged over the wrong axis",
        ),
        (_code("01.4", "p = 1 / (1 + np.exp(-X @ w))\nreturn X.T @ (p - y)"), "N times too big"),
    ],
    "01.5": [
        (_code("01.5", "return -X.T @ (y - X @ w) / len(X)"), "You did not clip"),
        (_code("01.5", "return X.T @ np.clip(y - X @ w, -delta, delta) / len(X)"), "Wrong sign"),
        (_code("01.5", "return np.clip(-X.T @ (y - X @ w) / len(X), -delta, delta)"), "not the final gradient"),
    ],
}
