"""The shared diagram primitives."""

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_rgb

from course_utils.diagrams import PALETTE, arrow, box, canvas, describe_figure, draw_boxes, figure_html, show


def test_canvas_keeps_title_and_alt_text_and_hides_axes():
    fig, ax = canvas("A title", "A box and an arrow.")
    box(ax, (2, 2), "x")
    arrow(ax, (3, 2), (5, 2), "w")
    assert ax.get_title() == "A title" and fig.alt_text == "A box and an arrow."
    assert not ax.axison and len(ax.patches) == 2
    assert {t.get_text() for t in ax.texts} == {"x", "w"}
    plt.close(fig)


def test_draw_boxes_draws_a_table_in_order_with_sizes_by_key():
    fig, ax = canvas("t", "three boxes")
    table = [("a", "A", (1, 1), PALETTE["sky"]), ("b", "B", (4, 1), PALETTE["green"]), ("c", "C", (7, 2), "#FFFFFF")]
    centre = draw_boxes(ax, table, width=1.5, height=0.8, fontsize=11, widths={"b": 2.5}, heights={"c": 1.2})
    assert centre == {"a": (1, 1), "b": (4, 1), "c": (7, 2)}
    assert [(p.get_width(), p.get_height()) for p in ax.patches] == [(1.5, 0.8), (2.5, 0.8), (1.5, 1.2)]
    assert [p.get_facecolor()[:3] for p in ax.patches] == [to_rgb(c) for *_, c in table]
    assert [(t.get_text(), t.get_position(), t.get_fontsize()) for t in ax.texts] == [
        ("A", (1, 1), 11),
        ("B", (4, 1), 11),
        ("C", (7, 2), 11),
    ]
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


def test_describe_figure_from_titles_labels_and_legends():
    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], label="train")
    a.plot([1, 0], label="validation")
    a.set(title="Loss", xlabel="epoch", ylabel="loss")
    a.legend()
    b.set_title("Accuracy")
    fig.suptitle("Learning curves")
    assert describe_figure(fig) == (
        "Figure: Learning curves. Panel 1: Loss (x: epoch; y: loss; train, validation). Panel 2: Accuracy."
    )
    fig.alt_text = "Two learning curves."
    assert describe_figure(fig) == "Two learning curves." and 'alt="Two learning curves."' in figure_html(fig)


def test_alt_text_formatter_in_ipython():
    from IPython.core.interactiveshell import InteractiveShell

    from course_utils.diagrams import enable_alt_text

    shell = InteractiveShell.instance()
    try:
        assert enable_alt_text()
        fig, ax = plt.subplots()
        ax.set_title("A line")
        data, _ = shell.display_formatter.format(fig)
        assert 'alt="Figure with 1 panel. Panel 1: A line."' in data["text/html"]
        assert plt.fignum_exists(fig.number), "the formatter must leave the figure to its owner"
        plt.close(fig)
    finally:
        InteractiveShell.clear_instance()
