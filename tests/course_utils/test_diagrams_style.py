"""The style transfer diagram of notebook 10."""

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE
from course_utils.diagrams.style import STYLE_BOXES, style_transfer_loop


def test_style_transfer_loop_has_its_boxes_arrows_and_alt_text():
    fig = style_transfer_loop(title="custom")
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_title() == "custom"
        assert "Gram matrices" in fig.alt_text and "pixels of x" in fig.alt_text and "never changes" in fig.alt_text
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(boxes) == len(STYLE_BOXES) == 7
        assert len(arrows) == 11  # 3 images in, features and Grams out, 2 into the total, the gradient (4 pieces)
        texts = [t.get_text() for t in ax.texts]
        for _, label, _, _ in STYLE_BOXES:
            assert label in texts
        colours = {matplotlib.colors.to_hex(p.get_facecolor()[:3]).upper() for p in boxes}
        assert colours <= {c.upper() for c in PALETTE.values()}
    finally:
        plt.close(fig)
