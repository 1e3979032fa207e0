"""Diagrams of an artificial neuron and of a small fully connected network (notebook 02).

* :func:`neuron_diagram`: inputs x1..xd, their weights, the sum with the bias, the activation f
  and the output a = f(w.x + b);
* :func:`mlp_diagram`: a small multi-layer perceptron, by default the 2-2-1 XOR network, with
  every connection labelled by its weight and every unit by its bias.

Both return a matplotlib ``Figure`` drawn with the primitives of :mod:`course_utils.diagrams`
(title and ``fig.alt_text``); show them with :func:`course_utils.diagrams.show`.
"""

from __future__ import annotations

import numpy as np

from . import PALETTE, arrow, box, canvas

__all__ = ["neuron_diagram", "mlp_diagram"]


def neuron_diagram(d: int = 3):
    """One artificial neuron a = f(w1 x1 + ... + wd xd + b) with ``d`` inputs drawn (2 to 6).

    With ``d >= 3`` the inputs are labelled x1, x2, ..., xd with a vertical ellipsis before the
    last one, so the picture stands for any number of inputs. Returns the ``Figure``: d input
    boxes, one for the bias, the sum, the activation and the output (d + 4 boxes), and d + 3 arrows.
    """
    if not 2 <= int(d) <= 6 or int(d) != d:
        raise ValueError(f"d must be an integer from 2 to 6, got {d!r}")
    d = int(d)
    labels = [f"$x_{{{j + 1}}}$" for j in range(d)]
    weights = [f"$w_{{{j + 1}}}$" for j in range(d)]
    if d >= 3:
        labels[-1], weights[-1] = "$x_d$", "$w_d$"
    alt = (
        f"An artificial neuron: {d} inputs x1 to xd, each multiplied by its weight w1 to wd, "
        "flow into a sum node that also adds the bias b; the sum z = w.x + b goes through the "
        "activation function f, whose value a = f(z) is the neuron's output."
    )
    fig, ax = canvas(
        "An artificial neuron: weighted sum plus bias, then activation",
        alt,
        size=(8.0, 4.2),
        xlim=(0, 12),
        ylim=(0, 6.3),
    )
    ys = np.linspace(5.4, 0.9, d)
    sum_xy, act_xy, out_xy = (5.4, 3.15), (8.3, 3.15), (10.8, 3.15)
    for y, label, weight in zip(ys, labels, weights):
        box(ax, (1.0, y), label, width=0.9, height=0.6, color=PALETTE["sky"], fontsize=11)
        start, end = (1.5, y), (sum_xy[0] - 1.05, sum_xy[1] + 0.2 * (y - sum_xy[1]) / 2.3)
        arrow(ax, start, end, color=PALETTE["blue"])
        t = 0.3
        ax.text(
            start[0] + t * (end[0] - start[0]),
            start[1] + t * (end[1] - start[1]) + 0.12,
            weight,
            ha="center",
            va="bottom",
            fontsize=11,
            color=PALETTE["blue"],
        )
    if d >= 3:
        ax.text(1.0, (ys[-2] + ys[-1]) / 2, r"$\vdots$", ha="center", va="center", fontsize=14)
    box(ax, (sum_xy[0], 5.6), "bias $b$", width=1.2, height=0.55, color=PALETTE["yellow"], fontsize=10)
    arrow(ax, (sum_xy[0], 5.3), (sum_xy[0], sum_xy[1] + 0.55))
    box(ax, sum_xy, "$\\Sigma$\n$z = w^\\top x + b$", width=2.0, height=1.1, color=PALETTE["orange"], fontsize=10)
    arrow(ax, (sum_xy[0] + 1.05, sum_xy[1]), (act_xy[0] - 0.75, act_xy[1]), "$z$")
    box(ax, act_xy, "activation\n$f$", width=1.4, height=1.1, color=PALETTE["green"], fontsize=10)
    arrow(ax, (act_xy[0] + 0.75, act_xy[1]), (out_xy[0] - 0.75, out_xy[1]), "$a = f(z)$")
    box(ax, out_xy, "output\n$a$", width=1.3, height=1.1, color=PALETTE["purple"], fontsize=10)
    ax.text(1.0, 0.2, "inputs", ha="center", fontsize=9)
    ax.text(2.6, 0.2, "weights", ha="center", fontsize=9, color=PALETTE["blue"])
    return fig


def mlp_diagram(sizes: tuple[int, ...] = (2, 2, 1), activation: str = "tanh"):
    """A fully connected network with layer widths ``sizes`` (2 to 4 layers, each 1 to 4 units).

    Every connection carries its weight's label w^(l)_ij (from unit i of layer l-1 to unit j of
    layer l, so that layer l computes h^(l) = f(h^(l-1) W^(l) + b^(l))), placed near the arrow's
    start so that crossing arrows keep their labels apart; between two layers with more than 4
    connections the matrix W^(l) and its shape label them instead. Every hidden or output unit
    shows its bias. Returns the ``Figure``: one box per unit and one arrow per weight.
    """
    sizes = tuple(int(s) for s in sizes)
    if not 2 <= len(sizes) <= 4 or not all(1 <= s <= 4 for s in sizes):
        raise ValueError(f"sizes must list 2 to 4 layers of 1 to 4 units, got {sizes!r}")
    n_layers = len(sizes)
    shape = "-".join(map(str, sizes))
    hidden = sizes[1:-1]

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    alt = (
        f"A fully connected {shape} network: {plural(sizes[0], 'input')} on the left, "
        + (
            f"{plural(len(hidden), 'hidden layer')} of {' and '.join(map(str, hidden))} {activation} units, "
            if hidden
            else ""
        )
        + f"and {plural(sizes[-1], 'output unit')} on the right. Every unit of a layer is connected to every "
        "unit of the next by an arrow for its weight w(l)ij, and each hidden or output unit adds its "
        "bias b(l)j."
    )
    width = 3.2 * (n_layers - 1) + 2.4
    height = 1.5 * max(sizes) + 1.6
    fig, ax = canvas(
        f"A {shape} network: every arrow is a weight, every unit adds a bias",
        alt,
        size=(1.1 * width, 1.1 * height),
        xlim=(0, width),
        ylim=(0, height),
    )
    xs = [1.2 + 3.2 * layer for layer in range(n_layers)]
    centre = (height - 0.6) / 2

    def ys(n):
        return [centre + 1.5 * ((n - 1) / 2 - i) for i in range(n)]

    names = []
    for layer, n in enumerate(sizes):
        if layer == 0:
            names.append([f"$x_{{{i + 1}}}$" for i in range(n)])
        elif layer == n_layers - 1:
            names.append(["$\\hat y$" if n == 1 else f"$\\hat y_{{{i + 1}}}$" for i in range(n)])
        else:
            sup = "" if n_layers == 3 else f"^{{({layer})}}"
            names.append([f"$h{sup}_{{{i + 1}}}$" for i in range(n)])
    colors = [PALETTE["sky"]] + [PALETTE["green"]] * (n_layers - 2) + [PALETTE["purple"]]
    for layer in range(1, n_layers):
        x0, x1 = xs[layer - 1], xs[layer]
        for i, y0 in enumerate(ys(sizes[layer - 1])):
            for j, y1 in enumerate(ys(sizes[layer])):
                start, end = (x0 + 0.5, y0), (x1 - 0.5, y1)
                arrow(ax, start, end, color=PALETTE["blue"] if i % 2 == 0 else PALETTE["vermillion"])
                if sizes[layer - 1] * sizes[layer] > 4:  # too many arrows to label one by one
                    continue
                t = 0.3
                ax.text(
                    start[0] + t * (end[0] - start[0]),
                    start[1] + t * (end[1] - start[1]) + 0.08,
                    f"$w^{{({layer})}}_{{{i + 1}{j + 1}}}$",
                    ha="center",
                    va="bottom",
                    fontsize=10,
                    color=PALETTE["blue"] if i % 2 == 0 else PALETTE["vermillion"],
                )
        if sizes[layer - 1] * sizes[layer] > 4:
            ax.text(
                (x0 + x1) / 2,
                centre + 0.75 * max(sizes[layer - 1], sizes[layer]) + 0.1,
                f"$W^{{({layer})}}$: {sizes[layer - 1]} x {sizes[layer]}",
                ha="center",
                va="bottom",
                fontsize=10,
                color=PALETTE["blue"],
            )
    for layer, n in enumerate(sizes):
        for j, y in enumerate(ys(n)):
            box(ax, (xs[layer], y), names[layer][j], width=1.0, height=0.7, color=colors[layer], fontsize=12)
            if layer > 0:
                ax.text(xs[layer], y - 0.45, f"$+\\,b^{{({layer})}}_{{{j + 1}}}$", ha="center", va="top", fontsize=9)
        title = (
            "input layer"
            if layer == 0
            else "output"
            if layer == n_layers - 1
            else f"hidden layer ({activation})"
            if n_layers == 3
            else f"hidden layer {layer} ({activation})"
        )
        ax.text(xs[layer], height - 0.35, title, ha="center", va="center", fontsize=10, fontweight="bold")
    return fig
