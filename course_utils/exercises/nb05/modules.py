"""Notebook 05's modules: 05.1 the CNN as an ``nn.Module``, 05.4 transfer learning, their ``STEPWISE`` mistakes."""

from __future__ import annotations

import copy
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from ... import models
from ...runtime import cpu_threads
from .. import Mistake, Typical, as_array, attempt, exercise
from .common import PARAM_BUDGET, digits_like

# ----------------------------------------------------------------------------- 05.1 the CNN as a module


@contextmanager
def _linear_inputs(model: nn.Module):
    """Records, while open, each ``nn.Linear`` of ``model`` called and the shape of its input: a list of
    ``(layer, shape)`` in call order, kept after the block (even one that raised) for the hints."""
    seen: list = []
    hooks = [
        m.register_forward_pre_hook(lambda mod, inp: seen.append((mod, tuple(inp[0].shape))))
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]
    try:
        yield seen
    finally:
        for h in hooks:
            h.remove()


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


def _logits_hint(out: np.ndarray, what: str) -> str:
    """A hint when ``out`` (N, classes) is not raw logits: ``what`` ("the model", "the head") ends in a softmax,
    a log-softmax, or an activation that leaves no score below 0; else ""."""
    if (out >= 0).all() and np.allclose(out.sum(axis=1), 1, atol=1e-5):
        return (
            f"every row of your output sums to 1: {what} ends in a softmax. Return the raw logits: "
            "nn.CrossEntropyLoss applies log-softmax itself, and a second softmax squashes the scores and weakens the "
            "gradients."
        )
    if (out <= 0).all() and np.allclose(np.log(np.exp(out).sum(axis=1)), 0, atol=1e-5):
        return (
            "your output is a log-softmax: return the raw logits, nn.CrossEntropyLoss applies "
            "log-softmax itself (log-softmax twice is harmless but hides what the loss does)."
        )
    if (out >= 0).all():
        return (
            f"none of your scores is negative: {what} ends in an activation (a ReLU, a sigmoid) after its last "
            "nn.Linear. Return that layer's raw logits: a score below 0 is how the model says 'unlikely', and "
            "nn.CrossEntropyLoss expects any real number."
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
    with two convolutional stages, a hidden layer in the head and at most ``PARAM_BUDGET`` trainable parameters."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(0)
        model = DigitCNN() if isinstance(DigitCNN, type) else DigitCNN
    if not isinstance(model, nn.Module):
        raise Mistake(f"DigitCNN should be a subclass of nn.Module, got {type(model).__name__}.")
    x = digits_like(5, seed=1)
    model.eval()
    try:
        with torch.no_grad(), _linear_inputs(model) as linear_inputs:
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
    if _logits_hint(out, "the model"):
        raise Mistake(_logits_hint(out, "the model"))
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
        a, b = digits_like(5, seed=2), digits_like(5, seed=3)
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
    linear = [k for k, name in enumerate(calls) if name == "linear"]
    if any(not set(calls[a + 1 : b]) & _ACTIVATIONS for a, b in zip(linear, linear[1:])):
        raise Mistake(
            "two fully connected layers follow each other with no activation between them: together they are one "
            "linear map, so your hidden layer adds nothing. Put an nn.ReLU() after the hidden nn.Linear."
        )
    if calls.count("conv2d") < 2:
        raise Mistake(
            "your model has a single convolutional stage: DigitCNN has two, conv -> ReLU -> max-pool twice "
            "(8x8 -> 4x4 -> 2x2), so that the second convolution combines the first one's features over a wider area."
        )
    return (
        f"DigitCNN maps (5, 1, 8, 8) to (5, 10) logits with {n_params:,} parameters (budget "
        f"{PARAM_BUDGET:,}). The notebook trains the course's models.LeNet, the same design, from here on."
    )


# ----------------------------------------------------------------------------- 05.4 transfer learning


def _trained_like_backbone() -> nn.Module:
    """Small convolutional stages with batch-norm statistics as after training: (N, 1, 8, 8) -> (N, 8, 2, 2)."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(2)
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


def _head_hint(linear_inputs: list, n_features: int) -> str:
    """A hint for a head whose nn.Linear received the backbone's maps unflattened, or a number of values other
    than its in_features (a hard-coded size); else ""."""
    for layer, shape in linear_inputs:
        if len(shape) > 2:
            return _flatten_hint([(layer, shape)])
        if shape[-1] != layer.in_features:
            return (
                f"your head's nn.Linear({layer.in_features}, {layer.out_features}) received {shape[-1]} values per "
                "image: its first argument is the number of inputs, the backbone's n_features. Build the head from "
                f"the arguments, nn.Linear(n_features, ...), not from the notebook's numbers (the check passes a "
                f"smaller backbone, n_features = {n_features})."
            )
    return ""


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
        torch.default_generator.manual_seed(3)
        model = attempt(transfer_model, backbone, 8 * 2 * 2, 3)
    if not isinstance(model, nn.Module):
        raise Mistake(f"transfer_model should return an nn.Module, got {type(model).__name__}.")
    model.train()  # as train_classifier does
    try:
        with _linear_inputs(model) as linear_inputs:
            out = as_array("the logits", model(digits_like(6, seed=5)))
    except RuntimeError:
        hint = _head_hint(linear_inputs, 8 * 2 * 2)
        if hint:
            raise Mistake(hint) from None
        raise
    if out.shape != (6, 3):
        raise Mistake(
            f"for x of shape (6, 1, 8, 8) and n_classes = 3 the model returned shape {out.shape}, "
            "expected (6, 3): the new head ends in nn.Linear(..., n_classes)."
        )
    if _logits_hint(out, "the head"):
        raise Mistake(_logits_hint(out, "the head"))
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


def _transfer(backbone: str, head: str = "nn.Linear(n_features, n_classes)", first: str = "") -> str:
    return (
        f"def transfer_model(backbone, n_features, n_classes):\n    {first}"
        f"return nn.Sequential({backbone}, nn.Flatten(), {head})\n"
    )


_NET = "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear"  # + (in, out)...)

_LENET = (  # two stages conv -> ReLU -> pool, flattened, then the head: + "layers...)"
    "nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), "
    "nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), "
)

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
    Typical(_cnn(_LENET + "nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10), nn.ReLU())"), "none of your scores"),
    Typical(_cnn(_LENET + "nn.Linear(64, 32), nn.Linear(32, 10))"), "with no activation between them"),
    Typical(
        _cnn(
            "nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), "
            "nn.Linear(128, 32), nn.ReLU(), nn.Linear(32, 10))"
        ),
        "a single convolutional stage",
    ),
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
    Typical(
        _transfer("models.Frozen(backbone)", "nn.Linear(n_features, n_classes), nn.Softmax(dim=1)"),
        "the head ends in a softmax",
    ),
    Typical(
        "def transfer_model(backbone, n_features, n_classes):\n"
        "    return nn.Sequential(models.Frozen(backbone), nn.Linear(n_features, n_classes))\n",
        "flatten them first",
    ),
    Typical(_transfer("models.Frozen(backbone)", "nn.Linear(128, n_classes)"), "the head from the arguments"),
]
# eid: (the name the student's cell defines, [Typical(the whole cell, its hint or a part of it)])
STEPWISE = {"05.1": ("DigitCNN", _CNN_TYPICAL), "05.4": ("transfer_model", _TRANSFER_TYPICAL)}
