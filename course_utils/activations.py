"""Activation functions and the small networks built from them.

* :data:`ACTIVATIONS` - deck 002's table, ``name -> (f, df)`` in NumPy, with each
  derivative written the way the deck writes it (sigmoid' = f (1 - f), ...).
* :func:`torch_activation` - the same functions from ``torch``, for autograd checks;
  :func:`autograd_derivative` - df/dx computed by ``torch.autograd``.
* :func:`activation_module` - the ``nn.Module`` versions for training, and :func:`mlp`,
  the course's one builder of fully connected networks (:mod:`course_utils.models`
  and :mod:`course_utils.rl` build theirs with it).
* :func:`train_mlp_2d` - the "playground" trainer: a small MLP on a 2-D
  two-class dataset, fast enough to retrain on every widget change;
  :func:`train_mlp_restarts` trains many small nets side by side. Both run
  :func:`course_utils.training.fit` on the full batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .layers import sigmoid as _sigmoid
from .runtime import cpu_threads, keeps_global_rng
from .runtime import device as default_device
from .training import fit

LEAKY_SLOPE = 0.1  # a in leaky ReLU (fixed)
PRELU_SLOPE = 0.25  # a in parametric ReLU (learned; 0.25 is torch's starting value)
ELU_ALPHA = 1.0


def _elu(x):
    return np.where(x < 0, ELU_ALPHA * np.expm1(np.minimum(x, 0.0)), x)


def _step(x):
    return (np.asarray(x) >= 0).astype(float)


ACTIVATIONS: dict = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "step": (_step, lambda x: np.zeros_like(np.asarray(x, dtype=float))),
    "softplus": (lambda x: np.logaddexp(0.0, x), _sigmoid),
    "relu": (lambda x: np.maximum(0.0, x), _step),
    "leaky_relu": (lambda x: np.where(x < 0, LEAKY_SLOPE * x, x), lambda x: np.where(x < 0, LEAKY_SLOPE, 1.0)),
    "prelu": (lambda x: np.where(x < 0, PRELU_SLOPE * x, x), lambda x: np.where(x < 0, PRELU_SLOPE, 1.0)),
    "elu": (_elu, lambda x: np.where(x < 0, _elu(x) + ELU_ALPHA, 1.0)),
}
"""Deck 002's activation table: name -> (f, f'), each mapping an array to an array of the same shape.

The step's derivative is 0 wherever it exists (it is undefined at 0); ReLU's is
taken as 1 at 0, as in the deck. Away from 0 every entry is the true derivative.
"""


def _check_name(name: str, choices) -> str:
    if name not in choices:
        raise ValueError(f"unknown activation {name!r}: choose one of {sorted(choices)}")
    return name


def torch_activation(name: str):
    """The torch function for an entry of :data:`ACTIVATIONS` (tensor -> tensor, differentiable).

    The step function has no autograd rule in torch (``torch.heaviside`` refuses a
    backward pass); its torch version is ``heaviside`` evaluated without a graph
    plus ``0 * x``, which is exactly the almost-everywhere derivative 0.
    """
    _check_name(name, ACTIVATIONS)
    if name == "step":
        return lambda x: torch.heaviside(x.detach(), torch.ones_like(x)) + 0 * x
    if name == "prelu":
        return lambda x: F.prelu(x, torch.full((1,), PRELU_SLOPE, dtype=x.dtype, device=x.device))
    return {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softsign": F.softsign,
        "softplus": F.softplus,
        "relu": torch.relu,
        "leaky_relu": lambda x: F.leaky_relu(x, LEAKY_SLOPE),
        "elu": lambda x: F.elu(x, ELU_ALPHA),
    }[name]


def autograd_derivative(name: str, x: np.ndarray, device: torch.device | str | None = None) -> np.ndarray:
    """f'(x) for an activation, computed by ``torch.autograd`` in float64.

    Args:
        name: a key of :data:`ACTIVATIONS`.  x: (M,) points.

    Returns:
        (M,) float64 array on the CPU.
    """
    device = torch.device(device) if device is not None else default_device()
    t = torch.tensor(np.asarray(x, dtype=np.float64), device=device, requires_grad=True)
    (grad,) = torch.autograd.grad(torch_activation(name)(t).sum(), t)
    return grad.detach().cpu().numpy()


# --------------------------------------------------------------------------- #
# Networks
# --------------------------------------------------------------------------- #


def tiny_model_threads(device: torch.device):
    """A context that runs torch on one CPU thread (when ``device`` is the CPU; otherwise it
    does nothing).

    For networks with a few dozen weights, splitting each tiny matrix product
    across threads costs more than it saves, and on a busy machine it can make
    training ten times slower; one thread keeps the playground interactive
    (:func:`course_utils.runtime.cpu_threads`).
    """
    return cpu_threads(1) if torch.device(device).type == "cpu" else nullcontext()


MODULE_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "softsign")


def activation_module(name: str) -> nn.Module:
    """An ``nn.Module`` for an activation name in :data:`MODULE_ACTIVATIONS` (``linear`` = identity)."""
    _check_name(name, MODULE_ACTIVATIONS)
    return {
        "linear": nn.Identity,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
        "elu": lambda: nn.ELU(ELU_ALPHA),
        "softplus": nn.Softplus,
        "softsign": nn.Softsign,
    }[name]()


def mlp(
    sizes: Sequence[int],
    activation: str | Callable[[], nn.Module] = "tanh",
    *,
    dropout: float = 0.0,
    flatten: bool = False,
) -> nn.Sequential:
    """A fully connected network: Linear, activation, Linear, ..., Linear (no activation at the end).

    The course's one MLP builder: the classifiers and the autoencoder of :mod:`course_utils.models`,
    the GAN's generator and discriminator and the policy of :mod:`course_utils.rl` are all built
    with it. The last layer has no activation: its outputs are scores (logits) or values; append
    e.g. ``nn.Sigmoid()`` for outputs in (0, 1).

    Args:
        sizes: layer widths (n_in, h_1, ..., h_k, n_out), at least two, e.g. (2, 2, 1) for the
            2-2-1 XOR network.
        activation: a name from :data:`MODULE_ACTIVATIONS`, or a callable with no arguments that
            returns a new activation module (e.g. ``lambda: nn.LeakyReLU(0.2)``); one after each
            hidden Linear.
        dropout: drop probability of an ``nn.Dropout`` after each hidden activation (0: none).
        flatten: begin with ``nn.Flatten()``, so that inputs (B, ...) with n_in values each are accepted.

    Returns:
        An ``nn.Sequential`` mapping (B, n_in) (with ``flatten``: (B, ...)) to (B, n_out), layers
        in the order [Flatten], Linear, activation, [Dropout], ..., Linear.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes needs at least two positive widths, got {sizes}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    new_activation = activation if callable(activation) else lambda: activation_module(activation)
    layers: list[nn.Module] = [nn.Flatten()] if flatten else []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(new_activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def binary_accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows where (logit > 0) equals the 0/1 label.  logits, y: (N,) or (N, 1)."""
    if logits.shape != y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and y {tuple(y.shape)} must have the same shape")
    return ((logits > 0).float() == y.float()).float().mean().item()


@keeps_global_rng
def train_mlp_2d(
    X: np.ndarray,
    y: np.ndarray,
    hidden=(8,),
    activation: str = "tanh",
    *,
    steps: int = 300,
    lr: float = 0.03,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = False,
):
    """Train a small MLP on a 2-D two-class dataset with full-batch Adam (the playground's trainer).

    Args:
        X: (N, 2) inputs.  y: (N,) labels in {0, 1}.
        hidden: hidden-layer widths, e.g. (8,) or (8, 8).
        activation: a name from :data:`MODULE_ACTIVATIONS`.
        steps: Adam steps on the whole dataset.

    Returns:
        (predict, accuracy, losses): ``predict`` maps points (M, 2) to the probability
        of class 1 (M,) as a NumPy array, ``accuracy`` is the training accuracy,
        ``losses`` the (steps,) float32 training log loss (before each step).
    """
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(f"need X (N, 2) and y (N,), got {X.shape} and {y.shape}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    device = torch.device(device) if device is not None else default_device()
    torch.manual_seed(seed)
    model = mlp((2, *hidden, 1), activation).to(device)
    Xt = torch.from_numpy(X).to(device)
    yt = torch.from_numpy(y.astype(np.float32)).to(device)[:, None]
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    with tiny_model_threads(device):  # one full-batch Adam step per epoch
        history = fit(
            model,
            [(Xt, yt)],
            epochs=int(steps),
            optimizer=opt,
            loss_fn=nn.BCEWithLogitsLoss(),
            metric=None,
            device=device,
            progress=progress,
            desc="playground",
            unit="step",
        )
    losses = np.asarray(history.train_loss, dtype=np.float32)
    model.eval()
    with torch.no_grad():
        acc = binary_accuracy(model(Xt), yt)

    def predict(points: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            p = torch.sigmoid(model(torch.as_tensor(np.asarray(points, dtype=np.float32), device=device)))
        return p[:, 0].cpu().numpy()

    return predict, acc, losses


@keeps_global_rng
def train_mlp_restarts(
    X: np.ndarray,
    y: np.ndarray,
    hidden: int = 2,
    activation: str = "tanh",
    *,
    restarts: int = 16,
    steps: int = 1000,
    lr: float = 0.1,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
):
    """Train ``restarts`` independent 2-layer nets (in_dim-hidden-1) at once; keep the best.

    A tiny network such as the 2-2-1 XOR net often ends in a local minimum
    (mean log loss ln 2 / 2: two of the four points left at p = 1/2). Training many copies side by side with
    batched matrices costs about as much as training one; the copy with the
    lowest final log loss is returned as an ordinary ``nn.Sequential``.

    Args:
        X: (N, d) inputs.  y: (N,) labels in {0, 1}.
        hidden: hidden width.  activation: a name from :data:`MODULE_ACTIVATIONS`.
        restarts: number of independent random starts.  steps: full-batch Adam steps.

    Returns:
        (model, final_losses): ``model`` is ``mlp((d, hidden, 1), activation)`` on ``device``
        holding the best copy's weights; ``final_losses`` is a (restarts,) NumPy array.
    """
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"need X (N, d) and y (N,), got {X.shape} and {y.shape}")
    if restarts < 1 or steps < 1 or hidden < 1:
        raise ValueError(f"restarts, steps and hidden must be positive, got {restarts}, {steps}, {hidden}")
    device = torch.device(device) if device is not None else default_device()
    torch.manual_seed(seed)
    copies = _StackedMLPs([mlp((X.shape[1], hidden, 1), activation) for _ in range(restarts)], activation).to(device)
    Xt = torch.from_numpy(X).to(device)
    yt = torch.from_numpy(y.astype(np.float32)).to(device)[None, :, None].expand(restarts, -1, -1)
    with tiny_model_threads(device):  # one full-batch Adam step per epoch
        fit(
            copies,
            [(Xt, yt)],
            epochs=int(steps),
            optimizer=torch.optim.Adam(copies.parameters(), lr=lr),
            loss_fn=lambda logits, target: _per_copy_log_loss(logits, target).sum(),  # no shared parameters:
            metric=None,  # the sum gives each copy its own gradient
            device=device,
            progress=progress,
            desc=f"{restarts} restarts",
            unit="step",
        )
    with torch.no_grad():
        final = _per_copy_log_loss(copies(Xt), yt).cpu().numpy()
    return copies.copy_to_mlp(int(np.argmin(final))), final


def _per_copy_log_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean log loss of each copy: logits and 0/1 targets y (R, N, 1) -> (R,)."""
    return F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(dim=(1, 2))


class _StackedMLPs(nn.Module):
    """R copies of a d-h-1 :func:`mlp` run side by side with batched matrices (for :func:`train_mlp_restarts`).

    Parameters W1 (R, d, h), b1 (R, 1, h), W2 (R, h, 1), b2 (R, 1, 1), copied from ``copies``;
    ``forward`` maps X (N, d) to logits (R, N, 1).
    """

    def __init__(self, copies: list, activation: str):
        super().__init__()
        self.W1 = nn.Parameter(torch.stack([c[0].weight.T for c in copies]).detach().clone())
        self.b1 = nn.Parameter(torch.stack([c[0].bias[None] for c in copies]).detach().clone())
        self.W2 = nn.Parameter(torch.stack([c[2].weight.T for c in copies]).detach().clone())
        self.b2 = nn.Parameter(torch.stack([c[2].bias[None] for c in copies]).detach().clone())
        self.activation, self.act = activation, activation_module(activation)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.act(X @ self.W1 + self.b1) @ self.W2 + self.b2

    @torch.no_grad()
    def copy_to_mlp(self, r: int) -> nn.Sequential:
        """Copy r as an ordinary ``mlp((d, h, 1), activation)`` on the same device."""
        model = mlp((self.W1.shape[1], self.W1.shape[2], 1), self.activation).to(self.W1.device)
        model[0].weight.copy_(self.W1[r].T)
        model[0].bias.copy_(self.b1[r, 0])
        model[2].weight.copy_(self.W2[r].T)
        model[2].bias.copy_(self.b2[r, 0])
        return model


def staircase_mlp(g, n_units: int, lo: float, hi: float, sharpness: float = 20.0) -> nn.Sequential:
    """A one-hidden-layer sigmoid network that approximates ``g`` on [lo, hi] by construction.

    The idea behind the universal approximation theorem: split [lo, hi] into
    ``n_units`` equal pieces; hidden unit i is a steep sigmoid that switches on
    at the i-th cut and its output weight is the jump g(right end) - g(left end);
    the output bias is g(lo). The result is a staircase through the points of g,
    so its error shrinks as the width grows (about max|g'| (hi - lo) / n_units).

    Args:
        g: vectorised NumPy function of one variable.
        n_units: hidden width (>= 1).
        sharpness: slope of each sigmoid, in units of n_units / (hi - lo).

    Returns:
        ``mlp((1, n_units, 1), "sigmoid")`` (float32, on the CPU) with the weights set.
    """
    if int(n_units) != n_units or n_units < 1 or not hi > lo or sharpness <= 0:
        raise ValueError(
            f"need an integer n_units >= 1, hi > lo and sharpness > 0; got {n_units!r}, [{lo}, {hi}], {sharpness!r}"
        )
    n_units = int(n_units)
    knots = np.linspace(lo, hi, n_units + 1)
    values = np.asarray(g(knots), dtype=float)
    cuts = 0.5 * (knots[:-1] + knots[1:])  # unit i switches on halfway through piece i
    k = sharpness * n_units / (hi - lo)
    net = mlp((1, n_units, 1), "sigmoid")
    with torch.no_grad():
        net[0].weight.copy_(torch.full((n_units, 1), k))
        net[0].bias.copy_(torch.as_tensor(-k * cuts, dtype=torch.float32))
        net[2].weight.copy_(torch.as_tensor(np.diff(values)[None], dtype=torch.float32))
        net[2].bias.fill_(float(values[0]))
    return net
