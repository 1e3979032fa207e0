"""Notebook 02's exercises beyond their declarations (tested in test_exercises_declared.py): a
hard-coded answer fails, answers in another form are accepted, structural mistakes get a hint,
and the claims the self-checks make are true."""

import numpy as np
import torch
from torch import nn

from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb02 as ex


def test_a_hard_coded_xor_table_is_caught(capsys):
    table = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0}

    def lookup(X):
        rows = [tuple(int(v) for v in x) for x in X]
        h = np.array([[float(r != (0, 0)), float(r != (1, 1))] for r in rows])
        return h, np.array([float(table.get(r, 0)) for r in rows])

    ex.check_xor_by_hand(lookup)
    assert "within 0.2" in capsys.readouterr().out


def test_answers_in_another_form_are_accepted(capsys):
    epoch, xor, forward = (
        e.function(e.reference) for e in (ex.check_perceptron_epoch, ex.check_xor_by_hand, ex.check_forward_221)
    )
    ex.check_perceptron_epoch(lambda *args: (lambda w, b, n: (list(w), np.array([b]), float(n)))(*epoch(*args)))
    ex.check_xor_by_hand(lambda X: tuple(part.astype(bool) for part in xor(X)))  # booleans for 0/1
    ex.check_collapse(lambda W1, b1, W2, b2: (torch.tensor(W1 @ W2), list(b1 @ W2 + b2)))
    ex.check_forward_221(lambda *args: [torch.tensor(part) for part in forward(*args)])
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(CORRECT in line for line in out), out


def test_structural_and_other_errors_get_a_hint(capsys):
    xor = ex.check_xor_by_hand.function(ex.check_xor_by_hand.reference)
    ex.check_collapse(lambda W1, b1, W2, b2: (W1 @ W2 + 1.0, b1 @ W2 + b2))
    ex.check_perceptron_epoch(lambda X, y, w, b, lr=1.0: (w, b))
    ex.check_perceptron_epoch(lambda X, y, w, b, lr=1.0: (w[None], b, 0))
    ex.check_xor_by_hand(lambda X: (xor(X)[0].T, xor(X)[1]))
    ex.check_collapse(lambda W1, b1, W2, b2: (W1 @ W2, b1))
    out = capsys.readouterr().out.splitlines()
    assert "`A` is wrong" in out[0]
    assert "return the tuple (w, b, mistakes)" in out[1]
    assert "keep w a flat vector of d weights" in out[2]
    assert "side by side: h = np.c_[h_or, h_nand]" in out[3]
    assert "c is one bias per output" in out[4]
    assert len(out) == 5 and all(line.startswith("[02.") and HINT in line for line in out), out


def test_quiz_widget_hides_the_answer():
    widget = ex.quiz("02.q1")
    assert "75" not in widget.children[0].value


def test_the_self_checks_claims():
    # 02.q1: the best line classifies 3 of the 4 XOR points (the linear 2-2-1 network is one line)
    X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0])
    W, b = np.random.default_rng(0).standard_normal((2, 20000)), np.random.default_rng(1).standard_normal(20000)
    assert ((X @ W + b >= 0) == y[:, None]).mean(axis=0).max() == 0.75 and ex.QUIZZES["02.q1"].answer == "b"
    # 02.q2: a 2-3-1 network has 13 parameters
    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert sum(p.numel() for p in net.parameters()) == ex.QUIZZES["02.q2"].answer == 13
    # 02.q3: 1 - sum relu(a_i . x) over three unit vectors 120 degrees apart is positive near the
    # origin and negative far away in every direction
    angles = np.deg2rad([90, 210, 330])
    A = np.c_[np.cos(angles), np.sin(angles)]
    f = lambda P: 1 - np.maximum(P @ A.T, 0).sum(axis=1)
    directions = np.c_[np.cos(np.linspace(0, 2 * np.pi, 360)), np.sin(np.linspace(0, 2 * np.pi, 360))]
    assert f(np.zeros((1, 2)))[0] > 0 and np.all(f(3 * directions) < 0)
    assert ex.QUIZZES["02.q3"].answer == 3
