"""Notebook 03's exercises beyond their declarations (test_exercises_declared.py): the notebook's Value class, hints
that are no typical mistake, alternatives accepted, a hard-coded answer, the confirmations' and self-checks' claims."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import layers
from course_utils.exercises import CORRECT, HINT, source
from course_utils.exercises import nb03 as ex


def _output(capsys, check, *args):
    assert check(*args) is None
    return capsys.readouterr().out


class NotebookValue(ex.Value):
    """The notebook defines its own Value class (with more operations), and passes it to the check."""


def test_value_tanh_with_the_notebooks_value_class(capsys):
    namespace = {**ex.NOTEBOOK, "Value": NotebookValue}
    exec(source(ex.check_value_tanh.signature, ex.check_value_tanh.reference), namespace)
    seen = set()  # the classes of the x the check tries: the one passed
    value_tanh = lambda self: seen.add(type(self)) or namespace["value_tanh"](self)
    assert _output(capsys, ex.check_value_tanh, value_tanh, NotebookValue).startswith(f"[03.1] {CORRECT}")
    assert seen == {NotebookValue}
    out = _output(capsys, ex.check_value_tanh, lambda self: NotebookValue(math.tanh(self.data)), NotebookValue)
    assert out.startswith(f"[03.1] {HINT}") and "among its parents" in out
    assert "must return a new Value, got float" in _output(capsys, ex.check_value_tanh, lambda self: 0.5)


def test_other_mistakes_get_specific_hints(capsys):
    frozen = layers.softmax(np.zeros((4, 3)))  # a hard-coded answer
    assert HINT in _output(capsys, ex.check_softmax, lambda z: frozen)
    assert "2 times the expected" in _output(capsys, ex.check_sigmoid_backward, lambda d, s: d * s * (1 - s) * 2)
    sum_as_row = lambda z: np.exp(z) / np.exp(z).sum(axis=0, keepdims=True).T  # any broadcasting error
    assert "keepdims=True, (N, 1)" in _output(capsys, ex.check_softmax, sum_as_row)
    db_by_column = lambda dout, cache: (*layers.affine_backward(dout, cache)[:2], dout.mean(axis=1))
    assert "sum over the rows (axis=0)" in _output(capsys, ex.check_affine_backward, db_by_column)
    grad_only = lambda scores, y: layers.softmax_cross_entropy(scores, y)[1]
    assert "return a tuple (loss, dscores)" in _output(capsys, ex.check_softmax_cross_entropy, grad_only)


def test_alternatives_are_accepted(capsys):
    as_list = lambda dout, cache: list(layers.affine_backward(dout, cache))
    assert _output(capsys, ex.check_affine_backward, as_list).startswith(f"[03.3] {CORRECT}")
    assert _output(capsys, ex.check_softmax_cross_entropy, layers.softmax_cross_entropy).startswith(f"[03.5] {CORRECT}")


def test_the_claims():
    s = layers.sigmoid(np.linspace(-10, 10, 2001))  # 03.2: s (1 - s) <= 1/4
    assert (s * (1 - s)).max() == pytest.approx(0.25)
    for case in ex.check_softmax_cross_entropy.cases():  # 03.5: the reference is torch's loss and autograd gradient
        scores, y = case.args
        loss, dscores = case.call(ex.check_softmax_cross_entropy.function(ex.check_softmax_cross_entropy.reference))
        t = torch.tensor(scores, requires_grad=True)
        (loss_t := F.cross_entropy(t, torch.tensor(y))).backward()
        assert loss == pytest.approx(loss_t.item()) and np.allclose(dscores, t.grad.numpy(), rtol=0, atol=1e-15)
    assert ex.QUIZZES["03.q1"].options["b"] == f"{(3 * 32 * 32 + 1) * 500:,}"
    assert ex.QUIZZES["03.q3"].answer == pytest.approx((layers.softmax(np.zeros((4, 4)))[0, 0] - 1) / 4)
