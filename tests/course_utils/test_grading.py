"""Unit tests of course_utils.grading, the checks behind the assignments' test cells."""

import numpy as np
import pytest
import torch

from course_utils import grading
from course_utils.grading import (
    call,
    check_close,
    check_int,
    check_scalar,
    check_unchanged,
    describe,
    gradient_check,
    numerical_gradient,
    torch_reference,
)


def notebook_function(source: str):
    """Define a function as a notebook cell would (its __module__ is __main__)."""
    namespace = {"__name__": "__main__", "np": np}
    exec(source, namespace)
    return next(v for k, v in namespace.items() if callable(v) and not k.startswith("__") and k != "np")


# --------------------------------------------------------------------------- #
# check_close
# --------------------------------------------------------------------------- #


def test_check_close_accepts_equal_arrays():
    check_close("out", np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]))


@pytest.mark.parametrize(
    "value, phrase",
    [
        ([1.0, 2.0], "got list"),
        (torch.tensor([1.0, 2.0]), "numpy only"),
        (np.array([1.0, 2.0]).view(np.matrix), "got numpy.matrix"),
        (3.0, "got float"),
    ],
)
def test_check_close_wants_exactly_an_ndarray(value, phrase):
    with pytest.raises(AssertionError, match=phrase):
        check_close("out", value, np.array([1.0, 2.0]))


def test_check_close_wants_float64():
    with pytest.raises(AssertionError, match="dtype float64, got int64"):
        check_close("out", np.array([1, 2]), np.array([1.0, 2.0]))


def test_check_close_explains_wrong_shapes():
    expected = np.zeros((2, 3))
    with pytest.raises(AssertionError, match=r"shape \(3, 2\), expected \(2, 3\). It looks transposed"):
        check_close("dw", np.zeros((3, 2)), expected)
    with pytest.raises(AssertionError, match="extra leading"):
        check_close("db", np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(AssertionError, match="crop it"):
        check_close("dx", np.zeros((2, 5)), expected, shape_hints={(2, 5): "crop it"})
    with pytest.raises(AssertionError, match="size first"):
        check_close("out", np.zeros((2, 4)), expected, shape_hints={None: "size first"})


def test_check_close_names_the_largest_error_and_where():
    expected = np.arange(6.0).reshape(2, 3)
    actual = expected.copy()
    actual[1, 2] += 0.5
    actual[0, 0] += 0.1
    with pytest.raises(AssertionError) as err:
        check_close("dx", actual, expected, where="case A")
    msg = str(err.value)
    assert msg.startswith("[case A] dx is wrong in 2 of 6 entries")
    assert "Largest error 0.5 at index [1, 2]: got 5.5, expected 5" in msg


def test_check_close_recognises_causes_scales_and_transposes():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(AssertionError, match="Likely cause: averaged"):
        check_close("db", expected / 4, expected, causes=[(expected / 4, "averaged")])
    with pytest.raises(AssertionError, match="is -1 times the expected value"):
        check_close("dx", -expected, expected)
    with pytest.raises(AssertionError, match="transpose of the expected"):
        check_close("dw", expected.T.copy(), expected)
    with pytest.raises(AssertionError, match="all zeros"):
        check_close("dw", np.zeros((2, 2)), expected)
    with pytest.raises(AssertionError, match="use \\+="):
        check_close("dx", expected + np.array([[0.0, 1.0], [0.0, 0.0]]), expected, hint="use +=")


def test_check_close_reports_non_finite_values():
    with pytest.raises(AssertionError, match=r"1 NaN/inf value\(s\), the first at index \[1\]"):
        check_close("loss terms", np.array([1.0, np.inf]), np.array([1.0, 2.0]))


def test_check_close_ignores_later_monkeypatching_of_numpy(monkeypatch):
    monkeypatch.setattr(np, "abs", lambda a: np.zeros_like(a))
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    with pytest.raises(AssertionError, match="wrong in 1 of 2"):
        check_close("out", np.array([1.0, 3.0]), np.array([1.0, 2.0]))


# --------------------------------------------------------------------------- #
# scalars and ints
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("value", [2.5, np.float64(2.5), np.array(2.5)])
def test_check_scalar_accepts_floats(value):
    check_scalar("loss", value, 2.5)


def test_check_scalar_explains_mistakes():
    with pytest.raises(AssertionError, match="got an array of shape \\(3,\\)"):
        check_scalar("loss", np.ones(3), 1.0)
    with pytest.raises(AssertionError, match="Likely cause: N times too large"):
        check_scalar("loss", 7.5, 2.5, causes=[(7.5, "N times too large")])
    with pytest.raises(AssertionError, match="3 times the expected"):
        check_scalar("loss", 7.5, 2.5)
    with pytest.raises(AssertionError, match="overflow"):
        check_scalar("loss", float("inf"), 2.5)


def test_check_int():
    check_int("size", 3, 3)
    check_int("size", np.int64(3), 3)
    with pytest.raises(AssertionError, match="floor division"):
        check_int("size", 3.0, 3)
    with pytest.raises(AssertionError, match="should be an int"):
        check_int("size", True, 1)
    with pytest.raises(AssertionError, match="is 2, expected 3. Likely cause: off by one"):
        check_int("size", 2, 3, causes=[(2, "off by one")])


# --------------------------------------------------------------------------- #
# call
# --------------------------------------------------------------------------- #


def test_call_runs_a_notebook_function_and_checks_what_it_returns():
    fn = notebook_function("def relu_forward(x):\n    return np.maximum(x, 0), x\n")
    out, cache = call(fn, np.array([-1.0, 2.0]), returns=("out", "cache"))
    assert out.tolist() == [0.0, 2.0]
    with pytest.raises(AssertionError, match=r"must return a tuple \(out, cache, extra\), got a tuple of 2"):
        call(fn, np.array([1.0]), returns=("out", "cache", "extra"))


def test_call_rejects_imported_functions():
    with pytest.raises(AssertionError, match="defined in this notebook"):
        call(np.maximum, np.ones(2), 0)
    with pytest.raises(AssertionError, match="defined in this notebook"):
        call(describe, x=np.ones(2))


def test_call_detects_in_place_changes_by_parameter_name():
    fn = notebook_function("def relu_forward(x):\n    x[x < 0] = 0\n    return x, None\n")
    with pytest.raises(AssertionError, match=r"changed its input in place: x \(entry \[0\] was -1, is now 0\)"):
        call(fn, np.array([-1.0, 2.0]), where="example")
    backward = notebook_function("def pool_backward(dout, cache):\n    cache[0][:] = 0\n    return dout\n")
    with pytest.raises(AssertionError, match=r"cache\[0\]"):
        call(backward, np.ones(2), (np.ones(2), 3))


def test_call_shows_every_digit_of_an_in_place_change_in_the_last_digits():
    """x[i] += h; x[i] -= 2 * h; x[i] += h leaves -1.5 as -1.4999999999999998: both print as -1.5 with 6
    digits, so the message shows 17 and says what to do."""
    drift = notebook_function(
        "def drift(x, h=1e-5):\n    x[0] += h\n    x[0] -= 2 * h\n    x[0] += h\n    return x.sum()\n"
    )
    x = np.array([-1.5, 2.0])
    assert x[0] + 1e-5 - 2e-5 + 1e-5 != -1.5  # the premise: the arithmetic does not restore the value
    with pytest.raises(
        AssertionError, match=r"x \(entry \[0\] was -1.5, is now -1.4999999999999998: a rounding change"
    ) as err:
        call(drift, x)
    assert "put back the saved value instead, x[i] = old" in str(err.value)


def test_call_turns_overflow_and_warnings_into_messages():
    fn = notebook_function("def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n")
    with pytest.raises(AssertionError, match="overflow encountered in exp. use masks"):
        call(fn, np.array([-1000.0]), fp_hint="use masks")
    noisy = notebook_function("import warnings\ndef f(x):\n    warnings.warn('careful')\n    return x\n")
    with pytest.raises(AssertionError, match="emitted a warning \\(UserWarning: careful\\)"):
        call(noisy, 1.0)


# --------------------------------------------------------------------------- #
# gradients and references
# --------------------------------------------------------------------------- #


def test_numerical_gradient_matches_the_analytic_one_and_keeps_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    g = numerical_gradient(lambda v: float(np.sum(np.sin(v) * v)), x, h=1e-6)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-8)
    check_unchanged("x", x, before)


def test_numerical_gradient_hands_f_a_copy_and_rejects_bad_arguments():
    x = np.array([1.0, 2.0])
    seen = []

    def f(v):
        seen.append(v)
        v[...] = 0.0  # f may scribble on its argument: neither x nor later calls see it
        return 0.0

    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert all(v is not x for v in seen) and len(seen) == 4
    with pytest.raises(ValueError, match="positive"):
        numerical_gradient(lambda v: 0.0, x, h=0.0)
    with pytest.raises(ValueError, match="floating-point"):
        numerical_gradient(lambda v: 0.0, np.zeros(3, dtype=int))


def test_numerical_gradient_ignores_later_monkeypatching_of_numpy(monkeypatch):
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    monkeypatch.setattr(np, "zeros_like", lambda a, *args, **kw: np.ones(np.shape(a)))
    monkeypatch.setattr(np, "ndindex", lambda *shape: iter([]))
    g = numerical_gradient(lambda v: float((v * v).sum()), x, h=1e-6)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-8)


def test_layers_reexports_the_one_numerical_gradient():
    from course_utils import layers

    assert layers.numerical_gradient is numerical_gradient


def test_gradient_check_and_check_unchanged_fail_loudly():
    x = np.array([1.0, 2.0])
    gradient_check("dx", 2 * x, lambda v: float(np.sum(v**2)), x)
    with pytest.raises(AssertionError, match="compared with the numerical gradient"):
        gradient_check("dx", x.copy(), lambda v: float(np.sum(v**2)), x)
    with pytest.raises(AssertionError, match="by relu_forward changed x"):
        check_unchanged("x", np.array([0.0, 2.0]), np.array([1.0, 2.0]), by="by relu_forward")


def test_torch_reference_gives_outputs_and_gradients():
    x, w = np.array([[1.0, 2.0]]), np.array([[1.0], [3.0]])
    dout = np.array([[2.0]])
    out, (dx, dw) = torch_reference(lambda x, w: x @ w, x, w, dout=dout)
    assert out.tolist() == [[7.0]] and dx.tolist() == [[2.0, 6.0]] and dw.tolist() == [[2.0], [4.0]]
    loss, (dscores, dy) = torch_reference(torch.nn.functional.cross_entropy, np.zeros((2, 2)), np.array([0, 1]))
    assert loss == pytest.approx(np.log(2)) and dy is None and dscores.shape == (2, 2)
    out, grads = torch_reference(torch.relu, np.array([-1.0, 1.0]))
    assert out.tolist() == [0.0, 1.0] and grads == (None,)


def test_describe():
    assert describe(x=np.zeros((2, 3)), stride=2) == "x (2, 3), stride=2"
    assert set(grading.__all__) >= {"call", "check_close", "torch_reference"}
