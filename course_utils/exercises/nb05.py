"""Checks for the exercises and self-check questions of ``notebooks/05_cnns.ipynb``.

* 05.1 ``DigitCNN``: a CNN for the 8x8 digits as an ``nn.Module``, (N, 1, 8, 8) -> (N, 10) logits;
* 05.2 ``train_one_epoch``: one pass of the training loop (zero_grad, forward, loss, backward, step);
* 05.3 ``inverted_dropout``: dropout that scales the survivors by 1 / (1 - p) during training;
* 05.4 ``transfer_model``: a frozen trained backbone with a new, trainable head;
* 05.5 ``batchnorm_forward``: the whole batch-norm layer's forward pass, training and evaluation mode,
  with the running statistics updated in place (a declared :class:`Exercise`, checked against
  ``torch.nn.BatchNorm2d``).

05.1-05.4 are checks written as code, as their diagnosis is step by step: a module's architecture
(05.1, 05.4), a training loop's effect on the parameters (05.2), a random mask's statistics (05.3).
Each builds its own small model and data (seeded, on the CPU). The typical mistakes are declared once,
in ``STEPWISE``, as the cell a student would write with (part of) its hint; where a check recognises a
mistake by its result (05.2, 05.3 at test time), it runs those cells. The questions are in ``nb05.toml``.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .. import models
from ..datasets import tensor_loader
from ..runtime import cpu_threads
from . import (
    Case,
    Exercise,
    Mistake,
    Typical,
    accepted,
    as_array,
    attempt,
    compare,
    compare_scalar,
    exercise,
    quizzes,
    quizzes_of,
)

__all__ = [
    "check_digit_cnn",
    "check_train_one_epoch",
    "check_inverted_dropout",
    "check_transfer_model",
    "check_batchnorm_forward",
    "accepted",
    "EXERCISES",
    "PARAM_BUDGET",
    "STEPWISE",
    "QUIZZES",
    "quiz",
]

PARAM_BUDGET = 20_000
NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "models": models}  # what the notebook has imported


def _digits_like(n: int, seed: int) -> torch.Tensor:
    """n random images shaped like the digits: (n, 1, 8, 8), values in [0, 16]."""
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed)) * 16


def _defined(name: str, cell: str):
    """What the student's ``cell`` defines as ``name``, run with the notebook's imports."""
    scope = dict(NOTEBOOK)
    exec(cell, scope)  # noqa: S102 - the course's own code
    return scope[name]


def _compare(eid: str, what: str, got, expected, outcome, check=compare, **tol) -> None:
    """``check(what, got, expected)``; when ``got`` is wrong, first the hint of the typical mistake of ``eid``
    (``STEPWISE``) whose ``outcome(wrong function)`` equals it."""
    try:
        check(what, got, expected, **tol)
    except Mistake:
        name, typicals = STEPWISE[eid]
        with torch.random.fork_rng(devices=[]):
            for typical in typicals:
                value, wrong = as_array(what, outcome(_defined(name, typical.body))), as_array(what, got)
                if value.shape == wrong.shape and np.allclose(value, wrong, rtol=1e-4, atol=1e-6):
                    raise Mistake(typical.hint) from None
        raise


# ----------------------------------------------------------------------------- 05.1 the CNN as a module


def _flatten_hint(linear_inputs: list) -> str:
    """A hint for a fully connected layer that received the wrong number of values."""
    for layer, shape in linear_inputs:
        if len(shape) > 2:
            return (
                f"an nn.Linear({layer.in_features}, {layer.out_features}) received feature maps of shape "
                f"{shape}: flatten them first (nn.Flatten() or x.flatten(1)), which keeps the batch axis."
            )
        if shape[-1] != layer.in_features:
            return (
                f"after flattening, each image has {shape[-1]} values, but your nn.Linear expects "
                f"in_features={layer.in_features}. After the last pooling the maps are C x H x W; "
                f"flattening gives C * H * W values (two 2x2 poolings take 8x8 to 2x2)."
            )
    return ""


_ACTIVATIONS = {
    "relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "prelu", "rrelu",
    "tanh", "sigmoid", "softplus", "hardtanh", "hardswish", "hardsigmoid", "clamp", "clamp_min", "clip", "maximum",
}  # fmt: skip


class _Calls(list):
    """The names of the torch functions a forward pass calls (``nn.ReLU`` calls ``relu``, ``nn.Linear``
    ``linear``), in order; ``&`` with a set gives the names in both."""

    def __and__(self, names: set) -> set:
        return set(self) & names


def _calls(model: nn.Module, x: torch.Tensor) -> _Calls:
    """What ``model(x)`` calls, recorded with a torch function mode (modules and functional calls alike)."""
    from torch.overrides import TorchFunctionMode

    calls = _Calls()

    class Record(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            calls.append(getattr(func, "__name__", ""))
            return func(*args, **(kwargs or {}))

    with Record():
        model(x)
    return calls


@exercise(
    "05.1",
    todo="Fill in DigitCNN: conv -> ReLU -> pool twice, then flatten and a fully connected head; "
    "forward returns the logits (N, 10).",
)
@cpu_threads(1)  # its models are tiny: more threads only add overhead
def check_digit_cnn(DigitCNN) -> str:
    """``DigitCNN``: an ``nn.Module`` class (or instance) mapping x (N, 1, 8, 8) to logits (N, 10),
    with at least one ``nn.Conv2d`` and at most ``PARAM_BUDGET`` trainable parameters."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = DigitCNN() if isinstance(DigitCNN, type) else DigitCNN
    if not isinstance(model, nn.Module):
        raise Mistake(f"DigitCNN should be a subclass of nn.Module, got {type(model).__name__}.")
    x = _digits_like(5, seed=1)
    linear_inputs = []
    hooks = [
        m.register_forward_pre_hook(lambda mod, inp: linear_inputs.append((mod, tuple(inp[0].shape))))
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]
    try:
        model.eval()
        with torch.no_grad():
            out = attempt(model, x)
    except RuntimeError as e:
        hint = _flatten_hint(linear_inputs)
        if hint:
            raise Mistake(hint) from None
        if "too small" in str(e):
            raise Mistake(
                "a feature map became smaller than its kernel: a 3x3 convolution without padding shrinks 8x8 to 6x6; "
                f"use padding=1 to keep the size, so that the two poolings give 4x4, then 2x2. (torch said: {e})"
            ) from None
        raise
    finally:
        for h in hooks:
            h.remove()
    out = as_array("the logits", out)
    if out.shape != (5, 10):
        extra = (
            " The batch axis changed: flatten with x.flatten(1) or nn.Flatten(), which keep axis 0."
            if out.ndim == 2 and out.shape[0] != 5
            else ""
        )
        raise Mistake(
            f"for an input of shape (5, 1, 8, 8) the model returned shape {out.shape}, "
            f"expected (5, 10): one score per class for every image.{extra}"
        )
    if (out >= 0).all() and np.allclose(out.sum(axis=1), 1, atol=1e-5):
        raise Mistake(
            "every row of your output sums to 1: the model ends in a softmax. Return the raw logits: "
            "nn.CrossEntropyLoss applies log-softmax itself, and a second softmax squashes the scores and weakens the "
            "gradients."
        )
    if (out <= 0).all() and np.allclose(np.log(np.exp(out).sum(axis=1)), 0, atol=1e-5):
        raise Mistake(
            "your output is a log-softmax: return the raw logits, nn.CrossEntropyLoss applies "
            "log-softmax itself (log-softmax twice is harmless but hides what the loss does)."
        )
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if n_params == 0:
        raise Mistake(
            "the model has no trainable parameters: assign its layers as attributes (self.features = "
            "nn.Sequential(...)); layers kept in a plain Python list are invisible to the optimiser."
        )
    if not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        raise Mistake(
            "there is no nn.Conv2d in your model: that is a fully connected network. "
            "Start with nn.Conv2d(1, c1, 3, padding=1)."
        )
    if n_params > PARAM_BUDGET:
        biggest = max(
            (m for m in model.modules() if not next(m.children(), None)),
            key=lambda m: sum(p.numel() for p in m.parameters(recurse=False)),
        )
        size = sum(p.numel() for p in biggest.parameters(recurse=False))
        raise Mistake(
            f"{n_params:,} trainable parameters, over the budget of {PARAM_BUDGET:,}. The largest layer is {biggest} "
            f"with {size:,}: a fully connected layer costs in x out weights, so pool before flattening (32 x 2 x 2 = "
            "128 values, not 32 x 8 x 8 = 2048) and keep the hidden layer narrow (e.g. 64 units)."
        )
    model.train()
    loss = nn.functional.cross_entropy(model(x), torch.arange(5))
    loss.backward()
    idle = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    if idle:
        raise Mistake(
            f"the parameters {', '.join(idle[:3])} get no gradient: a layer is created in __init__ "
            "but never used in forward (it still counts against the budget)."
        )
    model.eval()  # batch norm on its running statistics, dropout off: what is left is the architecture
    with torch.no_grad():
        a, b = _digits_like(5, seed=2), _digits_like(5, seed=3)
        fa, fb, fab, f0 = (model(v) for v in (a, b, a + b, torch.zeros_like(a)))
        calls = _calls(model, a)
    if (fab - fa - fb + f0).abs().max() <= 1e-4 * (1 + fab.abs().max()):  # f(a + b) = f(a) + f(b) - f(0)
        raise Mistake(
            "your network is linear: f(a + b) = f(a) + f(b) - f(0) for any two images, because there is no "
            "nonlinearity between the layers: stacked linear layers are one linear map (notebook 02). Put an "
            "nn.ReLU() after each convolution and after the hidden fully connected layer."
        )
    if not calls & _ACTIVATIONS:
        raise Mistake(
            "your model calls no activation function: max-pooling is its only nonlinearity, and the fully connected "
            "layers in a row collapse into one. Put an nn.ReLU() after each convolution (conv -> ReLU -> pool) and "
            "after the hidden fully connected layer."
        )
    if calls.count("linear") < 2:
        raise Mistake(
            "the head has no hidden layer: the flattened maps go straight to the 10 outputs. Give it one, e.g. "
            "nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10)."
        )
    return (
        f"DigitCNN maps (5, 1, 8, 8) to (5, 10) logits with {n_params:,} parameters (budget "
        f"{PARAM_BUDGET:,}). The notebook trains the course's models.LeNet, the same design, from here on."
    )


# ----------------------------------------------------------------------------- 05.2 one epoch of training

# the reference; its typical mistakes (below) are edits of it
_EPOCH = """def train_one_epoch(model, loader, optimizer, loss_fn):
    model.train()
    total, count = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
        count += len(xb)
    return total / count
"""


def _epoch_model() -> nn.Module:
    """A tiny CNN with dropout, so that forgetting model.train() changes the result."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 3)
    )


class _SGD:
    """Behaves as ``torch.optim.SGD(params, lr)`` (``zero_grad``, ``step``) without importing torch's
    optimiser machinery, which would make the first check take seconds."""

    def __init__(self, params, lr: float):
        self.params, self.lr = list(params), lr

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p -= self.lr * p.grad


def _run_epoch(fn, state, loader):
    """Run ``fn`` (the student's, the reference or a typical mistake) on a fresh copy of the model in
    eval mode; returns (flat parameters after the epoch, what ``fn`` returned)."""
    with torch.random.fork_rng(devices=[]):
        model = _epoch_model()
        model.load_state_dict(state)
        model.eval()  # as after an evaluation: the epoch must switch training mode on itself
        torch.manual_seed(7)  # the same dropout masks for every run
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2)  # not the default: the loss passed in must be used
        out = attempt(fn, model, loader, _SGD(model.parameters(), lr=0.1), loss_fn, quiet=True)
    return torch.cat([p.detach().flatten() for p in model.parameters()]).double().numpy(), out


@exercise(
    "05.2",
    todo="Fill in train_one_epoch: for every batch zero the gradients, compute the loss, "
    "backpropagate and step; return the mean loss.",
)
@cpu_threads(1)  # its models are tiny: more threads only add overhead
def check_train_one_epoch(train_one_epoch) -> str:
    """``train_one_epoch(model, loader, optimizer, loss_fn) -> float``: one pass over the batches
    (xb (B, 1, 8, 8), yb (B,)) of ``loader``, returning the mean training loss."""
    g = torch.Generator().manual_seed(3)
    X, y = torch.rand(24, 1, 8, 8, generator=g) * 16, torch.randint(0, 3, (24,), generator=g)
    loader = tensor_loader(X, y, batch_size=8, shuffle=False)  # three batches of 8
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        state = copy.deepcopy(_epoch_model().state_dict())
    got, returned = _run_epoch(train_one_epoch, state, loader)
    expected, mean_loss = _run_epoch(_defined("train_one_epoch", _EPOCH), state, loader)
    params = lambda fn: _run_epoch(fn, state, loader)[0]  # noqa: E731
    _compare("05.2", "the parameters after one epoch", got, expected, params, rtol=1e-4, atol=1e-6)
    loss = lambda fn: _run_epoch(fn, state, loader)[1]  # noqa: E731
    _compare("05.2", "the returned mean loss", returned, mean_loss, loss, compare_scalar, rtol=1e-5)
    return (
        "one epoch updates the parameters exactly as the reference does. This is the loop course_utils.training.fit "
        "runs (with a progress bar and a validation pass) for every model below."
    )


# ----------------------------------------------------------------------------- 05.3 inverted dropout


@exercise(
    "05.3",
    todo="Fill in inverted_dropout: in training zero each entry with probability p and scale "
    "the survivors; at test time return x as it is.",
)
@cpu_threads(1)  # its models are tiny: more threads only add overhead
def check_inverted_dropout(inverted_dropout) -> str:
    """``inverted_dropout(x, p, training)``: x a float tensor (any shape), p the drop probability;
    returns a tensor of x's shape."""
    p = 0.3
    x = torch.rand(200, 200, dtype=torch.float64, generator=torch.Generator().manual_seed(4)) + 0.5  # no zeros
    name, xs = "inverted_dropout(x, p, training=False)", x.numpy()
    test = as_array(name, attempt(inverted_dropout, x.clone(), p, False))
    if test.shape == xs.shape and np.any(test == 0):
        raise Mistake(
            "at test time some entries were dropped: dropout is off at test time (training=False returns x unchanged)."
        )
    _compare("05.3", name, test, xs, lambda fn: fn(x.clone(), p, False))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        train = as_array("inverted_dropout(x, p, training=True)", attempt(inverted_dropout, x.clone(), p, True))
    if train.shape != xs.shape:
        raise Mistake(f"the output has shape {train.shape}, expected x's shape {xs.shape}.")
    dropped = train == 0
    frac = float(dropped.mean())
    if frac == 0:
        raise Mistake(
            "nothing was dropped in training mode: zero each entry with probability p (keep = torch.rand_like(x) >= p)."
        )
    if abs(frac - (1 - p)) < 0.02:
        raise Mistake(
            f"about {frac:.0%} of the entries were zeroed with p = {p}: you KEPT each entry with "
            f"probability p. p is the probability to DROP: keep an entry when torch.rand_like(x) >= p."
        )
    if abs(frac - p) > 0.02:
        raise Mistake(
            f"{frac:.1%} of the entries were zeroed, expected about p = {p:.0%}: draw one uniform "
            "number per entry and drop where it is below p."
        )
    if len({tuple(row) for row in dropped[:20]}) == 1:
        raise Mistake(
            "every row has the same dropped positions: draw the mask for every entry, torch.rand_like(x), not one "
            "mask shared by the whole batch."
        )
    ratio = train[~dropped] / xs[~dropped]  # the survivors' scale, however the mask was drawn
    for factor, text in {
        1.0: "the survivors are not scaled: divide them by 1 - p, so that the expected output equals x and the "
        "test-time layer can be the identity.",
        1 - p: "the survivors are multiplied by 1 - p: inverted dropout DIVIDES by 1 - p (multiplying at test time "
        "is the deck's scheme).",
        1 / p: "the survivors are divided by p: divide by the keep probability 1 - p.",
    }.items():
        if np.allclose(ratio, factor):
            raise Mistake(text)
    if not np.allclose(ratio, 1 / (1 - p)):
        raise Mistake(
            f"the surviving entries are x times {ratio.min():.3g} .. {ratio.max():.3g}; expected "
            f"every one to be x / (1 - p) = x times {1 / (1 - p):.4g}."
        )
    return (
        f"{frac:.1%} of the entries dropped (p = {p}), the survivors scaled by 1/(1-p) = {1 / (1 - p):.3g}, "
        "so the expected output is x and test time needs no change: what nn.Dropout does."
    )


# ----------------------------------------------------------------------------- 05.4 transfer learning


def _trained_like_backbone() -> nn.Module:
    """Small convolutional stages with batch-norm statistics as after training: (N, 1, 8, 8) -> (N, 8, 2, 2)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        backbone = models.LeNet(channels=(4, 8), batchnorm=True).features
        for m in backbone.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(0.5, 2.0)
                m.running_var.uniform_(2.0, 4.0)
    return backbone


def _find_backbone(model: nn.Module, backbone: nn.Module, saved: dict):
    """The backbone inside ``model``: the module itself, or a copy of it (same trained state); else None."""
    for m in model.modules():
        if m is backbone:
            return m
    weights = {k for k, _ in backbone.named_parameters()}
    for m in model.modules():
        state = m.state_dict()
        if (
            type(m) is type(backbone)
            and state.keys() == saved.keys()
            and all(
                v.shape == saved[k].shape and (k not in weights or torch.equal(v, saved[k])) for k, v in state.items()
            )
        ):
            return m
    return None


@exercise(
    "05.4",
    todo="Fill in transfer_model: the given backbone, frozen, followed by a new fully connected "
    "head with n_classes outputs.",
)
@cpu_threads(1)  # its models are tiny: more threads only add overhead
def check_transfer_model(transfer_model) -> str:
    """``transfer_model(backbone, n_features, n_classes) -> nn.Module`` mapping x (N, 1, 8, 8) to
    logits (N, n_classes), where ``backbone`` maps x to (N, n_features) values once flattened."""
    backbone = _trained_like_backbone()
    saved = copy.deepcopy(backbone.state_dict())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        model = attempt(transfer_model, backbone, 8 * 2 * 2, 3)
    if not isinstance(model, nn.Module):
        raise Mistake(f"transfer_model should return an nn.Module, got {type(model).__name__}.")
    model.train()  # as train_classifier does
    out = as_array("the logits", model(_digits_like(6, seed=5)))
    if out.shape != (6, 3):
        raise Mistake(
            f"for x of shape (6, 1, 8, 8) and n_classes = 3 the model returned shape {out.shape}, "
            "expected (6, 3): the new head ends in nn.Linear(..., n_classes)."
        )
    found = _find_backbone(model, backbone, saved)
    if found is None:
        raise Mistake(
            "your model does not contain the backbone you were given: reuse it as it is (no new "
            "convolutional layers), since its trained features are the point of transfer learning."
        )
    unfrozen = sum(p.numel() for p in found.parameters() if p.requires_grad)
    if unfrozen:
        raise Mistake(
            f"the backbone is not frozen: {unfrozen} of its parameters would be trained on the few new examples and "
            "lose what they learned. Wrap it in models.Frozen(backbone), which switches off its gradients and keeps "
            "it in eval mode."
        )
    moved = [k for k, v in found.state_dict().items() if not torch.equal(v, saved[k])]
    if moved:
        raise Mistake(
            f"one forward pass in training mode changed the backbone's {moved[0]}: batch norm updates its running "
            "statistics in training mode. Keep the backbone in eval mode even when the model trains: models.Frozen "
            "does that (requires_grad_(False) alone does not)."
        )
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if trainable == 0:
        raise Mistake("nothing in your model is trainable: the new head must learn the new classes.")
    return (
        f"the backbone is reused, frozen and left in eval mode; only the new head's {trainable} parameters "
        "train. Section 7.2 builds the same model with models.few_shot_contenders."
    )


# ----------------------------------------------------------------------------- typical mistakes


def _cnn(net: str, forward: str = "self.net(x)", more: str = "") -> str:
    """A DigitCNN cell: ``self.net = <net>`` (and the statement ``more``), forward returning ``forward``."""
    more = f"\n        {more}" if more else ""
    return (
        "class DigitCNN(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        f"        self.net = {net}{more}\n\n    def forward(self, x):\n        return {forward}\n"
    )


def _dropout(train: str = "x * (torch.rand_like(x) >= p) / (1 - p)", test: str = "x") -> str:
    return f"def inverted_dropout(x, p, training):\n    if not training:\n        return {test}\n    return {train}\n"


def _transfer(backbone: str, head: str = "nn.Linear(n_features, n_classes)", first: str = "") -> str:
    return (
        f"def transfer_model(backbone, n_features, n_classes):\n    {first}"
        f"return nn.Sequential({backbone}, nn.Flatten(), {head})\n"
    )


_NET = "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear"  # + (in, out)...)

_CNN_TYPICAL = [
    Typical(_cnn(_NET + "(4 * 8 * 8, 10))"), "after flattening"),  # the pooling left out of the count
    Typical(_cnn(_NET + "(64, 10), nn.Softmax(dim=1))"), "ends in a softmax"),
    Typical(_cnn(_NET + "(64, 10), nn.LogSoftmax(dim=1))"), "your output is a log-softmax"),
    Typical(_cnn(_NET + "(64, 10))", more="self.unused = nn.Linear(10, 10)"), "get no gradient"),
    Typical(_cnn("nn.Sequential(nn.Flatten(), nn.Linear(64, 10))"), "there is no nn.Conv2d"),
    Typical(_cnn(_NET + "(64, 10))").replace("(nn.Module)", ""), "DigitCNN should be a subclass of nn.Module"),
    Typical(_cnn("nn.Sequential(nn.Conv2d(1, 64, 3), nn.Flatten(), nn.Linear(64 * 6 * 6, 10))"), "over the budget"),
    Typical(
        _cnn("nn.Conv2d(1, 4, 3, padding=1)", "self.fc(self.net(x))", "self.fc = nn.Linear(256, 10)"),
        "flatten them first",
    ),
    Typical(
        _cnn("[nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(144, 10)]", "nn.Sequential(*self.net)(x)"),
        "no trainable parameters",
    ),
    Typical(
        _cnn("nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.MaxPool2d(2), nn.Flatten())"),
        "use padding=1 to keep the size",
    ),
    Typical(
        _cnn(
            "nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2))",
            "self.fc(self.net(x).view(-1, 16))",
            "self.fc = nn.Linear(16, 10)",
        ),
        "The batch axis changed",
    ),
    Typical(
        _cnn(
            "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.AvgPool2d(2), nn.Conv2d(4, 8, 3, padding=1), "
            "nn.AvgPool2d(2), nn.Flatten(), nn.Linear(32, 16), nn.Linear(16, 10))"
        ),
        "no nonlinearity between the layers: stacked linear layers are one linear map (notebook 02)",
    ),
    Typical(_cnn(_NET + "(64, 16), nn.Linear(16, 10))"), "calls no activation function"),
    Typical(
        _cnn(
            "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))"
        ),
        "the head has no hidden layer",
    ),
]
_EPOCH_TYPICAL = [
    Typical(
        _EPOCH.replace("optimizer.zero_grad()\n        ", ""),
        "you never reset the gradients: backward() ADDS to .grad, so without optimizer.zero_grad() every step uses "
        "the sum of all the gradients so far. Call it once per batch, before backward().",
    ),
    Typical(
        _EPOCH.replace("loss.backward()\n        optimizer.step()", "optimizer.step()\n        loss.backward()"),
        "the parameters did not change: optimizer.step() found no gradients. The order is zero_grad() -> forward -> "
        "loss -> loss.backward() -> optimizer.step(): step() uses the gradients that backward() has just computed.",
    ),
    Typical(
        _EPOCH.replace("model.train()\n    ", ""),
        "the model stayed in evaluation mode, so dropout was off during training: call model.train() at the start "
        "of the epoch (the model may come from an evaluation, in eval mode).",
    ),
    Typical(
        _EPOCH.replace("total / count", "loss.item()"),
        "you returned the last batch's loss: return the mean over all batches (weighted by batch size).",
    ),
    Typical(
        _EPOCH.replace("loss_fn(model(xb), yb)", "nn.functional.cross_entropy(model(xb), yb)"),
        "you computed the loss with a function of your own, not with the loss_fn passed in (the check passes a "
        "cross-entropy with label smoothing): train_one_epoch must minimise whatever loss it is given.",
    ),
    Typical(
        _EPOCH.replace(" * len(xb)", "").replace("total / count", "total"),
        "you returned the sum of the batch losses: divide by the number of batches (or, weighting by batch size, "
        "by the number of examples).",
    ),
]
_DROPOUT_TYPICAL = [
    Typical(
        _dropout(test="x * (1 - p)"),
        "at test time you multiplied by 1 - p: that is the deck's scheme. Inverted dropout has already scaled "
        "during training, so at test time it returns x unchanged.",
    ),
    Typical(
        _dropout(test="x / (1 - p)"),
        "at test time you divided by 1 - p: the scaling belongs to training only; at test time inverted dropout "
        "returns x unchanged.",
    ),
    Typical(_dropout(test="x * (torch.rand_like(x) >= p) / (1 - p)"), "at test time some entries were dropped"),
    Typical(_dropout("x[torch.rand_like(x) >= p] / (1 - p)"), "the output has shape"),
    Typical(_dropout("x / (1 - p)"), "nothing was dropped in training mode"),
    Typical(_dropout("x * (torch.rand_like(x) < p) / (1 - p)"), "you KEPT each entry with probability p"),
    Typical(_dropout("x * (torch.randn_like(x) >= p) / (1 - p)"), "draw one uniform number per entry"),
    Typical(_dropout("x * (torch.rand_like(x[:1]) >= p) / (1 - p)"), "every row has the same dropped positions"),
    Typical(_dropout("x * (torch.rand_like(x) >= p)"), "the survivors are not scaled"),
    Typical(_dropout("x * (torch.rand_like(x) >= p) * (1 - p)"), "the survivors are multiplied by 1 - p"),
    Typical(_dropout("x * (torch.rand_like(x) >= p) / p"), "the survivors are divided by p"),
]
_TRANSFER_TYPICAL = [
    Typical(_transfer("models.Frozen(backbone)", "nn.Linear(n_features, 10)"), "expected (6, 3)"),
    Typical(_transfer("models.LeNet(channels=(8, 8), batchnorm=True).features"), "does not contain the backbone"),
    Typical(_transfer("backbone"), "the backbone is not frozen"),
    Typical(_transfer("backbone", first="backbone.requires_grad_(False)\n    "), "its running statistics"),
    Typical(
        _transfer("models.Frozen(backbone)", "models.Frozen(nn.Linear(n_features, n_classes))"),
        "nothing in your model is trainable",
    ),
    Typical(
        "def transfer_model(backbone, n_features, n_classes):\n"
        "    return models.Frozen(backbone), nn.Linear(n_features, n_classes)\n",
        "transfer_model should return an nn.Module",
    ),
]
STEPWISE = {  # eid: (the name the student's cell defines, [Typical(the whole cell, its hint or a part of it)])
    "05.1": ("DigitCNN", _CNN_TYPICAL),
    "05.2": ("train_one_epoch", _EPOCH_TYPICAL),
    "05.3": ("inverted_dropout", _DROPOUT_TYPICAL),
    "05.4": ("transfer_model", _TRANSFER_TYPICAL),
}


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
    explain=_bn_explain,
    on_error={
        lambda e: isinstance(e, RuntimeError) and ("size of tensor" in str(e) or "broadcast shape" in str(e)): (
            "a statistic or a parameter does not line up with the channels. x is (N, C, H, W); the batch mean and "
            "variance have one value per channel, over N, H and W (dim=(0, 2, 3)), and gamma, beta and the "
            "running statistics are (C,): view them as (1, C, 1, 1) to broadcast over x."
        )
    },
)

EXERCISES = [check_batchnorm_forward]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
