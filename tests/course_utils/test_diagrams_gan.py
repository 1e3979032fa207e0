"""The GAN's two-player loop diagram of notebook 07."""

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE
from course_utils.diagrams.gan import GAN_BOXES, gan_loop


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_gan_loop_is_a_titled_figure_with_alt_text():
    fig = gan_loop()
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_title() == "One round of the GAN game"
        assert "generator G" in fig.alt_text and "discriminator D" in fig.alt_text
        assert "back through D into G" in fig.alt_text
    finally:
        plt.close(fig)


def test_gan_loop_has_the_six_boxes_and_eight_arrows():
    fig = gan_loop(title="custom")
    try:
        ax = fig.axes[0]
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(boxes) == len(GAN_BOXES) == 6
        assert len(arrows) == 8  # z->G, G->x~, x~->D, x->D, D->prob, the D loss, the G loss (two segments)
        texts = _texts(ax)
        for _, label, _, _ in GAN_BOXES:
            assert label in texts
        assert any(t.startswith("D loss") for t in texts) and any(t.startswith("G loss") for t in texts)
        assert "real: label 1" in texts and "fake: label 0" in texts
        assert ax.get_title() == "custom"
    finally:
        plt.close(fig)


def test_gan_loop_uses_the_colour_blind_safe_palette():
    fig = gan_loop()
    try:
        ax = fig.axes[0]
        colours = {
            matplotlib.colors.to_hex(p.get_facecolor()[:3]).upper() for p in ax.patches if isinstance(p, FancyBboxPatch)
        }
        assert colours <= {c.upper() for c in PALETTE.values()}
        loss_colours = {matplotlib.colors.to_hex(t.get_color()).upper() for t in ax.texts if "loss" in t.get_text()}
        assert loss_colours == {PALETTE["blue"].upper(), PALETTE["vermillion"].upper()}
    finally:
        plt.close(fig)
