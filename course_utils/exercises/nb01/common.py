"""What notebook 01's cells have: the notebook's names (``NOTEBOOK``), the shared hints and seeded data."""

from __future__ import annotations

import numpy as np

from ... import linear as lin

SHAPES = (
    "Check the shapes: X is (N, d), the residual X @ w - y is (N,), and the gradient "
    "X.T @ r / N is (d,) (one entry per weight). X @ r does not fit: use X.T @ r."
)
WRONG_SIGN_STEP = (
    "Wrong sign: you stepped uphill. The step is w - eta * grad with grad = "
    "X.T @ (X @ w - y) / N (or w + eta * X.T @ (y - X @ w) / N)."
)
N_TIMES = "Your gradient is N times too big: the loss is the MEAN over N samples, divide by N."
NOTEBOOK = {"np": np, "lin": lin}  # what the notebook has imported when the student's cell runs


def regression(rng: np.random.Generator, n: int = 9, d: int = 3):
    """Fresh (N, d) features, bias column last, targets (N,) and weights (d,)."""
    X = lin.add_bias(rng.standard_normal((n, d - 1)) * [1.0, 2.0][: d - 1] + 0.5)
    w = rng.standard_normal(d)
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    return X, y, w
