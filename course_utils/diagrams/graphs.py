"""A computation graph with its forward values and backward gradients (notebook 03).

:func:`neuron_graph` draws one sigmoid neuron with a squared loss,
L = 1/2 (sigmoid(w1 x1 + w2 x2 + b) - y)^2, as a graph of elementary operations. Every
edge carries the value that flows forward along it (above, in black) and the gradient of
the loss with respect to that value, which flows backward (below, in vermillion).
:func:`neuron_values` computes those numbers, so a notebook can check them against its
own autodiff engine.
"""

from __future__ import annotations

import math

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import PALETTE, arrow, box, canvas

__all__ = ["neuron_values", "neuron_graph"]

FORWARD_COLOR = PALETTE["black"]
BACKWARD_COLOR = PALETTE["vermillion"]
KIND_COLORS = {
    "input": PALETTE["sky"],
    "parameter": PALETTE["green"],
    "operation": PALETTE["orange"],
    "loss": PALETTE["purple"],
}


def neuron_values(
    x: tuple[float, float] = (0.5, -1.0), w: tuple[float, float] = (0.3, -0.2), b: float = 0.1, y: float = 1.0
) -> dict[str, tuple[float, float]]:
    """Forward value and gradient dL/d(node) of every node of the neuron's graph.

    Nodes: the leaves ``x1 w1 x2 w2 b``, the products ``m1 = w1 x1`` and ``m2 = w2 x2``, the sum
    ``z = m1 + m2 + b``, the activation ``a = sigmoid(z)`` and the loss ``L = (a - y)^2 / 2``.
    Returns ``{name: (value, dL/dvalue)}``; computed by hand with the chain rule, node by node
    from the loss back to the leaves (backprop).
    """
    (x1, x2), (w1, w2) = x, w
    m1, m2 = w1 * x1, w2 * x2
    z = m1 + m2 + b
    a = 1.0 / (1.0 + math.exp(-z))
    loss = 0.5 * (a - y) ** 2
    d_a = a - y  # dL/da
    d_z = d_a * a * (1 - a)  # sigmoid' = a (1 - a)
    d_m1 = d_m2 = d_b = d_z  # a sum passes its gradient to every input
    return {
        "x1": (x1, d_m1 * w1),
        "w1": (w1, d_m1 * x1),
        "x2": (x2, d_m2 * w2),
        "w2": (w2, d_m2 * x2),
        "b": (b, d_b),
        "m1": (m1, d_m1),
        "m2": (m2, d_m2),
        "z": (z, d_z),
        "a": (a, d_a),
        "L": (loss, 1.0),
    }


# where each box sits, its label and kind; edges run from a node to the operation that uses it
_LAYOUT = {
    "x1": ((0.7, 4.6), "x1", "input"),
    "w1": ((0.7, 3.25), "w1", "parameter"),
    "x2": ((0.7, 2.15), "x2", "input"),
    "w2": ((0.7, 0.8), "w2", "parameter"),
    "b": ((3.9, 0.0), "b", "parameter"),
    "m1": ((3.9, 3.8), "×", "operation"),
    "m2": ((3.9, 1.6), "×", "operation"),
    "z": ((6.9, 2.7), "+", "operation"),
    "a": ((9.0, 2.7), "sigmoid", "operation"),
    "L": ((11.3, 2.7), "½(a − y)²", "loss"),
}
_EDGES = [
    ("x1", "m1"),
    ("w1", "m1"),
    ("x2", "m2"),
    ("w2", "m2"),
    ("m1", "z"),
    ("m2", "z"),
    ("b", "z"),
    ("z", "a"),
    ("a", "L"),
]
_BOX = (1.1, 0.6)
_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.5}


def _border(center, toward):
    """The point where the segment from ``center`` to ``toward`` leaves a box of size _BOX."""
    (cx, cy), (tx, ty) = center, toward
    dx, dy = tx - cx, ty - cy
    scale = min(_BOX[0] / 2 / abs(dx) if dx else math.inf, _BOX[1] / 2 / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def neuron_graph(
    x: tuple[float, float] = (0.5, -1.0), w: tuple[float, float] = (0.3, -0.2), b: float = 0.1, y: float = 1.0
):
    """Draw the neuron's computation graph with forward values and backward gradients.

    Ten boxes (five leaves, four operations, the loss), nine edges between them and one out of
    the loss; each edge is labelled with the forward value above and dL/d(value) below.
    Returns the matplotlib ``Figure``; ``fig.values`` holds :func:`neuron_values`.
    """
    values = neuron_values(x, w, b, y)
    alt = (
        f"Computation graph of a sigmoid neuron with a squared loss. Inputs x1 = {x[0]:g} and x2 = {x[1]:g}, "
        f"weights w1 = {w[0]:g} and w2 = {w[1]:g} feed two multiplications; their products and the bias "
        f"b = {b:g} feed a sum z = {values['z'][0]:.3f}, then a sigmoid a = {values['a'][0]:.3f}, then the loss "
        f"L = ½(a − y)² = {values['L'][0]:.4f} with y = {y:g}. Each edge shows the forward value above and "
        f"the gradient of the loss below: dL/da = {values['a'][1]:.3f}, dL/dz = {values['z'][1]:.4f}, "
        f"dL/dw1 = {values['w1'][1]:.4f}, dL/dw2 = {values['w2'][1]:.4f}, dL/db = {values['b'][1]:.4f}."
    )
    fig, ax = canvas(
        "Forward values (above each edge) and backward gradients dL/d(value) (below)",
        alt,
        size=(10.5, 5.0),
        xlim=(0, 13.0),
        ylim=(-0.5, 5.0),
    )
    for name, (center, label, kind) in _LAYOUT.items():
        label = f"{label}\ny = {y:g}" if name == "L" else label
        box(ax, center, label, width=_BOX[0], height=_BOX[1], color=KIND_COLORS[kind], fontsize=10)
    for src, dst in [*_EDGES, ("L", None)]:
        start_center = _LAYOUT[src][0]
        end_center = _LAYOUT[dst][0] if dst else (start_center[0] + 1.7, start_center[1])
        start = _border(start_center, end_center)
        end = _border(end_center, start_center) if dst else end_center
        value, grad = values[src]
        arrow(ax, start, end, color=FORWARD_COLOR)
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(
            mx, my + 0.05, f"{value:.3f}", ha="center", va="bottom", fontsize=9, color=FORWARD_COLOR, bbox=_LABEL_BOX
        )
        ax.text(mx, my - 0.05, f"{grad:.4f}", ha="center", va="top", fontsize=9, color=BACKWARD_COLOR, bbox=_LABEL_BOX)
    handles = [
        Line2D([], [], color=FORWARD_COLOR, label="forward value (above an edge)"),
        Line2D([], [], color=BACKWARD_COLOR, label="gradient dL/d(value) (below an edge)"),
    ]
    handles += [Patch(facecolor=color, edgecolor="black", label=kind) for kind, color in KIND_COLORS.items()]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=8, frameon=False)
    fig.values = values
    return fig
