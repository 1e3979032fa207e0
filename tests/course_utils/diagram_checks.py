"""What the tests of every diagram drawn from a table of boxes (``course_utils.diagrams``) check."""

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE

SAFE = {c.upper() for c in PALETTE.values()}  # the colour-blind-safe palette


def patches(ax, kind) -> list:
    return [p for p in ax.patches if isinstance(p, kind)]


def assert_box_diagram(fig, table, title: str, arrows: int):
    """``fig`` is a Figure titled ``title`` with one box per row ``(key, label, centre, colour)`` of ``table``,
    each box's label shown, ``arrows`` arrows, and its boxes coloured from the palette; returns its axes."""
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == title
    boxes = patches(ax, FancyBboxPatch)
    assert len(boxes) == len(table)
    assert len(patches(ax, FancyArrowPatch)) == arrows
    texts = [t.get_text() for t in ax.texts]
    for _, label, _, _ in table:
        assert label in texts
    assert {matplotlib.colors.to_hex(p.get_facecolor()[:3]).upper() for p in boxes} <= SAFE
    return ax
