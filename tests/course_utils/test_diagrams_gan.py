"""The GAN's two-player loop diagram of notebook 07."""

import matplotlib
import matplotlib.pyplot as plt
from diagram_checks import assert_box_diagram

from course_utils.diagrams import PALETTE
from course_utils.diagrams.gan import GAN_BOXES, gan_loop


def test_gan_loop_is_a_titled_figure_with_alt_text():
    fig = gan_loop()
    try:
        assert_box_diagram(fig, GAN_BOXES, "One round of the GAN game", arrows=8)
        assert "generator G" in fig.alt_text and "discriminator D" in fig.alt_text
        assert "back through D into G" in fig.alt_text
    finally:
        plt.close(fig)


def test_gan_loop_has_the_six_boxes_and_eight_arrows():
    fig = gan_loop(title="custom")
    try:
        # z->G, G->x~, x~->D, x->D, D->prob, the D loss, the G loss (two segments)
        ax = assert_box_diagram(fig, GAN_BOXES, "custom", arrows=8)
        assert len(GAN_BOXES) == 6
        texts = [t.get_text() for t in ax.texts]
        assert any(t.startswith("D loss") for t in texts) and any(t.startswith("G loss") for t in texts)
        assert "real: label 1" in texts and "fake: label 0" in texts
    finally:
        plt.close(fig)


def test_gan_loop_colours_the_two_losses():
    fig = gan_loop()
    try:
        ax = fig.axes[0]
        loss_colours = {matplotlib.colors.to_hex(t.get_color()).upper() for t in ax.texts if "loss" in t.get_text()}
        assert loss_colours == {PALETTE["blue"].upper(), PALETTE["vermillion"].upper()}
    finally:
        plt.close(fig)
