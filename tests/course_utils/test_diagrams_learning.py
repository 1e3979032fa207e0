import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE
from course_utils.diagrams.learning import LOOP_BOXES, learning_loop


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_learning_loop_has_title_alt_text_and_every_stage():
    fig = learning_loop()
    ax = fig.axes[0]
    assert ax.get_title() == "The supervised learning loop"
    assert "model f(x, theta)" in fig.alt_text and "update" in fig.alt_text and "target y" in fig.alt_text
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == len(LOOP_BOXES) == 7 and set(fig.boxes) == {key for key, _ in LOOP_BOXES}
    assert len(arrows) == 7  # x->f, f->y_hat, y_hat->L, y->L, L->grad, grad->update, update->f
    texts = [t.get_text() for t in ax.texts]
    for _, label in LOOP_BOXES:
        assert label in texts
    assert any("stopping rule" in t for t in texts)
    # colours from the colour-blind-safe palette only
    safe = {matplotlib.colors.to_rgb(c) for c in PALETTE.values()}
    assert all(matplotlib.colors.to_rgb(p.get_facecolor()) in safe for p in boxes)


def test_learning_loop_shows_with_alt_text():
    from course_utils.diagrams import figure_html

    html = figure_html(learning_loop())
    assert 'alt="The supervised learning loop.' in html and html.startswith("<img")
