"""The style transfer diagram of notebook 10."""

import matplotlib.pyplot as plt
from diagram_checks import assert_box_diagram

from course_utils.diagrams.style import STYLE_BOXES, style_transfer_loop


def test_style_transfer_loop_has_its_boxes_arrows_and_alt_text():
    fig = style_transfer_loop(title="custom")
    try:
        # 3 images in, features and Grams out, 2 into the total, the gradient (4 pieces)
        assert_box_diagram(fig, STYLE_BOXES, "custom", arrows=11)
        assert len(STYLE_BOXES) == 7
        assert "Gram matrices" in fig.alt_text and "pixels of x" in fig.alt_text and "never changes" in fig.alt_text
    finally:
        plt.close(fig)
