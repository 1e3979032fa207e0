"""The neuron and MLP diagrams of notebook 02: a Figure with a title, alt text, and the expected parts."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE, networks


def parts(fig):
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    texts = [t.get_text() for t in ax.texts]
    return ax, boxes, arrows, texts


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("d", [2, 3, 5])
def test_neuron_diagram(d):
    fig = networks.neuron_diagram(d)
    ax, boxes, arrows, texts = parts(fig)
    assert isinstance(fig, Figure) and "neuron" in ax.get_title()
    assert "weight" in fig.alt_text and "bias" in fig.alt_text and "activation" in fig.alt_text
    assert len(boxes) == d + 4 and len(arrows) == d + 3  # inputs, bias, sum, f, output
    assert "$x_{1}$" in texts and "$w_{1}$" in texts
    assert ("$x_d$" in texts and "$w_d$" in texts) if d >= 3 else "$x_{2}$" in texts
    assert any("activation" in t for t in texts) and any("bias" in t for t in texts)
    assert {p.get_facecolor()[:3] for p in boxes} <= {matplotlib.colors.to_rgb(c) for c in PALETTE.values()}


def test_mlp_diagram_is_the_221_xor_network_by_default():
    fig = networks.mlp_diagram()
    ax, boxes, arrows, texts = parts(fig)
    assert "2-2-1" in ax.get_title() and "2-2-1" in fig.alt_text and "tanh" in fig.alt_text
    assert len(boxes) == 5 and len(arrows) == 2 * 2 + 2 * 1
    weights = [t for t in texts if t.startswith("$w^")]
    biases = [t for t in texts if t.startswith("$+\\,b^")]
    assert len(weights) == 6 and len(set(weights)) == 6 and "$w^{(1)}_{21}$" in weights
    assert len(biases) == 3
    assert {"input layer", "hidden layer (tanh)", "output"} <= set(texts)


def test_mlp_diagram_labels_big_layers_by_their_matrix():
    fig = networks.mlp_diagram((3, 4, 2, 1), "relu")
    _, boxes, arrows, texts = parts(fig)
    assert len(boxes) == 10 and len(arrows) == 12 + 8 + 2
    assert "$W^{(1)}$: 3 x 4" in texts and "$W^{(2)}$: 4 x 2" in texts
    assert [t for t in texts if t.startswith("$w^")] == ["$w^{(3)}_{11}$", "$w^{(3)}_{21}$"]
    assert "hidden layer 2 (relu)" in texts


@pytest.mark.parametrize("bad", [(2,), (2, 5, 1), (1, 2, 3, 4, 5)])
def test_mlp_diagram_rejects_bad_sizes(bad):
    with pytest.raises(ValueError):
        networks.mlp_diagram(bad)


@pytest.mark.parametrize("bad", [1, 7, 2.5])
def test_neuron_diagram_rejects_bad_d(bad):
    with pytest.raises(ValueError):
        networks.neuron_diagram(bad)
