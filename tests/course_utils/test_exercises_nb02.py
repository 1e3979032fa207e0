"""The checks of notebook 02's exercises: stub, right answer, every typical mistake, and the quizzes."""

import numpy as np
import pytest

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED
from course_utils.exercises import nb02 as ex


def neuron(X, w, b):
    """The notebook's step neuron: X (N, d), w (d,), b -> (N,) in {0., 1.}."""
    return (np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b >= 0).astype(float)


def perceptron_epoch(X, y, w, b, lr=1.0):
    s = 2 * y - 1
    w, b, mistakes = w.astype(float).copy(), float(b), 0
    for x_i, s_i in zip(X, s):
        if s_i * (x_i @ w + b) <= 0:
            w, b, mistakes = w + lr * s_i * x_i, b + lr * s_i, mistakes + 1
    return w, b, mistakes


def xor_by_hand(X):
    h = np.c_[neuron(X, [1, 1], -0.5), neuron(X, [-1, -1], 1.5)]
    return h, neuron(h, [1, 1], -1.5)


def collapse(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2 + b2


def forward_221(X, W1, b1, W2, b2):
    h = np.tanh(X @ W1 + b1)
    return h, (1 / (1 + np.exp(-(h @ W2 + b2))))[:, 0]


def sigmoid_tanh_derivatives(x):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s), 1 - np.tanh(x) ** 2


CASES = {  # exercise id -> (check function, right answer, name the student defines)
    "02.1": (ex.check_perceptron_epoch, perceptron_epoch, "perceptron_epoch"),
    "02.2": (ex.check_xor_by_hand, xor_by_hand, "xor_by_hand"),
    "02.3": (ex.check_collapse, collapse, "collapse"),
    "02.4": (ex.check_forward_221, forward_221, "forward_221"),
    "02.5": (ex.check_sigmoid_tanh_derivatives, sigmoid_tanh_derivatives, "sigmoid_tanh_derivatives"),
}


def stub(*args, **kwargs):
    return None  # YOUR CODE HERE


@pytest.mark.parametrize("eid", CASES)
def test_stub_is_not_attempted(eid, capsys):
    check, _, _ = CASES[eid]
    check(stub)
    check(None)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith(f"[{eid}] {NOT_ATTEMPTED}") for line in out), out


@pytest.mark.parametrize("eid", CASES)
def test_right_answer_confirms(eid, capsys):
    check, right, _ = CASES[eid]
    check(right)
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {CORRECT}"), out


def test_every_exercise_has_two_typical_mistakes():
    assert set(ex.MISTAKES) == set(CASES)
    assert all(len(m) >= 2 for m in ex.MISTAKES.values())


@pytest.mark.parametrize("eid, k", [(e, k) for e, m in ex.MISTAKES.items() for k in range(len(m))])
def test_typical_mistake_gets_its_hint(eid, k, capsys):
    check, _, name = CASES[eid]
    code, hint = ex.MISTAKES[eid][k]
    namespace = {"np": np, "neuron": neuron}
    exec(code, namespace)
    check(namespace[name])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_a_hard_coded_xor_table_is_caught(capsys):
    table = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0}

    def lookup(X):
        rows = [tuple(int(v) for v in x) for x in X]
        h = np.array([[float(r != (0, 0)), float(r != (1, 1))] for r in rows])
        return h, np.array([float(table.get(r, 0)) for r in rows])

    ex.check_xor_by_hand(lookup)
    assert "within 0.2" in capsys.readouterr().out


def test_other_errors_get_a_generic_hint(capsys):
    ex.check_collapse(lambda W1, b1, W2, b2: (W1 @ W2 + 1.0, b1 @ W2 + b2))
    ex.check_perceptron_epoch(lambda X, y, w, b, lr=1.0: (w, b))
    ex.check_forward_221(lambda X, W1, b1, W2, b2: 1 / 0)
    out = capsys.readouterr().out.splitlines()
    assert "`A` is wrong" in out[0]
    assert "return the tuple (w, b, mistakes)" in out[1]
    assert "raised ZeroDivisionError" in out[2]
    assert all(line.startswith("[02.") and HINT in line for line in out)


def test_perceptron_variants_differ_on_the_check_cases():
    """Every typical mistake is distinguishable from the right rule on the data the check uses."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 3))
    y = np.r_[np.zeros(6, dtype=np.int64), np.ones(6, dtype=np.int64)][rng.permutation(12)]
    w0, b0 = rng.standard_normal(3), 0.7  # the check's first case
    for variant in ("all", "no_bias", "labels01", "sign", "batch", "no_lr"):
        right = np.r_[ex.perceptron_epoch_variant(X, y, w0, b0, 0.5)[:2]]
        wrong = np.r_[ex.perceptron_epoch_variant(X, y, w0, b0, 0.5, variant)[:2]]
        assert not np.allclose(right, wrong), variant
    zero = np.r_[ex.perceptron_epoch_variant(X, y, np.zeros(3), 0.0)[:2]]
    assert not np.allclose(zero, np.r_[ex.perceptron_epoch_variant(X, y, np.zeros(3), 0.0, 1.0, "strict")[:2]])


@pytest.mark.parametrize("qid", ex.QUIZZES)
def test_quiz_feedback(qid, capsys):
    q = ex.QUIZZES[qid]
    ex.quiz(qid, answer=q.answer)
    wrong = next(k for k in q.options if k != q.answer) if q.options else q.answer + 1
    ex.quiz(qid, answer=wrong)
    right, not_right = capsys.readouterr().out.splitlines()
    assert right.startswith(f"[{qid}] {CORRECT}") and not_right.startswith(f"[{qid}] {HINT}")
    if q.options:
        assert set(q.explanations) == set(q.options) and q.answer in q.options


def test_quiz_widget_hides_the_answer():
    widget = ex.quiz("02.q1")
    assert "75" not in widget.children[0].value


def test_relu_quiz_claim_three_units_enclose_a_patch():
    """02.q3's construction: 1 - sum relu(a_i . x) over three unit vectors 120 degrees apart is
    positive near the origin and negative far away in every direction."""
    angles = np.deg2rad([90, 210, 330])
    A = np.c_[np.cos(angles), np.sin(angles)]
    f = lambda P: 1 - np.maximum(P @ A.T, 0).sum(axis=1)
    directions = np.c_[np.cos(np.linspace(0, 2 * np.pi, 360)), np.sin(np.linspace(0, 2 * np.pi, 360))]
    assert f(np.zeros((1, 2)))[0] > 0 and np.all(f(3 * directions) < 0)
