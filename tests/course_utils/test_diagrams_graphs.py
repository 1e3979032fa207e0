"""The computation-graph diagram of notebook 03: its numbers are the loss's real gradients."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_utils.diagrams import PALETTE
from course_utils.diagrams.graphs import neuron_graph, neuron_values


def _loss(x1, x2, w1, w2, b, y=1.0):
    return 0.5 * (1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b))) - y) ** 2


def test_values_match_torch_autograd():
    x, w, b, y = (0.5, -1.0), (0.3, -0.2), 0.1, 1.0
    v = neuron_values(x, w, b, y)
    leaves = {
        k: torch.tensor(val, dtype=torch.float64, requires_grad=True)
        for k, val in zip(["x1", "x2", "w1", "w2", "b"], [*x, *w, b])
    }
    z = leaves["w1"] * leaves["x1"] + leaves["w2"] * leaves["x2"] + leaves["b"]
    a = torch.sigmoid(z)
    a.retain_grad()
    z.retain_grad()
    loss = 0.5 * (a - y) ** 2
    loss.backward()
    assert v["L"] == (pytest.approx(loss.item(), abs=1e-15), 1.0)
    assert v["a"][1] == pytest.approx(a.grad.item(), abs=1e-15)
    assert v["z"][1] == pytest.approx(z.grad.item(), abs=1e-15)
    for k, t in leaves.items():
        assert v[k] == (pytest.approx(t.item()), pytest.approx(t.grad.item(), abs=1e-15))


def test_leaf_gradients_match_central_differences():
    point = {"x1": 1.2, "x2": 0.4, "w1": -0.7, "w2": 0.9, "b": -0.3}
    v = neuron_values((point["x1"], point["x2"]), (point["w1"], point["w2"]), point["b"], y=0.0)
    h = 1e-6
    for k in point:
        up, down = dict(point), dict(point)
        up[k] += h
        down[k] -= h
        numeric = (_loss(**up, y=0.0) - _loss(**down, y=0.0)) / (2 * h)
        assert v[k][1] == pytest.approx(numeric, rel=1e-6, abs=1e-10)


def test_figure_has_title_alt_text_boxes_edges_and_labels():
    fig = neuron_graph()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert "Forward values" in ax.get_title() and "gradients" in ax.get_title()
    assert "sigmoid neuron" in fig.alt_text and "dL/dw1 = -0.0463" in fig.alt_text
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    edges = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == 10 and len(edges) == 10  # 5 leaves + 4 operations + loss; 9 edges + the output
    texts = [t for t in ax.texts]
    gradient_labels = [t for t in texts if t.get_color() == PALETTE["vermillion"]]
    assert len(gradient_labels) == 10
    assert {t.get_text() for t in gradient_labels} >= {"-0.0463", "0.0926", "-0.3894", "1.0000"}
    assert ax.get_legend() is not None and len(ax.get_legend().get_texts()) == 6
    assert fig.values == neuron_values()
    plt.close(fig)


def test_other_inputs_change_the_labels():
    fig = neuron_graph(x=(2.0, 0.0), w=(1.0, 1.0), b=0.0, y=0.0)
    labels = {t.get_text() for t in fig.axes[0].texts}
    a = 1 / (1 + np.exp(-2.0))
    assert f"{a:.3f}" in labels and "y = 0" in fig.alt_text
    plt.close(fig)
