"""The sliding-kernel diagram of notebook 04 (course_utils.diagrams.conv)."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from course_utils.conv import conv_output_size
from course_utils.diagrams import PALETTE, figure_html
from course_utils.diagrams.conv import sliding_kernel


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _parts(fig):
    ax = fig.axes[0]
    cells = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    windows = [p for p in ax.patches if isinstance(p, Rectangle) and not isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    return ax, cells, windows, arrows, [t.get_text() for t in ax.texts]


def test_default_diagram_has_title_alt_text_grids_windows_and_labels():
    fig = sliding_kernel()
    assert isinstance(fig, Figure)
    ax, cells, windows, arrows, texts = _parts(fig)
    assert "3x3 kernel" in ax.get_title() and "stride 2" in ax.get_title()
    assert "5 by 5 input" in fig.alt_text and "3 by 3 output" in fig.alt_text and "= 3." in fig.alt_text
    assert fig.out_size == conv_output_size(5, 3, 2, 1) == 3
    assert fig.windows == [(0, 0), (0, 2), (4, 4)]
    assert len(cells) == 7 * 7 + 3 * 3  # padded input and output grids
    assert sum(c.get_facecolor()[:3] == matplotlib.colors.to_rgb("#D9D9D9") for c in cells) == 7 * 7 - 5 * 5
    assert texts.count("0") == 7 * 7 - 5 * 5  # every padding cell says 0
    assert len(windows) == 3
    assert {matplotlib.colors.to_hex(w.get_edgecolor()) for w in windows} == {
        PALETTE["blue"].lower(),
        PALETTE["vermillion"].lower(),
        PALETTE["green"].lower(),
    }
    assert len(arrows) == 3 + 2 + 1 + 1  # window -> output, n and p, k, s
    for label in ("n = 5", "p = 1", "k = 3", "s = 2", "output 3x3", "padded input 7x7"):
        assert label in texts, label
    assert any("= 3" in t and "⌊" in t for t in texts)


@pytest.mark.parametrize(
    "n,k,p,s,positions",
    [(6, 3, 0, 1, ((0, 0), (3, 3))), (4, 2, 2, 3, ((1, 1),)), (7, 5, 2, 2, ((0, 0), (1, 2), (3, 3), (2, 0)))],
)
def test_other_sizes(n, k, p, s, positions):
    fig = sliding_kernel(n, k, p, s, positions)
    out = conv_output_size(n, k, s, p)
    _, cells, windows, _, texts = _parts(fig)
    assert fig.out_size == out and len(cells) == (n + 2 * p) ** 2 + out**2
    assert len(windows) == len(positions) and fig.windows == [(r * s, c * s) for r, c in positions]
    assert texts.count("0") == (n + 2 * p) ** 2 - n**2
    assert (f"p = {p}" in texts) == (p > 0)
    assert all(str(i + 1) in texts for i in range(len(positions)))


def test_invalid_arguments():
    with pytest.raises(ValueError, match="outside"):
        sliding_kernel(positions=((0, 3),))
    with pytest.raises(ValueError, match="positions"):
        sliding_kernel(positions=())
    with pytest.raises(ValueError):
        sliding_kernel(n=2, k=5, padding=0)


def test_show_renders_it_with_its_alt_text():
    fig = sliding_kernel()
    html = figure_html(fig)
    assert html.startswith('<img src="data:image/png;base64,') and "zero padding" in html
