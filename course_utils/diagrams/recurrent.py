"""Diagrams of recurrent networks (notebook 06): the four shapes of sequence tasks, an RNN
unrolled over time (symbolic, or with the numbers a cell computes) and an LSTM cell.

Every function returns a matplotlib ``Figure`` with a title and ``fig.alt_text``; show it
with :func:`course_utils.diagrams.show`. Inputs are orange, states green, outputs blue
(Okabe-Ito colours) and every box also carries its letter, so nothing relies on colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import PALETTE, arrow, box, canvas

__all__ = ["TASK_SHAPES", "task_shapes", "unrolled_rnn", "lstm_cell"]

COLORS = {"x": PALETTE["orange"], "h": PALETTE["green"], "y": PALETTE["sky"]}

TASK_SHAPES = {  # name -> (time steps with an input, time steps with an output, steps in all)
    "one to one": ([0], [0], 1),
    "one to many": ([0], [0, 1, 2], 3),
    "many to one": ([0, 1, 2], [2], 3),
    "many to many": ([0, 1, 2], [0, 1, 2], 3),
}
_EXAMPLES = {
    "one to one": "image -> class",
    "one to many": "image -> caption",
    "many to one": "review -> sentiment",
    "many to many": "text -> next characters",
}


def _chain(
    ax,
    x0: float,
    n_steps: int,
    inputs,
    outputs,
    labels=None,
    *,
    dx: float = 1.0,
    width: float = 0.7,
    height: float = 0.5,
    levels=(0.0, 1.0, 2.0),
    fontsize: float = 10,
    weights: bool = False,
) -> None:
    """x (bottom) -> h (middle) -> y (top) for each step, the states linked left to right."""
    labels = labels or {}
    y_x, y_h, y_y = levels

    def node(kind: str, t: int, y: float) -> None:  # kind "x", "h" or "y" at step t, labelled $kind_{t+1}$
        label = labels.get((kind, t), f"${kind}_{t + 1}$")
        box(ax, (x0 + t * dx, y), label, width=width, height=height, color=COLORS[kind], fontsize=fontsize)

    for t in range(n_steps):
        cx = x0 + t * dx
        node("h", t, y_h)
        if t in inputs:
            node("x", t, y_x)
            arrow(ax, (cx, y_x + height / 2), (cx, y_h - height / 2), "$W_x$" if weights else "", offset=(0.25, -0.1))
        if t in outputs:
            node("y", t, y_y)
            arrow(ax, (cx, y_h + height / 2), (cx, y_y - height / 2), "$W_y$" if weights else "", offset=(0.25, -0.1))
        if t + 1 < n_steps:
            arrow(ax, (cx + width / 2, y_h), (cx + dx - width / 2, y_h), "$W_h$" if weights else "", offset=(0.0, 0.05))


def task_shapes():
    """The four shapes of sequence tasks side by side: inputs, states and outputs per time step."""
    alt = (
        "Four small diagrams of recurrent networks unrolled in time. One to one: one input, one state, "
        "one output. One to many: one input at the first step, three states, an output at every step. "
        "Many to one: an input at each of three steps, an output only after the last. Many to many: "
        "an input and an output at every one of three steps. States pass from left to right."
    )
    fig, ax = canvas(
        "Four shapes of sequence tasks: inputs x (orange), states h (green), outputs y (blue)",
        alt,
        size=(12, 3.4),
        xlim=(-0.6, 14.6),
        ylim=(-0.5, 3.3),
    )
    x0 = 0.0
    for name, (inputs, outputs, n) in TASK_SHAPES.items():
        _chain(ax, x0, n, inputs, outputs)
        ax.text(x0 + (n - 1) / 2, 2.55, f"{name}\n({_EXAMPLES[name]})", ha="center", va="bottom", fontsize=9)
        x0 += max(n, 3) + 1.0
    return fig


def _fmt(v, digits: int) -> str:
    v = np.atleast_1d(np.asarray(v, dtype=float))
    body = ", ".join(f"{a:.{digits}f}" for a in v[:3]) + (", ..." if len(v) > 3 else "")
    return body if len(v) == 1 else f"({body})"


def unrolled_rnn(
    xs: Sequence | None = None,
    states=None,
    outputs: Sequence | None = None,
    *,
    steps: int = 3,
    title: str = "One recurrent cell, unrolled over time",
    digits: int = 2,
):
    """An RNN drawn folded (one cell with a loop) and unrolled over the time steps.

    Without values it is symbolic: ``steps`` steps labelled x_t, h_t, y_t with the shared
    weights W_x, W_h, W_y on the arrows. With values it shows the numbers a cell computed.

    Args:
        xs: T input values (scalars or short vectors) shown under the cells, or None.
        states: (T, H) states (up to three components are printed in each cell); needed with xs.
        outputs: optional T output values shown above the cells.
        steps: number of steps of the symbolic drawing (when ``xs`` is None).

    Returns:
        A Figure (``fig.alt_text`` describes it).
    """
    if xs is None:
        if states is not None or outputs is not None or steps < 1:
            raise ValueError("the symbolic drawing takes only steps >= 1 (pass xs to show values)")
        T, labels, show_y = steps, {}, True
    else:
        states = np.asarray(states, dtype=float)
        if states.ndim != 2 or len(states) != len(xs) or len(xs) == 0:
            raise ValueError(f"need T inputs and states (T, H), got {len(xs)} inputs and {states.shape}")
        if outputs is not None and len(outputs) != len(xs):
            raise ValueError(f"need {len(xs)} outputs, got {len(outputs)}")
        T, show_y = len(xs), outputs is not None
        labels = {}
        for t in range(T):
            labels["x", t] = f"$x_{t + 1}$ = {_fmt(xs[t], digits)}"
            labels["h", t] = f"$h_{t + 1}$\n{_fmt(states[t], digits)}"
            if show_y:
                labels["y", t] = f"$y_{t + 1}$ = {_fmt(outputs[t], digits)}"
    dx, width, height, levels = 2.0, 1.5, 0.8, (0.6, 2.2, 3.8)
    right = 3.1 + (T - 1) * dx + width / 2 + 0.3
    if xs is None:
        values = "symbols"
        alt = (
            f"Left: one recurrent cell h with an input x below, an output y above and a loop back to "
            f"itself. Right: the same cell unrolled over {T} time steps, h_1 to h_{T}; each step reads its "
            f"input x_t through W_x and the previous state through W_h, and emits y_t through W_y. "
            f"The same three weight matrices are used at every step."
        )
    else:
        values = "numbers"
        alt = (
            f"A recurrent cell unrolled over {T} steps with the numbers it computes: inputs "
            + ", ".join(_fmt(x, digits) for x in xs)
            + "; states "
            + ", ".join(_fmt(h, digits) for h in states)
            + ("; outputs " + ", ".join(_fmt(y, digits) for y in outputs) if show_y else "")
            + ". Each state feeds the next one to its right."
        )
    fig, ax = canvas(title, alt, size=(1.25 * (right + 0.6), 4.2), xlim=(-0.7, right), ylim=(0.0, 4.6))
    fig.values = values
    # folded: one cell, its input, its output, and the loop that feeds the state back in
    box(ax, (0.2, levels[1]), "$h$", width=0.9, height=height, color=COLORS["h"])
    box(ax, (0.2, levels[0]), "$x_t$", width=0.9, height=height, color=COLORS["x"])
    arrow(ax, (0.2, levels[0] + height / 2), (0.2, levels[1] - height / 2))
    if show_y:
        box(ax, (0.2, levels[2]), "$y_t$", width=0.9, height=height, color=COLORS["y"])
        arrow(ax, (0.2, levels[1] + height / 2), (0.2, levels[2] - height / 2))
    arrow(ax, (0.65, levels[1] + 0.2), (0.65, levels[1] - 0.2), "$W_h$", rad=-2.2, offset=(0.75, -0.2))
    ax.text(1.9, levels[1], "=", ha="center", va="center", fontsize=18)
    _chain(
        ax,
        3.1,
        T,
        list(range(T)),
        list(range(T)) if show_y else [],
        labels,
        dx=dx,
        width=width,
        height=height,
        levels=levels,
        fontsize=8 if xs is not None else 10,
        weights=xs is None,
    )
    return fig


def lstm_cell():
    """An LSTM cell: the gates f, i, g, o read [h_{t-1}, x_t]; the cell-state line runs across the top
    (c_t = f * c_{t-1} + i * g) and the new state is h_t = o * tanh(c_t)."""
    alt = (
        "An LSTM cell. The previous hidden state h_(t-1) and the input x_t enter at the bottom and feed "
        "four boxes: the forget gate f (sigmoid), the input gate i (sigmoid), the candidate g (tanh) and "
        "the output gate o (sigmoid). Across the top runs the cell-state line from c_(t-1) to c_t: it is "
        "multiplied by f, then the product of i and g is added. On the right, tanh of c_t is multiplied "
        "by o to give the new hidden state h_t, which leaves to the right and to the next step. "
        "The direct path along the cell line has no weight matrix: its derivative is diag(f_t)."
    )
    fig, ax = canvas(
        "An LSTM cell: four gates and the cell-state line", alt, size=(9.6, 5.6), xlim=(0, 12), ylim=(0, 7)
    )
    belt, bus, gates_y = 6.0, 1.4, 3.0
    gate_color, tanh_color, op_color = PALETTE["sky"], PALETTE["orange"], PALETTE["yellow"]
    # the cell-state line, the conveyor belt
    arrow(ax, (0.9, belt), (3.2, belt), color=PALETTE["vermillion"])
    arrow(ax, (3.8, belt), (5.45, belt), color=PALETTE["vermillion"])
    arrow(ax, (6.05, belt), (11.1, belt), color=PALETTE["vermillion"])
    ax.text(0.8, belt, "$c_{t-1}$", ha="right", va="center", fontsize=11)
    ax.text(11.2, belt, "$c_t$", ha="left", va="center", fontsize=11)
    ax.text(
        4.6,
        belt + 0.35,
        r"direct path: $\partial c_t/\partial c_{t-1} = \mathrm{diag}(f_t)$",
        ha="center",
        va="bottom",
        fontsize=8,
        color=PALETTE["vermillion"],
    )
    box(ax, (3.5, belt), r"$\times$", width=0.5, height=0.5, color=op_color, fontsize=11)
    box(ax, (5.75, belt), "$+$", width=0.5, height=0.5, color=op_color, fontsize=11)
    # [h_{t-1}, x_t] on a bus feeding the four gates
    ax.text(0.8, bus, "$h_{t-1}$", ha="right", va="center", fontsize=11)
    arrow(ax, (0.9, bus), (8.5, bus), style="-")
    ax.text(2.0, 0.25, "$x_t$", ha="center", va="center", fontsize=11)
    arrow(ax, (2.0, 0.45), (2.0, bus))
    gates = {
        "f": (3.5, "forget", r"\sigma", gate_color),
        "i": (5.0, "input", r"\sigma", gate_color),
        "g": (6.5, "candidate", r"\tanh", tanh_color),
        "o": (8.5, "output", r"\sigma", gate_color),
    }
    for name, (gx, word, fn, color) in gates.items():
        arrow(ax, (gx, bus), (gx, gates_y - 0.45))
        box(ax, (gx, gates_y), f"${name}_t = {fn}(\\cdot)$\n{word}", width=1.35, height=0.8, color=color, fontsize=8)
    # f scales the old cell; i * g is written into it
    arrow(ax, (3.5, gates_y + 0.45), (3.5, belt - 0.3), "$f_t$", offset=(-0.25, 0.0))
    box(ax, (5.75, 4.5), r"$\times$", width=0.5, height=0.5, color=op_color, fontsize=11)
    arrow(ax, (5.0, gates_y + 0.45), (5.6, 4.25), "$i_t$", offset=(-0.3, 0.0))
    arrow(ax, (6.5, gates_y + 0.45), (5.9, 4.25), "$g_t$", offset=(0.3, 0.0))
    arrow(ax, (5.75, 4.75), (5.75, belt - 0.3), r"$i_t \odot g_t$", offset=(0.5, -0.1))
    # h_t = o * tanh(c_t)
    box(ax, (9.9, 4.8), r"$\tanh$", width=0.7, height=0.5, color=tanh_color, fontsize=9)
    arrow(ax, (9.9, belt), (9.9, 5.05))
    box(ax, (9.9, 3.6), r"$\times$", width=0.5, height=0.5, color=op_color, fontsize=11)
    arrow(ax, (9.9, 4.55), (9.9, 3.85))
    arrow(ax, (8.5, gates_y + 0.45), (9.65, 3.6), "$o_t$", offset=(-0.2, 0.05))
    arrow(ax, (10.15, 3.6), (11.1, 3.6))
    ax.text(11.2, 3.6, "$h_t$", ha="left", va="center", fontsize=11)
    arrow(ax, (9.9, 3.35), (9.9, 0.6))
    ax.text(9.9, 0.35, "$h_t$ to the next step", ha="center", va="center", fontsize=9)
    return fig
