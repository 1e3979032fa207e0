"""Diagram of notebook 11: soft attention in a captioning decoder, and the same mechanism in translation.

:func:`attention_bridge` returns a matplotlib ``Figure`` with a title and ``fig.alt_text``; show it with
:func:`course_utils.diagrams.show`. Encoder outputs are green, attention weights orange, the decoder blue,
and every box carries its name, so nothing relies on colour.
"""

from __future__ import annotations

from . import PALETTE, arrow, box, canvas

__all__ = ["attention_bridge"]


def _row(ax, y: float, label: str, items: list[str], decoder: str, out: str) -> None:
    ax.text(0.1, y + 1.25, label, fontsize=10, ha="left", weight="bold")
    xs = [1.0 + 1.15 * i for i in range(len(items))]
    for x, item in zip(xs, items):
        box(ax, (x, y), item, width=1.0, height=0.6, color=PALETTE["green"], fontsize=8)
        arrow(ax, (x, y + 0.3), (5.9, y + 0.75), color=PALETTE["orange"])
    ax.text(
        3.6,
        y + 0.95,
        "weights $\\alpha_{t,l}$ = softmax$_l$(score($h_{t-1}$, item$_l$))",
        fontsize=8,
        ha="center",
        color="black",
    )
    box(
        ax,
        (6.6, y + 0.75),
        "context\n$c_t = \\sum_l \\alpha_{t,l}\\,$item$_l$",
        width=1.7,
        height=0.8,
        color=PALETTE["orange"],
        fontsize=8,
    )
    box(ax, (8.9, y + 0.75), decoder, width=1.6, height=0.8, color=PALETTE["sky"], fontsize=8)
    arrow(ax, (7.45, y + 0.75), (8.1, y + 0.75))
    arrow(ax, (8.9, y + 1.15), (8.9, y + 1.65), out, offset=(0.0, 0.05))
    arrow(ax, (8.4, y + 0.35), (6.6, y + 0.35), "$h_{t-1}$", offset=(0.0, -0.4), rad=-0.3)


def attention_bridge():
    """Soft attention twice: over a CNN's grid of feature vectors (captioning) and over an encoder RNN's
    states (translation): the same weights, softmax and weighted sum."""
    alt = (
        "Two rows with the same structure. Top, image captioning: a CNN's grid of feature vectors (locations 1 "
        "to L) each send an arrow to a context box, weighted by attention weights alpha computed by a softmax over "
        "the locations from the decoder's previous state; the context feeds an LSTM decoder that writes the next "
        "word of the caption, and its state goes back to the scoring. Bottom, translation: the encoder RNN's "
        "states, one per source word, take the place of the grid locations; the rest is identical and the "
        "decoder writes the next word of the translation."
    )
    fig, ax = canvas(
        "Soft attention: the same mechanism for a caption and a translation",
        alt,
        size=(10, 5.6),
        xlim=(0, 10.2),
        ylim=(-0.4, 5.6),
    )
    _row(
        ax,
        3.2,
        "Captioning (this notebook): attend over the CNN's grid",
        ["cell 1", "cell 2", "...", "cell L"],
        "LSTM decoder",
        "next word of the caption",
    )
    _row(
        ax,
        0.3,
        "Translation (Bahdanau et al.): attend over the encoder's states",
        ["$h^{enc}_1$", "$h^{enc}_2$", "...", "$h^{enc}_S$"],
        "RNN decoder",
        "next word of the translation",
    )
    return fig
