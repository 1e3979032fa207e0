"""Render functions of the notebook-03/04 explorers (course_utils.widgets)."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils.conv import KERNEL_PRESETS, apply_kernel
from course_utils.widgets import explorer, gradient_norms_figure, image_kernel_figure, kernel_placement_figure


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_gradient_norms_figure_shows_vanishing_sigmoid_gradients():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 2)), rng.integers(0, 2, 64)
    fig = gradient_norms_figure(X, y, depth=8, activation="sigmoid")
    assert fig.norms.shape == (8,)
    assert fig.norms[-1] / fig.norms[0] > 100
    assert "last / first" in fig.axes[0].get_title()
    relu = gradient_norms_figure(X, y, depth=8, activation="relu", init="he")
    assert relu.norms[-1] / relu.norms[0] < 100
    with pytest.raises(ValueError):
        gradient_norms_figure(X, y, depth=1)


def test_image_kernel_figure_presets_and_custom():
    image = np.random.default_rng(1).random((20, 24))
    for preset, kernel in KERNEL_PRESETS.items():
        fig = image_kernel_figure(image, preset)
        np.testing.assert_array_equal(fig.kernel, kernel)
        np.testing.assert_allclose(fig.filtered, apply_kernel(image, kernel))
        plt.close(fig)
    fig = image_kernel_figure(image, "custom", "1 2 1; 0 0 0; -1 -2 -1")
    np.testing.assert_array_equal(fig.kernel, KERNEL_PRESETS["top sobel"])
    half_typed = image_kernel_figure(image, "custom", "1 2 1; 0 0")  # typing in progress: no exception
    np.testing.assert_allclose(half_typed.filtered, image)
    assert "same number" in half_typed._suptitle.get_text()
    with pytest.raises(ValueError):
        image_kernel_figure(image, "nonexistent")
    with pytest.raises(ValueError):
        image_kernel_figure(np.zeros((4, 4, 3)))


def test_image_kernel_explorer_follows_dropdown():
    image = np.random.default_rng(2).random((10, 10))
    box = explorer(
        lambda preset, custom: image_kernel_figure(image, preset, custom),
        preset=widgets.Dropdown(options=[*KERNEL_PRESETS, "custom"], value="blur"),
        custom=widgets.Text(value="0 0 0; 0 2 0; 0 0 0"),
    )
    np.testing.assert_array_equal(box.last_result.kernel, KERNEL_PRESETS["blur"])
    box.controls["preset"].value = "custom"
    np.testing.assert_allclose(box.last_result.filtered, 2 * image)


@pytest.mark.parametrize("n,k,s,p,d", [(7, 3, 1, 0, 1), (7, 3, 2, 1, 1), (9, 3, 1, 0, 2), (5, 5, 1, 2, 1)])
def test_kernel_placement_figure(n, k, s, p, d):
    fig = kernel_placement_figure(n, k, s, p, d, out_row=1, out_col=99)
    out = (n + 2 * p - d * (k - 1) - 1) // s + 1
    assert fig.out_size == out
    assert fig.taps.shape == (k * k, 2)
    col = min(99, out - 1)
    assert fig.taps[0].tolist() == [1 * s, col * s]
    assert fig.taps[-1].tolist() == [1 * s + d * (k - 1), col * s + d * (k - 1)]
    assert fig.taps.max() < n + 2 * p
    with pytest.raises(ValueError):
        kernel_placement_figure(n=3, k=5)


def test_show_matrices_handles_different_shapes():
    from course_utils.plots import show_matrices

    fig = show_matrices(
        [np.eye(5), np.ones((3, 3)), np.zeros((20, 20))], ["image", "kernel", "big"], title="shapes", symmetric=True
    )
    assert len(fig.axes) == 3
    assert fig.axes[0].get_title() == "image 5x5"
    assert len(fig.axes[0].texts) == 25 and len(fig.axes[2].texts) == 0  # only small arrays are annotated
    with pytest.raises(ValueError):
        show_matrices([np.zeros(3)])
    with pytest.raises(ValueError):
        show_matrices([np.zeros((2, 2))], ["a", "b"])
