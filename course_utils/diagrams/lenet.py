"""LeNet's stack of layers with the output shape of each (notebook 05).

:func:`stages` runs one example through a model (with :func:`course_utils.models.layer_summary`,
so every shape is measured, not typed) and groups its layers into the boxes of the diagram;
:func:`lenet_stack` draws them left to right, one box per stage with its output shape and
parameter count. Layers that keep the shape (batch norm, activations, dropout) join the box of
the layer before them.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.patches import Patch

from . import PALETTE, arrow, box, canvas

__all__ = ["Stage", "stages", "lenet_stack", "KIND_COLOURS"]

# One Okabe-Ito colour per kind of stage (the legend names them).
KIND_COLOURS = {
    "input": PALETTE["yellow"],
    "conv": PALETTE["sky"],
    "pool": PALETTE["orange"],
    "flatten": PALETTE["purple"],
    "fc": PALETTE["green"],
}
_KINDS = {"Conv2d": "conv", "MaxPool2d": "pool", "AvgPool2d": "pool", "Flatten": "flatten", "Linear": "fc"}
_SHORT = {
    "BatchNorm2d": "BN",
    "BatchNorm1d": "BN",
    "ReLU": "ReLU",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Dropout": "dropout",
    "LeakyReLU": "leaky ReLU",
}


@dataclass(frozen=True)
class Stage:
    """One box of the diagram: ``label`` (what the stage does), ``kind`` (a key of
    :data:`KIND_COLOURS`), ``shape`` (its output, without the batch axis) and ``params``."""

    label: str
    kind: str
    shape: tuple
    params: int


def _label(module) -> str:
    name = type(module).__name__
    if name == "Conv2d":
        k = module.kernel_size
        pad = f", pad {module.padding[0]}" if module.padding != (0, 0) else ""
        return f"conv {k[0]}x{k[1]}{pad}"
    if name in ("MaxPool2d", "AvgPool2d"):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        return f"{'max' if name == 'MaxPool2d' else 'avg'}-pool {k}x{k}"
    if name == "Linear":
        return f"FC {module.in_features}->{module.out_features}"
    return name.lower()


def stages(model=None, input_shape: tuple = (1, 8, 8)) -> list[Stage]:
    """The diagram's boxes for ``model`` (default: the notebook's 8x8 LeNet,
    ``models.LeNet(channels=(16, 32), hidden=(64,), batchnorm=True)``) on one example of
    ``input_shape`` (without the batch axis).

    Shapes and parameter counts come from a real forward pass (forward hooks). Layers of a
    kind not in conv / pool / flatten / FC (batch norm, activations, dropout) keep the shape
    and are folded into the stage before them ("conv 3x3, pad 1 + BN + ReLU").
    """
    from .. import models

    if model is None:
        model = models.LeNet(channels=(16, 32), hidden=(64,), batchnorm=True)
    modules = dict(model.named_modules())
    rows = models.layer_summary(model, tuple(input_shape))
    result: list[Stage] = [Stage("input", "input", rows[0].shape, 0)]
    for row in rows[1:]:
        kind = _KINDS.get(row.kind)
        if kind is None:  # a shape-keeping layer joins the stage before it
            last = result[-1]
            extra = _SHORT.get(row.kind, row.kind)
            result[-1] = Stage(f"{last.label} + {extra}", last.kind, row.shape, last.params + row.params)
            continue
        result.append(Stage(_label(modules[row.name]), kind, row.shape, row.params))
    return result


def _shape_text(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def lenet_stack(model=None, input_shape: tuple = (1, 8, 8), title: str | None = None):
    """Draw ``model``'s stages (see :func:`stages`) as a row of boxes, left to right, each with
    its output shape and parameter count; colours by kind, with a legend. Returns the Figure
    (``fig.alt_text`` describes it; ``fig.stages`` holds the stages drawn)."""
    parts = stages(model, input_shape)
    total = sum(s.params for s in parts)
    step = 2.1
    width = step * len(parts)
    title = title or f"LeNet for 8x8 digits: the output shape of every stage ({total:,} parameters)"
    described = "; ".join(
        f"{s.label} -> {_shape_text(s.shape)}" + (f" ({s.params:,} parameters)" if s.params else "") for s in parts
    )
    alt = (
        f"A row of {len(parts)} boxes, left to right, one per stage of the network, each with its output "
        f"shape: {described}. {total:,} trainable parameters in all."
    )
    fig, ax = canvas(title, alt, size=(width * 0.72, 3.1), xlim=(0, width), ylim=(0.6, 4.0))
    for i, s in enumerate(parts):
        x = step * (i + 0.5)
        label = s.label.replace(" + ", "\n+ ", 1) if len(s.label) > 14 else s.label
        box(ax, (x, 2.5), "", width=1.75, height=2.1, color=KIND_COLOURS[s.kind])
        ax.text(x, 3.1, label, ha="center", va="center", fontsize=7.5)
        ax.text(x, 2.35, _shape_text(s.shape), ha="center", va="center", fontsize=10, fontweight="bold")
        ax.text(x, 1.8, f"{s.params:,} params" if s.params else "no params", ha="center", va="center", fontsize=7.5)
        if i:
            arrow(ax, (x - step + 0.9, 2.5), (x - 0.9, 2.5))
    kinds = [k for k in KIND_COLOURS if any(s.kind == k for s in parts)]
    names = {"input": "input", "conv": "convolution", "pool": "pooling", "flatten": "flatten", "fc": "fully connected"}
    ax.legend(
        handles=[Patch(facecolor=KIND_COLOURS[k], edgecolor="black", label=names[k]) for k in kinds],
        loc="lower center",
        ncol=len(kinds),
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )
    fig.stages = parts
    return fig
