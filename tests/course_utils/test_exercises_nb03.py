"""Notebook 03's exercise checks: the stub, a right answer and every typical mistake."""

import math

import numpy as np
import pytest

from course_utils import layers
from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED
from course_utils.exercises import nb03 as ex


class Value:
    """The notebook's scalar autodiff engine, the part the checks use (+, *, backward)."""

    def __init__(self, data, parents=(), op="", label=""):
        self.data, self.grad = float(data), 0.0
        self.parents, self.op, self.label = parents, op, label
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for parent in v.parents:
                    visit(parent)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def value_tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def sigmoid_backward(dout, s):
    return dout * s * (1 - s)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(scores, y):
    n = len(y)
    p = layers.softmax(scores)
    loss = -np.log(p[np.arange(n), y]).mean()
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores / n


CASES = {  # exercise id: (check, right answer, name of the student's function, extra arguments)
    "03.1": (ex.check_value_tanh, value_tanh, "value_tanh", (Value,)),
    "03.2": (ex.check_sigmoid_backward, sigmoid_backward, "sigmoid_backward", ()),
    "03.3": (ex.check_affine_backward, affine_backward, "affine_backward", ()),
    "03.4": (ex.check_softmax, softmax, "softmax", ()),
    "03.5": (ex.check_softmax_cross_entropy, softmax_cross_entropy, "softmax_cross_entropy", ()),
}


def _output(capsys, check, fn, extra):
    assert check(fn, *extra) is None
    return capsys.readouterr().out


def test_every_exercise_has_a_case_and_mistakes():
    assert set(CASES) == set(ex.MISTAKES)
    assert all(len(m) >= 2 for m in ex.MISTAKES.values())


@pytest.mark.parametrize("eid", CASES)
def test_stub_is_not_attempted(capsys, eid):
    check, _, _, extra = CASES[eid]
    out = _output(capsys, check, lambda *args: None, extra)
    assert out.startswith(f"[{eid}] {NOT_ATTEMPTED}")
    assert NOT_ATTEMPTED in _output(capsys, check, None, extra)


@pytest.mark.parametrize("eid", CASES)
def test_right_answer_confirms(capsys, eid):
    check, right, _, extra = CASES[eid]
    assert _output(capsys, check, right, extra).startswith(f"[{eid}] {CORRECT}")


@pytest.mark.parametrize("eid, k", [(eid, k) for eid, ms in ex.MISTAKES.items() for k in range(len(ms))])
def test_typical_mistake_gets_its_hint(capsys, eid, k):
    check, _, name, extra = CASES[eid]
    code, hint = ex.MISTAKES[eid][k]
    namespace = {"np": np, "layers": layers, "math": math, "Value": Value}
    exec(code, namespace)
    out = _output(capsys, check, namespace[name], extra)
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_a_hard_coded_answer_does_not_pass(capsys):
    frozen = softmax(np.zeros((4, 3)))
    assert HINT in _output(capsys, ex.check_softmax, lambda z: frozen, ())


def test_other_mistakes_get_specific_hints(capsys):
    def no_keepdims(z):
        e = np.exp(z - z.max(axis=1))
        return e / e.sum(axis=1, keepdims=True)

    assert "keepdims=True" in _output(capsys, ex.check_softmax, no_keepdims, ())

    def db_as_row(dout, cache):
        x, w = cache
        return dout @ w.T, x.T @ dout, dout.sum(axis=1)

    assert "sum over the rows (axis=0)" in _output(capsys, ex.check_affine_backward, db_as_row, ())

    assert "2 times the expected" in _output(capsys, ex.check_sigmoid_backward, lambda d, s: d * s * (1 - s) * 2, ())

    def no_parent(self):
        return Value(math.tanh(self.data))

    assert "parents" in _output(capsys, ex.check_value_tanh, no_parent, (Value,))

    def wrong_rows(scores, y):
        p = layers.softmax(scores)
        d = p.copy()
        d[:, y] -= 1
        return -np.log(p[np.arange(len(y)), y]).mean(), d / len(y)

    assert "EVERY row" in _output(capsys, ex.check_softmax_cross_entropy, wrong_rows, ())

    def summed_loss(scores, y):
        loss, d = softmax_cross_entropy(scores, y)
        return loss * len(y), d

    assert "not the sum" in _output(capsys, ex.check_softmax_cross_entropy, summed_loss, ())


@pytest.mark.parametrize("qid", ex.QUIZZES)
def test_quizzes_confirm_the_right_answer_only(capsys, qid):
    q = ex.QUIZZES[qid]
    ex.quiz(qid, q.answer)
    assert CORRECT in capsys.readouterr().out
    wrong = next(k for k in q.options if k != q.answer) if q.options else 0.75
    ex.quiz(qid, wrong)
    assert HINT in capsys.readouterr().out
    assert all(k in q.explanations for k in q.options)


def test_quiz_answers_are_right():
    assert ex.QUIZZES["03.q1"].options["b"] == f"{(3 * 32 * 32 + 1) * 500:,}"
    p = softmax(np.zeros((4, 4)))
    assert ex.QUIZZES["03.q3"].answer == pytest.approx((p[0, 0] - 1) / 4)
