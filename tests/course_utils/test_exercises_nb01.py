"""Notebook 01's exercise checks: the stub, a right answer and every typical mistake."""

import numpy as np
import pytest

from course_utils import linear as lin
from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED
from course_utils.exercises import nb01 as ex


def fit_least_squares(X, y):
    Xb = lin.add_bias(X)
    return np.linalg.solve(Xb.T @ Xb, Xb.T @ y)


def gd_step(w, X, y, eta):
    return w - eta * X.T @ (X @ w - y) / len(X)


def adam_step(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def log_loss_grad(w, X, y):
    return X.T @ (1 / (1 + np.exp(-(X @ w))) - y) / len(X)


def huber_grad(w, X, y, delta=1.0):
    return -X.T @ np.clip(y - X @ w, -delta, delta) / len(X)


CASES = {  # exercise id -> (check, right answer, name the student's cell defines)
    "01.1": (ex.check_normal_equations, fit_least_squares, "fit_least_squares"),
    "01.2": (ex.check_gd_step, gd_step, "gd_step"),
    "01.3": (ex.check_adam_step, adam_step, "adam_step"),
    "01.4": (ex.check_log_loss_grad, log_loss_grad, "log_loss_grad"),
    "01.5": (ex.check_huber_grad, huber_grad, "huber_grad"),
}


def stub(*args, **kwargs):
    return None  # YOUR CODE HERE


@pytest.mark.parametrize("eid", CASES)
def test_stub_right_answer_and_generic_error(eid, capsys):
    check, right, _ = CASES[eid]
    assert check.eid == eid
    check(stub)
    assert capsys.readouterr().out.startswith(f"[{eid}] {NOT_ATTEMPTED}")
    check(right)
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {CORRECT}"), out
    check(lambda *a, **k: 1 / 0)  # the student's code raises: a hint, never an exception
    assert "ZeroDivisionError" in capsys.readouterr().out


@pytest.mark.parametrize("eid, k", [(e, k) for e, ms in ex.MISTAKES.items() for k in range(len(ms))])
def test_typical_mistake_gets_its_hint(eid, k, capsys):
    check, _, name = CASES[eid]
    code, hint = ex.MISTAKES[eid][k]
    namespace = {"np": np, "lin": lin}
    exec(code, namespace)  # noqa: S102 - the mistake is our own code
    check(namespace[name])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_every_exercise_has_two_mistakes_and_hard_coded_answers_fail(capsys):
    assert set(ex.MISTAKES) == set(CASES) and all(len(m) >= 2 for m in ex.MISTAKES.values())
    ex.check_gd_step(lambda w, X, y, eta: np.zeros(3))
    assert HINT in capsys.readouterr().out


def test_huber_confirmation_shows_the_outlier_is_tamed(capsys):
    ex.check_huber_grad(huber_grad)
    assert "Huber with your gradient" in capsys.readouterr().out
    # the claim behind the message: Huber's line stays at least 3x closer to the clean fit than MSE's
    x, y = lin.make_pair_regression(50, seed=0)
    X, y_out = lin.add_bias(x), y.copy()
    y_out[0] += 30.0
    clean, mse_fit = lin.closed_form(X, y), lin.closed_form(X, y_out)
    hub = ex._huber_fit(lambda w: huber_grad(w, X, y_out), X, y_out)
    assert np.linalg.norm(huber_grad(hub, X, y_out)) < 1e-6, "the Huber fit has not converged"
    assert np.linalg.norm(hub - clean) < np.linalg.norm(mse_fit - clean) / 3


def test_quizzes(capsys):
    assert set(ex.QUIZZES) == {"01.q1", "01.q2"}
    ex.quiz("01.q1", answer=0.5)
    assert CORRECT in capsys.readouterr().out
    ex.quiz("01.q1", answer=1.0)
    assert HINT in capsys.readouterr().out
    for key in "abcd":
        ex.quiz("01.q2", answer=key)
        assert (CORRECT if key == "b" else HINT) in capsys.readouterr().out
    assert ex.quiz("01.q1") is not None  # the widget
    # the claim of 01.q2: Adam's first step moves every weight by lr, whatever g's scale
    g = np.array([1e-6, -3.0, 250.0])
    w1, _, _ = adam_step(np.zeros(3), g, np.zeros(3), np.zeros(3), 1, lr=0.01, eps=0.0)
    np.testing.assert_allclose(w1, -0.01 * np.sign(g))
    # the claim of 01.q1: eigenvalues 0.5 and 4 converge just below eta = 0.5, diverge just above
    H = np.diag([0.5, 4.0])
    for eta, converges in [(0.49, True), (0.51, False)]:
        w = np.ones(2)
        for _ in range(500):
            w = w - eta * H @ w
        assert (np.linalg.norm(w) < 1e-3) == converges
