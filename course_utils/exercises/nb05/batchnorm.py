"""Notebook 05's batch norm: 05.5 the whole layer's forward pass, a declared exercise against ``nn.BatchNorm2d``."""

from __future__ import annotations

import torch
from torch import nn

from .. import Case, Exercise, Mistake, Typical, compare
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 05.5 batch norm, the whole layer

_BN_SIGNATURE = "def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):"
# the notebook's solution; the typical mistakes are edits of it
_BN = """
if training:
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = ((x - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
    n = x.numel() / x.shape[1]
    with torch.no_grad():
        running_mean.mul_(1 - momentum).add_(momentum * mean.flatten())
        running_var.mul_(1 - momentum).add_(momentum * var.flatten() * n / (n - 1))
else:
    mean, var = running_mean.view(1, -1, 1, 1), running_var.view(1, -1, 1, 1)
x_hat = (x - mean) / torch.sqrt(var + eps)
return gamma.view(1, -1, 1, 1) * x_hat + beta.view(1, -1, 1, 1)
"""


def _bn_reference(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """What ``nn.BatchNorm2d`` computes (its functional form), running statistics updated in place."""
    return nn.functional.batch_norm(x, running_mean, running_var, gamma, beta, training, momentum, eps)


class _StatsCase(Case):
    """A call of ``batchnorm_forward`` whose outcome is (y, running_mean, running_var) after it: the running
    statistics the caller passed in, so that an update made on a copy shows."""

    def call(self, fn):
        args = [a.clone() if isinstance(a, torch.Tensor) else a for a in self.args]
        return fn(*args, **self.kwargs), args[3], args[4]


def _bn_cases() -> list:
    g = torch.Generator().manual_seed(50)
    scale = torch.tensor([0.05, 1.0, 3.0], dtype=torch.float64).view(1, 3, 1, 1)  # eps matters for the first
    shift = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64).view(1, 3, 1, 1)

    def x(n):  # (n, C=3, H=5, W=6): no axis has the size of another
        return torch.randn(n, 3, 5, 6, generator=g, dtype=torch.float64) * scale + shift

    gamma = torch.tensor([1.5, 0.5, 2.0], dtype=torch.float64)
    beta = torch.tensor([0.3, -0.7, 1.1], dtype=torch.float64)
    stats = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64), torch.tensor([0.02, 0.5, 1.5], dtype=torch.float64)
    return [
        _StatsCase("in training mode (momentum=0.2, eps=1e-3)", (x(4), gamma, beta, *stats, True),
                   {"momentum": 0.2, "eps": 1e-3}),
        _StatsCase("in evaluation mode", (x(2), gamma, beta, *stats, False)),
    ]  # fmt: skip


def _bn_explain(where: str, got, expected, hints, exercise) -> None:
    """Which of y, running_mean and running_var is wrong, where and by how much."""
    y, mean, var = got
    if isinstance(y, (tuple, list)):
        raise Mistake(
            f"you returned a {type(y).__name__} of {len(y)}: return only y, a tensor of x's shape; the running "
            "statistics are updated in place in the tensors passed in."
        )
    for name, part, right in zip(("y", "running_mean", "running_var"), (y, mean, var), expected):
        compare(f"{name} {where}", part, right, rtol=exercise.rtol, atol=exercise.atol)


_BN_TYPICAL = [
    Typical(
        _BN.replace("(0, 2, 3)", "(2, 3)"),
        "your statistics are per sample (over H and W only, dim=(2, 3)): batch norm averages over the whole batch "
        "as well, one mean and one variance per channel: dim=(0, 2, 3).",
    ),
    Typical(
        _BN.replace("(0, 2, 3)", "0"),
        "your statistics are per pixel (over the batch axis only, dim=0): batch norm averages over N, H and W, one "
        "mean and one variance per channel: dim=(0, 2, 3).",
    ),
    Typical(
        _BN.replace(
            "((x - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)", "x.var(dim=(0, 2, 3), keepdim=True)"
        ).replace(" * n / (n - 1)", ""),
        "you normalised with the unbiased variance (torch.var divides by n - 1 unless told correction=0): batch norm "
        "normalises with the biased variance, divided by n = N * H * W; only running_var stores the unbiased one.",
    ),
    Typical(
        _BN.replace(" * n / (n - 1)", ""),
        "running_var is too small by a factor (n - 1) / n: PyTorch normalises with the biased batch variance but "
        "stores the UNBIASED one in running_var (times n / (n - 1), n = N * H * W).",
    ),
    Typical(
        _BN.replace("mul_(1 - momentum).add_(momentum *", "mul_(momentum).add_((1 - momentum) *"),
        "momentum the wrong way round: in PyTorch momentum is the weight of the NEW batch statistic, "
        "running = (1 - momentum) * running + momentum * batch, not momentum * running + (1 - momentum) * batch.",
    ),
    Typical(
        _BN.replace(
            "running_mean.mul_(1 - momentum).add_(", "running_mean = running_mean * (1 - momentum) + ("
        ).replace("running_var.mul_(1 - momentum).add_(", "running_var = running_var * (1 - momentum) + ("),
        "running_mean and running_var did not change in the tensors passed in: either they are not updated, or "
        "`running_mean = ...` made a new tensor (a copy the caller never sees). Update them IN PLACE: "
        "running_mean.mul_(1 - momentum).add_(momentum * batch_mean), or running_mean[:] = ...",
    ),
    Typical(
        _BN.replace("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
        "eps belongs inside the square root, sqrt(var + eps): added to the standard deviation it changes the "
        "result (most for a channel of small variance).",
    ),
    Typical(
        _BN.replace("torch.sqrt(var + eps)", "torch.sqrt(var)"),
        "you left eps out: x_hat = (x - mean) / sqrt(var + eps), in training and in evaluation. It keeps a channel "
        "of (nearly) constant values from being divided by ~0, and it changes the result of a channel of small "
        "variance.",
    ),
    Typical(
        _BN.replace("n = x.numel() / x.shape[1]", "n = x.shape[0]"),
        "running_var's unbiased factor n / (n - 1) counts the values averaged per channel, n = N * H * W "
        "(x.numel() / C), not the batch size N.",
    ),
    Typical(
        _BN.replace("mean, var = running_mean.view", "_ = running_mean.view").replace(
            "if training:\n    mean",
            "mean = x.mean(dim=(0, 2, 3), keepdim=True)\nvar = ((x - mean) ** 2)"
            ".mean(dim=(0, 2, 3), keepdim=True)\nif training:\n    mean",
        ),
        "in evaluation mode you normalised with the batch's own statistics: at test time batch norm uses "
        "running_mean and running_var (a single test image has no batch to average over).",
    ),
    Typical(
        _BN.replace("if training:", "if True:").replace(
            "x_hat = (x - mean)",
            "if not training:\n    mean, var = running_mean.view(1, -1, 1, 1), "
            "running_var.view(1, -1, 1, 1)\nx_hat = (x - mean)",
        ),
        "in evaluation mode running_mean and running_var changed: update them in training mode only (evaluation "
        "must not depend on, or change with, the batches it sees).",
    ),
    Typical(
        _BN.replace(
            "x_hat = (x - mean)",
            "mean, var = running_mean.view(1, -1, 1, 1), running_var.view(1, -1, 1, 1)\nx_hat = (x - mean)",
        ),
        "in training mode you normalised with the running statistics: training normalises each batch with its own "
        "mean and variance; the running averages are for evaluation.",
    ),
    Typical(
        _BN.replace("gamma.view(1, -1, 1, 1) * x_hat + beta", "beta.view(1, -1, 1, 1) * x_hat + gamma"),
        "gamma and beta are swapped: gamma is the scale (it multiplies x_hat), beta the shift (it is added).",
    ),
    Typical(
        _BN.replace("return gamma.view(1, -1, 1, 1) * x_hat + beta.view(1, -1, 1, 1)", "return x_hat"),
        "you returned x_hat: the layer ends with its learned scale and shift, gamma * x_hat + beta, per channel.",
    ),
    Typical(
        _BN.replace("gamma.view(1, -1, 1, 1)", "gamma").replace("beta.view(1, -1, 1, 1)", "beta"),
        "gamma and beta have shape (C,) and broadcast against the LAST axis of x (W): reshape them to (1, C, 1, 1), "
        "gamma.view(1, -1, 1, 1), so that each scales and shifts one channel.",
    ),
]

check_batchnorm_forward = Exercise(
    "05.5",
    _BN_SIGNATURE,
    todo="Fill in batchnorm_forward: in training normalise each channel with the batch's mean and (biased) variance "
    "and update the running statistics in place; in evaluation use the running statistics.",
    cases=_bn_cases,
    reference=_bn_reference,
    typical=_BN_TYPICAL,
    confirmation="y, running_mean and running_var agree with torch.nn.BatchNorm2d in training and in evaluation mode. "
    "The cells below measure what the layer does for the speed of training.",
    namespace=NOTEBOOK,
    result="",  # _bn_explain names the part: "running_var in training mode ..."
    explain=_bn_explain,
    on_error={
        lambda e: isinstance(e, RuntimeError) and ("size of tensor" in str(e) or "broadcast shape" in str(e)): (
            "a statistic or a parameter does not line up with the channels. x is (N, C, H, W); the batch mean and "
            "variance have one value per channel, over N, H and W (dim=(0, 2, 3)), and gamma, beta and the "
            "running statistics are (C,): view them as (1, C, 1, 1) to broadcast over x."
        )
    },
)
