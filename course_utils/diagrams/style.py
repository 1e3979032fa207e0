"""Style transfer's loss (notebook 10): three images through one frozen CNN, two targets, gradients to the pixels."""

from __future__ import annotations

from . import PALETTE, arrow, canvas, draw_boxes

__all__ = ["style_transfer_loop", "STYLE_BOXES"]

# The boxes of the diagram, in drawing order: (key, label, centre, colour).
STYLE_BOXES = [
    ("content", "content image $c$", (1.2, 4.2), PALETTE["sky"]),
    ("image", "image $x$\n(its pixels change)", (1.2, 2.4), PALETTE["orange"]),
    ("style", "style image $s$", (1.2, 0.6), PALETTE["purple"]),
    ("cnn", "frozen CNN\n(random filters)\nlayers 0..3", (4.4, 2.4), PALETTE["green"]),
    ("closs", "content loss\n$\\mathrm{mean}[(F_l(x) - F_l(c))^2]$", (8.2, 4.2), PALETTE["sky"]),
    ("sloss", "style loss\n$\\sum_l w_l\\,\\mathrm{mean}[(G_l(x) - G_l(s))^2]$", (8.2, 0.6), PALETTE["purple"]),
    ("total", "total loss\n$+\\ \\lambda_{TV}\\,TV(x)$", (11.2, 2.4), PALETTE["yellow"]),
]


def style_transfer_loop(title: str = "Style transfer: optimise the pixels, not the network"):
    """The content, the style and the image x pass through the same frozen CNN; the image's feature maps are
    compared with the content's at one layer, its Gram matrices with the style's at several; the weighted sum
    plus total variation is differentiated with respect to the pixels of x, which the optimiser changes.

    Returns the matplotlib Figure (``fig.alt_text`` describes it; show it with
    :func:`course_utils.diagrams.show`).
    """
    alt = (
        "Diagram of neural style transfer. Three images, the content image c, the image x being optimised and "
        "the style image s, go through the same frozen CNN with random filters. The feature maps of x at one "
        "layer are compared with those of c: the content loss. The Gram matrices of x at several layers are "
        "compared with those of s: the style loss. Their weighted sum plus a total-variation term is the total "
        "loss, whose gradient flows back through the CNN to the pixels of x, which the optimiser updates; the "
        "network itself never changes."
    )
    fig, ax = canvas(title, alt, size=(10.5, 5.0), xlim=(-0.4, 12.6), ylim=(-1.5, 5.0))
    centre = draw_boxes(
        ax, STYLE_BOXES, width=2.0, height=1.0, fontsize=8.5, widths=dict.fromkeys(("closs", "sloss"), 2.6)
    )
    (cx, cy), (ix, iy), sy = centre["content"], centre["image"], centre["style"][1]
    (nx, ny), (kx, ky), (lx, ly), (tx, ty) = centre["cnn"], centre["closs"], centre["sloss"], centre["total"]
    for y in (cy, iy, sy):  # the three images into the one network
        arrow(ax, (cx + 1.05, y), (nx - 1.05, ny + 0.35 * (y - iy) / 1.8))
    arrow(ax, (nx + 1.05, ny + 0.3), (kx - 1.35, ky), "feature maps $F_l$", offset=(-0.9, 0.15))
    arrow(ax, (nx + 1.05, ny - 0.3), (lx - 1.35, ly), "Gram matrices $G_l$", offset=(-1.0, -0.55))
    arrow(ax, (kx + 1.35, ky), (tx - 0.6, ty + 0.55))
    arrow(ax, (lx + 1.35, ly), (tx - 0.6, ty - 0.55))
    # the gradient, below everything: down from the total loss, left, up into the image x
    red, low = PALETTE["vermillion"], -0.6
    arrow(ax, (tx, ty - 0.55), (tx, low), color=red, linestyle="--", style="-")
    arrow(
        ax,
        (tx, low),
        (ix - 1.1, low),
        "gradient of the loss w.r.t. the pixels of $x$: Adam updates $x$ only",
        color=red,
        linestyle="--",
        style="-",
        offset=(0.0, -0.45),
    )
    arrow(ax, (ix - 1.1, low), (ix - 1.1, iy - 0.2), color=red, linestyle="--")
    arrow(ax, (ix - 1.1, iy - 0.2), (ix - 1.0, iy - 0.2), color=red)
    return fig
