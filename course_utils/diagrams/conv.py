"""A kernel sliding over a zero-padded image with a stride (notebook 04).

:func:`sliding_kernel` draws the padded input grid (padding cells shaded and marked 0), the
kernel's window at a few output positions (numbered, each in its own Okabe-Ito colour and
line style), the output grid with the same cells filled in, and the labels n, k, p, s with the
output-size formula worked out.
"""

from __future__ import annotations

from matplotlib.patches import Rectangle

from ..conv import conv_output_size
from . import PALETTE, arrow, box, canvas

__all__ = ["sliding_kernel"]

WINDOW_STYLES = [
    (PALETTE["blue"], "-"),
    (PALETTE["vermillion"], "--"),
    (PALETTE["green"], ":"),
    (PALETTE["purple"], "-."),
]
PAD_COLOR, IMAGE_COLOR = "#D9D9D9", "white"


def sliding_kernel(
    n: int = 5,
    k: int = 3,
    padding: int = 1,
    stride: int = 2,
    positions: tuple[tuple[int, int], ...] = ((0, 0), (0, 1), (2, 2)),
):
    """A k x k kernel sliding with ``stride`` over an n x n image zero-padded by ``padding``.

    Args:
        n: input height and width.  k: kernel size.  padding, stride: as in ``F.conv2d``.
        positions: up to 4 output pixels ``(row, col)`` whose kernel windows are drawn.

    Returns:
        A Figure with ``alt_text``, ``out_size`` (the output's height and width) and
        ``windows`` (the top-left corner ``(row, col)`` of each drawn window in the
        padded input, ``row * stride, col * stride``).

    Raises:
        ValueError: an impossible size (see :func:`course_utils.conv.conv_output_size`), no
            position or more than 4, or a position outside the output grid.
    """
    out = conv_output_size(n, k, stride, padding)
    positions = [tuple(int(v) for v in pos) for pos in positions]
    if not 1 <= len(positions) <= len(WINDOW_STYLES):
        raise ValueError(f"draw 1 to {len(WINDOW_STYLES)} kernel positions, got {len(positions)}")
    for r, c in positions:
        if not (0 <= r < out and 0 <= c < out):
            raise ValueError(f"output position {(r, c)} is outside the {out} x {out} output grid")
    size = n + 2 * padding
    gap = 4.0
    x0, top = 1.5, size + 2.2  # the input grid's left edge and top edge
    ox, otop = x0 + size + gap, top - (size - out) / 2  # the output grid, centred vertically
    windows = [(r * stride, c * stride) for r, c in positions]
    alt = (
        f"Left: a {n} by {n} input image surrounded by {padding} ring{'s' if padding != 1 else ''} of zero "
        f"padding (shaded cells marked 0), {size} by {size} in all. A {k} by {k} kernel window is outlined at "
        f"{len(positions)} position{'s' if len(positions) > 1 else ''}, numbered "
        + "; ".join(
            f"{i + 1} at padded rows {wr} to {wr + k - 1} and columns {wc} to {wc + k - 1}"
            for i, (wr, wc) in enumerate(windows)
        )
        + f"; consecutive windows start {stride} cell{'s' if stride != 1 else ''} apart (the stride). "
        f"Right: the {out} by {out} output "
        f"grid, where each numbered window's result fills the output cell of the same number and colour. "
        f"Labels: n = {n}, k = {k}, p = {padding}, s = {stride}, and the output size "
        f"floor(({n} + 2*{padding} - {k}) / {stride}) + 1 = {out}."
    )
    fig, ax = canvas(
        f"A {k}x{k} kernel sliding with stride {stride} over a {n}x{n} image padded by {padding}",
        alt,
        size=(0.5 * (ox + out + 1.5), 0.5 * (top + 1.6)),
        xlim=(0, ox + out + 1.5),
        ylim=(0, top + 1.6),
    )

    def centre(left, upper, row, col):
        return left + col + 0.5, upper - row - 0.5

    for i in range(size):
        for j in range(size):
            pad = not (padding <= i < padding + n and padding <= j < padding + n)
            box(
                ax,
                centre(x0, top, i, j),
                "0" if pad else "",
                width=1,
                height=1,
                round_=False,
                fontsize=7,
                color=PAD_COLOR if pad else IMAGE_COLOR,
            )
    filled = {pos: idx for idx, pos in enumerate(positions)}
    for i in range(out):
        for j in range(out):
            idx = filled.get((i, j))
            box(
                ax,
                centre(ox, otop, i, j),
                "" if idx is None else str(idx + 1),
                width=1,
                height=1,
                round_=False,
                fontsize=9,
                color=IMAGE_COLOR if idx is None else WINDOW_STYLES[idx][0],
            )
    for idx, ((wr, wc), (r, c)) in enumerate(zip(windows, positions)):
        color, style = WINDOW_STYLES[idx]
        inset = 0.07 * (idx + 1)
        ax.add_patch(
            Rectangle(
                (x0 + wc + inset, top - wr - k + inset),
                k - 2 * inset,
                k - 2 * inset,
                fill=False,
                edgecolor=color,
                linewidth=2.4,
                linestyle=style,
            )
        )
        ax.text(
            x0 + wc + inset + 0.12,
            top - wr - inset - 0.12,
            str(idx + 1),
            ha="left",
            va="top",
            fontsize=9,
            fontweight="bold",
            color=color,
        )
        arrow(
            ax,
            (x0 + wc + k - inset, top - wr - k / 2),
            centre(ox, otop, r, c),
            color=color,
            linestyle=style,
            rad=-0.25 if wr < size / 2 else 0.25,
        )
    # labels: n and p under the grid, k on its left, s above it, the output size under the output grid
    base = top - size - 0.45
    arrow(ax, (x0 + padding, base), (x0 + padding + n, base), f"n = {n}", style="<->", offset=(0, -0.75), fontsize=10)
    if padding:
        arrow(ax, (x0, base), (x0 + padding, base), f"p = {padding}", style="<->", offset=(0, -0.75), fontsize=10)
    wr, wc = windows[0]
    arrow(ax, (x0 - 0.45, top - wr), (x0 - 0.45, top - wr - k), style="<->")
    ax.text(x0 - 0.6, top - wr - k / 2, f"k = {k}", ha="right", va="center", fontsize=10)
    if out > 1:
        arrow(
            ax,
            (x0 + wc, top + 0.35),
            (x0 + wc + stride, top + 0.35),
            f"s = {stride}",
            style="-|>",
            offset=(0, 0.05),
            fontsize=10,
        )
    ax.text(ox + out / 2, otop + 0.35, f"output {out}x{out}", ha="center", va="bottom", fontsize=10)
    ax.text(x0 + size, top + 0.35, f"padded input {size}x{size}", ha="right", va="bottom", fontsize=10)
    ax.text(
        ox + out / 2,
        min(otop - out - 0.9, base),
        f"n_out = ⌊(n + 2p − k) / s⌋ + 1\n= ⌊({n} + {2 * padding} − {k}) / {stride}⌋ + 1 = {out}",
        ha="center",
        va="top",
        fontsize=9,
    )
    fig.out_size, fig.windows = out, windows
    return fig
