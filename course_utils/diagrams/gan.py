"""The GAN's two-player loop (notebook 08): who feeds whom, and where each loss sends its gradients."""

from __future__ import annotations

from . import PALETTE, arrow, canvas, draw_boxes

__all__ = ["gan_loop", "GAN_BOXES"]

# The boxes of the diagram, in drawing order: (key, label, centre, colour).
GAN_BOXES = [
    ("noise", "noise\n$z \\sim \\mathcal{N}(0, I)$", (1.1, 1.3), PALETTE["yellow"]),
    ("G", "generator $G$", (3.5, 1.3), PALETTE["orange"]),
    ("fake", "fake sample\n$\\tilde x = G(z)$", (5.9, 1.3), PALETTE["orange"]),
    ("real", "real data\n$x \\sim p_{data}$", (5.9, 4.1), PALETTE["sky"]),
    ("D", "discriminator $D$", (8.4, 2.7), PALETTE["green"]),
    ("prob", "$D(\\cdot)$ = P(real)\nlabel 1 or 0", (11.0, 2.7), PALETTE["green"]),
]


def gan_loop(title: str = "One round of the GAN game"):
    """The two-player loop: noise z -> G -> fake x~; real x and x~ -> D -> probability of "real";
    D's loss updates D only (the fakes are detached), G's loss flows back through D into G.

    Returns the matplotlib Figure (``fig.alt_text`` describes it; show it with
    :func:`course_utils.diagrams.show`).
    """
    alt = (
        "Diagram of one round of a GAN. Noise z drawn from a standard normal goes into the generator G, "
        "which outputs a fake sample x tilde. Real data x and the fake sample both go into the "
        "discriminator D, which outputs the probability that its input is real. The discriminator loss, "
        "binary cross-entropy with label 1 for real and 0 for fake, updates D only, the fake being "
        "detached. The generator loss, minus log D of G of z, flows back through D into G and updates G."
    )
    fig, ax = canvas(title, alt, size=(10.0, 4.6), xlim=(0, 12.2), ylim=(-0.6, 5.0))
    centre = draw_boxes(ax, GAN_BOXES, width=1.9, height=0.95)
    half = 0.95 + 0.05  # half a box width plus the padding
    (nx, ny), (gx, gy), (fx, fy) = centre["noise"], centre["G"], centre["fake"]
    (rx, ry), (dx, dy), (px, py) = centre["real"], centre["D"], centre["prob"]
    # forward pass, black
    arrow(ax, (nx + half, ny), (gx - half, gy))
    arrow(ax, (gx + half, gy), (fx - half, fy))
    arrow(ax, (fx + half, fy + 0.2), (dx - half, dy - 0.3), "fake: label 0", offset=(0.8, -0.45))
    arrow(ax, (rx + half, ry - 0.2), (dx - half, dy + 0.3), "real: label 1", offset=(0.8, -0.05))
    arrow(ax, (dx + half, dy), (px - half, py))
    # D's loss: updates D only
    arrow(
        ax,
        (px, py + 0.55),
        (dx + 0.3, dy + 0.55),
        "D loss: $-\\log D(x) - \\log(1 - D(\\tilde x))$\nupdates D only ($\\tilde x$ detached)",
        color=PALETTE["blue"],
        linestyle="--",
        rad=0.6,
        offset=(0.0, 0.75),
    )
    # G's loss: back through D (D is not updated by it) into G
    arrow(ax, (px, py - 0.55), (dx + 0.3, dy - 0.55), color=PALETTE["vermillion"], linestyle="--", rad=-0.6)
    arrow(
        ax,
        (dx - 0.3, dy - 0.55),
        (gx, gy - 0.55),
        "G loss: $-\\log D(G(z))$, its gradient flows back through D into G (updates G only)",
        color=PALETTE["vermillion"],
        linestyle="--",
        rad=-0.45,
        offset=(0.6, -1.55),
    )
    return fig
