"""The supervised learning loop (notebook 01): data, model, prediction, loss, gradient, update.

:func:`learning_loop` draws it: the input x enters the model f(x, theta), the prediction
y_hat and the target y meet in the loss L(y_hat, y), and its gradient with respect to theta
gives the update theta <- theta - eta * grad L, which goes back into the model.
"""

from __future__ import annotations

from . import PALETTE, arrow, box, canvas

__all__ = ["learning_loop", "LOOP_BOXES"]

#: The boxes of :func:`learning_loop`, in the order the loop visits them: (key, label).
LOOP_BOXES = (
    ("data", "data $x$"),
    ("model", "model\n$f(x, \\theta)$"),
    ("prediction", "prediction\n$\\hat y$"),
    ("loss", "loss\n$L(\\hat y, y)$"),
    ("target", "target $y$"),
    ("gradient", "gradient\n$\\nabla_\\theta L$"),
    ("update", "update\n$\\theta \\leftarrow \\theta - \\eta\\,\\nabla_\\theta L$"),
)


def learning_loop():
    """The supervised learning loop as a figure.

    Returns:
        A matplotlib ``Figure`` with a title, ``fig.alt_text``, and ``fig.boxes``: a dict
        from each key of :data:`LOOP_BOXES` to its patch.
    """
    alt = (
        "The supervised learning loop. The data x enters the model f(x, theta), which outputs a "
        "prediction y-hat. The prediction and the target y enter the loss L(y-hat, y). The gradient of "
        "the loss with respect to theta feeds the update theta <- theta - eta times the gradient, and "
        "the updated parameters go back into the model; the loop repeats until a stopping rule holds."
    )
    fig, ax = canvas("The supervised learning loop", alt, size=(9.0, 4.2), xlim=(0, 12), ylim=(0, 5.4))
    at = {
        "data": (1.2, 3.9),
        "model": (4.0, 3.9),
        "prediction": (7.0, 3.9),
        "loss": (10.2, 3.9),
        "target": (10.2, 1.2),
        "gradient": (7.0, 1.2),
        "update": (3.4, 1.2),
    }
    colour = {
        "data": PALETTE["orange"],
        "target": PALETTE["orange"],
        "model": PALETTE["sky"],
        "prediction": PALETTE["sky"],
        "loss": PALETTE["vermillion"],
        "gradient": PALETTE["yellow"],
        "update": PALETTE["green"],
    }
    width = {"update": 3.0}
    fig.boxes = {
        key: box(ax, at[key], label, width=width.get(key, 1.8), height=1.0, color=colour[key], fontsize=10)
        for key, label in LOOP_BOXES
    }
    forward = "forward"
    arrow(ax, (2.1, 3.9), (3.1, 3.9), forward, color=PALETTE["black"])
    arrow(ax, (4.9, 3.9), (6.1, 3.9), forward, color=PALETTE["black"])
    arrow(ax, (7.9, 3.9), (9.3, 3.9), "compare", color=PALETTE["black"])
    arrow(ax, (10.2, 1.7), (10.2, 3.4), "", color=PALETTE["black"])
    arrow(ax, (9.6, 3.4), (7.9, 1.7), "backward", color=PALETTE["blue"], offset=(0.75, -0.25))
    arrow(ax, (6.1, 1.2), (4.9, 1.2), "", color=PALETTE["blue"])
    arrow(ax, (3.4, 1.7), (3.9, 3.4), "new $\\theta$", color=PALETTE["blue"], offset=(-0.7, -0.1))
    ax.text(
        6.0,
        0.1,
        "repeat until a stopping rule holds (small step, small gradient, or validation error stops falling)",
        ha="center",
        va="bottom",
        fontsize=8,
        style="italic",
    )
    return fig
