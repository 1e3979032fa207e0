"""Checks shared by the test cells of the graded assignments (``assignments/``).

The nbgrader notebooks ``backprop`` and ``convolution`` import this module in a
read-only setup cell at the top, *before* any student code runs, and every
test cell calls the functions below. Each failed check raises
``AssertionError`` with a message a student can act on: which output is wrong,
its shape against the expected shape, the largest error and where, and - when a
known mistake reproduces the numbers - the likely cause.

* :func:`call` runs a student's function: it must be defined in the notebook,
  may not emit warnings or floating-point overflow, may not change its array
  arguments in place, and must return what the assignment asks for.
* :func:`check_close`, :func:`check_scalar`, :func:`check_int` compare a
  student's value against a reference computed here (torch or numerical).
* :func:`torch_reference` computes outputs and gradients with torch autograd;
  :func:`numerical_gradient` (the course's one central-difference gradient, also
  re-exported by :mod:`course_utils.layers`) and :func:`gradient_check` use central differences.

Design for a hostile submission (see the course's hardening issue): the numpy
and torch functions used by the checks are bound to private names at import
time, so a submission that later monkeypatches ``np.allclose`` or ``np.abs``
does not change how it is graded; student values are accepted only with exact
types (``type(x) is np.ndarray``, never a subclass whose ``__eq__`` could lie).
References are computed by this module from inputs the test cell created.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterable

import numpy as np
import torch

# Bound at import time (the setup cell imports this module before any student code).
_ndarray = np.ndarray
_float64 = np.dtype(np.float64)
_array = np.array
_asarray = np.asarray
_abs = np.abs
_isfinite = np.isfinite
_argmax = np.argmax
_unravel_index = np.unravel_index
_array_equal = np.array_equal
_zeros_like = np.zeros_like
_ndindex = np.ndindex
_errstate = np.errstate
_sum = np.sum
_count_nonzero = np.count_nonzero
_torch_from_numpy = torch.from_numpy
_torch_tensor = torch.tensor
_torch_float64 = torch.float64
_INT_TYPES = (int, np.int64, np.int32, np.intc, np.int_)
_FLOAT_TYPES = (float, np.float64)

__all__ = [
    "call",
    "check_close",
    "check_scalar",
    "check_int",
    "check_unchanged",
    "describe",
    "numerical_gradient",
    "gradient_check",
    "torch_reference",
]


def describe(**items) -> str:
    """A short description of a test case for the messages, e.g.
    ``describe(x=x, stride=2)`` -> ``"x (2, 3, 7, 9), stride=2"`` (arrays show their shape)."""
    parts = []
    for key, value in items.items():
        if isinstance(value, _ndarray):
            parts.append(f"{key} {tuple(value.shape)}")
        else:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def _prefix(where: str) -> str:
    return f"[{where}] " if where else ""


def _fmt_index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _fmt_value(v) -> str:
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return repr(v)


def _snapshot(value, depth: int = 0):
    """Copies of the arrays inside ``value`` (an array, or a tuple/list/dict of them)."""
    if type(value) is _ndarray:
        return value.copy()
    if depth < 2 and isinstance(value, (tuple, list)):
        return [_snapshot(v, depth + 1) for v in value]
    if depth < 2 and isinstance(value, dict):
        return {k: _snapshot(v, depth + 1) for k, v in value.items()}
    return None


def _changed(before, after, label: str) -> list[str]:
    if before is None:
        return []
    if type(before) is _ndarray:
        if type(after) is not _ndarray or after.shape != before.shape:
            return [f"{label} (its shape or type changed)"]
        if _array_equal(before, after, equal_nan=True):
            return []
        diff = _abs(_asarray(after, dtype=float) - before) if before.dtype.kind in "fiu" else None
        if diff is not None and diff.size:
            idx = _unravel_index(int(_argmax(diff)), diff.shape)
            was, now = _fmt_value(before[idx]), _fmt_value(after[idx])
            if was == now and before.dtype.kind == "f":  # a change in the last digits: x[i] += h; x[i] -= h
                return [
                    f"{label} (entry {_fmt_index(idx)} was {float(before[idx]):.17g}, is now "
                    f"{float(after[idx]):.17g}: a rounding change in the last digits, as when a value is "
                    "restored by adding and subtracting; put back the saved value instead, x[i] = old)"
                ]
            return [f"{label} (entry {_fmt_index(idx)} was {was}, is now {now})"]
        return [label]
    out = []
    if isinstance(before, list):
        for i, (b, a) in enumerate(zip(before, after)):
            out += _changed(b, a, f"{label}[{i}]")
    elif isinstance(before, dict):
        for k, b in before.items():
            out += _changed(b, after.get(k) if isinstance(after, dict) else None, f"{label}[{k!r}]")
    return out


def _parameter_names(fn: Callable, n: int) -> list[str]:
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"argument {i + 1}" for i in range(n)]


def call(fn: Callable, *args, returns: tuple[str, ...] | None = None, where: str = "", fp_hint: str = "", **kwargs):
    """Call a student's function ``fn(*args, **kwargs)`` under the grader's rules.

    Args:
        fn: the student's function; it must be a plain function defined in the
            notebook (a name imported from a library does not count).
        returns: names of the values ``fn`` must return as a tuple, e.g.
            ``("out", "cache")``; ``None`` for a single value.
        where: description of the test case, used in messages.
        fp_hint: advice appended when numpy reports overflow, division by zero
            or an invalid operation (these raise instead of printing a warning).

    Returns:
        Whatever ``fn`` returns.

    Raises:
        AssertionError: fn is not the student's function, emits a warning or a
            floating-point error, changes an array argument in place, or does
            not return a tuple of the requested length.
    """
    name = getattr(fn, "__name__", repr(fn))
    if not callable(fn) or getattr(fn, "__module__", None) != "__main__":
        raise AssertionError(
            f"{name} must be a function defined in this notebook (found {fn!r}); "
            "write it in the answer cell instead of importing it."
        )
    before_args = [_snapshot(a) for a in args]
    before_kwargs = {k: _snapshot(v) for k, v in kwargs.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                result = fn(*args, **kwargs)
        except FloatingPointError as err:
            raise AssertionError(
                f"{_prefix(where)}{name} hit a floating-point error: {err}. "
                + (fp_hint or "Look for exp of a large number, log of 0 or 0/0.")
            ) from None
    if caught:
        text = "; ".join(f"{w.category.__name__}: {w.message}" for w in caught[:3])
        raise AssertionError(f"{_prefix(where)}{name} emitted a warning ({text}). Your code must run without warnings.")
    changed = []
    names = _parameter_names(fn, len(args))
    for name_i, b, a in zip(names, before_args, args):
        changed += _changed(b, a, name_i)
    for k, b in before_kwargs.items():
        changed += _changed(b, kwargs[k], k)
    if changed:
        raise AssertionError(
            f"{_prefix(where)}{name} changed its input in place: {'; '.join(changed)}. "
            "Never modify the arrays you are given: compute new arrays (or work on x.copy())."
        )
    if returns is not None:
        if type(result) is not tuple or len(result) != len(returns):
            got = f"a tuple of {len(result)} values" if type(result) is tuple else f"a {type(result).__name__}"
            raise AssertionError(f"{_prefix(where)}{name} must return a tuple ({', '.join(returns)}), got {got}.")
    return result


def _type_error(name: str, actual, what: str, where: str) -> AssertionError:
    kind = (
        type(actual).__module__ + "." + type(actual).__name__
        if type(actual).__module__ != "builtins"
        else type(actual).__name__
    )
    hint = ""
    if isinstance(actual, torch.Tensor):
        hint = " This assignment is numpy only: do not use torch in your answer."
    elif isinstance(actual, (list, tuple)):
        hint = " Build it as a numpy array (np.zeros, np.array, ...)."
    return AssertionError(f"{_prefix(where)}{name} should be {what}, got {kind}.{hint}")


def _matches(actual: np.ndarray, candidate, rtol: float, atol: float) -> bool:
    candidate = _asarray(candidate, dtype=np.float64)
    if candidate.shape != actual.shape:
        return False
    with _errstate(all="ignore"):
        diff = _abs(actual - candidate)
        ok = diff <= atol + rtol * _abs(candidate)
    return bool(ok.all())


def _likely(actual, causes, rtol, atol) -> str:
    for candidate, text in causes:
        if _matches(actual, candidate, max(rtol, 1e-6), max(atol, 1e-8)):
            return " Likely cause: " + text
    return ""


def check_close(
    name: str,
    actual,
    expected: np.ndarray,
    *,
    where: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    causes: Iterable[tuple] = (),
    shape_hints: dict | None = None,
    hint: str = "",
) -> None:
    """Assert that a student's array equals a reference, with an actionable message.

    Args:
        name: what the value is called in the assignment (``"dx"``, ``"out"``).
        actual: the student's value; must be exactly a float64 ``np.ndarray``.
        expected: the reference array (float64, computed by the test).
        where: description of the test case (see :func:`describe`).
        rtol, atol: entry-wise tolerance ``|a - e| <= atol + rtol * |e|``.
        causes: pairs ``(candidate, explanation)``: the array a typical mistake
            produces (same shape as ``expected``) and what to say when the
            student's value matches it.
        shape_hints: ``{wrong_shape: explanation}`` for typical wrong shapes; the
            key ``None`` gives the explanation for any other wrong shape.
        hint: appended to a wrong-values message when no cause matches.

    Raises:
        AssertionError: wrong type, dtype, shape, non-finite values or values.
    """
    causes = list(causes)
    expected = _asarray(expected, dtype=np.float64)
    if type(actual) is not _ndarray:
        raise _type_error(name, actual, f"a numpy array of shape {expected.shape}", where)
    if actual.dtype != _float64:
        raise AssertionError(
            f"{_prefix(where)}{name} should have dtype float64, got {actual.dtype}. "
            "Create arrays with float64 entries (np.zeros(shape), x.astype(float), ...)."
        )
    if actual.shape != expected.shape:
        msg = f"{_prefix(where)}{name} has shape {actual.shape}, expected {expected.shape}."
        shape_hint = (shape_hints or {}).get(tuple(actual.shape))
        if shape_hint:
            msg += " " + shape_hint
        elif actual.ndim == 2 and actual.shape == expected.shape[::-1]:
            msg += " It looks transposed."
        elif actual.ndim == expected.ndim + 1 and actual.shape[1:] == expected.shape:
            msg += " It has an extra leading (batch) axis: did you forget to sum over the batch?"
        elif (shape_hints or {}).get(None):
            msg += " " + shape_hints[None]
        raise AssertionError(msg)
    finite = _isfinite(actual)
    if not finite.all() and _isfinite(expected).all():
        idx = _unravel_index(int(_argmax(~finite)), actual.shape)
        raise AssertionError(
            f"{_prefix(where)}{name} contains {int(_count_nonzero(~finite))} NaN/inf value(s), the first at "
            f"index {_fmt_index(idx)}: a numerical overflow?" + _likely(actual, causes, rtol, atol)
        )
    with _errstate(all="ignore"):
        err = _abs(actual - expected)
        bad = err > atol + rtol * _abs(expected)
    if not bad.any():
        return
    idx = _unravel_index(int(_argmax(err)), err.shape)
    msg = (
        f"{_prefix(where)}{name} is wrong in {int(_count_nonzero(bad))} of {bad.size} entries. "
        f"Largest error {float(err[idx]):.3g} at index {_fmt_index(idx)}: "
        f"got {float(actual[idx]):.6g}, expected {float(expected[idx]):.6g}."
    )
    likely = _likely(actual, causes, rtol, atol)
    if not likely:
        e_flat, a_flat = expected.ravel(), actual.ravel()
        energy = float(e_flat @ e_flat)
        if float(a_flat @ a_flat) == 0.0:
            likely = f" {name} is all zeros."
        elif actual.ndim == 2 and actual.shape[0] == actual.shape[1] and _matches(actual, expected.T, rtol, atol):
            likely = f" {name} is the transpose of the expected value."
        elif energy > 0 and _count_nonzero(e_flat) > 1:
            scale = float(a_flat @ e_flat) / energy
            if abs(scale - 1) > 1e-3 and _matches(actual, scale * expected, 1e-6, atol):
                likely = f" {name} is {scale:.4g} times the expected value."
        if not likely and hint:
            likely = " " + hint
    raise AssertionError(msg + likely)


def check_scalar(
    name: str,
    actual,
    expected: float,
    *,
    where: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    causes: Iterable[tuple] = (),
) -> None:
    """Assert that a student's scalar (``float``, ``np.float64`` or a 0-d float64
    array) equals ``expected``. ``causes`` are ``(candidate_value, explanation)`` pairs."""
    if type(actual) is _ndarray and actual.shape == () and actual.dtype == _float64:
        actual = float(actual)
    if type(actual) not in _FLOAT_TYPES:
        what = "a single number (a Python float or np.float64)"
        if type(actual) is _ndarray:
            raise AssertionError(
                f"{_prefix(where)}{name} should be {what}, got an array of shape "
                f"{actual.shape}: did you forget to sum/average it?"
            )
        raise _type_error(name, actual, what, where)
    actual = float(actual)
    if not math.isfinite(actual):
        raise AssertionError(
            f"{_prefix(where)}{name} is {actual}, expected {expected:.6g}: "
            "a numerical overflow?" + "".join(" Likely cause: " + t for c, t in causes if not math.isfinite(c))[:300]
        )
    if abs(actual - expected) <= atol + rtol * abs(expected):
        return
    msg = f"{_prefix(where)}{name} is {actual:.8g}, expected {expected:.8g}."
    for candidate, text in causes:
        if abs(actual - candidate) <= 1e-6 * max(1.0, abs(candidate)):
            msg += " Likely cause: " + text
            break
    else:
        if expected != 0 and abs(actual / expected - 1) > 1e-3:
            msg += f" That is {actual / expected:.4g} times the expected value."
    raise AssertionError(msg)


def check_int(name: str, actual, expected: int, *, where: str = "", causes: Iterable[tuple] = ()) -> None:
    """Assert that a student's value is an integer (``int`` or numpy integer, not
    ``bool`` or ``float``) equal to ``expected``."""
    if type(actual) not in _INT_TYPES:
        if type(actual) in (float, np.float64):
            raise AssertionError(
                f"{_prefix(where)}{name} should be an int, got the float {actual!r}: "
                "use floor division // instead of /."
            )
        raise _type_error(name, actual, "an int", where)
    if int(actual) != expected:
        msg = f"{_prefix(where)}{name} is {int(actual)}, expected {expected}."
        for candidate, text in causes:
            if int(actual) == candidate:
                msg += " Likely cause: " + text
                break
        raise AssertionError(msg)


def check_unchanged(name: str, actual, before: np.ndarray, *, where: str = "", by: str = "your code") -> None:
    """Assert that the caller's array ``actual`` still equals its copy ``before``."""
    changed = _changed(_snapshot(before), actual, name)
    if changed:
        raise AssertionError(
            f"{_prefix(where)}{by} changed {'; '.join(changed)} in place. "
            "Never modify arrays you are given or that sit in the cache."
        )


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function: the course's only one.

    grad_i = (f(x + h e_i) - f(x - h e_i)) / (2h), whose error is O(h^2). Notebook 03 calls it
    as ``layers.numerical_gradient`` (re-exported there); :func:`gradient_check` calls it with
    ``h=1e-6``. It uses only the numpy functions bound when this module was imported, so a
    submission that monkeypatches numpy later does not change it.

    Args:
        f: maps an array shaped like ``x`` to a scalar. Each call gets a fresh float64 copy
            (x with one entry moved by +-h), so ``f`` may not read ``x`` through a closure
            and may not rely on it being the caller's array.
        x: float array of any shape. It is **not** modified: the perturbations happen on a
            float64 copy.
        h: step size (> 0); 1e-5 by default, a good step for float64 on values of order one.

    Returns:
        float64 array shaped like ``x``.

    Raises:
        ValueError: ``h`` is not positive or ``x`` is not a floating-point array.
    """
    if not h > 0:
        raise ValueError(f"h must be positive, got {h!r}")
    if not isinstance(x, _ndarray) or x.dtype.kind != "f":
        raise ValueError("x must be a floating-point numpy array")
    x = _array(x, dtype=np.float64, copy=True)
    grad = _zeros_like(x)
    for idx in _ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = float(f(x.copy()))
        x[idx] = old - h
        minus = float(f(x.copy()))
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


#: The step :func:`gradient_check` uses (the assignments' tolerances were set with it).
GRADIENT_CHECK_STEP = 1e-6


def gradient_check(
    name: str,
    analytic,
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    *,
    where: str = "",
    rtol: float = 1e-5,
    atol: float = 1e-7,
    shape_hints: dict | None = None,
    hint: str = "",
) -> None:
    """Compare a student's gradient with the central-difference gradient of ``f`` at ``x``.

    ``f`` is usually built from the student's own forward pass and a random
    upstream gradient ``dout``: ``f = lambda x_: np.sum(forward(x_)[0] * dout)``,
    so a failure means the backward pass does not match the forward pass.
    """
    expected = numerical_gradient(f, x, h=GRADIENT_CHECK_STEP)
    check_close(
        name,
        analytic,
        expected,
        where=(where + "; " if where else "") + "compared with the numerical gradient of your forward pass",
        rtol=rtol,
        atol=atol,
        shape_hints=shape_hints,
        hint=hint,
    )


def torch_reference(fn: Callable, *arrays, dout: np.ndarray | None = None):
    """Output and gradients of a torch function, in float64 numpy arrays.

    Args:
        fn: a torch function of the tensors, e.g. ``lambda x, w: F.conv2d(x, w)``.
        *arrays: numpy inputs: floating arrays become float64 tensors that
            require gradients, integer arrays become int64 tensors (labels),
            anything else is passed through unchanged.
        dout: upstream gradient (shaped like the output). ``None`` for a
            scalar output (a loss: its gradient is taken directly) or for an
            array output when only the forward value is wanted (grads are ``None``).

    Returns:
        (out, grads): ``out`` as a numpy array (a float for a scalar) and a tuple
        with the gradient for each floating input (``None`` for the others).
    """
    tensors = []
    for a in arrays:
        if isinstance(a, _ndarray) and a.dtype.kind == "f":
            tensors.append(_torch_tensor(a, dtype=_torch_float64, requires_grad=True))
        elif isinstance(a, _ndarray) and a.dtype.kind in "iu":
            tensors.append(_torch_from_numpy(a.astype(np.int64)))
        else:
            tensors.append(a)
    out = fn(*tensors)
    if dout is None and out.dim() > 0:
        return out.detach().numpy().copy(), tuple(None for _ in tensors)
    if dout is None:
        out.backward()
        value = float(out.detach())
    else:
        out.backward(_torch_tensor(dout, dtype=_torch_float64))
        value = out.detach().numpy().copy()
    grads = tuple(
        t.grad.numpy().copy() if isinstance(t, torch.Tensor) and t.grad is not None else None for t in tensors
    )
    return value, grads
