"""The variational autoencoder's diagram of notebook 07."""

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE
from course_utils.diagrams.vae import VAE_BOXES, vae_diagram


def test_vae_diagram_is_a_titled_figure_with_alt_text():
    fig = vae_diagram()
    try:
        assert isinstance(fig, Figure)
        assert fig.axes[0].get_title() == "The variational autoencoder"
        for words in ("encoder", "log-variance", "epsilon", "decoder", "KL divergence", "reconstruction error"):
            assert words in fig.alt_text, words
    finally:
        plt.close(fig)


def test_vae_diagram_has_its_boxes_and_arrows():
    fig = vae_diagram(title="custom")
    try:
        ax = fig.axes[0]
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(boxes) == len(VAE_BOXES) == 8
        assert len(arrows) == 10  # x->enc, enc->mu, enc->logvar, mu->z, logvar->z, eps->z, z->dec, dec->x_hat, 2 losses
        texts = [t.get_text() for t in ax.texts]
        for _, label, _, _ in VAE_BOXES:
            assert label in texts
        assert any(t.startswith("reconstruction loss") for t in texts) and any("KL" in t for t in texts)
        assert ax.get_title() == "custom"
    finally:
        plt.close(fig)


def test_vae_diagram_uses_the_colour_blind_safe_palette():
    fig = vae_diagram()
    try:
        ax = fig.axes[0]
        colours = {
            matplotlib.colors.to_hex(p.get_facecolor()[:3]).upper() for p in ax.patches if isinstance(p, FancyBboxPatch)
        }
        assert colours <= {c.upper() for c in PALETTE.values()}
        loss_colours = {
            matplotlib.colors.to_hex(t.get_color()).upper()
            for t in ax.texts
            if "loss" in t.get_text() or "KL" in t.get_text()
        }
        assert loss_colours == {PALETTE["vermillion"].upper(), PALETTE["purple"].upper()}
    finally:
        plt.close(fig)
