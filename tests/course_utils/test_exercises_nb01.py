"""Notebook 01's exercises beyond their declarations (tested in test_exercises_declared.py):
hard-coded answers fail, and the claims the confirmations and self-checks make are true."""

import numpy as np

from course_utils import linear as lin
from course_utils.exercises import HINT
from course_utils.exercises import nb01 as ex


def test_a_hard_coded_answer_fails(capsys):
    ex.check_gd_step(lambda w, X, y, eta: np.zeros(3))
    assert HINT in capsys.readouterr().out


def test_huber_confirmation_shows_the_outlier_is_tamed(capsys):
    huber_grad = ex.check_huber_grad.function(ex.check_huber_grad.reference)
    ex.check_huber_grad(huber_grad)
    assert "Huber with your gradient" in capsys.readouterr().out
    # the claim behind the message: Huber's line stays at least 3x closer to the clean fit than MSE's
    x, y = lin.make_pair_regression(50, seed=0)
    X, y_out = lin.add_bias(x), y.copy()
    y_out[0] += 30.0
    clean, mse_fit = lin.closed_form(X, y), lin.closed_form(X, y_out)
    hub = lin.gradient_descent(lambda w: huber_grad(w, X, y_out), np.zeros(2), 0.5, 3000, step_tol=1e-10).w
    assert np.linalg.norm(huber_grad(hub, X, y_out)) < 1e-6, "the Huber fit has not converged"
    assert np.linalg.norm(hub - clean) < np.linalg.norm(mse_fit - clean) / 3


def test_the_self_checks_claims():
    # 01.q2: Adam's first step moves every weight by lr, whatever g's scale
    g = np.array([1e-6, -3.0, 250.0])
    w1, _, _ = ex.check_adam_step.function(ex.check_adam_step.reference)(
        np.zeros(3), g, np.zeros(3), np.zeros(3), 1, lr=0.01, eps=0.0
    )
    np.testing.assert_allclose(w1, -0.01 * np.sign(g))
    assert ex.QUIZZES["01.q2"].answer == "b"
    # 01.q1: eigenvalues 0.5 and 4 converge just below eta = 0.5, diverge just above
    H = np.diag([0.5, 4.0])
    for eta, converges in [(0.49, True), (0.51, False)]:
        w = np.ones(2)
        for _ in range(500):
            w = w - eta * H @ w
        assert (np.linalg.norm(w) < 1e-3) == converges
    assert ex.QUIZZES["01.q1"].answer == 0.5
