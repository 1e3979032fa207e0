"""Notebook 02's exercises beyond their declarations (tested in test_exercises_declared.py): a
hard-coded answer fails, answers in another form are accepted, structural mistakes get a hint,
and the claims the self-checks make are true."""

import numpy as np
import torch
from torch import nn

from course_utils import linear as lin
from course_utils.activations import tiny_model_threads
from course_utils.exercises import CORRECT, HINT, source
from course_utils.exercises import nb02 as ex
from course_utils.exercises.nb02 import perceptron, training


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


def _function(exercise, body):
    namespace = dict(exercise.namespace)
    exec(source(exercise.signature, body), namespace)  # noqa: S102 - the course's own code
    return namespace[exercise.name]


def _start(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 2)), np.zeros(2), rng.standard_normal((2, 1)), np.zeros(1)


def test_the_numpy_solution_of_02_6_is_the_autograd_reference_and_solves_xor():
    with tiny_model_threads("cpu"):  # a 2-2-1 network: one thread, as in the notebook
        _the_numpy_solution_is_the_autograd_reference_and_solves_xor()


def _the_numpy_solution_is_the_autograd_reference_and_solves_xor():
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0.0, 1.0, 1.0, 0.0])
    numpy_loop = _function(ex.check_train_xor, training._TRAIN)
    assert ex.check_train_xor.solution is ex.autograd_train_xor
    for steps in (1, 25, 1000):
        mine, ref = numpy_loop(*_start(), X, y, 2.0, steps), ex.autograd_train_xor(*_start(), X, y, 2.0, steps)
        assert all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(mine, ref)), steps
    W1, b1, W2, b2, losses = ref  # the notebook's random start: 4/4 after 1000 steps
    p = 1 / (1 + np.exp(-(1 / (1 + np.exp(-(X @ W1 + b1))) @ W2 + b2)))[:, 0]
    assert np.array_equal(p > 0.5, y == 1) and losses[-1] < losses[0] / 50
    # the symmetric start (hidden unit 2 a copy of unit 1): the units stay copies, the net is one line
    W1, b1, W2, b2 = _start()
    for loop in (numpy_loop, ex.autograd_train_xor):
        V1, c1, V2, _, _ = loop(W1[:, [0, 0]], b1[[0, 0]], W2[[0, 0]], b2, X, y, 2.0, 1000)
        assert np.array_equal(V1[:, 0], V1[:, 1]) and c1[0] == c1[1] and V2[0, 0] == V2[1, 0]
    assert not lin.linearly_separable(X, y)
    assert all(lin.linearly_separable(np.delete(X, i, axis=0), np.delete(y, i)) for i in range(4))


def test_02_6_accepts_other_correct_loops(capsys):
    T = training._TRAIN
    updates = "    W1, b1 = W1 - lr * dW1, b1 - lr * db1\n    W2, b2 = W2 - lr * dW2, b2 - lr * db2\n"
    in_place = "    W1 -= lr * dW1\n    b1 -= lr * db1\n    W2 -= lr * dW2\n    b2 -= lr * db2\n"
    copies = "N = len(X)\nW1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()\n"
    bodies = [
        T.replace("N = len(X)\n", copies).replace(updates, in_place),  # in place on its own copies
        T.replace("dz2.sum(axis=0)", "dz2.sum()"),  # a scalar db2 broadcasts into b2
        T.replace("np.array(losses)", "losses").replace("np.log(p)", "np.log(np.clip(p, 1e-12, 1))"),
        T.replace(
            "return W1, b1, W2, b2, np.array(losses)", "return [torch.tensor(a) for a in (W1, b1, W2, b2)] + [losses]"
        ),
    ]
    for body in bodies:
        ex.check_train_xor(_function(ex.check_train_xor, body))

    def torch_loop(W1, b1, W2, b2, X, y, lr, steps):  # autograd by hand, tensors back
        params = [torch.tensor(a, requires_grad=True) for a in (W1, b1, W2, b2)]
        X, y, losses = torch.tensor(X), torch.tensor(y), []
        for _ in range(steps):
            p = torch.sigmoid(torch.sigmoid(X @ params[0] + params[1]) @ params[2] + params[3])[:, 0]
            loss = nn.functional.binary_cross_entropy(p, y)
            losses.append(loss.item())
            for q in params:
                q.grad = None
            loss.backward()
            with torch.no_grad():
                for q in params:
                    q -= lr * q.grad
        return (*params, losses)

    ex.check_train_xor(torch_loop)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 5 and all(line.startswith(f"[02.6] {CORRECT}") for line in out), out


def test_02_6_other_mistakes_are_named_and_right_parts_are_not_blamed(capsys):
    T = training._TRAIN
    bodies = [
        T.replace("    W1, b1 = W1 - lr * dW1, b1 - lr * db1\n", "    W1 -= lr * dW1\n    b1 = b1 - lr * db1\n"),
        T.replace("range(steps)", "range(steps + 1)"),
        T.replace("b1 - lr * db1", "b1"),
        T.replace("-np.mean(", "-np.sum("),
        T.replace("return W1, b1, W2, b2, np.array(losses)", "return W1, b1, W2, b2"),
        training._NO_HIDDEN.replace("/ N", "/ len(y)").replace("lr * X.T", "0.5 * lr * X.T"),  # not the typical one
        T.replace("return W1, b1, W2, b2, np.array(losses)", "return W1, b1, W2, b2, None"),
    ]
    for body in bodies:
        ex.check_train_xor(_function(ex.check_train_xor, body))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(bodies) and all(line.startswith(f"[02.6] {HINT}") for line in out), out
    assert "You updated the caller's W1 in place" in out[0] and "b1" not in out[0].split("in place")[0]
    assert "has 2 values, expected 1: one per step" in out[1]
    assert "W1, W2, b2, losses right; b1 wrong: look at db1 = dz1.sum(axis=0)" in out[2]
    assert "W1, b1, W2, b2 right; losses wrong: the weights are right" in out[3]
    assert "return the tuple (W1, b1, W2, b2, losses)" in out[4]
    assert training._NO_HIDDEN_LAYER in out[5]
    assert "losses came back as None" in out[6]


def test_02_1_in_place_on_part_of_w_is_called_out(capsys):
    body = perceptron._EPOCH.replace("w.astype(float)", "w").replace(
        "w = w + lr * s_i * x_i", "w[:] = w + lr * s_i * x_i"
    )
    ex.check_perceptron_epoch(_function(ex.check_perceptron_epoch, body))
    out = capsys.readouterr().out
    assert out.startswith(f"[02.1] {HINT}") and "You changed the caller's w in place" in out, out
    signs_in_place = perceptron._EPOCH.replace("s = 2 * y - 1", "y *= 2\ny -= 1\ns = y")  # the labels turned into signs
    ex.check_perceptron_epoch(_function(ex.check_perceptron_epoch, signs_in_place))
    out = capsys.readouterr().out
    assert out.startswith(f"[02.1] {HINT}") and "Your function changed the caller's y in place" in out, out


def test_02_2_other_thresholds_pass_and_a_network_without_its_hidden_layer_does_not(capsys):
    e = ex.check_xor_by_hand
    h = "h = np.c_[neuron(X, [1, 1], -0.45), neuron(X, [-2, -2], 3.1)]\n"
    bodies = [
        h + "return h, neuron(h, [0.6, 0.6], -1)",  # other lines and weights, the same network
        h + "return h, (X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)",  # out computed from X, not from h
        "h = np.c_[neuron(X, [1, 1], -0.5), ~((X[:, 0] > 0.5) & (X[:, 1] > 0.5))]\nreturn h, neuron(h, [1, 1], -1.5)",
        "h = np.c_[neuron(X, [1, 1], -0.5), neuron(X, [-1, -1], 1.98)]\nreturn h, neuron(h, [1, 1], -1.5)",
        "h = np.c_[neuron(X, [1, 1], -0.5), neuron(X, [-1, -1], 2.5)]\nreturn h, neuron(h, [1, 1], -1.5)",
    ]
    for body in bodies:
        e(_function(e, body))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"[02.2] {CORRECT}"), out[0]
    assert "Your out is not computed from your hidden layer: at (" in out[1], out[1]
    assert "h[:, 1] (your NAND unit) is not one step neuron" in out[2], out[2]
    assert "h[:, 1] (your NAND unit) is wrong at" in out[3] and "h[:, 0]" not in out[3], out[3]
    assert "On the four corners h[:, 1] (your NAND unit) gives 1 at (1, 1) where it should give 0" in out[4], out[4]
    assert "h[:, 0]" not in out[4], out[4]
    assert all(line.startswith(f"[02.2] {HINT}") for line in out[1:]), out


def test_02_1_every_point_on_the_boundary_is_a_mistake_and_the_last_example_counts(capsys):
    e = ex.check_perceptron_epoch
    skips_last = perceptron._EPOCH.replace("zip(X, s)", "zip(X[:-1], s[:-1])")
    signs = (
        "s = np.where(y == 1, 1, -1)\nw, mistakes = np.array(w, dtype=float), 0\nfor i in range(len(X)):\n"
        "    if np.sign(X[i] @ w + b) != s[i]:\n        w += lr * s[i] * X[i]\n        b += lr * s[i]\n"
        "        mistakes += 1\nreturn w, b, mistakes"
    )
    for body in (skips_last, signs):
        e(_function(e, body))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"[02.1] {HINT}") and "from w = 0, b = 0" in out[0], out[0]
    assert out[1].startswith(f"[02.1] {CORRECT}"), out[1]
    X, y, *_ = perceptron._perceptron_cases()[1].args
    assert y[0] == 1 and y[1] == 0 and X[1] @ X[0] + 1 == 0  # both on the boundary when their turn comes


def test_02_3_to_02_5_other_correct_forms(capsys):
    ex.check_collapse(_function(ex.check_collapse, "return np.dot(W1, W2), W2.T @ b1 + b2"))
    ex.check_forward_221(
        _function(
            ex.check_forward_221, "h = np.tanh(X @ W1 + b1)\nreturn h, 0.5 * (1 + np.tanh((h @ W2 + b2).ravel() / 2))"
        )
    )
    ex.check_sigmoid_tanh_derivatives(
        _function(ex.check_sigmoid_tanh_derivatives, "return np.exp(-x) / (1 + np.exp(-x)) ** 2, 1 / np.cosh(x) ** 2")
    )
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and all(CORRECT in line for line in out), out
