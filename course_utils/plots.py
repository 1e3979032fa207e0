"""Every picture the course draws, in one consistent style.

Each function takes an optional ``ax`` (it draws there, or makes a new figure),
gives the plot a title, axis labels and a legend where there is more than one
series, and returns the matplotlib ``Figure`` so callers (and tests) can
inspect or close it.

Importing this module changes no global state: the course's style (:data:`STYLE`, written
into ``matplotlib.rcParams``) and the figures' alt text apply only after an explicit
:func:`use_course_style`, which every notebook calls in its setup cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import confusion_matrix

from .diagrams import PALETTE, enable_alt_text

# Colour-blind-safe colours: lines cycle through Okabe & Ito's palette (the one the diagrams use);
# classes (up to 10) get Paul Tol's "muted" scheme, distinguishable with every common deficiency.
CLASS_COLORS = (
    "#332288",
    "#CC6677",
    "#117733",
    "#DDCC77",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#777777",
)

STYLE = {
    "axes.prop_cycle": mpl.cycler(
        color=[PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")]
    ),
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 90,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "image.cmap": "gray",
}


def use_course_style() -> None:
    """Apply the course's matplotlib style to every later figure and, in IPython, show every
    figure with alt text describing its titles, labels and legends
    (:func:`course_utils.diagrams.enable_alt_text`).

    This changes global state on purpose: it updates ``matplotlib.rcParams`` with :data:`STYLE`
    for the rest of the session (``with matplotlib.rc_context(STYLE):`` styles one block only).
    """
    mpl.rcParams.update(STYLE)
    enable_alt_text()


def _axes(ax, figsize=None):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def plot_curves(curves: Mapping[str, tuple], *, title: str, xlabel: str, ylabel: str, logy: bool = False, ax=None):
    """Several named curves on one axis (losses, convergence, error against width...).

    Args:
        curves: label -> (x, y) with x and y 1-D of equal length, or label -> y
            (then x is 0, 1, 2, ...).
        logy: logarithmic y axis.
    """
    if not curves:
        raise ValueError("curves is empty: pass at least one label -> (x, y)")
    fig, ax = _axes(ax)
    for label, data in curves.items():
        if isinstance(data, tuple) and len(data) == 2:
            x, y = (_to_numpy(d, float) for d in data)
        else:
            y = _to_numpy(data, float)
            x = np.arange(len(y))
        if x.shape != y.shape or y.ndim != 1:
            raise ValueError(f"curve {label!r}: x {x.shape} and y {y.shape} must be equal 1-D shapes")
        ax.plot(x, y, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return fig


def plot_history(history, *, title: str = "Learning curves", ax=None):
    """Loss (left) and metric (right) per epoch from :class:`course_utils.training.History`.

    Accepts a History or a mapping with ``train_loss`` and optional
    ``val_loss``, ``train_metric``, ``val_metric`` lists (one value per epoch).
    """
    h = history if isinstance(history, Mapping) else history.as_dict()
    if not h.get("train_loss"):
        raise ValueError("history has no train_loss values")
    has_metric = bool(h.get("train_metric")) and h.get("train_metric")[0] is not None
    if ax is None:
        fig, axes = plt.subplots(1, 2 if has_metric else 1, figsize=(10 if has_metric else 6, 3.5), squeeze=False)
        axes = axes[0]
    else:
        fig, axes = ax.figure, [ax]
    epochs = np.arange(1, len(h["train_loss"]) + 1)
    axes[0].plot(epochs, h["train_loss"], label="train")
    if h.get("val_loss"):
        axes[0].plot(epochs, h["val_loss"], label="validation")
    axes[0].set(title=f"{title}: loss", xlabel="epoch", ylabel="loss")
    axes[0].legend()
    if has_metric and len(axes) > 1:
        name = h.get("metric_name", "metric")
        axes[1].plot(epochs, h["train_metric"], label="train")
        if h.get("val_metric"):
            axes[1].plot(epochs, h["val_metric"], label="validation")
        axes[1].set(title=f"{title}: {name}", xlabel="epoch", ylabel=name)
        axes[1].legend()
    fig.tight_layout()
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    title: str = "Decision boundary",
    resolution: int = 150,
    margin: float = 0.5,
    ax=None,
):
    """Colour the plane by a classifier's prediction and overlay the data.

    Args:
        predict: maps points (M, 2) to class labels (M,) or to probabilities
            of class 1 (M,) in [0, 1].
        X: (N, 2) points.  y: (N,) integer labels.
    """
    X, y = _to_numpy(X), _to_numpy(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(f"need X (N, 2) and y (N,), got {X.shape} and {y.shape}")
    fig, ax = _axes(ax)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[xx.ravel(), yy.ravel()]
    z = _to_numpy(predict(grid), float).reshape(xx.shape)
    ax.contourf(xx, yy, z, levels=20 if np.unique(z).size > 10 else np.unique(z).size, cmap="RdBu_r", alpha=0.35)
    classes = np.unique(y)
    for c in classes:
        sel = y == c
        ax.scatter(
            X[sel, 0],
            X[sel, 1],
            s=18,
            color=CLASS_COLORS[int(c) % 10],
            edgecolor="k",
            linewidth=0.3,
            label=f"class {c}",
        )
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    ax.legend(loc="upper right")
    return fig


def plot_loss_surface(
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray],
    xlim: tuple,
    ylim: tuple,
    *,
    paths: Mapping[str, np.ndarray] | None = None,
    title: str = "Loss surface",
    xlabel: str = "$w_1$",
    ylabel: str = "$w_2$",
    resolution: int = 120,
    minimum: tuple | None = None,
    ax=None,
):
    """Contours of a 2-parameter loss with optimiser paths drawn on top.

    Args:
        loss: vectorised loss(W1, W2) on meshgrid arrays, returning an array of the same shape.
        paths: label -> (T, 2) array of parameter values visited by an optimiser.
        minimum: optional (w1, w2) of the optimum, marked with a star.
    """
    fig, ax = _axes(ax)
    w1, w2 = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    z = _to_numpy(loss(w1, w2), float)
    levels = np.quantile(z[np.isfinite(z)], np.linspace(0.0, 0.95, 15))
    ax.contour(w1, w2, z, levels=np.unique(levels), cmap="viridis", linewidths=0.8)
    for label, path in (paths or {}).items():
        path = _to_numpy(path, float)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path {label!r} must be (T, 2), got {path.shape}")
        ax.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1.2, label=label)
    if minimum is not None:
        ax.plot(*minimum, "k*", ms=12, label="minimum")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=xlim, ylim=ylim)
    if paths or minimum is not None:
        ax.legend(loc="upper right")
    return fig


def show_images(
    images,
    labels=None,
    *,
    title: str = "Images",
    ncols: int = 8,
    cmap: str = "gray",
    symmetric: bool = False,
    size: float = 1.2,
):
    """A grid of images with optional per-image captions.

    Args:
        images: (N, H, W), (N, 1, H, W) or (N, H, W, 3) array or tensor.
        labels: optional sequence of N captions.
        symmetric: centre the colour map on zero (for kernels and signed maps).
    """
    images = _to_numpy(images)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"images must be (N, H, W), (N, 1, H, W) or (N, H, W, 3), got {images.shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.5), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        kw = {}
        if symmetric:
            m = float(np.abs(images[i]).max()) or 1.0
            kw = {"vmin": -m, "vmax": m}
        ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None, **kw)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_kernels(weights, *, title: str = "Kernels", ncols: int = 8):
    """Convolution kernels (F, C, KH, KW) or (F, KH, KW); multi-channel kernels show channel 0."""
    w = _to_numpy(weights)
    if w.ndim == 4:
        w = w[:, 0]
    if w.ndim != 3:
        raise ValueError(f"weights must be (F, C, KH, KW) or (F, KH, KW), got {w.shape}")
    return show_images(
        w, [f"kernel {i}" for i in range(len(w))], title=title, ncols=ncols, cmap="RdBu_r", symmetric=True
    )


def show_feature_maps(maps, *, title: str = "Feature maps", ncols: int = 8):
    """Activation maps (C, H, W) of one example, one panel per channel."""
    m = _to_numpy(maps)
    if m.ndim != 3:
        raise ValueError(f"feature maps must be (C, H, W), got {m.shape}")
    return show_images(m, [f"channel {i}" for i in range(len(m))], title=title, ncols=ncols, cmap="viridis")


def plot_functions_with_derivatives(
    functions: Mapping[str, tuple], x, *, ncols: int = 4, title: str = "Functions and their derivatives"
):
    """One panel per function, showing f(x) and f'(x).

    Args:
        functions: name -> (f, df), each mapping a 1-D array to a 1-D array.
        x: 1-D array of inputs.
    """
    x = _to_numpy(x, float)
    if x.ndim != 1 or not functions:
        raise ValueError("need a 1-D x and at least one function")
    n = len(functions)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    for ax, (name, (f, df)) in zip(axes.flat, functions.items()):
        ax.plot(x, f(x), label="f(x)")
        ax.plot(x, df(x), "--", label="f'(x)")
        ax.set(title=name, xlabel="x", ylabel="value")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(y_true, y_pred, *, n_classes: int | None = None, title: str = "Confusion matrix", ax=None):
    """Counts of (true class, predicted class) as an annotated heat map.

    Args:
        y_true, y_pred: (N,) integer labels.
    Returns:
        The figure; the (n_classes, n_classes) matrix is at ``fig.confusion``.
    """
    y_true, y_pred = _to_numpy(y_true), _to_numpy(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must be equal 1-D shapes")
    k = n_classes or int(max(y_true.max(), y_pred.max())) + 1
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(k))
    fig, ax = _axes(ax, figsize=(5, 4.5))
    im = ax.imshow(cm, cmap="Blues")
    for i in range(k):
        for j in range(k):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    cm[i, j],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if cm[i, j] > cm.max() / 2 else "black",
                )
    ax.set(title=title, xlabel="predicted class", ylabel="true class", xticks=range(k), yticks=range(k))
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="count")
    fig.confusion = cm
    return fig


def show_matrices(
    arrays,
    labels=None,
    *,
    title: str = "Matrices",
    annotate: bool | None = None,
    cmap: str = "viridis",
    symmetric: bool = False,
    size: float = 2.5,
):
    """A row of 2-D arrays of possibly different shapes (image, kernel, feature map...), one panel each.

    Args:
        arrays: sequence of (H_i, W_i) arrays or tensors; shapes may differ.
        labels: optional sequence of captions, one per array.
        annotate: write every value in its cell; by default only for arrays of at most 100 entries.
        symmetric: centre each panel's colour map on zero (for kernels and signed maps).

    Returns:
        The figure, with one axis per array.
    """
    arrays = [_to_numpy(a) for a in arrays]
    if not arrays or any(a.ndim != 2 for a in arrays):
        raise ValueError(f"need a non-empty sequence of 2-D arrays, got shapes {[a.shape for a in arrays]}")
    if labels is not None and len(labels) != len(arrays):
        raise ValueError(f"got {len(arrays)} arrays but {len(labels)} labels")
    fig, axes = plt.subplots(1, len(arrays), figsize=(size * len(arrays), size + 0.6), squeeze=False)
    for k, (ax, a) in enumerate(zip(axes[0], arrays)):
        m = float(np.abs(a).max()) or 1.0
        limits = {"vmin": -m, "vmax": m} if symmetric else {}
        im = ax.imshow(a, cmap=cmap, **limits)
        if annotate or (annotate is None and a.size <= 100):
            for (i, j), v in np.ndenumerate(a):
                r, g, b, _ = im.cmap(im.norm(v))
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # white text on dark cells
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8, color="white" if dark else "black")
        ax.set(xticks=[], yticks=[], title=f"{labels[k] if labels is not None else ''} {a.shape[0]}x{a.shape[1]}")
        ax.grid(False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _to_numpy(a, dtype=None) -> np.ndarray:
    """``a`` as a numpy array: a tensor is detached and copied from its device (a GPU's too) first."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=dtype)


def mosaic(images, ncols: int) -> np.ndarray:
    """Tile images side by side into one image, ``ncols`` per row, with 1-pixel NaN gaps (drawn blank).

    images: (N, h, w), numpy or torch. Returns (rows * (h + 1) - 1, ncols * (w + 1) - 1) float, rows =
    ceil(N / ncols); cells past the N-th tile stay NaN. One ``imshow`` of it draws many small images
    much faster than one axes per image.
    """
    images = _to_numpy(images).astype(float)
    if images.ndim != 3 or ncols < 1:
        raise ValueError(f"mosaic wants images (N, h, w) and ncols >= 1, got shape {images.shape} and ncols={ncols}")
    n, h, w = images.shape
    out = np.full((-(-n // ncols) * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, ncols)
        out[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = image
    return out


def plot_embedding(Z, y, *, title: str = "2-D codes", xlabel: str = "$z_1$", ylabel: str = "$z_2$", ax=None):
    """Scatter 2-D points (codes, projections, samples) coloured by integer class.

    Args:
        Z: (N, 2) array or tensor.  y: (N,) integer labels (one legend entry per class).
    """
    Z, y = _to_numpy(Z), _to_numpy(y)
    if Z.ndim != 2 or Z.shape[1] != 2 or y.shape != (len(Z),):
        raise ValueError(f"need Z (N, 2) and y (N,), got {Z.shape} and {y.shape}")
    fig, ax = _axes(ax)
    for c in np.unique(y):
        sel = y == c
        ax.scatter(Z[sel, 0], Z[sel, 1], s=8, alpha=0.7, color=CLASS_COLORS[int(c) % 10], label=str(c))
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(title="class", fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def progress_bars(notebooks, solved, total, *, title: str = "Exercises solved, per notebook", ax=None):
    """Solved against all exercises per notebook: a grey bar for all, a blue one for solved.

    Args:
        notebooks: K notebook numbers ("01", ...); solved, total: K counts each.
    """
    if not (len(notebooks) == len(solved) == len(total)):
        raise ValueError(f"{len(notebooks)} notebooks, {len(solved)} solved and {len(total)} totals: one each")
    fig, ax = _axes(ax)
    x = np.arange(len(notebooks))
    ax.bar(x, total, color=PALETTE["sky"], alpha=0.45, label="exercises")
    ax.bar(x, solved, color=PALETTE["blue"], label="solved")
    ax.set_xticks(x, list(notebooks))
    ax.set(title=title, xlabel="notebook", ylabel="exercises")
    ax.legend()
    return fig
