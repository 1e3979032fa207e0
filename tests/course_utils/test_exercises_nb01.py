"""Notebook 01's exercises beyond their declarations (tested in test_exercises_declared.py):
hard-coded answers fail, and the claims the confirmations and self-checks make are true."""

import numpy as np

from course_utils import linear as lin
from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb01 as ex
from course_utils.exercises.nb01 import training_loop


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


def _verdict(check, fn, capsys) -> str:
    check(fn)
    return capsys.readouterr().out


def _defined(cell: str, name: str):
    scope = dict(ex.NOTEBOOK)
    exec(cell, scope)  # noqa: S102 - the test's own code
    return scope[name]


def test_least_squares_alternatives_are_accepted(capsys):
    right = [
        "def fit_least_squares(X, y):\n    return np.linalg.lstsq(lin.add_bias(X), y, rcond=None)[0]",
        "def fit_least_squares(X, y):\n    return np.linalg.pinv(np.c_[X, np.ones(len(X))]) @ y",
        "def fit_least_squares(X, y):\n    import torch\n    Xb = torch.tensor(lin.add_bias(X))\n"
        "    return torch.linalg.solve(Xb.T @ Xb, Xb.T @ torch.tensor(y))",
    ]
    for cell in right:
        assert CORRECT in _verdict(ex.check_normal_equations, _defined(cell, "fit_least_squares"), capsys), cell


def test_gd_step_alternatives_and_the_in_place_promise(capsys):
    right = "def gd_step(w, X, y, eta):\n    return w + eta * X.T @ (y - X @ w) / X.shape[0]"
    assert CORRECT in _verdict(ex.check_gd_step, _defined(right, "gd_step"), capsys)
    copy_then_in_place = (
        "def gd_step(w, X, y, eta):\n    w = w.copy()\n    w -= eta * lin.mse_objective_grad(w, X, y)\n    return w"
    )
    assert CORRECT in _verdict(ex.check_gd_step, _defined(copy_then_in_place, "gd_step"), capsys)
    in_place = "def gd_step(w, X, y, eta):\n    w[:] = w - eta * X.T @ (X @ w - y) / len(X)\n    return w"
    out = _verdict(ex.check_gd_step, _defined(in_place, "gd_step"), capsys)
    assert HINT in out and "in place" in out


# ----------------------------------------------------------------------------- 01.6 the SGD loop

_SGD_ALTERNATIVES = {
    "rng.shuffle, lists back, lin's gradient": """
def sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):
    w, history, idx = w0.copy(), [], np.arange(len(X))
    for _ in range(epochs):
        prev = w.copy()
        rng.shuffle(idx)
        for s in range(0, len(X), batch_size):
            b = idx[s:s + batch_size]
            w -= eta * lin.mse_objective_grad(w, X[b], y[b])
        history.append(lin.mse_objective(w, X, y))
        if np.linalg.norm(w - prev) < tol:
            break
    return w.tolist(), history
""",
    "rng.choice and np.array_split (another stream, other batch sizes)": """
def sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):
    w, history, n = np.asarray(w0, float).copy(), [], len(X)
    for _ in range(epochs):
        prev = w.copy()
        for b in np.array_split(rng.choice(n, n, replace=False), int(np.ceil(n / batch_size))):
            w = w - eta * (X[b] * (X[b] @ w - y[b])[:, None]).mean(axis=0)
        history.append(0.5 * np.mean((X @ w - y) ** 2))
        if np.linalg.norm(w - prev) < tol:
            break
    return w, np.array(history)
""",
    "np.random.default_rng(rng) passes a Generator through": """
def sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):
    rng = np.random.default_rng(rng)
    w, history = np.array(w0, dtype=float), []
    for _ in range(epochs):
        prev, order = w.copy(), rng.permutation(len(X))
        for B in (order[s:s + batch_size] for s in range(0, len(X), batch_size)):
            w = w - eta * lin.mse_objective_grad(w, X[B], y[B])
        history.append(lin.mse_objective(w, X, y))
        if np.linalg.norm(w - prev) < tol:
            break
    return w, history
""",
    "torch.optim.SGD with autograd, tensors back": """
import torch
def sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):
    Xt, yt = torch.tensor(X), torch.tensor(y)
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt, history = torch.optim.SGD([w], lr=eta), []
    for _ in range(epochs):
        prev = w.detach().clone()
        order = torch.as_tensor(rng.permutation(len(X)))
        for s in range(0, len(X), batch_size):
            b = order[s:s + batch_size]
            opt.zero_grad()
            (0.5 * ((Xt[b] @ w - yt[b]) ** 2).mean()).backward()
            opt.step()
        with torch.no_grad():
            history.append(0.5 * ((Xt @ w - yt) ** 2).mean())
        if torch.linalg.norm(w.detach() - prev) < tol:
            break
    return w.detach(), torch.stack(history)
""",
}


def test_sgd_train_correct_alternatives_are_accepted(capsys):
    for name, cell in _SGD_ALTERNATIVES.items():
        fn = _defined(cell, "sgd_train")
        assert CORRECT in _verdict(ex.check_sgd_train, fn, capsys), name
        assert ex.accepted(ex.check_sgd_train, fn), name
    assert ex.accepted(ex.check_sgd_train, ex.check_sgd_train.solution)
    assert not ex.accepted(ex.check_sgd_train, lambda *a, **k: None)
    assert capsys.readouterr().out == ""  # accepted() prints nothing


def test_sgd_train_hints_for_what_no_typical_covers(capsys):
    ignores_order = ex.SGD_REFERENCE.replace(
        "B = order[start:start + batch_size]", "B = np.arange(len(X))[start:start + batch_size]"
    )
    out = _verdict(ex.check_sgd_train, _defined(training_loop._sgd_cell(ignores_order), "sgd_train"), capsys)
    assert HINT in out and "does not pick the batches" in out, out
    out = _verdict(ex.check_sgd_train, lambda X, y, w0, eta, b, e, rng, tol=1e-6: (w0, [1.0]), capsys)
    assert HINT in out and "history" in out, out
    out = _verdict(ex.check_sgd_train, lambda X, y, w0, eta, b, e, rng, tol=1e-6: w0, capsys)
    assert HINT in out and "(w, history)" in out, out


def test_sgd_train_check_leaves_global_state_and_keeps_its_promises():
    state = np.random.get_state()
    ex.check_sgd_train(ex.check_sgd_train.solution)
    np.random.seed(5)
    (global_rng,) = [t.body for t in ex.STEPWISE["01.6"][1] if "np.random.permutation" in t.body]
    ex.check_sgd_train(_defined(global_rng, "sgd_train"))
    after = np.random.get_state()
    np.random.seed(5)
    assert np.array_equal(after[1], np.random.get_state()[1]), "the check must restore np.random's state"
    np.random.set_state(state)


def test_sgd_reference_is_the_library_loop_and_its_claims_hold():
    rng = np.random.default_rng(3)
    X = lin.add_bias(rng.standard_normal((53, 3)))
    y = X @ rng.standard_normal(4) + rng.standard_normal(53)
    lib = lin.train_linear(X, y, "sgd", 0.02, epochs=20, batch_size=10, seed=0)
    w, history = ex.sgd_train_reference(X, y, np.zeros(4), 0.02, 10, 20, np.random.default_rng(0), tol=0.0)
    np.testing.assert_allclose(w, lib.w, atol=1e-12)
    np.testing.assert_allclose(history, lib.losses[1:], atol=1e-12)
    # the check's convex problem: every order converges to w*, the loss falls every epoch, the rule stops it
    case = training_loop._noise_free_regression()
    w_star = lin.closed_form(case.X, case.y)
    for seed in range(100):
        w, h = ex.sgd_train_reference(
            case.X, case.y, case.w0, case.eta, case.batch_size, case.epochs, np.random.default_rng(seed), tol=case.tol
        )
        assert np.allclose(w, w_star, atol=1e-5) and np.all(np.diff(h) < 0) and len(h) < case.epochs


def test_the_gd_quiz_keeps_deck_002s_answer_and_reasons():
    q = ex.QUIZZES["01.q3"]
    assert q.answer == "2" and set(q.options) == {"1", "2", "3", "4"} and set(q.explanations) == set(q.options)
    assert "−" in q.options["2"] and "wᵗ⁻¹)" in q.options["2"]


def test_least_squares_pair_and_centred_data(capsys):
    pair = (
        "def fit_least_squares(X, y):\n    Xb = lin.add_bias(X)\n    w = np.linalg.solve(Xb.T @ Xb, Xb.T @ y)\n"
        "    return w[:-1], w[-1]"
    )
    out = _verdict(ex.check_normal_equations, _defined(pair, "fit_least_squares"), capsys)
    assert HINT in out and "you returned W and b separately" in out, out
    centred = (
        "def fit_least_squares(X, y):\n    xm, ym = X.mean(axis=0), y.mean()\n"
        "    W = np.linalg.solve((X - xm).T @ (X - xm), (X - xm).T @ (y - ym))\n    return np.append(W, ym - xm @ W)"
    )
    assert CORRECT in _verdict(ex.check_normal_equations, _defined(centred, "fit_least_squares"), capsys)


def test_log_loss_grad_as_one_number_is_named(capsys):
    for body in ("np.mean(X.T @ (p - y))", "-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))"):
        cell = f"def log_loss_grad(w, X, y):\n    p = 1 / (1 + np.exp(-X @ w))\n    return {body}"
        out = _verdict(ex.check_log_loss_grad, _defined(cell, "log_loss_grad"), capsys)
        assert HINT in out and "It is one number, not a gradient" in out, out


def test_sgd_train_must_visit_every_sample_once_per_epoch(capsys):
    """Batches drawn afresh each time (each without replacement) and X, y shuffled apart both break the pass
    over the samples; the orthogonal case says so whatever stream of the rng they use."""
    fresh_batches = ex.SGD_REFERENCE.replace(
        "    for start in range(0, len(X), batch_size):\n        B = order[start:start + batch_size]\n",
        "    for _ in range(int(np.ceil(len(X) / batch_size))):\n"
        "        B = rng.choice(len(X), batch_size, replace=False)\n",
    )
    apart = ex.SGD_REFERENCE.replace(
        "    order = rng.permutation(len(X))\n",
        "    X, y = rng.permutation(X), rng.permutation(y)\n    order = np.arange(len(X))\n",
    )
    for body in (fresh_batches, apart):
        assert body != ex.SGD_REFERENCE
        out = _verdict(ex.check_sgd_train, _defined(training_loop._sgd_cell(body), "sgd_train"), capsys)
        assert HINT in out and training_loop._H_ONE_PASS in out, out
    split = ex.SGD_REFERENCE.replace(
        "    for start in range(0, len(X), batch_size):\n        B = order[start:start + batch_size]\n",
        "    for B in np.split(order, range(batch_size, len(X), batch_size)):\n",
    )
    assert CORRECT in _verdict(ex.check_sgd_train, _defined(training_loop._sgd_cell(split), "sgd_train"), capsys)
