"""Notebook 03's exercises beyond their declarations (test_exercises_declared.py): the notebook's Value class, hints
that are no typical mistake, alternatives accepted, a hard-coded answer, the confirmations' and self-checks' claims."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import layers
from course_utils.exercises import CORRECT, HINT, edited, source
from course_utils.exercises import nb03 as ex
from course_utils.exercises.nb03 import gradcheck, network, pieces


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


# ----------------------------------------------------------------------------- 03.6 and 03.7


def _defined(body: str, signature: str = "def loss_and_grads(params, X, y):"):
    namespace = dict(ex.NOTEBOOK)
    exec(source(signature, body), namespace)  # noqa: S102 - the course's own test code
    return namespace[signature.split("def ", 1)[1].split("(", 1)[0]]


def test_whole_network_reference_is_autograd():
    for case in ex.check_loss_and_grads.cases():
        params, X, y = case.args
        loss, grads = ex.two_layer_loss_and_grads(params, X, y)
        auto_loss, auto_grads = ex.autograd_loss_and_grads(params, X, y)
        assert loss == pytest.approx(auto_loss, rel=1e-14)
        for k in network.PARAMS:
            assert grads[k].shape == params[k].shape and np.allclose(grads[k], auto_grads[k], rtol=1e-12, atol=1e-15)
    assert ex.check_loss_and_grads.solution is ex.two_layer_loss_and_grads  # what the notebook trains with


def test_whole_network_alternatives_are_accepted(capsys):
    post_relu_mask = _defined(network._net(relu="dz = dh * (h > 0)"))  # [h > 0] is the same mask as [z > 0]
    inline = _defined(network._net(loss=network._inline_loss()))  # the loss written out, not softmax_cross_entropy

    def as_tensors(params, X, y):  # torch autograd itself, returning tensors and a list
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        loss = F.cross_entropy(torch.relu(torch.tensor(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"], torch.tensor(y))
        loss.backward()
        return [loss, {k: v.grad for k, v in t.items()}]

    for fn in (ex.two_layer_loss_and_grads, post_relu_mask, inline, as_tensors):
        assert _output(capsys, ex.check_loss_and_grads, fn).startswith(f"[03.6] {CORRECT}")
        assert ex.accepted(ex.check_loss_and_grads, fn)
    assert not ex.accepted(ex.check_loss_and_grads, _defined("return None"))


def test_whole_network_other_mistakes_are_located(capsys):
    def steps(params, X, y):  # makes an SGD step inside: params must not change
        loss, grads = ex.two_layer_loss_and_grads(params, X, y)
        params["W1"] -= 0.1 * grads["W1"]
        return loss, grads

    assert "changed params['W1']" in _output(capsys, ex.check_loss_and_grads, steps)
    no_b = lambda p, X, y: (ex.two_layer_loss_and_grads(p, X, y)[0], {"W1": 0, "W2": 0})
    assert "grads has no 'b1', 'b2'" in _output(capsys, ex.check_loss_and_grads, no_b)
    grads_only = lambda p, X, y: ex.two_layer_loss_and_grads(p, X, y)[1]
    assert "return a tuple (loss, grads)" in _output(capsys, ex.check_loss_and_grads, grads_only)
    db2_twice = _defined(network._net(back2="dh, dW2, db2 = dscores @ W2.T, h.T @ dscores, 2 * dscores.sum(axis=0)"))
    out = _output(capsys, ex.check_loss_and_grads, db2_twice)
    assert "grads['b2'] wrong" in out and "grads['W1'], grads['b1'], grads['W2'] right" in out
    assert "second affine backward" in out and "2 times the expected" in out
    db1_half = _defined(network._net(relu="dz = dh * (z > 0)\ndz = dz.copy()\ndz[:, 0] *= 0.5"))
    out = _output(capsys, ex.check_loss_and_grads, db1_half)
    assert "the error is on the way back through the ReLU or the first affine layer" in out
    loss_twice = lambda p, X, y: (2 * ex.two_layer_loss_and_grads(p, X, y)[0], ex.two_layer_loss_and_grads(p, X, y)[1])
    assert "look at the forward pass" in _output(capsys, ex.check_loss_and_grads, loss_twice)


def test_whole_network_names_the_students_unaccepted_piece(capsys):
    stub = lambda *args: None
    uses_stub = _defined(network._net())  # composed of affine_backward: with the student's stub it raises
    uses_stub.__globals__["affine_backward"] = stub
    ex.check_loss_and_grads(uses_stub, stub, layers.softmax_cross_entropy)
    out = capsys.readouterr().out
    assert out.startswith(f"[03.6] {HINT}") and "your affine_backward (03.3) is not accepted" in out
    assert "softmax_cross_entropy (03.5)" not in out  # the right piece is not blamed
    ex.check_loss_and_grads(ex.two_layer_loss_and_grads, stub, stub)  # right answer: no note
    assert capsys.readouterr().out.startswith(f"[03.6] {CORRECT}")


def _gradient_check_cell(body_error: str | None = None):
    namespace = dict(ex.NOTEBOOK)
    cell = gradcheck.GRADIENT_CHECK if body_error is None else gradcheck._gc_cell(error=body_error)
    exec(cell, namespace)  # noqa: S102
    return namespace["gradient_check"]


def test_gradient_check_alternatives_are_accepted(capsys):
    def with_course_tools(loss_and_grads, params, X, y):  # the course's numerical_gradient, a fresh dict per call
        _, grads = loss_and_grads(params, X, y)
        out = {}
        for name, p in params.items():
            numeric = layers.numerical_gradient(lambda v, name=name: loss_and_grads({**params, name: v}, X, y)[0], p)
            out[name] = layers.relative_error(grads[name], numeric)
        return out

    cs231n = _gradient_check_cell(  # CS231n's elementwise maximum relative error
        "np.max(np.abs(g - numeric) / np.maximum(np.abs(g) + np.abs(numeric), 1e-12))"
    )
    for fn in (_gradient_check_cell(), with_course_tools, ex.reference_gradient_check, cs231n):
        assert _output(capsys, ex.check_gradient_check, fn).startswith(f"[03.7] {CORRECT}")
        assert ex.accepted(ex.check_gradient_check, fn)
    assert ex.check_gradient_check.solution is ex.reference_gradient_check


def test_gradient_check_other_mistakes(capsys):
    def no_calls(loss_and_grads, params, X, y):
        return dict.fromkeys(params, 0.0)

    assert "never called loss_and_grads" in _output(capsys, ex.check_gradient_check, no_calls)

    def one_number(loss_and_grads, params, X, y):
        return ex.reference_gradient_check(loss_and_grads, params, X, y)["W1"]

    assert "return a dict {name: relative error}" in _output(capsys, ex.check_gradient_check, one_number)

    def says_all_fine(loss_and_grads, params, X, y):
        ex.reference_gradient_check(loss_and_grads, params, X, y)
        return dict.fromkeys(params, 1e-10)

    out = _output(capsys, ex.check_gradient_check, says_all_fine)
    assert "on a network with bugs in W1, b1 and b2 the gradient of W1 is wrong" in out
    no_epsilon = _gradient_check_cell("np.max(np.abs(g - numeric) / (np.abs(g) + np.abs(numeric)))")
    out = _output(capsys, ex.check_gradient_check, no_epsilon)  # elementwise: entries 0 / 0 on a correct network
    assert "on a correct network your error for W1 is nan" in out and "0 / 0 is nan" in out


def test_gradient_check_cases_and_the_notebooks_claims():
    cases = gradcheck._gradient_check_cases()
    right, buggy, scaled, dead = (ex.reference_gradient_check(fn, p, X, y) for _, fn, p, X, y in cases)
    assert max(right.values()) < 1e-7 and dead["W1"] == dead["b1"] == dead["W2"] == 0.0 and dead["b2"] < 1e-7
    assert min(buggy["W1"], buggy["b1"]) > 1e-2 and buggy["W2"] < 1e-7 and buggy["b2"] == pytest.approx(1.0)
    assert all(scaled[k] == pytest.approx(buggy[k], rel=1e-3) for k in ("W1", "b1", "b2"))  # scale-free
    _, grads = cases[3][1](*cases[3][2:])
    assert all(not grads[k].any() for k in ("W1", "b1", "W2"))  # the dead layer's gradients are exactly 0


def test_pieces_accept_equivalent_answers(capsys):
    assert _output(capsys, ex.check_sigmoid_backward, lambda dout, s: dout * (s - s**2)).startswith(f"[03.2] {CORRECT}")
    as_tensor = lambda dout, s: torch.tensor(dout) * torch.tensor(s) * (1 - torch.tensor(s))
    assert _output(capsys, ex.check_sigmoid_backward, as_tensor).startswith(f"[03.2] {CORRECT}")
    torch_softmax = lambda z: torch.softmax(torch.tensor(z), dim=1)
    assert _output(capsys, ex.check_softmax, torch_softmax).startswith(f"[03.4] {CORRECT}")
    log_sum_exp = lambda z: np.exp(z - np.logaddexp.reduce(z, axis=1, keepdims=True))
    assert _output(capsys, ex.check_softmax, log_sum_exp).startswith(f"[03.4] {CORRECT}")
    from_output = ex.check_value_tanh.function(pieces._tanh("+= (1 - out.data**2) * out.grad"))
    assert _output(capsys, ex.check_value_tanh, from_output).startswith(f"[03.1] {CORRECT}")


def test_affine_backward_names_the_wrong_part_and_not_the_right_ones(capsys):
    dx_twice = lambda dout, cache: (
        2 * layers.affine_backward(dout, cache)[0],
        *layers.affine_backward(dout, cache)[1:],
    )
    out = _output(capsys, ex.check_affine_backward, dx_twice)
    assert "dx wrong, dw, db right" in out and "2 times the expected" in out


def test_probed_mistakes_outside_the_declarations_get_their_hint(capsys):
    tanh = ex.check_value_tanh
    for edit, message in [
        (("(self,)", "(self)"), "not a tuple: (self) is self in parentheses"),  # the comma forgotten
        (("out._backward = _backward", "out._backward = _backward()"), "out._backward is None, not a function"),
    ]:
        wrong = _defined(edited(tanh.reference, edit), tanh.signature)
        assert _output(capsys, tanh, wrong, ex.Value).startswith(f"[03.1] {HINT}")
        assert message in _output(capsys, tanh, wrong, ex.Value)
    matrix_product = lambda dout, s: dout @ (s * (1 - s)).T
    assert "multiply with *, not @" in _output(capsys, ex.check_sigmoid_backward, matrix_product)

    def sum_without_keepdims(z):  # the max kept as a column, the sum not: the hint names both
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1)

    assert "z.max(axis=1) or e.sum(axis=1)" in _output(capsys, ex.check_softmax, sum_without_keepdims)
    stable_whole = lambda z: np.exp(z - z.max(axis=1, keepdims=True)) / np.exp(z - z.max(axis=1, keepdims=True)).sum()
    assert "not the whole array" in _output(capsys, ex.check_softmax, stable_whole)
    mean_shift = lambda z: (
        np.exp(z - z.mean(axis=1, keepdims=True)) / np.exp(z - z.mean(axis=1, keepdims=True)).sum(axis=1, keepdims=True)
    )
    assert "on rows that span 2000 you get NaN" in _output(capsys, ex.check_softmax, mean_shift)
    swapped = lambda scores, y: layers.softmax_cross_entropy(scores, y)[::-1]
    assert "(loss, dscores) in that order" in _output(capsys, ex.check_softmax_cross_entropy, swapped)


def test_probed_alternatives_are_accepted(capsys):
    row_by_row = lambda z: np.array([np.exp(r - r.max()) / np.exp(r - r.max()).sum() for r in z])
    assert _output(capsys, ex.check_softmax, row_by_row).startswith(f"[03.4] {CORRECT}")
    as_column = lambda z: np.exp(z - z.max(1)[:, None]) / np.exp(z - z.max(1)[:, None]).sum(1)[:, None]
    assert _output(capsys, ex.check_softmax, as_column).startswith(f"[03.4] {CORRECT}")
    sech = _defined(pieces._tanh("+= out.grad / math.cosh(self.data) ** 2"), ex.check_value_tanh.signature)
    assert _output(capsys, ex.check_value_tanh, sech, ex.Value).startswith(f"[03.1] {CORRECT}")

    def flat_entries(loss_and_grads, params, X, y):  # one flat index at a time: one entry moved per evaluation
        _, grads = loss_and_grads(params, X, y)
        errors = {}
        for name, p in params.items():
            numeric = np.zeros(p.size)
            for i in range(p.size):
                old = p.flat[i]
                p.flat[i] = old + 1e-5
                f_plus = loss_and_grads(params, X, y)[0]
                p.flat[i] = old - 1e-5
                f_minus = loss_and_grads(params, X, y)[0]
                p.flat[i] = old
                numeric[i] = (f_plus - f_minus) / 2e-5
            g = np.ravel(grads[name])
            errors[name] = np.linalg.norm(g - numeric) / max(np.linalg.norm(g) + np.linalg.norm(numeric), 1e-12)
        return errors

    assert _output(capsys, ex.check_gradient_check, flat_entries).startswith(f"[03.7] {CORRECT}")
