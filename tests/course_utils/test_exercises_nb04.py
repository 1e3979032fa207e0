"""Notebook 04's exercises beyond their declarations (tested in test_exercises_declared.py): other wrong
answers get a specific message (a hard-coded answer fails, only a window past the edge is called so),
lists, tensors and NumPy ints pass, and the claims the self-checks make are true."""

import numpy as np
import torch

from course_utils import conv
from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb04 as ex

cross_correlate = ex.check_cross_correlate.function(ex.check_cross_correlate.reference)
max_pool = ex.check_max_pool.function(ex.check_max_pool.reference)
DECK_RESULT = np.array([[2, 2, -2], [1, 0, -1], [2, 0, -2]], dtype=float)


def test_other_wrong_answers_get_a_specific_message(capsys):
    for check, answer, message in [
        (ex.check_cross_correlate, lambda image, kernel: 2 * cross_correlate(image, kernel), "2 times the expected"),
        (ex.check_cross_correlate, lambda image, kernel: DECK_RESULT, "`cross_correlate(image (6, 8), kernel (3, 2))`"),
        (ex.check_conv2d_loops, lambda *args: np.zeros(3)[5], "your code raised IndexError (index"),
        (ex.check_conv2d_loops, lambda *args: int("two"), "your code raised ValueError"),
        (ex.check_conv2d_loops, lambda *args: {}["oops"], "your code raised KeyError"),
        (ex.check_max_pool, lambda x, size: max_pool(x, size)[:, :, ::-1], "wrong in"),
        (ex.check_same_padding, lambda k, dilation: "two", "array of numbers"),
        (ex.check_avg_pool_as_conv, lambda size: np.ones((size, size)), "pair (kernel, stride)"),
        (ex.check_avg_pool_as_conv, lambda size: [np.full((size, size), 1 / size**2), size], "pair (kernel, stride)"),
        (ex.check_avg_pool_as_conv, lambda size: (np.ones((size, 1)), size), "shape (2, 1): it covers one pooling"),
        (ex.check_avg_pool_as_conv, lambda size: (np.full((size, size), 1 / size**2), 2.0), "positive int, got 2.0"),
        (ex.check_avg_pool_as_conv, lambda size: (np.eye(size), size), "`conv2d(x (1, 6, 6), your kernel, stride=2)`"),
    ]:
        check(answer)
        out = capsys.readouterr().out
        assert out.startswith(f"[{check.eid}] {HINT}") and message in out, out
        assert ("a window ran past the edge" in out) == ("IndexError (index" in message), out


def test_lists_tensors_and_numpy_ints_are_accepted(capsys):
    for check, answer in [
        (ex.check_cross_correlate, lambda image, kernel: cross_correlate(image, kernel).tolist()),
        (ex.check_conv2d_loops, ex.check_conv2d_loops.function(ex._conv_loops())),  # the mistakes' template, unchanged
        (ex.check_max_pool, lambda x, size: torch.from_numpy(max_pool(x, size))),
        (ex.check_same_padding, lambda k, dilation: np.int64(dilation * (k - 1) // 2)),
        (ex.check_avg_pool_as_conv, lambda size: (torch.full((size, size), 1 / size**2, dtype=torch.float64), size)),
        (ex.check_avg_pool_as_conv, lambda size: ([[1 / size**2] * size] * size, np.int64(size))),
    ]:
        check(answer)
        out = capsys.readouterr().out
        assert out.startswith(f"[{check.eid}] {CORRECT}"), out


def test_every_quiz_answer_has_feedback_and_the_self_checks_claims_are_true():
    for q in ex.QUIZZES.values():
        assert set(q.explanations) == set(q.options) if q.options else q.wrong and q.explanations["right"]
    assert ex.quiz("04.q1").children[1].value is None  # the widget does not reveal the answer
    assert ex.QUIZZES["04.q2"].answer == conv.conv_output_size(28, 5, stride=2, padding=2, dilation=2)
    assert ex.QUIZZES["04.q4"].answer == sum(p.numel() for p in torch.nn.Conv2d(3, 16, kernel_size=5).parameters())
    # 04.q1: only the blur kernel is unchanged by the 180-degree rotation of true convolution
    blur, sobel, deck = conv.KERNEL_PRESETS["blur"], conv.KERNEL_PRESETS["left sobel"], np.array([[-1, 0, 1]] * 3)
    for kernel, same in [(deck, False), (blur, True), (sobel, False)]:
        assert np.array_equal(kernel[::-1, ::-1], kernel) == same
    # 04.q3: the shift of option c is a convolution; max pooling is not linear
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 6))
    shifted = conv.conv2d(x, np.array([[[[1.0, 0.0, 0.0]]]]), padding=(0, 1))
    np.testing.assert_array_equal(shifted[..., 1:], x[..., :-1])
    assert np.all(shifted[..., 0] == 0)
    y = np.random.default_rng(1).standard_normal((1, 4, 4))
    assert not np.allclose(conv.max_pool2d(x[0, :, :4, :4] + y), conv.max_pool2d(x[0, :, :4, :4]) + conv.max_pool2d(y))
    assert ex.QUIZZES["04.q1"].answer == ex.QUIZZES["04.q3"].answer == "b"
