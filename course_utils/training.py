"""The course's training loop: fit a torch model, evaluate it, keep a history.

``fit`` shows one ``tqdm.auto`` progress bar per run (a widget in JupyterLab,
a text bar in a terminal) and returns a :class:`History` that
:func:`course_utils.plots.plot_history` draws.
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

    ``loss_fn`` defaults to cross-entropy (``nn.CrossEntropyLoss()``).

    Returns:
        (loss, metric) averaged over examples; metric is None when ``metric`` is None.
    """
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    metric_fn, _ = _resolve_metric(metric)
    device = torch.device(device) if device is not None else default_device()
    was_training = model.training
    model.eval()
    total_loss, total_metric, count = 0.0, 0.0, 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        out = model(xb)
        n = len(xb)
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
    progress: bool = True,
    desc: str = "training",
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Args:
        model: a torch module; moved to ``device`` (default :func:`course_utils.device`).
        train_loader: iterable of (x, y) batches; x (B, ...) and y (B, ...).
        optimizer: a torch optimiser over ``model``'s parameters.
        loss_fn: loss(model(x), y) -> scalar tensor (default: cross-entropy).
        val_loader: optional held-out batches evaluated after every epoch.
        metric: ``"accuracy"``, a callable(outputs, y) -> float, or None.
        scheduler: optional LR scheduler, stepped once per epoch.
        regularizer: optional callable(model) -> scalar tensor added to the loss.
        progress: show the progress bar.

    Returns:
        History with train_loss/train_metric (averaged over the epoch's batches,
        weighted by batch size) and val_loss/val_metric when ``val_loader`` is given.
    """
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    metric_fn, metric_name = _resolve_metric(metric)
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    history = History(metric_name=metric_name)
    bar = tqdm(range(int(epochs)), desc=desc, unit="epoch", disable=not progress, leave=True)
    for _ in bar:
        model.train()
        total_loss, total_metric, count = 0.0, 0.0, 0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            loss = loss_fn(out, yb)
            objective = loss + regularizer(model) if regularizer is not None else loss
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            n = len(xb)
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


@torch.no_grad()
def predict(
    model: nn.Module, X: torch.Tensor, batch_size: int = 1024, device: torch.device | str | None = None
) -> torch.Tensor:
    """Model outputs for every row of ``X`` (N, ...), in eval mode, batched; returned on the CPU."""
    device = torch.device(device) if device is not None else default_device()
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
