"""Notebook 05's training: 05.2 one epoch of the training loop, 05.3 inverted dropout, their ``STEPWISE`` mistakes."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from ...datasets import tensor_loader
from ...runtime import cpu_threads
from .. import Mistake, Typical, as_array, attempt, compare, compare_scalar, describe_error, exercise
from .common import defined


def _compare(eid: str, what: str, got, expected, outcome, check=compare, **tol) -> None:
    """``check(what, got, expected)``; when ``got`` is wrong, first the hint of the typical mistake of ``eid``
    (this module's ``STEPWISE``) whose ``outcome(wrong function)`` equals it."""
    try:
        check(what, got, expected, **tol)
    except Mistake:
        name, typicals = STEPWISE[eid]
        with torch.random.fork_rng(devices=[]):
            for typical in typicals:
                try:
                    value = as_array(what, outcome(defined(name, typical.body)))
                except Exception:  # noqa: BLE001 - a mistake that raises (the check catches it before) is not this one
                    continue
                wrong = as_array(what, got)
                if value.shape == wrong.shape and np.allclose(value, wrong, rtol=1e-4, atol=1e-6):
                    raise Mistake(typical.hint) from None
        raise


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
        self.params, self.lr, self.steps = list(params), lr, 0  # steps: how often step() was called

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        for p in self.params:
            if p.grad is not None:
                p -= self.lr * p.grad


def _run_epoch(fn, state, loader):
    """Run ``fn`` (the student's, the reference or a typical mistake) on a fresh copy of the model in
    eval mode; returns (flat parameters after the epoch, what ``fn`` returned, how often it called step())."""
    with torch.random.fork_rng(devices=[]):
        model = _epoch_model()
        model.load_state_dict(state)
        model.eval()  # as after an evaluation: the epoch must switch training mode on itself
        torch.default_generator.manual_seed(7)  # the same dropout masks for every run
        loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2)  # not the default: the loss passed in must be used
        optimizer = _SGD(model.parameters(), lr=0.1)
        out = attempt(fn, model, loader, optimizer, loss_fn, quiet=True)
    return torch.cat([p.detach().flatten() for p in model.parameters()]).double().numpy(), out, optimizer.steps


_NO_STEP = (
    "you never call optimizer.step(): backward() only computes the gradients, step() is what changes the "
    "parameters. Call it once per batch, right after loss.backward()."
)
_LOSS_ARGS = (
    "loss_fn takes the model's output first and the labels second, loss_fn(model(xb), yb): the integer labels "
    "cannot go through the loss's log-softmax."
)


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
        torch.default_generator.manual_seed(5)
        state = copy.deepcopy(_epoch_model().state_dict())
    try:
        got, returned, steps = _run_epoch(train_one_epoch, state, loader)
    except (RuntimeError, NotImplementedError) as e:  # labels passed as the logits: "... not implemented for 'Long'"
        if "'Long'" not in str(e):
            raise
        raise Mistake(describe_error(e, _LOSS_ARGS)) from None
    if steps == 0:
        raise Mistake(_NO_STEP)
    expected, mean_loss, _ = _run_epoch(defined("train_one_epoch", _EPOCH), state, loader)
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
        torch.default_generator.manual_seed(11)
        given = x.clone()
        train = as_array("inverted_dropout(x, p, training=True)", attempt(inverted_dropout, given, p, True))
    if train.shape != xs.shape:
        raise Mistake(f"the output has shape {train.shape}, expected x's shape {xs.shape}.")
    if not torch.equal(given, x):
        raise Mistake(
            "your function changed the x passed in (x[...] = 0, x *= or x /= work in place): the caller's "
            "activations, which backpropagation may still need, are overwritten. Return a new tensor, "
            "x * keep / (1 - p)."
        )
    dropped = train == 0
    frac = float(dropped.mean())
    if frac == 0:
        raise Mistake(
            "nothing was dropped in training mode: zero each entry with probability p (keep = torch.rand_like(x) >= p)."
        )
    if (dropped.all(axis=1) | ~dropped.any(axis=1)).all():
        raise Mistake(
            "each row is dropped or kept as a whole: you drew one number per row (per example), so whole examples "
            "vanish. Draw one number per entry, torch.rand_like(x), so that each unit is dropped on its own."
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


# ----------------------------------------------------------------------------- typical mistakes


def _dropout(train: str = "x * (torch.rand_like(x) >= p) / (1 - p)", test: str = "x") -> str:
    return f"def inverted_dropout(x, p, training):\n    if not training:\n        return {test}\n    return {train}\n"


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
    Typical(_EPOCH.replace("        optimizer.step()\n", ""), _NO_STEP),
    Typical(_EPOCH.replace("loss_fn(model(xb), yb)", "loss_fn(yb, model(xb))"), _LOSS_ARGS),
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
    Typical(_dropout("x * (torch.rand(len(x), 1) >= p) / (1 - p)"), "each row is dropped or kept as a whole"),
    Typical(
        "def inverted_dropout(x, p, training):\n    if training:\n        x[torch.rand_like(x) < p] = 0\n"
        "        x /= 1 - p\n    return x\n",
        "your function changed the x passed in",
    ),
]

# eid: (the name the student's cell defines, [Typical(the whole cell, its hint or a part of it)])
STEPWISE = {"05.2": ("train_one_epoch", _EPOCH_TYPICAL), "05.3": ("inverted_dropout", _DROPOUT_TYPICAL)}
