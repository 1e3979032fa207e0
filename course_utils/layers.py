"""Fully connected layers, activations and losses in plain numpy, with their gradients.

The worked reference code of notebook 03 (backpropagation): the notebook's examples,
figures and exercise checks (:mod:`course_utils.exercises.nb03`) call it, and it holds the
course's one softmax (:func:`log_softmax`, :func:`softmax`). The graded ``backprop``
assignment is *not* checked against this module: its test cells compare a submission with
torch autograd and with central differences (:mod:`course_utils.grading`).
The conventions follow CS231n:

* a layer's ``*_forward`` returns ``(out, cache)``; its ``*_backward(dout, cache)``
  takes the upstream gradient dLoss/dout and returns the gradients of the loss
  with respect to the layer's inputs (``dx``, or ``(dx, dw, db)`` for the affine layer);
* a loss returns ``(loss, dpred)``: a Python float and dLoss/dprediction
  (:func:`mse_loss`, :func:`softmax_cross_entropy`; not to be confused with
  :func:`course_utils.linear.mse`, the loss value of predictions without a gradient, or
  :func:`course_utils.linear.mse_objective`, the least-squares objective of a weight vector);
* everything works in the dtype it is given (use float64 for gradient checks);
* :func:`numerical_gradient` is re-exported from :mod:`course_utils.grading`, where the
  course's one central-difference gradient lives.

Batches are rows: ``x`` has shape (N, D) for N examples with D features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .grading import numerical_gradient

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_LAYERS",
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "sigmoid",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "mse_loss",
    "log_softmax",
    "softmax",
    "softmax_cross_entropy",
    "numerical_gradient",
    "relative_error",
    "init_std",
    "mlp_gradient_norms",
]

ACTIVATIONS = ("sigmoid", "relu", "tanh")


# --------------------------------------------------------------------------- #
# Layers
# --------------------------------------------------------------------------- #


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Fully connected layer ``out = x @ w + b``, i.e. z_j = sum_i w_ij x_i + b_j for every row.

    Args:
        x: (N, D) inputs.  w: (D, M) weights.  b: (M,) biases.

    Returns:
        out: (N, M), and the cache ``(x, w)`` for :func:`affine_backward`.
    """
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    if x.ndim != 2 or w.ndim != 2 or b.shape != (w.shape[1],) or x.shape[1] != w.shape[0]:
        raise ValueError(f"need x (N, D), w (D, M), b (M,); got {x.shape}, {w.shape}, {b.shape}")
    return x @ w + b, (x, w)


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the affine layer.

    Args:
        dout: (N, M) upstream gradient dLoss/dout.
        cache: ``(x, w)`` from :func:`affine_forward`.

    Returns:
        dx (N, D) = dout @ w.T,  dw (D, M) = x.T @ dout,  db (M,) = dout summed over rows.
    """
    x, w = cache
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[1])}, got {dout.shape}")
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU max(0, x), elementwise; any shape. The cache is ``x``."""
    x = np.asarray(x)
    return np.maximum(x, 0), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dLoss/dx of ReLU: ``dout`` where x > 0, else 0 (the derivative at 0 is taken as 0, like torch)."""
    _check_same_shape(dout, cache)
    return dout * (cache > 0)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function 1 / (1 + exp(-x)), elementwise; no overflow warnings.

    For x >= 0 it evaluates 1 / (1 + exp(-x)); for x < 0 the equal form exp(x) / (1 + exp(x)),
    so ``exp`` only ever sees non-positive arguments (an underflow to 0 there is exact enough
    and raises nothing, even under ``np.errstate(all="raise")``).
    """
    x = np.asarray(x)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sigmoid layer; any shape. The cache is the output s, because sigma'(x) = s (1 - s)."""
    s = sigmoid(x)
    return s, s


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dLoss/dx of the sigmoid: dout * s * (1 - s)."""
    _check_same_shape(dout, cache)
    return dout * cache * (1.0 - cache)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tanh layer; any shape. The cache is the output t, because tanh'(x) = 1 - t^2."""
    t = np.tanh(x)
    return t, t


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dLoss/dx of tanh: dout * (1 - t^2)."""
    _check_same_shape(dout, cache)
    return dout * (1.0 - cache**2)


ACTIVATION_LAYERS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "relu": (relu_forward, relu_backward),
    "tanh": (tanh_forward, tanh_backward),
}


# --------------------------------------------------------------------------- #
# Losses
# --------------------------------------------------------------------------- #


def mse_loss(pred: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error loss *layer* with the 1/2 factor: L = 1/N * sum_i 1/2 ||y_i - pred_i||^2.

    Returns the gradient too, like every loss here. (For the loss value alone see
    :func:`course_utils.linear.mse`; for a linear model's objective of its weights,
    :func:`course_utils.linear.mse_objective`.)

    Args:
        pred: (N,) or (N, K) predictions.  y: targets of the same shape.

    Returns:
        loss (float) and dpred = (pred - y) / N, the shape of ``pred``.
    """
    pred, y = np.asarray(pred), np.asarray(y)
    _check_same_shape(pred, y)
    if pred.ndim == 0 or len(pred) == 0:
        raise ValueError(f"need at least one example, got shape {pred.shape}")
    n = pred.shape[0]
    diff = pred - y
    return float(0.5 * np.sum(diff**2) / n), diff / n


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """log softmax along the last axis, computed stably: z - max(z) - log(sum(exp(z - max(z)))).

    Subtracting each row's maximum first keeps every exponent <= 0, so nothing overflows,
    and computing the log directly avoids log(0) when one probability underflows.

    Args:
        scores: (N, C) unnormalised class scores (logits), or any (..., C) array.

    Returns:
        An array of the shape of ``scores``: log p, with p summing to 1 along the last axis.
    """
    scores = np.asarray(scores)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, stable for large scores: exp(:func:`log_softmax` (scores)).

    Args:
        scores: (N, C) logits (one row per example), or any (..., C) array, e.g. (C,).

    Returns:
        Probabilities of the shape of ``scores``, each row summing to 1.
    """
    return np.exp(log_softmax(scores))


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax followed by the mean negative log-likelihood of the true classes.

    Args:
        scores: (N, C) unnormalised class scores (logits).
        y: (N,) integer labels in [0, C).

    Returns:
        loss (float) = -1/N sum_i log softmax(scores_i)[y_i], and
        dscores (N, C) = (softmax(scores) - onehot(y)) / N.
    """
    scores, y = np.asarray(scores), np.asarray(y)
    if scores.ndim != 2 or y.shape != (scores.shape[0],) or len(y) == 0:
        raise ValueError(f"need scores (N, C) and y (N,) with N >= 1, got {scores.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= scores.shape[1]:
        raise ValueError(f"y must hold integer labels in [0, {scores.shape[1]})")
    n = len(y)
    log_probs = log_softmax(scores)  # (N, C)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n


# --------------------------------------------------------------------------- #
# Gradient checking (numerical_gradient is imported from course_utils.grading)
# --------------------------------------------------------------------------- #


def relative_error(a, b, eps: float = 1e-12) -> float:
    """Relative distance between two arrays: ||a - b|| / max(||a|| + ||b||, eps).

    0 for equal arrays, 1 when one is zero and the other is not. Values below
    about 1e-7 mean a gradient is correct (in float64); above 1e-3 it is wrong.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    _check_same_shape(a, b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), eps))


# --------------------------------------------------------------------------- #
# Deep networks: per-layer gradient norms (vanishing gradients)
# --------------------------------------------------------------------------- #


def init_std(n_in: int, scheme: str) -> float:
    """Standard deviation of the Gaussian weights of a layer with ``n_in`` inputs.

    ``"lecun"``: 1/sqrt(n_in), the W ~ N(0, 1/sqrt(#inputs)) rule of deck 004;
    ``"he"``: sqrt(2/n_in), the same rule corrected for ReLU halving the signal;
    ``"unit"``: 1 (a naive choice, for comparison).
    """
    if n_in < 1:
        raise ValueError(f"n_in must be positive, got {n_in!r}")
    stds = {"lecun": 1 / np.sqrt(n_in), "he": np.sqrt(2 / n_in), "unit": 1.0}
    if scheme not in stds:
        raise ValueError(f"unknown init scheme {scheme!r}: choose one of {sorted(stds)}")
    return float(stds[scheme])


def mlp_gradient_norms(
    X: np.ndarray, y: np.ndarray, widths: Sequence[int], activation: str = "sigmoid", init: str = "lecun", seed: int = 0
) -> np.ndarray:
    """Per-layer weight-gradient norms of a freshly initialised deep MLP on one batch.

    The network is affine -> activation -> ... -> affine (no activation after
    the last layer), trained with :func:`softmax_cross_entropy`. Weights are
    drawn from N(0, init_std(n_in, init)^2), biases are zero.

    Args:
        X: (N, D) inputs.  y: (N,) integer labels.
        widths: output sizes of every layer, the last one being the number of classes,
            e.g. ``[64] * 9 + [2]`` for ten layers.
        activation: ``"sigmoid"``, ``"relu"`` or ``"tanh"``.
        init: ``"lecun"``, ``"he"`` or ``"unit"`` (see :func:`init_std`).

    Returns:
        (len(widths),) float64: the Frobenius norm ||dLoss/dW_l|| of each layer, first layer first.
    """
    if activation not in ACTIVATION_LAYERS:
        raise ValueError(f"unknown activation {activation!r}: choose one of {ACTIVATIONS}")
    if len(widths) < 1 or any(int(w) != w or w < 1 for w in widths):
        raise ValueError(f"widths must be positive integers, got {widths!r}")
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(seed)
    act_forward, act_backward = ACTIVATION_LAYERS[activation]
    sizes = [X.shape[1], *map(int, widths)]
    h, caches = X, []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.normal(0.0, init_std(n_in, init), size=(n_in, n_out))
        h, affine_cache = affine_forward(h, w, np.zeros(n_out))
        act_cache = None
        if layer < len(widths) - 1:
            h, act_cache = act_forward(h)
        caches.append((affine_cache, act_cache))
    _, dh = softmax_cross_entropy(h, y)
    norms = []
    for affine_cache, act_cache in reversed(caches):
        if act_cache is not None:
            dh = act_backward(dh, act_cache)
        dh, dw, _ = affine_backward(dh, affine_cache)
        norms.append(np.linalg.norm(dw))
    return np.array(norms[::-1])


def _check_same_shape(a, b) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"shapes differ: {np.shape(a)} and {np.shape(b)}")
