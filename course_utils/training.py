"""The course's training loops: fit a torch model, evaluate it, keep a history.

* :func:`fit` is the one mini-batch loop (forward, loss, zero_grad, backward,
  optional gradient clipping, step; scheduler once per epoch). It shows one
  ``tqdm.auto`` progress bar per run (:func:`progress_bar`: a widget in JupyterLab,
  a text bar in a terminal) and returns a :class:`History` that
  :func:`course_utils.plots.plot_history` draws. Every other "train a model on
  batches" helper of the course (:func:`train_steps`,
  :func:`course_utils.models.train_classifier`, the playground trainers of
  :mod:`course_utils.activations`, :func:`course_utils.rl.fit_value`) is a recipe around it;
* :func:`train_steps`: a number of mini-batch steps with Adam, a one-cycle
  schedule and gradient clipping (one batch per :func:`fit` epoch);
* :func:`fit_lbfgs`: full-batch L-BFGS, whose closure-driven step is a different
  loop (it shares only the progress bar);
* :func:`evaluate`, :func:`predict`, :func:`accuracy`, :func:`count_parameters`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from .runtime import device as default_device


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose arg-max class equals the label.

    Args:
        logits: (N, C) scores.  y: (N,) integer labels.
    """
    if logits.ndim != 2 or y.shape != logits.shape[:1]:
        raise ValueError(f"need logits (N, C) and y (N,), got {tuple(logits.shape)} and {tuple(y.shape)}")
    return (logits.argmax(dim=1) == y).float().mean().item()


METRICS: dict[str, Callable[[torch.Tensor, torch.Tensor], float]] = {"accuracy": accuracy}


@dataclass
class History:
    """Per-epoch record of a training run; lists have one entry per epoch."""

    metric_name: str | None = None
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    train_metric: list = field(default_factory=list)
    val_metric: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "metric_name": self.metric_name,
            "train_loss": self.train_loss,
            "val_loss": self.val_loss,
            "train_metric": self.train_metric,
            "val_metric": self.val_metric,
        }

    def __len__(self) -> int:
        return len(self.train_loss)


def progress_bar(iterable, *, desc: str, unit: str, progress: bool = True, **kwargs) -> tqdm:
    """The course's progress bar over ``iterable``: ``tqdm.auto``, kept on screen when done.

    Every training loop of the course draws its bar with this (``progress=False``
    hides it); extra keyword arguments go to ``tqdm`` (e.g. ``mininterval``).
    """
    return tqdm(iterable, desc=desc, unit=unit, disable=not progress, leave=True, **kwargs)


def _as_inputs(xb, device: torch.device) -> tuple:
    """A batch's inputs as a tuple of tensors on ``device``: x, or the tensors of a tuple (x, lengths, ...)."""
    return tuple(t.to(device) for t in xb) if isinstance(xb, (tuple, list)) else (xb.to(device),)


def _resolve_metric(metric):
    if metric is None or callable(metric):
        return metric, (getattr(metric, "__name__", "metric") if metric else None)
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: choose one of {sorted(METRICS)}, pass a callable, or None")
    return METRICS[metric], metric


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable | None = None,
    metric="accuracy",
    device: torch.device | str | None = None,
) -> tuple[float, float | None]:
    """Mean loss and metric of ``model`` over ``loader`` (batches of (x, y)), in eval mode.

    ``loss_fn`` defaults to cross-entropy (``nn.CrossEntropyLoss()``). As in :func:`fit`,
    x may be a tuple of tensors (called as ``model(*x)``).

    The batches go where the model's parameters are, unless ``device`` says otherwise.

    Returns:
        (loss, metric) averaged over examples; metric is None when ``metric`` is None.
    """
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    metric_fn, _ = _resolve_metric(metric)
    device = _device_of(model, device)
    was_training = model.training
    model.eval()
    total_loss, total_metric, count = 0.0, 0.0, 0
    for xb, yb in loader:
        inputs, yb = _as_inputs(xb, device), yb.to(device)
        out = model(*inputs)
        n = len(inputs[0])
        total_loss += loss_fn(out, yb).item() * n
        if metric_fn is not None:
            total_metric += metric_fn(out, yb) * n
        count += n
    model.train(was_training)
    if count == 0:
        raise ValueError("loader yielded no examples")
    return total_loss / count, (total_metric / count if metric_fn is not None else None)


def fit(
    model: nn.Module,
    train_loader: Iterable,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable | None = None,
    val_loader: Iterable | None = None,
    metric="accuracy",
    scheduler=None,
    device: torch.device | str | None = None,
    regularizer: Callable | None = None,
    clip_grad_norm: float | None = None,
    progress: bool = True,
    desc: str = "training",
    unit: str = "epoch",
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Args:
        model: a torch module; moved to ``device`` (default :func:`course_utils.device`).
        train_loader: re-iterable of (x, y) batches; x (B, ...) and y (B, ...). x may also be a
            tuple of tensors, e.g. (X (B, T, I), lengths (B,)): the model is called as ``model(*x)``.
            A list with one full batch, ``[(X, y)]``, makes every epoch one full-batch step.
        optimizer: a torch optimiser over ``model``'s parameters.
        loss_fn: loss(model(x), y) -> scalar tensor (default: cross-entropy).
        val_loader: optional held-out batches evaluated after every epoch.
        metric: ``"accuracy"``, a callable(outputs, y) -> float, or None.
        scheduler: optional LR scheduler, stepped once per epoch.
        regularizer: optional callable(model) -> scalar tensor added to the loss.
        clip_grad_norm: rescale the gradient of all parameters to at most this norm before
            each step (None: no clipping).
        progress: show the progress bar (:func:`progress_bar`), ``desc`` its label and
            ``unit`` the name of one epoch on it (e.g. ``"step"`` when an epoch is one batch).

    Returns:
        History with train_loss/train_metric (averaged over the epoch's batches,
        weighted by batch size) and val_loss/val_metric when ``val_loader`` is given.
    """
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be > 0 or None, got {clip_grad_norm!r}")
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    metric_fn, metric_name = _resolve_metric(metric)
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    history = History(metric_name=metric_name)
    bar = progress_bar(range(int(epochs)), desc=desc, unit=unit, progress=progress)
    for _ in bar:
        model.train()
        total_loss, total_metric, count = 0.0, 0.0, 0
        for xb, yb in train_loader:
            inputs, yb = _as_inputs(xb, device), yb.to(device)
            out = model(*inputs)
            loss = loss_fn(out, yb)
            objective = loss + regularizer(model) if regularizer is not None else loss
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            n = len(inputs[0])
            total_loss += loss.item() * n
            if metric_fn is not None:
                total_metric += metric_fn(out.detach(), yb) * n
            count += n
        if count == 0:
            raise ValueError("train_loader yielded no examples")
        if scheduler is not None:
            scheduler.step()
        history.train_loss.append(total_loss / count)
        history.train_metric.append(total_metric / count if metric_fn is not None else None)
        postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
        if val_loader is not None:
            vl, vm = evaluate(model, val_loader, loss_fn, metric, device)
            history.val_loss.append(vl)
            history.val_metric.append(vm)
            postfix["val_loss"] = f"{vl:.4f}"
            if vm is not None:
                postfix[f"val_{metric_name}"] = f"{vm:.3f}"
        bar.set_postfix(postfix, refresh=False)
    bar.close()
    return history


class _StepBatches:
    """A loader of one batch per pass: pass k yields ``next_batch(k)`` (so each :func:`fit` epoch is one step)."""

    def __init__(self, next_batch: Callable[[int], tuple]):
        self.next_batch, self.step = next_batch, 0

    def __iter__(self):
        inputs, target = self.next_batch(self.step)
        self.step += 1
        yield tuple(inputs), target


def train_steps(
    model: nn.Module,
    next_batch: Callable[[int], tuple],
    loss_fn: Callable,
    *,
    steps: int,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    weight_decay: float = 0.0,
    desc: str = "training",
    progress: bool = True,
) -> list[float]:
    """Train for a number of mini-batch steps: Adam, one-cycle LR schedule, gradient clipping.

    It is :func:`fit` with one batch per epoch, so the schedule and the bar advance every step.

    Args:
        model: already on its device; left in eval mode.
        next_batch: step -> (inputs, target); ``model(*inputs)`` is compared to
            ``target`` by ``loss_fn``. ``inputs`` is a tuple of tensors on the model's device,
            e.g. (x (B, T),) or (X (B, T, I), lengths (B,)); the batch size B is len(inputs[0]).
        steps: number of optimiser steps (>= 1).
        lr: peak learning rate of the one-cycle schedule.
        clip: rescale the gradient to at most this norm (None: no clipping).

    Returns:
        The training loss of every step (a list of ``steps`` floats).
    """
    if int(steps) != steps or steps < 1 or lr <= 0:
        raise ValueError(f"need a positive integer steps and lr > 0, got steps={steps!r}, lr={lr!r}")
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=int(steps), pct_start=0.2)
    history = fit(
        model,
        _StepBatches(next_batch),
        epochs=int(steps),
        optimizer=opt,
        loss_fn=loss_fn,
        metric=None,
        scheduler=schedule,
        device=next(model.parameters()).device,
        clip_grad_norm=clip,
        progress=progress,
        desc=desc,
        unit="step",
    )
    model.eval()
    return history.train_loss


def fit_lbfgs(
    model: nn.Module,
    inputs: tuple,
    target: torch.Tensor,
    loss_fn: Callable,
    *,
    rounds: int = 10,
    iters_per_round: int = 10,
    desc: str = "L-BFGS",
    progress: bool = True,
) -> list[float]:
    """Full-batch training with L-BFGS (for tiny models on small data sets).

    A quasi-Newton method: it builds a curvature estimate from recent
    gradients, so on a small smooth problem it reaches machine precision where
    Adam crawls. Runs ``rounds`` x ``iters_per_round`` iterations with a
    strong-Wolfe line search. (Its own loop, not :func:`fit`: L-BFGS re-evaluates
    the loss through a closure as often as its line search needs.)

    Args:
        model: already on its device; called as ``model(*inputs)``; left in eval mode.
        inputs: tuple of tensors, e.g. (X (N, T, I), lengths (N,)).
        target: compared to the output by ``loss_fn(output, target)`` -> scalar tensor.

    Returns:
        The loss after every round (a list of ``rounds`` floats).
    """
    if rounds < 1 or iters_per_round < 1:
        raise ValueError(f"rounds and iters_per_round must be positive, got {rounds}, {iters_per_round}")
    opt = torch.optim.LBFGS(
        model.parameters(),
        lr=1.0,
        max_iter=iters_per_round,
        history_size=20,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-12,
        tolerance_change=1e-16,
    )

    def closure():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(*inputs), target)
        loss.backward()
        return loss

    model.train()
    losses = []
    bar = progress_bar(range(rounds), desc=desc, unit="round", progress=progress)
    tf32 = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False  # cuDNN's TF32 keeps ~3 digits: L-BFGS is here to reach ~1e-14
    try:
        for _ in bar:
            opt.step(closure)
            with torch.no_grad():
                losses.append(loss_fn(model(*inputs), target).item())
            bar.set_postfix(loss=f"{losses[-1]:.2e}", refresh=False)
    finally:
        torch.backends.cudnn.allow_tf32 = tf32
    bar.close()
    model.eval()
    return losses


@torch.no_grad()
def _device_of(model: nn.Module, device=None) -> torch.device:
    """``device`` if given, else where ``model``'s parameters are (a model kept on the CPU on purpose stays
    there), else the course's device."""
    if device is not None:
        return torch.device(device)
    param = next(model.parameters(), None)
    return param.device if param is not None else default_device()


def predict(
    model: nn.Module, X: torch.Tensor, batch_size: int = 1024, device: torch.device | str | None = None
) -> torch.Tensor:
    """Model outputs for every row of ``X`` (N, ...), in eval mode, batched, computed where the model is (or on
    ``device``); returned on the CPU."""
    device = _device_of(model, device)
    was_training = model.training
    model.eval()
    outs = [model(X[i : i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    model.train(was_training)
    if not outs:
        raise ValueError("X is empty")
    return torch.cat(outs)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
