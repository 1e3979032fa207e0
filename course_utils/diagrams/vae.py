"""The variational autoencoder (notebook 07): encoder, the reparameterised sample, decoder, and the two loss terms."""

from __future__ import annotations

from . import PALETTE, arrow, canvas, draw_boxes

__all__ = ["vae_diagram", "VAE_BOXES"]

# The boxes of the diagram, in drawing order: (key, label, centre, colour).
VAE_BOXES = [
    ("x", "input $x$", (0.9, 2.4), PALETTE["sky"]),
    ("encoder", "encoder", (3.0, 2.4), PALETTE["green"]),
    ("mu", "mean $\\mu$", (5.2, 3.4), PALETTE["green"]),
    ("logvar", "log-variance\n$\\log \\sigma^2$", (5.2, 1.4), PALETTE["green"]),
    ("eps", "noise\n$\\varepsilon \\sim \\mathcal{N}(0, I)$", (7.6, 4.4), PALETTE["yellow"]),
    ("z", "code\n$z = \\mu + \\sigma \\odot \\varepsilon$", (7.6, 2.4), PALETTE["orange"]),
    ("decoder", "decoder", (9.9, 2.4), PALETTE["blue"]),
    ("xhat", "reconstruction $\\hat x$", (12.1, 2.4), PALETTE["sky"]),
]


def vae_diagram(title: str = "The variational autoencoder"):
    """x -> encoder -> mu and log sigma^2 -> z = mu + sigma * eps (eps from N(0, I), an input) -> decoder -> x_hat;
    the loss is the reconstruction error of x_hat against x plus beta times KL(N(mu, sigma^2) || N(0, I)).

    Returns the matplotlib Figure (``fig.alt_text`` describes it; show it with
    :func:`course_utils.diagrams.show`).
    """
    alt = (
        "Diagram of a variational autoencoder. The input x goes into the encoder, which outputs two vectors, the "
        "mean mu and the log-variance log sigma squared. Noise epsilon drawn from a standard normal is an extra "
        "input; the code z is mu plus sigma times epsilon, so z is a differentiable function of mu and sigma. The "
        "decoder maps z to the reconstruction x hat. The loss has two terms: the reconstruction error between x "
        "hat and x, and beta times the KL divergence between N(mu, sigma squared) and N(0, I), computed from mu "
        "and log sigma squared."
    )
    fig, ax = canvas(title, alt, size=(11.0, 4.6), xlim=(-0.2, 13.4), ylim=(-0.9, 5.2))
    centre = draw_boxes(ax, VAE_BOXES, width=1.6, height=0.9, widths=dict.fromkeys(("z", "xhat", "eps"), 2.0))
    (xx, xy), (ex, ey), (mx, my), (lx, ly) = centre["x"], centre["encoder"], centre["mu"], centre["logvar"]
    (nx, ny), (zx, zy), (dx, dy), (hx, hy) = centre["eps"], centre["z"], centre["decoder"], centre["xhat"]
    arrow(ax, (xx + 0.85, xy), (ex - 0.85, ey))
    arrow(ax, (ex + 0.85, ey + 0.2), (mx - 0.85, my))
    arrow(ax, (ex + 0.85, ey - 0.2), (lx - 0.85, ly))
    arrow(ax, (mx + 0.85, my), (zx - 1.05, zy + 0.25))
    arrow(ax, (lx + 0.85, ly), (zx - 1.05, zy - 0.25))
    arrow(ax, (nx, ny - 0.5), (zx, zy + 0.5))
    arrow(ax, (zx + 1.05, zy), (dx - 0.85, dy))
    arrow(ax, (dx + 0.85, dy), (hx - 1.05, hy))
    # the two loss terms
    arrow(
        ax,
        (hx, hy - 0.5),
        (xx, xy - 0.5),
        "reconstruction loss: how far $\\hat x$ is from $x$",
        color=PALETTE["vermillion"],
        linestyle="--",
        rad=-0.25,
        offset=(0.0, -1.45),
    )
    arrow(
        ax,
        (mx - 0.2, my + 0.5),
        (mx - 0.2, my + 1.4),
        "$\\beta\\,$KL$(\\mathcal{N}(\\mu, \\sigma^2)\\,\\|\\,\\mathcal{N}(0, I))$",
        color=PALETTE["purple"],
        linestyle="--",
        offset=(-1.3, 0.25),
    )
    return fig
