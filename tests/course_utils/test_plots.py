import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import plots
from course_utils.training import History


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labelled(ax):
    return bool(ax.get_title()) and bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def test_plot_curves_labels_and_legend():
    fig = plots.plot_curves(
        {"a": [3, 2, 1], "b": (np.arange(3), np.array([1.0, 2, 4]))}, title="t", xlabel="x", ylabel="y", logy=True
    )
    ax = fig.axes[0]
    assert labelled(ax) and ax.get_legend() is not None and len(ax.lines) == 2
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError):
        plots.plot_curves({}, title="t", xlabel="x", ylabel="y")
    with pytest.raises(ValueError):
        plots.plot_curves({"bad": ([1, 2], [1, 2, 3])}, title="t", xlabel="x", ylabel="y")


def test_plot_history_from_history_and_dict():
    h = History(
        metric_name="accuracy",
        train_loss=[1.0, 0.5],
        val_loss=[1.1, 0.7],
        train_metric=[0.5, 0.8],
        val_metric=[0.4, 0.7],
    )
    fig = plots.plot_history(h)
    assert len(fig.axes) == 2 and all(labelled(ax) and ax.get_legend() for ax in fig.axes)
    fig = plots.plot_history({"train_loss": [1.0, 0.5]})
    assert len(fig.axes) == 1
    with pytest.raises(ValueError):
        plots.plot_history({"train_loss": []})


def test_plot_decision_boundary_draws_prediction():
    X = np.array([[0.0, 0], [1, 1], [0, 1], [1, 0]])
    y = np.array([0, 1, 0, 1])
    calls = []

    def predict(P):
        calls.append(P.shape)
        return (P[:, 0] > 0.5).astype(int)

    fig = plots.plot_decision_boundary(predict, X, y, resolution=30)
    assert calls == [(900, 2)]
    ax = fig.axes[0]
    assert labelled(ax) and ax.get_legend() is not None
    with pytest.raises(ValueError):
        plots.plot_decision_boundary(predict, X[:, :1], y)


def test_plot_loss_surface_with_paths():
    fig = plots.plot_loss_surface(
        lambda a, b: a**2 + 3 * b**2,
        (-2, 2),
        (-2, 2),
        paths={"GD": np.array([[1.5, 1.5], [1.0, 0.5], [0.1, 0.0]])},
        minimum=(0, 0),
    )
    ax = fig.axes[0]
    assert labelled(ax) and ax.get_legend() is not None
    with pytest.raises(ValueError):
        plots.plot_loss_surface(lambda a, b: a + b, (-1, 1), (-1, 1), paths={"bad": np.zeros((3, 3))})


def test_show_images_kernels_feature_maps():
    fig = plots.show_images(np.random.rand(5, 1, 8, 8), labels=list("abcde"), ncols=3, title="digits")
    assert fig._suptitle.get_text() == "digits" and len(fig.axes) == 6
    fig = plots.show_images(torch.rand(2, 4, 4, 3))
    assert len(fig.axes) == 2
    fig = plots.show_kernels(torch.randn(6, 1, 5, 5))
    assert len(fig.axes) == 6
    fig = plots.show_feature_maps(np.random.rand(3, 6, 6))
    assert len(fig.axes) == 3
    with pytest.raises(ValueError):
        plots.show_images(np.zeros((3, 3)))
    with pytest.raises(ValueError):
        plots.show_images(np.zeros((2, 3, 3)), labels=["a"])
    with pytest.raises(ValueError):
        plots.show_kernels(np.zeros((3, 3)))
    with pytest.raises(ValueError):
        plots.show_feature_maps(np.zeros((3, 3)))


def test_functions_with_derivatives():
    fig = plots.plot_functions_with_derivatives(
        {"sq": (np.square, lambda x: 2 * x), "id": (lambda x: x, np.ones_like)}, np.linspace(-1, 1, 11)
    )
    assert all(labelled(ax) and ax.get_legend() for ax in fig.axes[:2])
    with pytest.raises(ValueError):
        plots.plot_functions_with_derivatives({}, np.zeros(3))


def test_confusion_matrix_counts():
    fig = plots.plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], n_classes=3)
    np.testing.assert_array_equal(fig.confusion, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    assert labelled(fig.axes[0])
    with pytest.raises(ValueError):
        plots.plot_confusion_matrix([0, 1], [0])


def test_colours_are_colour_blind_safe():
    """Lines cycle through Okabe & Ito's palette; classes use Paul Tol's muted scheme."""
    import matplotlib as mpl

    from course_utils import plots
    from course_utils.diagrams import PALETTE

    plots.use_course_style()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle[:3] == [PALETTE["blue"], PALETTE["orange"], PALETTE["green"]]
    assert len(set(plots.CLASS_COLORS)) == 10 and "#332288" in plots.CLASS_COLORS


def test_importing_course_utils_changes_no_matplotlib_settings():
    """The style is applied by use_course_style() only, never as a side effect of an import."""
    import subprocess
    import sys

    code = (
        "import matplotlib as mpl; mpl.use('Agg'); before = dict(mpl.rcParams)\n"
        "import course_utils.plots, course_utils.layers, course_utils.linear, course_utils.conv\n"
        "import course_utils.datasets, course_utils.grading, course_utils.exercises\n"
        "changed = sorted(k for k, v in mpl.rcParams.items() if before[k] != v)\n"
        "assert not changed, changed\n"
        "course_utils.plots.use_course_style()\n"
        "assert mpl.rcParams['axes.grid'] and mpl.rcParams['image.cmap'] == 'gray'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
TOL_MUTED = {"#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"}
NEUTRAL = {
    "#777777",
    "#D9D9D9",
    "#DDDDDD",
    "BLACK",
    "WHITE",
    "K",
    "W",
    "GRAY",
    "GREY",
    "LIGHTGRAY",
    "LIGHTGREY",
    "NONE",
}


def test_every_colour_the_course_draws_with_is_colour_blind_safe():
    """Okabe & Ito's palette and Paul Tol's muted scheme are designed to stay distinct under the common
    colour-vision deficiencies; greys carry no meaning by hue. Any other colour written in the course's
    code (the package, the notebooks, the grader's report) is named here."""
    import re
    from pathlib import Path

    from matplotlib.colors import is_color_like

    from course_utils.diagrams import PALETTE
    from course_utils.plots import CLASS_COLORS

    assert set(PALETTE.values()) == OKABE_ITO
    assert set(CLASS_COLORS) <= TOL_MUTED | NEUTRAL and len(set(CLASS_COLORS)) == len(CLASS_COLORS)
    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("course_utils/**/*.py"), *root.glob("notebooks/*.ipynb"), root / "grader" / "practice.py"]
    literal = re.compile(
        r"""(?:colou?rs?|c|facecolor|edgecolor)\s*=\s*\\?["']([#\w]+)\\?["']|["'](#[0-9A-Fa-f]{6})["']"""
    )
    unsafe = {
        (f.relative_to(root).as_posix(), value)
        for f in files
        for m in literal.finditer(f.read_text(encoding="utf-8"))
        if (value := (m.group(1) or m.group(2)))
        and is_color_like(value)  # not a column or label that happens to be passed as c=
        and value.upper() not in OKABE_ITO | TOL_MUTED | NEUTRAL
        and not re.fullmatch(r"C\d", value)  # the course style's cycle, which is Okabe-Ito
    }
    assert not unsafe, f"colours outside the colour-blind-safe palettes: {sorted(unsafe)}"


def test_mosaic_places_each_tile_with_blank_gaps():
    images = torch.arange(5 * 2 * 3, dtype=torch.float32).reshape(5, 2, 3)  # five 2x3 tiles
    out = plots.mosaic(images, ncols=2)
    assert out.shape == (3 * 3 - 1, 2 * 4 - 1)  # 3 rows of tiles, 2 columns, 1-pixel gaps
    np.testing.assert_array_equal(out[0:2, 0:3], images[0].numpy())
    np.testing.assert_array_equal(out[0:2, 4:7], images[1].numpy())
    np.testing.assert_array_equal(out[6:8, 0:3], images[4].numpy())
    assert np.isnan(out[2]).all() and np.isnan(out[:, 3]).all() and np.isnan(out[6:8, 4:7]).all()
    with pytest.raises(ValueError, match=r"\(N, h, w\)"):
        plots.mosaic(np.zeros((4, 4)), ncols=2)


def test_tensors_that_numpy_cannot_read_directly_are_plotted():
    """Tensors attached to autograd (and, on a GPU, tensors on the device) need .detach().cpu() before numpy:
    every plot takes them as they come, data and a classifier's predictions alike."""

    def attached(a):
        return torch.as_tensor(np.asarray(a, dtype=float)).requires_grad_()

    with pytest.raises(RuntimeError):  # what np.asarray alone did
        np.asarray(attached([1.0, 2.0]))
    plots.plot_curves({"loss": attached([3.0, 2.0, 1.0])}, title="t", xlabel="x", ylabel="y")
    plots.plot_curves({"loss": (attached([0, 1, 2]), attached([3.0, 2.0, 1.0]))}, title="t", xlabel="x", ylabel="y")
    X, y = attached([[0.0, 0], [1, 1], [0, 1], [1, 0]]), torch.tensor([0, 1, 0, 1])
    plots.plot_decision_boundary(lambda P: attached(P[:, 0] > 0.5), X, y, resolution=10)
    plots.plot_loss_surface(
        lambda a, b: attached(a**2 + b**2), (-1, 1), (-1, 1), paths={"GD": attached([[1, 1], [0, 0]])}
    )
    plots.plot_functions_with_derivatives({"sq": (np.square, lambda x: 2 * x)}, attached(np.linspace(-1, 1, 5)))
    fig = plots.plot_confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0]), n_classes=2)
    np.testing.assert_array_equal(fig.confusion, [[1, 0], [1, 1]])
    plt.close("all")
