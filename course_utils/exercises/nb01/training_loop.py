"""Notebook 01's training loop: 01.6 mini-batch SGD, a check written as code, its mistakes in ``STEPWISE``."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass

import numpy as np

from ... import linear as lin
from .. import Mistake, Typical, as_array, compare, exercise, require, source
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 01.6 the SGD training loop

_SGD_SIGNATURE = "def sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):"
_SGD_EPOCH_START = "w = np.array(w0, dtype=float)\nhistory = []\nfor epoch in range(epochs):\n    w_prev = w.copy()\n"
_SGD_STEP = "        w = w - eta * X[B].T @ (X[B] @ w - y[B]) / len(B)\n"
_SGD_EPOCH_END = (
    "    history.append(np.mean((X @ w - y) ** 2) / 2)\n"
    "    if np.linalg.norm(w - w_prev) < tol:\n"
    "        break\n"
    "return w, np.array(history)\n"
)
_SGD_BATCHES = (
    "    order = rng.permutation(len(X))\n"
    "    for start in range(0, len(X), batch_size):\n"
    "        B = order[start:start + batch_size]\n"
)
SGD_REFERENCE = _SGD_EPOCH_START + _SGD_BATCHES + _SGD_STEP + _SGD_EPOCH_END


def _sgd_cell(body: str) -> str:
    return source(_SGD_SIGNATURE, body)


def _sgd_variant(old: str, new: str, base: str = SGD_REFERENCE) -> str:
    assert old in base, old
    return base.replace(old, new)


_H_NO_SHUFFLE = (
    "You never shuffle: every epoch visits the samples in the same order 0, 1, ..., N - 1, and the rng passed in "
    "is not used. Draw a fresh order at the start of EVERY epoch: order = rng.permutation(len(X))."
)
_H_SHUFFLE_ONCE = (
    "You shuffle only once, before the first epoch, so every epoch repeats the same order. Move "
    "order = rng.permutation(len(X)) inside the epoch loop: a fresh order each epoch."
)
_H_GLOBAL = (
    "Your function draws from NumPy's global generator (np.random....), so the same rng gives different "
    "results and other code's random numbers change. Use the rng passed in: order = rng.permutation(len(X))."
)
_H_RESEED = (
    "The rng passed in is never used, and your result is the same whatever rng the caller passes: you make "
    "your own generator inside (np.random.default_rng(...)). Draw from the argument rng instead; the caller "
    "decides the seed."
)
_H_SUM = (
    "Your steps are too big by the batch size: the mini-batch gradient is the MEAN over the batch, "
    "X_B.T @ (X_B @ w - y_B) / len(B). You summed over the batch (forgot the 1/B)."
)
_H_DROP_LAST = (
    "You drop the last, smaller mini-batch when batch_size does not divide N (e.g. range(N // batch_size) "
    "batches): those samples are skipped in that epoch. Use range(0, N, batch_size), so the last batch "
    "takes the remaining samples."
)
_H_FULL_B = (
    "You divide every mini-batch gradient by batch_size, but the last batch can be smaller: divide by the "
    "number of samples actually in the batch, len(B)."
)
_H_BATCH_HISTORY = (
    "Your history has one entry per mini-batch: record ONE entry per epoch, the loss on ALL the data "
    "(mean((X @ w - y)**2) / 2) after the epoch's updates."
)
_H_BEFORE = (
    "Your history is one epoch late: history[0] is the loss at w0, before any update. As the docstring says, "
    "append the loss on all the data AFTER the epoch's updates, so history[-1] is the loss of the w you return."
)
_H_BATCH_MEAN = (
    "Your history holds the mean of the mini-batch losses seen during each epoch, computed while w was still "
    "changing: record the loss on ALL the data after the epoch's updates, mean((X @ w - y)**2) / 2."
)
_H_NEVER_STOPS = (
    "Your loop never stops early: it ran all the epochs although w had stopped moving. After appending the "
    "epoch's loss, break when np.linalg.norm(w - w_prev) < tol (w_prev: a copy of w from the start of the epoch)."
)
_H_STOPS_AT_ONCE = (
    "Your loop stops after the first epoch although w still moved then: w_prev = w makes both names point to "
    "the same array, and the in-place w -= ... changes both, so ||w - w_prev|| is 0. Keep a copy: w_prev = w.copy()."
)
_H_SIGN = "Wrong sign: you stepped uphill (the loss grows). The step is w - eta * X_B.T @ (X_B @ w - y_B) / len(B)."
_H_NO_HALF = (
    "Your history is twice the loss: Q(w) = mean((X @ w - y)**2) / 2 has the factor 1/2 (the one the gradient "
    "X.T @ (X @ w - y) / N cancels), so append np.mean((X @ w - y) ** 2) / 2."
)
_H_REPLACEMENT = (
    "Your batches are drawn with replacement (rng.integers or rng.choice with replace=True): in an epoch some "
    "samples come twice and others never. An epoch visits every sample once: split order = rng.permutation(len(X)) "
    "into batches, B = order[start:start + batch_size]."
)
_H_LOSS_RULE = (
    "You stop when the loss stops changing; the rule is on the weights: break when w moved less than tol in "
    "the epoch, np.linalg.norm(w - w_prev) < tol."
)
_H_ONE_PASS = (
    "every order gives the same epoch here (each sample moves only its own weight), but yours differs: an epoch "
    "must use every pair (X[i], y[i]) exactly once. Split order = rng.permutation(len(X)) into batches and index "
    "X and y with the same B (do not draw batches with replacement, nor shuffle X and y separately)."
)
_H_IN_PLACE = (
    "You changed the caller's w0 in place (w = w0 and then w -= ... updates the same array). Start from a "
    "copy, w = np.array(w0, dtype=float), so the caller's starting point is left as it was."
)

_SGD_MISTAKES = [
    Typical(_sgd_cell(_sgd_variant("order = rng.permutation(len(X))", "order = np.arange(len(X))")), _H_NO_SHUFFLE),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "history = []\n",
                "history = []\norder = rng.permutation(len(X))\n",
                _sgd_variant("    order = rng.permutation(len(X))\n", ""),
            )
        ),
        _H_SHUFFLE_ONCE,
    ),
    Typical(
        _sgd_cell(_sgd_variant("order = rng.permutation(len(X))", "order = np.random.permutation(len(X))")),
        _H_GLOBAL,
    ),
    Typical(_sgd_cell(_sgd_variant("history = []\n", "history = []\nrng = np.random.default_rng(0)\n")), _H_RESEED),
    Typical(_sgd_cell(_sgd_variant(" / len(B)", "")), _H_SUM),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "for start in range(0, len(X), batch_size):",
                "for start in range(0, len(X) - batch_size + 1, batch_size):",
            )
        ),
        _H_DROP_LAST,
    ),
    Typical(_sgd_cell(_sgd_variant(" / len(B)", " / batch_size")), _H_FULL_B),
    Typical(
        _sgd_cell(
            _sgd_variant(
                _SGD_STEP,
                _SGD_STEP + "        history.append(np.mean((X[B] @ w - y[B]) ** 2) / 2)\n",
                _sgd_variant("    history.append(np.mean((X @ w - y) ** 2) / 2)\n", ""),
            )
        ),
        _H_BATCH_HISTORY,
    ),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "    w_prev = w.copy()\n",
                "    w_prev = w.copy()\n    history.append(np.mean((X @ w - y) ** 2) / 2)\n",
                _sgd_variant("    history.append(np.mean((X @ w - y) ** 2) / 2)\n", ""),
            )
        ),
        _H_BEFORE,
    ),
    Typical(
        _sgd_cell(
            _sgd_variant(
                _SGD_STEP,
                "        batch_losses.append(np.mean((X[B] @ w - y[B]) ** 2) / 2)\n" + _SGD_STEP,
                _sgd_variant(
                    "    w_prev = w.copy()\n",
                    "    w_prev = w.copy()\n    batch_losses = []\n",
                    _sgd_variant(
                        "history.append(np.mean((X @ w - y) ** 2) / 2)", "history.append(np.mean(batch_losses))"
                    ),
                ),
            )
        ),
        _H_BATCH_MEAN,
    ),
    Typical(_sgd_cell(_sgd_variant("    if np.linalg.norm(w - w_prev) < tol:\n        break\n", "")), _H_NEVER_STOPS),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "w_prev = w.copy()", "w_prev = w", _sgd_variant(_SGD_STEP, _SGD_STEP.replace("w = w - eta", "w -= eta"))
            )
        ),
        _H_STOPS_AT_ONCE,
    ),
    Typical(_sgd_cell(_sgd_variant("w = w - eta", "w = w + eta")), _H_SIGN),
    Typical(_sgd_cell(_sgd_variant("np.mean((X @ w - y) ** 2) / 2", "np.mean((X @ w - y) ** 2)")), _H_NO_HALF),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "        B = order[start:start + batch_size]\n", "        B = rng.integers(0, len(X), batch_size)\n"
            )
        ),
        _H_REPLACEMENT,
    ),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "np.linalg.norm(w - w_prev) < tol", "len(history) > 1 and abs(history[-2] - history[-1]) < tol"
            )
        ),
        _H_LOSS_RULE,
    ),
    Typical(
        _sgd_cell(
            _sgd_variant(
                "w = np.array(w0, dtype=float)",
                "w = w0",
                _sgd_variant(_SGD_STEP, _SGD_STEP.replace("w = w - eta", "w -= eta")),
            )
        ),
        _H_IN_PLACE,
    ),
]

STEPWISE = {"01.6": ("sgd_train", _SGD_MISTAKES)}


class _CountingRng(np.random.Generator):
    """``np.random.default_rng(seed)`` that also counts the calls made on it from outside (a call that
    calls another method counts once). It is a real Generator: isinstance and default_rng(rng) work."""

    def __init__(self, seed: int):
        super().__init__(np.random.PCG64(seed))
        self._calls, self._depth = 0, 0

    @property
    def calls(self) -> int:
        return self._calls

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name.startswith("_") or not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self._calls += self._depth == 0
            self._depth += 1
            try:
                return attr(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted


@dataclass(frozen=True)
class _SGDCase:
    label: str
    X: np.ndarray
    y: np.ndarray
    w0: np.ndarray
    eta: float
    batch_size: int
    epochs: int
    tol: float

    def run(self, fn, rng) -> tuple:
        """``fn`` on copies of the data with ``rng``: (its value, whether it changed w0, whether it drew from
        np.random's global generator). Hides prints and warnings; np.random's state is left as it was."""
        w0, state = self.w0.copy(), np.random.get_state()
        try:
            with redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = fn(self.X.copy(), self.y.copy(), w0, self.eta, self.batch_size, self.epochs, rng, tol=self.tol)
            return out, not np.array_equal(w0, self.w0), not _same_state(state, np.random.get_state())
        finally:
            np.random.set_state(state)


def _identical_rows(epochs: int, tol: float) -> _SGDCase:
    """Five copies of one sample: every order gives the same run, so the result checks the steps alone."""
    X = np.tile([[1.0, 2.0, 1.0]], (5, 1))
    return _SGDCase(
        f"on 5 identical samples, batch_size 2 (batches of 2, 2, 1), eta 0.05, epochs {epochs}, tol {tol}",
        X,
        np.full(5, 3.0),
        np.zeros(3),
        0.05,
        2,
        epochs,
        tol,
    )


def _orthogonal_rows() -> _SGDCase:
    """Six samples, each with its own feature: a step on a sample moves only its own weight, and batches of 2
    are all the same size, so every order gives the same epoch; visiting a sample twice or never does not."""
    return _SGDCase(
        "on 6 samples with one feature each, batch_size 2, eta 0.2, epochs 2, tol 0",
        np.diag([1.0, 2.0, 0.5, 1.5, 1.0, 3.0]),
        np.array([1.0, -2.0, 3.0, 0.5, -1.0, 2.0]),
        np.zeros(6),
        0.2,
        2,
        2,
        0.0,
    )


def _noise_free_regression() -> _SGDCase:
    rng = np.random.default_rng(61)
    X = lin.add_bias(rng.standard_normal((30, 2)))
    return _SGDCase(
        "on 30 noise-free samples, batch_size 8, eta 0.1, tol 1e-8",
        X,
        X @ np.array([1.5, -2.0, 0.5]),
        np.zeros(3),
        0.1,
        8,
        300,
        1e-8,
    )


def _sgd_result(out, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The student's (w, history) as arrays, or a :class:`Mistake` saying what the return value lacks."""
    require(out)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        kind = type(out).__name__ + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        raise Mistake(f"return the pair (w, history), got {kind}.")
    w, history = as_array("w", require(out[0])), as_array("history", require(out[1]))
    if history.ndim != 1:
        raise Mistake(f"history {where} has shape {history.shape}: make it a flat list of numbers, one per epoch.")
    return w, history


_TYPICAL_FNS: dict[str, Callable] = {}


def _typical_fn(cell: str) -> Callable:
    if cell not in _TYPICAL_FNS:
        scope = dict(NOTEBOOK)
        exec(cell, scope)  # noqa: S102 - the course's own code
        _TYPICAL_FNS[cell] = scope["sgd_train"]
    return _TYPICAL_FNS[cell]


def sgd_train_reference(X, y, w0, eta, batch_size, epochs, rng, tol=1e-6):
    """The reference of exercise 01.6 (what the notebook runs until the student's loop is accepted)."""
    return _typical_fn(_sgd_cell(SGD_REFERENCE))(X, y, w0, eta, batch_size, epochs, rng, tol=tol)


def _outcome(fn, case: _SGDCase, seed: int):
    """``fn``'s (w, history) on ``case`` with a fresh rng (``None`` when it fails)."""
    try:
        return _sgd_result(case.run(fn, np.random.default_rng(seed))[0], "")
    except Exception:  # noqa: BLE001 - a wrong function may fail; it then matches nothing
        return None


def _same_run(a, b) -> bool:
    return (
        a is not None
        and b is not None
        and a[0].shape == b[0].shape
        and a[1].shape == b[1].shape
        and np.allclose(a[0], b[0], rtol=1e-9, atol=1e-12)
        and np.allclose(a[1], b[1], rtol=1e-9, atol=1e-12)
    )


def _typical_hint(got, case: _SGDCase, seed: int) -> None:
    """The hint of the typical mistake whose run on ``case`` equals the student's, if any."""
    for typical in _SGD_MISTAKES:
        if _same_run(got, _outcome(_typical_fn(typical.body), case, seed)):
            raise Mistake(typical.hint)


def _explain_run(got, expected, case: _SGDCase) -> None:
    """What differs between the student's (w, history) and the reference's on ``case``, in words."""
    (w, history), (w_ref, h_ref) = got, expected
    if len(history) != len(h_ref):
        raise Mistake(
            f"{case.label}: your history has {len(history)} entries, the reference's {len(h_ref)} (one per epoch "
            f"run, {'all ' + str(case.epochs) if len(h_ref) == case.epochs else 'stopping by the rule'})."
        )
    compare(f"w {case.label}", w, w_ref, rtol=1e-7, atol=1e-10)
    compare(f"history {case.label}", history, h_ref, rtol=1e-7, atol=1e-10)


@exercise(
    "01.6",
    todo="Write sgd_train(X, y, w0, eta, batch_size, epochs, rng, tol): each epoch a fresh order from "
    "rng.permutation, mini-batch steps, the loss on all the data appended after the epoch, and a stop once "
    "||w - w_prev|| < tol; return (w, history).",
)
def check_sgd_train(sgd_train) -> str:
    reference = sgd_train_reference
    # 1. The steps, the batches and the history: identical samples make every order give the same run.
    for case in (_identical_rows(3, 0.0), _identical_rows(50, 0.05)):
        out, changed_w0, _ = case.run(sgd_train, np.random.default_rng(0))
        got = _sgd_result(out, case.label)
        if changed_w0:
            raise Mistake(_H_IN_PLACE)
        expected = _outcome(reference, case, 0)
        if not _same_run(got, expected):
            _typical_hint(got, case, 0)
            _explain_run(got, expected, case)
    # 2. One pass over the samples per epoch, whatever the order: each sample moves only its own weight.
    case = _orthogonal_rows()
    got = _sgd_result(case.run(sgd_train, np.random.default_rng(0))[0], case.label)
    expected = _outcome(reference, case, 0)
    if not _same_run(got, expected):
        _typical_hint(got, case, 0)
        raise Mistake(f"{case.label}: {_H_ONE_PASS}")
    # 3. The rng promise and the solution, on a noise-free regression problem.
    case, seed = _noise_free_regression(), 7
    spy = _CountingRng(seed)
    out, _, drew_global = case.run(sgd_train, spy)
    got = _sgd_result(out, case.label)
    if drew_global:
        raise Mistake(_H_GLOBAL)
    w, history = got
    if spy.calls == 0:
        _typical_hint(got, case, seed)  # the samples in a fixed order
        raise Mistake(_H_RESEED)
    if spy.calls == 1 and len(history) > 1:
        raise Mistake(_H_SHUFFLE_ONCE)
    again = _sgd_result(case.run(sgd_train, np.random.default_rng(seed))[0], case.label)
    if not _same_run(got, again):
        raise Mistake(
            f"{case.label}: two calls with generators in the same state gave different results: draw every "
            "random number from rng, and nothing else may change between calls."
        )
    other = _sgd_result(case.run(sgd_train, np.random.default_rng(seed + 1))[0], case.label)
    if _same_run(got, other):
        raise Mistake(
            f"{case.label}: two different rngs gave exactly the same run: you draw from rng, but the order it "
            "gives does not pick the batches. Take the batch indices B from order = rng.permutation(len(X))."
        )
    w_star = lin.closed_form(case.X, case.y)
    if w.shape != w_star.shape or not np.allclose(w, w_star, atol=1e-5):
        _typical_hint(got, case, seed)  # e.g. a stopping rule that ends too early
        compare(f"w {case.label} (the least-squares solution)", w, w_star, atol=1e-5)
    if not len(history) < case.epochs:
        raise Mistake(f"{case.label}: your loop ran all {case.epochs} epochs; w stops moving long before.")
    final = lin.mse_objective(w, case.X, case.y)
    if not np.isclose(history[-1], final, rtol=1e-6, atol=1e-12):
        raise Mistake(
            f"{case.label}: history[-1] = {history[-1]:.3e}, but the loss on all the data at the w you return is "
            f"{final:.3e}: the last entry must be the loss after the last epoch."
        )
    rises = np.flatnonzero(np.diff(history) > 1e-12 * history[0])
    if rises.size:
        k = rises[0] + 1
        raise Mistake(
            f"{case.label}: the loss on all the data rose in epoch {k + 1} ({history[k - 1]:.3e} -> "
            f"{history[k]:.3e}); on this convex, noise-free problem with a small eta it falls every epoch."
        )
    return (
        f"Your loop reshuffles with the rng you pass, so the same rng state gives the same run, and it reaches "
        f"the least-squares solution (|w - w*| = {np.linalg.norm(w - w_star):.0e}) in {len(history)} epochs, "
        f"stopped by the step rule, the loss falling every epoch. The rest of the notebook trains SGD with it."
    )


def _same_state(a, b) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


check_sgd_train.solution = sgd_train_reference
