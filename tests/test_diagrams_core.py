"""The shared diagram primitives."""

import matplotlib.pyplot as plt
import pytest

from course_utils.diagrams import PALETTE, arrow, box, canvas, figure_html, show


def test_canvas_keeps_title_and_alt_text_and_hides_axes():
    fig, ax = canvas("A title", "A box and an arrow.")
    box(ax, (2, 2), "x")
    arrow(ax, (3, 2), (5, 2), "w")
    assert ax.get_title() == "A title" and fig.alt_text == "A box and an arrow."
    assert not ax.axison and len(ax.patches) == 2
    assert {t.get_text() for t in ax.texts} == {"x", "w"}
    plt.close(fig)


def test_canvas_refuses_missing_alt_text():
    with pytest.raises(ValueError, match="alt text"):
        canvas("t", "  ")


def test_figure_html_is_an_img_with_escaped_alt_text():
    fig, _ = canvas("t", 'x < y & "z"')
    html = figure_html(fig)
    assert html.startswith('<img src="data:image/png;base64,')
    assert 'alt="x &lt; y &amp; &quot;z&quot;"' in html
    assert not plt.fignum_exists(fig.number)


def test_show_displays_once_and_returns_nothing(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, _ = canvas("t", "a picture")
    assert show(fig) is None
    assert len(shown) == 1 and 'alt="a picture"' in shown[0].data


def test_palette_is_okabe_ito():
    assert PALETTE["blue"] == "#0072B2" and len(set(PALETTE.values())) == 8
