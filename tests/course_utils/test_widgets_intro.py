"""Render functions behind the explorers of notebooks 01 and 02."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import widgets as W
from course_utils.linear import add_bias, closed_form, make_pair_regression


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_learning_rate_regimes():
    x, y = make_pair_regression(50)
    w_star = closed_form(add_bias(x), y)
    small = W.render_learning_rate(0.3, steps=200)
    assert small.regime == "smooth" and np.linalg.norm(small.path[-1] - w_star) < 1e-3
    assert small.path.shape == (201, 2) and np.allclose(small.path[0], W.LR_START)
    assert "Decrease" not in small._suptitle.get_text()
    big = W.render_learning_rate(1.0, steps=30)
    assert big.regime == "diverging" and np.linalg.norm(big.path[-1] - w_star) > 100
    assert "Decrease your learning rate!" in big._suptitle.get_text()
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in big.axes)
    with pytest.raises(ValueError):
        W.render_learning_rate(0.3, steps=0)


def test_polynomial_fit_over_and_underfitting():
    under, good, over = (W.render_polynomial_fit(p) for p in (1, 3, 15))
    assert under.train_mse > good.train_mse > over.train_mse
    assert over.val_mse > 10 * good.val_mse
    ridge = W.render_polynomial_fit(15, log10_l2=-3)
    assert ridge.val_mse < over.val_mse / 10
    const = W.render_polynomial_fit(0)
    assert const.train_mse > under.train_mse
    with pytest.raises(ValueError):
        W.render_polynomial_fit(-1)


def test_playground_trains_and_draws():
    fig = W.render_playground("circles", hidden_units=4, activation="tanh", steps=300)
    assert fig.accuracy >= 0.95 and fig.seconds > 0
    assert all(ax.get_title() and ax.get_xlabel() for ax in fig.axes[:2])
    lin = W.render_playground("circles", hidden_units=4, activation="linear", steps=300)
    assert lin.accuracy < 0.75
    with pytest.raises(ValueError):
        W.render_playground("circles", hidden_units=0)
    with pytest.raises(ValueError):
        W.render_playground("nonsense")
