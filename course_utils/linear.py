"""Linear models and the optimisers that train them, in plain NumPy.

Notebooks 01 (linear models) and 02 (perceptron and XOR) build on these:

* data: :func:`make_pair_regression`, :func:`make_sine_regression`, :func:`add_bias`;
* losses of predictions: :func:`mse` (with the 1/2 factor), :func:`log_loss`, :func:`hinge`, :func:`huber`;
* the least-squares objective of a weight vector: :func:`mse_objective` (w, X, y, l2) -> float and
  its gradient :func:`mse_objective_grad` (not :func:`course_utils.layers.mse_loss`, the loss
  layer (pred, y) -> (loss, dpred) of notebook 03);
* logistic regression: :func:`sigmoid`, :func:`logistic_loss` and its gradient :func:`logistic_grad`;
* solving: :func:`closed_form` (normal equations / least squares, optional L2 penalty),
  :func:`gradient_descent` with the stopping rules of deck 002, :func:`train_linear`
  (GD, SGD, RMSprop, Adam on the MSE of a linear model), :func:`early_stopping_index`; :func:`lr_regime`;
* Rosenblatt's perceptron: :func:`train_perceptron`; :func:`best_linear_accuracy` (a search over line
  directions) and :func:`linearly_separable` (exact, by linear programming).

Shapes: ``X`` is (N, d), ``y`` is (N,), weight vectors are (d,). Functions that need a bias expect
it as a column of ones in ``X`` (see :func:`add_bias`), so the weight vector is theta = [W, b].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .layers import sigmoid  # noqa: F401 (the one stable sigmoid; the notebooks call it as lin.sigmoid)

# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #


def add_bias(X: np.ndarray) -> np.ndarray:
    """The bias trick: append a column of ones so that X @ [W, b] = X W + b.

    Args:
        X: (N, d) features (a 1-D (N,) array is treated as one feature).

    Returns:
        (N, d + 1) array whose last column is all ones.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must be (N, d) or (N,), got shape {X.shape}")
    return np.hstack([X, np.ones((len(X), 1))])


def make_pair_regression(
    n: int = 50, slope: float = 1.5, intercept: float = 0.5, noise: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Pair (one-feature) regression data: y = slope * x + intercept + noise, x ~ U[0, 2].

    Returns:
        x: (n,) float64.  y: (n,) float64.
    """
    if int(n) != n or n < 2 or noise < 0:
        raise ValueError(f"need an integer n >= 2 and noise >= 0, got n={n!r}, noise={noise!r}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, int(n))
    return x, slope * x + intercept + noise * rng.standard_normal(int(n))


def make_sine_regression(n: int = 20, noise: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of sin(pi x) on [-1, 1], the classic curve for under/over-fitting.

    Returns:
        x: (n,) float64 sorted.  y: (n,) float64.
    """
    if int(n) != n or n < 2 or noise < 0:
        raise ValueError(f"need an integer n >= 2 and noise >= 0, got n={n!r}, noise={noise!r}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, int(n)))
    return x, np.sin(np.pi * x) + noise * rng.standard_normal(int(n))


# --------------------------------------------------------------------------- #
# Losses (deck 004's must-know four)
# --------------------------------------------------------------------------- #


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray | float:
    if reduction == "mean":
        return float(np.mean(values))
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def mse(y: np.ndarray, y_hat: np.ndarray, reduction: str = "mean"):
    """Mean squared error of predictions, with the 1/2 factor: mean of (y - y_hat)^2 / 2.

    y, y_hat: (N,) targets and predictions. Returns a float (or the (N,) terms with
    ``reduction="none"``). The objective of a weight vector is :func:`mse_objective`.
    """
    y, y_hat = np.broadcast_arrays(np.asarray(y, float), np.asarray(y_hat, float))
    return _reduce(0.5 * (y - y_hat) ** 2, reduction)


def log_loss(y: np.ndarray, p: np.ndarray, reduction: str = "mean", eps: float = 1e-12):
    """Binary log loss -(y ln p + (1 - y) ln(1 - p)).  y: (N,) in {0, 1};  p: (N,) in (0, 1)."""
    y, p = np.broadcast_arrays(np.asarray(y, float), np.asarray(p, float))
    if np.any((y != 0) & (y != 1)):
        raise ValueError("log_loss needs labels y in {0, 1}")
    p = np.clip(p, eps, 1 - eps)
    return _reduce(-(y * np.log(p) + (1 - y) * np.log(1 - p)), reduction)


def hinge(y: np.ndarray, score: np.ndarray, reduction: str = "mean"):
    """Hinge loss max(0, 1 - y * score).  y: (N,) in {-1, +1};  score: (N,) real."""
    y, score = np.broadcast_arrays(np.asarray(y, float), np.asarray(score, float))
    if np.any(np.abs(y) != 1):
        raise ValueError("hinge needs labels y in {-1, +1}")
    return _reduce(np.maximum(0.0, 1.0 - y * score), reduction)


def huber(y: np.ndarray, y_hat: np.ndarray, delta: float = 1.0, reduction: str = "mean"):
    """Huber loss: r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) beyond, with r = y - y_hat."""
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta!r}")
    y, y_hat = np.broadcast_arrays(np.asarray(y, float), np.asarray(y_hat, float))
    r = np.abs(y - y_hat)
    return _reduce(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta)), reduction)


# --------------------------------------------------------------------------- #
# Least squares: closed form and gradients
# --------------------------------------------------------------------------- #


def _check_xy(X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"need X (N, d) and y (N,), got {X.shape} and {y.shape}")
    return X, y


def mse_objective(w: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> float:
    """The least-squares objective of a linear model's weights, a float:
    Q(w) = mean((X w - y)^2) / 2 + l2 / 2 * ||w[:-1]||^2 (the bias, last, is not penalised).

    w: (d,) weights, X: (N, d) features with the bias column, y: (N,) targets, l2 >= 0.
    """
    X, y = _check_xy(X, y)
    return float(0.5 * np.mean((X @ w - y) ** 2) + 0.5 * l2 * np.sum(np.asarray(w)[:-1] ** 2))


def mse_objective_grad(w: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> np.ndarray:
    """Gradient of :func:`mse_objective`: X^T (X w - y) / N + l2 * [w[:-1], 0].  Returns (d,)."""
    X, y = _check_xy(X, y)
    g = X.T @ (X @ w - y) / len(X)
    if l2:
        g = g + l2 * np.r_[np.asarray(w)[:-1], 0.0]
    return g


def mse_surface_2d(X: np.ndarray, y: np.ndarray):
    """The loss surface of a 2-parameter linear model, for contour plots.

    Args:
        X: (N, 2) features (for pair regression: [x, 1]).  y: (N,) targets.

    Returns:
        (loss, hessian): ``loss(W1, W2)`` evaluates :func:`mse_objective` at every pair
        of same-shaped arrays (e.g. from ``np.meshgrid``) at once; ``hessian`` is
        the constant (2, 2) matrix X^T X / N.
    """
    X, y = _check_xy(X, y)
    if X.shape[1] != 2:
        raise ValueError(f"need exactly two parameters, got X with {X.shape[1]} columns")
    A, c, yy = X.T @ X / len(X), X.T @ y / len(X), float(y @ y / len(X))

    def loss(W1, W2):
        return 0.5 * (A[0, 0] * W1**2 + 2 * A[0, 1] * W1 * W2 + A[1, 1] * W2**2 - 2 * c[0] * W1 - 2 * c[1] * W2 + yy)

    return loss, A


def closed_form(X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> np.ndarray:
    """The explicit minimiser of :func:`mse_objective`.

    Without a penalty this is ordinary least squares, solved with ``np.linalg.lstsq``
    (stable even when X^T X is singular); with ``l2 > 0`` it solves the normal
    equations (X^T X / N + l2 D) w = X^T y / N, where D is the identity with a zero
    for the bias (the last column of X).

    Args:
        X: (N, d) features, bias column last.  y: (N,) targets.  l2: penalty >= 0.

    Returns:
        w: (d,) float64.
    """
    X, y = _check_xy(X, y)
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    if l2 == 0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    D = np.eye(X.shape[1])
    D[-1, -1] = 0.0
    return np.linalg.solve(X.T @ X / len(X) + l2 * D, X.T @ y / len(X))


# --------------------------------------------------------------------------- #
# Logistic regression: the log loss of a linear score
# --------------------------------------------------------------------------- #


def logistic_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean log loss of logistic regression, p = sigmoid(X w).

    Computed from the scores as mean(ln(1 + e^s) - y s), which equals :func:`log_loss`
    of ``y`` and p but stays finite however confident the model is.

    Args:
        w: (d,) weights, bias last.  X: (N, d) features, bias column last.  y: (N,) in {0, 1}.
    """
    X, y = _check_xy(X, y)
    if np.any((y != 0) & (y != 1)):
        raise ValueError("logistic_loss needs labels y in {0, 1}")
    s = X @ np.asarray(w, dtype=float)
    return float(np.mean(np.logaddexp(0.0, s) - y * s))


def logistic_grad(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of :func:`logistic_loss`: X^T (sigmoid(X w) - y) / N.  Returns (d,)."""
    X, y = _check_xy(X, y)
    return X.T @ (sigmoid(X @ np.asarray(w, dtype=float)) - y) / len(X)


# --------------------------------------------------------------------------- #
# Gradient descent with deck 002's stopping rules
# --------------------------------------------------------------------------- #


@dataclass
class GDResult:
    """What :func:`gradient_descent` did.

    path: (T + 1, d) every iterate, starting with w0.
    losses: (T + 1,) the loss at each iterate (empty when no loss was given).
    stopped_by: ``"step_tol"`` (||w_t - w_{t-1}|| < eps), ``"grad_tol"`` (||grad Q(w_t)|| < eps),
    ``"max_steps"`` or ``"diverged"`` (the iterate left every sane range).
    """

    path: np.ndarray
    losses: np.ndarray
    stopped_by: str

    @property
    def w(self) -> np.ndarray:
        """The last iterate, (d,)."""
        return self.path[-1]

    @property
    def steps(self) -> int:
        return len(self.path) - 1


def gradient_descent(
    grad: Callable[[np.ndarray], np.ndarray],
    w0,
    lr: float,
    max_steps: int,
    *,
    loss: Callable[[np.ndarray], float] | None = None,
    step_tol: float | None = None,
    grad_tol: float | None = None,
    diverge_above: float = 1e8,
    progress: bool = False,
) -> GDResult:
    """Plain gradient descent w_t = w_{t-1} - lr * grad(w_{t-1}).

    Args:
        grad: maps w (d,) to the gradient (d,).
        w0: (d,) starting point.
        lr: the learning rate eta > 0.
        max_steps: at most this many steps.
        loss: optional Q(w), recorded at every iterate.
        step_tol: stop when ||w_t - w_{t-1}|| < step_tol.
        grad_tol: stop when ||grad Q(w_t)|| < grad_tol.
        diverge_above: stop (``"diverged"``) once ||w_t|| exceeds this or is not finite.
        progress: show a progress bar.

    Returns:
        :class:`GDResult`.
    """
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if int(max_steps) != max_steps or max_steps < 0:
        raise ValueError(f"max_steps must be a non-negative integer, got {max_steps!r}")
    w = np.array(w0, dtype=float)
    path, losses = [w.copy()], ([loss(w)] if loss is not None else [])
    stopped_by = "max_steps"
    g = grad(w)
    for _ in tqdm(range(int(max_steps)), desc=f"GD (lr={lr:g})", disable=not progress, leave=False):
        if grad_tol is not None and np.linalg.norm(g) < grad_tol:
            stopped_by = "grad_tol"
            break
        w_new = w - lr * g
        path.append(w_new.copy())
        if loss is not None:
            losses.append(loss(w_new))
        if not np.all(np.isfinite(w_new)) or np.linalg.norm(w_new) > diverge_above:
            stopped_by = "diverged"
            break
        step = np.linalg.norm(w_new - w)
        w = w_new
        if step_tol is not None and step < step_tol:
            stopped_by = "step_tol"
            break
        g = grad(w)
    return GDResult(np.array(path), np.array(losses, dtype=float), stopped_by)


def lr_regime(lr: float, hessian: np.ndarray) -> str:
    """How gradient descent with step ``lr`` behaves on a quadratic with this Hessian.

    Along the steepest direction (largest eigenvalue L) each step multiplies the
    error by (1 - lr L): smooth for lr L < 1, sign-flipping (oscillating but
    shrinking) for 1 <= lr L < 2, not converging (growing) for lr L >= 2.

    Args:
        lr: learning rate > 0.  hessian: (d, d) symmetric positive definite.

    Returns:
        ``"smooth"``, ``"oscillating"`` or ``"diverging"``.
    """
    H = np.asarray(hessian, dtype=float)
    if lr <= 0 or H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"need lr > 0 and a square Hessian, got lr={lr!r}, shape {H.shape}")
    top = float(np.linalg.eigvalsh(0.5 * (H + H.T)).max())
    if top <= 0:
        raise ValueError("the Hessian must be positive definite")
    if lr * top < 1:
        return "smooth"
    return "oscillating" if lr * top < 2 else "diverging"


# --------------------------------------------------------------------------- #
# GD, SGD, RMSprop, Adam on the MSE of a linear model
# --------------------------------------------------------------------------- #

OPTIMIZERS = ("gd", "sgd", "rmsprop", "adam")


@dataclass
class TrainResult:
    """A run of :func:`train_linear`: ``w`` (d,), ``losses`` (epochs + 1,) full-data Q after each epoch."""

    w: np.ndarray
    losses: np.ndarray
    steps: int = 0
    path: list = field(default_factory=list)


def train_linear(
    X: np.ndarray,
    y: np.ndarray,
    method: str,
    lr: float,
    epochs: int,
    *,
    batch_size: int | None = None,
    seed: int = 0,
    w0=None,
    alpha: float = 0.99,
    betas: tuple = (0.9, 0.999),
    eps: float = 1e-8,
    l2: float = 0.0,
    progress: bool = False,
) -> TrainResult:
    """Minimise :func:`mse_objective` with one of four optimisers, written out in NumPy.

    The update rules follow ``torch.optim`` exactly (default hyper-parameters),
    with g the mini-batch gradient:

    * ``gd``: full batch, w -= lr g.
    * ``sgd``: shuffled mini-batches of ``batch_size``, w -= lr g.
    * ``rmsprop``: v = alpha v + (1 - alpha) g^2;  w -= lr g / (sqrt(v) + eps).
    * ``adam``: m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
      w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).

    Args:
        X: (N, d), bias column last.  y: (N,).
        method: one of ``OPTIMIZERS``.
        epochs: passes over the data.  batch_size: mini-batch size (default: N for
            ``gd``, 1 for the others).
        w0: (d,) start (default zeros).

    Returns:
        :class:`TrainResult`; ``path`` holds w after every epoch.
    """
    X, y = _check_xy(X, y)
    if method not in OPTIMIZERS:
        raise ValueError(f"unknown method {method!r}: choose one of {OPTIMIZERS}")
    if lr <= 0 or int(epochs) != epochs or epochs < 1:
        raise ValueError(f"need lr > 0 and a positive integer number of epochs, got {lr!r}, {epochs!r}")
    n, d = X.shape
    if batch_size is None:
        batch_size = n if method == "gd" else 1
    if method == "gd":
        batch_size = n
    if int(batch_size) != batch_size or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer in [1, {n}], got {batch_size!r}")
    rng = np.random.default_rng(seed)
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=float)
    m, v, t = np.zeros(d), np.zeros(d), 0
    losses, path = [mse_objective(w, X, y, l2)], [w.copy()]
    for _ in tqdm(range(int(epochs)), desc=method, unit="epoch", disable=not progress, leave=False):
        order = np.arange(n) if method == "gd" else rng.permutation(n)
        for start in range(0, n, int(batch_size)):
            idx = order[start : start + int(batch_size)]
            g = mse_objective_grad(w, X[idx], y[idx], l2)
            t += 1
            if method in ("gd", "sgd"):
                w = w - lr * g
            elif method == "rmsprop":
                v = alpha * v + (1 - alpha) * g**2
                w = w - lr * g / (np.sqrt(v) + eps)
            else:
                m = betas[0] * m + (1 - betas[0]) * g
                v = betas[1] * v + (1 - betas[1]) * g**2
                m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
                w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        losses.append(mse_objective(w, X, y, l2))
        path.append(w.copy())
    return TrainResult(w, np.array(losses), t, path)


def early_stopping_index(val_losses, patience: int = 10) -> int:
    """Deck 002's rule for deep learning: stop when the validation error stops falling.

    Scans the curve and stops at the first epoch that is ``patience`` epochs past
    the best value seen so far; returns the index of that best epoch (the
    weights one keeps). If the curve never stalls, returns the index of its minimum.

    Args:
        val_losses: (T,) validation loss per epoch.  patience: epochs to wait (>= 1).
    """
    vals = np.asarray(val_losses, dtype=float)
    if vals.ndim != 1 or len(vals) == 0:
        raise ValueError("val_losses must be a non-empty 1-D sequence")
    if int(patience) != patience or patience < 1:
        raise ValueError(f"patience must be a positive integer, got {patience!r}")
    best = 0
    for i, value in enumerate(vals):
        if value < vals[best]:
            best = i
        elif i - best >= patience:
            return best
    return int(np.argmin(vals))


# --------------------------------------------------------------------------- #
# Rosenblatt's perceptron
# --------------------------------------------------------------------------- #


def _signed_labels(y) -> np.ndarray:
    y = np.asarray(y)
    values = set(np.unique(y).tolist())
    if values <= {0, 1}:
        return np.where(y == 1, 1.0, -1.0)
    if values <= {-1, 1}:
        return y.astype(float)
    raise ValueError(f"labels must be in {{0, 1}} or {{-1, +1}}, got {sorted(values)}")


@dataclass
class PerceptronResult:
    """A perceptron run: weights ``w`` (d,), bias ``b``, ``mistakes`` per epoch, ``converged``."""

    w: np.ndarray
    b: float
    mistakes: list
    converged: bool

    @property
    def updates(self) -> int:
        """Total number of weight updates (= mistakes made during training)."""
        return int(sum(self.mistakes))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels in {0, 1} for X (M, d): 1 where w . x + b > 0."""
        return (np.asarray(X, dtype=float) @ self.w + self.b > 0).astype(np.int64)


def train_perceptron(
    X: np.ndarray,
    y: np.ndarray,
    lr: float = 1.0,
    max_epochs: int = 100,
    *,
    w0=None,
    b0: float = 0.0,
    shuffle_seed: int | None = None,
    progress: bool = False,
) -> PerceptronResult:
    """Rosenblatt's learning rule: for each misclassified x_i, w += lr y_i x_i and b += lr y_i.

    A point counts as misclassified when y_i (w . x_i + b) <= 0 (labels as +-1).
    Training stops after the first epoch without a mistake (``converged=True``)
    or after ``max_epochs``.

    Args:
        X: (N, d) inputs.  y: (N,) labels in {0, 1} or {-1, +1}.
        w0, b0: starting weights (default zeros) and bias.
        shuffle_seed: visit the points in a fresh random order each epoch (None: in order).

    Returns:
        :class:`PerceptronResult`.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or np.shape(y) != (len(X),):
        raise ValueError(f"need X (N, d) and y (N,), got {X.shape} and {np.shape(y)}")
    if lr <= 0 or int(max_epochs) != max_epochs or max_epochs < 1:
        raise ValueError(f"need lr > 0 and a positive integer max_epochs, got {lr!r}, {max_epochs!r}")
    s = _signed_labels(y)
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    rng = np.random.default_rng(shuffle_seed) if shuffle_seed is not None else None
    mistakes = []
    for _ in tqdm(range(int(max_epochs)), desc="perceptron", unit="epoch", disable=not progress, leave=False):
        errors = 0
        for i in rng.permutation(len(X)) if rng is not None else range(len(X)):
            if s[i] * (X[i] @ w + b) <= 0:
                w = w + lr * s[i] * X[i]
                b += lr * s[i]
                errors += 1
        mistakes.append(errors)
        if errors == 0:
            return PerceptronResult(w, b, mistakes, True)
    return PerceptronResult(w, b, mistakes, False)


def best_linear_accuracy(X: np.ndarray, y: np.ndarray, n_angles: int = 3600) -> float:
    """The best accuracy any straight line reaches on 2-D data, by exhaustive search.

    For each of ``n_angles`` directions u on the circle every threshold on the
    projections X u is tried (all distinct splits of the sorted projections), so
    the search is exact up to the angular resolution.

    Args:
        X: (N, 2) points.  y: (N,) labels in {0, 1}.

    Returns:
        The highest fraction of points a rule ``1 if u . x > t else 0`` classifies correctly.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(f"need X (N, 2) and y (N,), got {X.shape} and {y.shape}")
    if n_angles < 4:
        raise ValueError(f"n_angles must be at least 4, got {n_angles!r}")
    s = _signed_labels(y) > 0
    angles = np.linspace(0, 2 * np.pi, int(n_angles), endpoint=False)
    proj = np.cos(angles)[:, None] * X[:, 0] + np.sin(angles)[:, None] * X[:, 1]  # (A, N)
    order = np.argsort(proj, axis=1)
    ones = s[order].astype(int)  # labels sorted by projection, per angle
    # Predicting 0 for the first k sorted points and 1 for the rest is right on
    # (#zeros among the first k) + (#ones among the rest).
    zeros_before = np.concatenate([np.zeros((len(angles), 1), int), np.cumsum(1 - ones, axis=1)], axis=1)
    ones_after = ones.sum(axis=1, keepdims=True) - np.concatenate(
        [np.zeros((len(angles), 1), int), np.cumsum(ones, axis=1)], axis=1
    )
    # A split between two equal projections is not realisable by a threshold.
    sorted_proj = np.take_along_axis(proj, order, axis=1)
    ok = np.ones_like(zeros_before, dtype=bool)
    ok[:, 1:-1] = np.diff(sorted_proj, axis=1) > 1e-12
    correct = np.where(ok, zeros_before + ones_after, 0)
    return float(correct.max() / len(X))


def linearly_separable(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether some hyperplane separates the two classes exactly, decided by linear programming.

    Strict separability, y_i (w . x_i + b) > 0 for all i (labels as +-1), is, after rescaling w and b,
    the feasibility of y_i (w . x_i + b) >= 1 for all i, which ``scipy.optimize.linprog`` decides
    exactly (unlike a search over directions, it cannot miss a separating line by chance).

    Args:
        X: (N, d) points.  y: (N,) labels in {0, 1} or {-1, +1}.

    Returns:
        True when the LP is feasible (a separating hyperplane exists), False when it is infeasible.
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or np.shape(y) != (len(X),):
        raise ValueError(f"need X (N, d) and y (N,), got {X.shape} and {np.shape(y)}")
    A_ub = -_signed_labels(y)[:, None] * np.hstack([X, np.ones((len(X), 1))])  # -y_i [x_i, 1] . [w, b] <= -1
    res = linprog(np.zeros(X.shape[1] + 1), A_ub=A_ub, b_ub=-np.ones(len(X)), bounds=(None, None), method="highs")
    if res.status not in (0, 2):  # 0: solved (feasible), 2: infeasible
        raise RuntimeError(f"linprog failed: {res.message}")
    return res.status == 0
