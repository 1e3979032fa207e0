import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from torch import nn

from course_utils import models
from course_utils.diagrams import lenet


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_stages_of_the_notebook_model_measured_by_a_forward_pass():
    parts = lenet.stages()
    assert [s.kind for s in parts] == ["input", "conv", "pool", "conv", "pool", "flatten", "fc", "fc"]
    assert [s.shape for s in parts] == [(1, 8, 8), (16, 8, 8), (16, 4, 4), (32, 4, 4), (32, 2, 2), (128,), (64,), (10,)]
    assert parts[1].label == "conv 3x3, pad 1 + BN + ReLU" and parts[1].params == 16 * 9 + 16 + 2 * 16
    assert sum(s.params for s in parts) == 13_802
    net = models.LeNet(channels=(6, 16), hidden=(120, 84))
    assert sum(s.params for s in lenet.stages(net)) == sum(p.numel() for p in net.parameters())


def test_stages_of_lenet5_1998_and_a_leading_activation():
    parts = lenet.stages(models.lenet5_1998(), (1, 32, 32))
    assert [s.shape for s in parts if s.kind == "conv"] == [(6, 28, 28), (16, 10, 10), (120, 1, 1)]
    assert parts[2].label == "avg-pool 2x2" and sum(s.params for s in parts) == 61_706
    odd = lenet.stages(nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Linear(4, 2)), (1, 2, 2))
    assert [s.label for s in odd] == ["input + ReLU", "flatten", "FC 4->2"]  # even a first activation is folded


def test_lenet_stack_draws_one_box_per_stage_with_shapes_title_alt_and_legend():
    fig = lenet.lenet_stack()
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == len(fig.stages) == 8 and len(arrows) == 7
    assert {"1x8x8", "16x8x8", "16x4x4", "32x4x4", "32x2x2", "128", "64", "10"} <= set(texts(fig))
    assert "13,802" in ax.get_title()
    assert "8 boxes" in fig.alt_text and "32x2x2" in fig.alt_text and "13,802" in fig.alt_text
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["input", "convolution", "pooling", "flatten", "fully connected"]
    colours = {matplotlib.colors.to_hex(b.get_facecolor()) for b in boxes}
    assert colours == {c.lower() for c in lenet.KIND_COLOURS.values()}


def test_lenet_stack_of_another_model_and_custom_title():
    fig = lenet.lenet_stack(models.lenet5_1998(), (1, 32, 32), title="LeNet-5 (1998)")
    assert fig.axes[0].get_title() == "LeNet-5 (1998)"
    assert len([p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]) == 9
    assert "6x28x28" in texts(fig) and "61,706" in fig.alt_text
