"""The diagrams of notebook 06: task shapes, an unrolled RNN and an LSTM cell."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE
from course_utils.diagrams import recurrent as rd


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def boxes(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]


def arrows(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def colours(fig):
    return {to_hex(p.get_facecolor()[:3]).upper() for p in boxes(fig)}


def test_task_shapes_has_every_shape():
    fig = rd.task_shapes()
    assert isinstance(fig, Figure) and "Four shapes" in fig.axes[0].get_title() and "Many to one" in fig.alt_text
    # boxes: one to one 3, one to many 1 + 3 + 3, many to one 3 + 3 + 1, many to many 9
    assert len(boxes(fig)) == 3 + 7 + 7 + 9
    assert all(any(name in t for t in texts(fig)) for name in rd.TASK_SHAPES)
    assert colours(fig) <= {v.upper() for v in PALETTE.values()}


def test_unrolled_rnn_symbolic():
    fig = rd.unrolled_rnn(steps=4)
    assert fig.axes[0].get_title() == "One recurrent cell, unrolled over time" and "4 time steps" in fig.alt_text
    # folded x, h, y and 4 steps of x, h, y
    assert len(boxes(fig)) == 3 + 4 * 3
    labels = texts(fig)
    assert {"$h_1$", "$x_4$", "$y_2$", "="} <= set(labels)
    # the shared weights are named on every unrolled arrow: 4 W_x, 4 W_y, 3 W_h between steps + the loop
    assert labels.count("$W_x$") == 4 and labels.count("$W_y$") == 4 and labels.count("$W_h$") == 3 + 1
    with pytest.raises(ValueError):
        rd.unrolled_rnn(steps=0)


def test_unrolled_rnn_with_values():
    fig = rd.unrolled_rnn([1, 3, 7], np.array([[1.0], [4.0], [11.0]]), outputs=[1, 4, 11], title="sum")
    labels = texts(fig)
    assert fig.axes[0].get_title() == "sum" and any("11.00" in t for t in labels)
    assert "11.00" in fig.alt_text and "inputs 1.00, 3.00, 7.00" in fig.alt_text
    no_output = rd.unrolled_rnn([0.5, 0.2], np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.1, 0.2, 0.3]]))
    assert len(boxes(no_output)) == 2 + 2 * 2 and any("..." in t for t in texts(no_output))
    with pytest.raises(ValueError):
        rd.unrolled_rnn([1, 2], np.zeros((3, 1)))
    with pytest.raises(ValueError):
        rd.unrolled_rnn([1, 2], np.zeros((2, 1)), outputs=[1])


def test_lstm_cell_shows_gates_operations_and_both_states():
    fig = rd.lstm_cell()
    assert isinstance(fig, Figure) and "LSTM" in fig.axes[0].get_title()
    assert "forget gate" in fig.alt_text and "diag(f_t)" in fig.alt_text
    labels = texts(fig)
    gates = [t for t in labels if t.split("=")[0].strip("$ ") in {"f_t", "i_t", "g_t", "o_t"} and "\n" in t]
    assert len(gates) == 4
    ops = [t for t in labels if t in {r"$\times$", "$+$", r"$\tanh$"}]
    assert sorted(ops) == sorted([r"$\times$"] * 3 + ["$+$", r"$\tanh$"])
    assert len(boxes(fig)) == 4 + 5  # four gates, five operations
    assert {"$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$x_t$", "$h_t$"} <= set(labels)
    # the cell-state line is drawn in its own colour: three arrows from c_(t-1) to c_t
    belt = [a for a in arrows(fig) if to_hex(a.get_edgecolor()).upper() == PALETTE["vermillion"].upper()]
    assert len(belt) == 3
    assert colours(fig) <= {v.upper() for v in PALETTE.values()}
    fig.canvas.draw()  # the mathtext renders
