"""Diagrams of the course's central structures, drawn with matplotlib (no image files).

One module per structure, each function returning a matplotlib ``Figure`` with a title and
its alt text (``fig.alt_text``; :func:`show` displays it as an ``<img alt=...>``):

* :mod:`.networks`  - a neuron and a small MLP (notebooks 01-02)
* :mod:`.graphs`    - a computation graph with forward values and backward gradients (03)
* :mod:`.conv`      - a kernel sliding over a padded image with a stride (04)
* :mod:`.lenet`     - LeNet's stack of layers with shapes (05)
* :mod:`.recurrent` - an unrolled RNN and an LSTM cell (06)
* :mod:`.gan`       - the GAN's two-player loop (08)
* :mod:`.vae`       - the variational autoencoder (07)
* :mod:`.rl`        - the agent-environment loop and where deep RL leads (08)
* :mod:`.style`     - style transfer's losses and the gradient to the pixels (09)
* :mod:`.learning`  - the supervised learning loop (01)

This module holds the shared primitives: :func:`canvas`, :func:`box`, :func:`draw_boxes` (a
diagram's list of boxes), :func:`arrow`, the colour-blind-safe :data:`PALETTE` (Okabe and Ito),
:func:`figure_html` and :func:`show`.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

__all__ = [
    "PALETTE",
    "canvas",
    "box",
    "draw_boxes",
    "arrow",
    "describe_figure",
    "figure_html",
    "enable_alt_text",
    "show",
]


def canvas(
    title: str,
    alt: str,
    size: tuple[float, float] = (7.0, 3.5),
    xlim: tuple[float, float] = (0, 10),
    ylim: tuple[float, float] = (0, 5),
):
    """A blank figure for a diagram: data coordinates ``xlim`` x ``ylim``, no axes.

    ``alt`` (a sentence describing the picture for someone who cannot see it) is stored
    as ``fig.alt_text``. Returns ``(fig, ax)``.
    """
    if not alt or not alt.strip():
        raise ValueError("a diagram needs alt text: describe what it shows in a sentence")
    fig, ax = plt.subplots(figsize=size)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    fig.alt_text = alt
    return fig, ax


def box(
    ax,
    center: tuple[float, float],
    text: str,
    *,
    width: float = 1.6,
    height: float = 0.8,
    color: str = PALETTE["sky"],
    fontsize: float = 9,
    round_: bool = True,
):
    """A labelled box centred at ``center`` (data coordinates); returns the patch."""
    x, y = center
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.05" if round_ else "square,pad=0.0",
        facecolor=color,
        edgecolor="black",
        linewidth=1.0,
        alpha=0.9,
    )
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return patch


def draw_boxes(
    ax,
    boxes,
    *,
    width: float,
    height: float,
    fontsize: float = 9,
    widths: dict[str, float] | None = None,
    heights: dict[str, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """A diagram's boxes, ``(key, label, centre, colour)`` each, drawn in order with :func:`box`: all
    ``width`` x ``height`` but for the keys that ``widths`` or ``heights`` give their own. Returns
    ``{key: centre}``, for the arrows between them."""
    widths, heights = widths or {}, heights or {}
    centre = {}
    for key, label, c, colour in boxes:
        w, h = widths.get(key, width), heights.get(key, height)
        box(ax, c, label, width=w, height=h, color=colour, fontsize=fontsize)
        centre[key] = c
    return centre


def arrow(
    ax,
    start: tuple[float, float],
    end: tuple[float, float],
    text: str = "",
    *,
    color: str = "black",
    style: str = "-|>",
    offset: tuple[float, float] = (0.0, 0.15),
    fontsize: float = 8,
    linestyle: str = "-",
    rad: float = 0.0,
):
    """An arrow from ``start`` to ``end`` with an optional label at its middle (shifted by
    ``offset``); ``rad`` bends it. Returns the patch."""
    patch = FancyArrowPatch(
        start,
        end,
        arrowstyle=style,
        mutation_scale=12,
        color=color,
        linestyle=linestyle,
        connectionstyle=f"arc3,rad={rad}",
        shrinkA=2,
        shrinkB=2,
    )
    ax.add_patch(patch)
    if text:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, text, ha="center", va="bottom", fontsize=fontsize, color=color)
    return patch


def describe_figure(fig) -> str:
    """A plain-language description of a matplotlib figure, for its alt text: the figure's own
    ``fig.alt_text`` when it has one, else what its titles, axis labels and legends say, e.g.
    ``"Figure: Learning curves. Panel 1: loss per epoch (x: epoch, y: loss; train, validation)."``"""
    own = getattr(fig, "alt_text", "")
    if own:
        return own
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    axes = [ax for ax in fig.axes if ax.get_visible() and (ax.axison or ax.get_title())]
    parts = [f"Figure: {suptitle}." if suptitle else f"Figure with {len(axes)} panel{'s' * (len(axes) != 1)}."]
    for i, ax in enumerate(axes[:12], start=1):
        legend = ax.get_legend()
        details = [
            f"x: {ax.get_xlabel()}" if ax.get_xlabel() else "",
            f"y: {ax.get_ylabel()}" if ax.get_ylabel() else "",
            ", ".join(t.get_text() for t in legend.get_texts()[:8]) if legend is not None else "",
        ]
        details = "; ".join(d for d in details if d)
        parts.append(f"Panel {i}: {ax.get_title() or 'untitled'}" + (f" ({details})" if details else "") + ".")
    if len(axes) > 12:
        parts.append(f"And {len(axes) - 12} more panels.")
    return " ".join(parts)


def figure_html(fig, alt: str | None = None, close: bool = True) -> str:
    """``fig`` as an HTML ``<img>`` (an embedded PNG) with alt text (``alt``, or
    :func:`describe_figure`); closed afterwards unless ``close=False``."""
    alt = alt or describe_figure(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    if close:
        plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    escaped = html.escape(alt, quote=True)
    return f'<img src="data:image/png;base64,{data}" alt="{escaped}" title="{escaped}">'


_ALT_TEXT_SHELLS: set[int] = set()


def enable_alt_text() -> bool:
    """In IPython, show every matplotlib figure as an ``<img>`` with its alt text
    (:func:`describe_figure`), through an HTML display formatter next to IPython's PNG one.
    Returns whether it was enabled (``False`` outside IPython). Called by
    :func:`course_utils.plots.use_course_style`.

    The inline back-end resets the formatters for figures when pyplot loads it (lazily, at the
    first figure), so pyplot is made to load it first (one figure, closed at once), and the
    formatter is registered again after every cell (a ``post_execute`` hook that runs before
    the back-end shows the cell's figures) in case anything resets it later.
    """
    from IPython import get_ipython
    from matplotlib.figure import Figure

    shell = get_ipython()
    if shell is None:
        return False
    plt.close(plt.figure())

    def register(*_):
        shell.display_formatter.formatters["text/html"].for_type(Figure, lambda f: figure_html(f, close=False))

    register()
    if id(shell) not in _ALT_TEXT_SHELLS:
        shell.events.register("post_execute", register)
        _ALT_TEXT_SHELLS.add(id(shell))
    return True


def show(fig, alt: str | None = None) -> None:
    """Display ``fig`` in the notebook with its alt text (see :func:`figure_html`).
    Returns ``None``, so a cell ending in ``show(fig)`` shows the picture once."""
    from IPython.display import HTML, display

    display(HTML(figure_html(fig, alt)))
