"""Notebook 04's exercises beyond their declarations (tested in test_exercises_declared.py): other wrong
answers get a specific message (a hard-coded answer fails, only a window cut short by the edge is called so),
each typical mistake is told apart from the others on the case it is diagnosed on, lists, tensors, NumPy ints
and other correct formulations pass, and the claims the self-checks make are true (with torch)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import conv
from course_utils.exercises import CORRECT, HINT, _outcome, _same
from course_utils.exercises import nb04 as ex
from course_utils.exercises.nb04 import common, convolution, pooling, whole_layer

cross_correlate = ex.check_cross_correlate.function(ex.check_cross_correlate.reference)
max_pool = ex.check_max_pool.function(ex.check_max_pool.reference)
conv_layer = ex.check_conv_layer.solution
DECK_RESULT = np.array([[2, 2, -2], [1, 0, -1], [2, 0, -2]], dtype=float)


def layer_einsum(x, w, b, stride=1, padding=0):  # two loops, the rest vectorised
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    kh, kw = w.shape[2:]
    oh, ow = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
    out = np.empty((x.shape[0], w.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out + b.reshape(1, -1, 1, 1)


def layer_windows(x, w, b, stride=1, padding=0):  # sliding windows and one tensordot
    xp = np.pad(x, [(0, 0), (0, 0)] + [(padding, padding)] * 2)
    windows = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2) + b[:, None, None]


def layer_torch(x, w, b, stride=1, padding=0):  # torch tensors in, a tensor out
    return F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=stride, padding=padding)


def layer_channel_loop(x, w, b, stride=1, padding=0):  # the input channels summed in a loop of their own
    out = 0.0
    for c in range(x.shape[1]):
        out = out + conv.conv2d(x[:, c : c + 1], w[:, c : c + 1], stride=stride, padding=padding)
    return (out + b[None, :, None, None]).tolist()


def test_other_wrong_answers_get_a_specific_message(capsys):
    shifted = ex.check_conv2d_loops.function(convolution._conv_loops(at=" * stride + 1"))  # windows one pixel off
    for check, answer, message in [
        (ex.check_cross_correlate, lambda image, kernel: 2 * cross_correlate(image, kernel), "2 times the expected"),
        (ex.check_cross_correlate, lambda image, kernel: DECK_RESULT, "`cross_correlate(image (6, 8), kernel (3, 2))`"),
        (ex.check_conv2d_loops, lambda *args: np.zeros(3)[5], "an index ran past the end of an array"),
        (ex.check_conv2d_loops, shifted, "Your loops ask for more windows than fit"),
        (ex.check_conv2d_loops, lambda *args: int("two"), "your code raised ValueError"),
        (ex.check_conv2d_loops, lambda *args: {}["oops"], "your code raised KeyError"),
        (ex.check_max_pool, lambda x, size: max_pool(x, size)[:, :, ::-1], "wrong in"),
        (ex.check_max_pool, lambda x, size: max_pool(x, size).max(axis=0), "There is no channel axis"),
        (ex.check_max_pool, lambda x, size: -max_pool(-x, size)[:, :1], "has shape (1, 1, 3), expected (1, 3, 3)"),
        (ex.check_max_pool, lambda x, size: np.ones_like(max_pool(x, size)), ex.ARGMAX),  # indices in another layout
        (ex.check_max_pool, lambda x, size: conv.max_pool2d(np.pad(x, ((0, 0), (0, 1), (0, 1))), size), "partial"),
        (ex.check_same_padding, lambda k, dilation: "two", "array of numbers"),
        (ex.check_avg_pool_as_conv, lambda size: np.ones((size, size)), "pair (kernel, stride)"),
        (ex.check_avg_pool_as_conv, lambda size: (np.full((size, size), 1 / size**2),), "pair (kernel, stride)"),
        (ex.check_avg_pool_as_conv, lambda size: (np.ones((size, 1)), size), "shape (2, 1): it covers one pooling"),
        (ex.check_avg_pool_as_conv, lambda size: (np.full((size, size), size**-2), size / 1), "positive int, got 2.0"),
        (ex.check_avg_pool_as_conv, lambda size: (np.eye(size), size), "`conv2d(x (1, 6, 6), your kernel, stride=2)`"),
        (ex.check_conv_layer, lambda *a: conv_layer(*a) + 1, "the convolution is right and the bias is not"),
        (ex.check_conv_layer, lambda *a: conv_layer(*a).transpose(1, 0, 2, 3), "batch and channel axes are swapped"),
        (ex.check_conv_layer, lambda *a: conv_layer(*a).swapaxes(2, 3), "Height and width are swapped"),
        (ex.check_conv_layer, lambda *a: conv_layer(*a)[:, 0], "There is no output-channel axis"),
        (ex.check_conv_layer, lambda *a: 2 * conv_layer(*a), "`conv_layer(x (2, 3, 8, 6), w (4, 3, 3, 2), b (4,)"),
        (ex.check_conv_layer, lambda x, w, *a: x @ w, "the shapes do not fit"),
    ]:
        check(answer)
        out = capsys.readouterr().out
        assert out.startswith(f"[{check.eid}] {HINT}") and message in out, out
        assert ("run past" in out) == (answer is shifted), out  # a window past the edge, and only that, is called so


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_each_typical_mistake_is_told_apart_where_it_is_diagnosed():
    # the check gives the hint of the first case on which the answer differs from the reference: there, no other
    # typical mistake of the exercise may give the same outcome (else one of the two gets the other's hint)
    for exercise in ex.EXERCISES:
        cases = exercise.cases()
        functions = [exercise.function(exercise.reference)] + [exercise.function(t.body) for t in exercise.typical]
        outcomes = [[_outcome(f, case, True) for f in functions] for case in cases]
        tolerance = exercise.rtol, exercise.atol
        for t in range(1, len(functions)):
            first = next((o for o in outcomes if not _same(o[t], o[0], *tolerance)), None)
            if first is None:  # the right value in the wrong type (a float padding): the confirmation refuses it
                assert exercise is ex.check_same_padding, exercise.typical[t - 1].hint
                continue
            clashes = [u for u in range(1, len(functions)) if u != t and _same(first[t], first[u], *tolerance)]
            assert not clashes, (
                exercise.eid,
                exercise.typical[t - 1].hint,
                [exercise.typical[u - 1].hint for u in clashes],
            )


def test_a_window_past_the_edge_is_told_from_other_errors():
    for message, past in [
        ("operands could not be broadcast together with shapes (3,2) (3,3)", True),
        ("operands could not be broadcast together with shapes (3,1,3) (3,2,3)", True),
        ("operands could not be broadcast together with shapes (5,2,3) (3,2,3)", False),  # the channels padded
        ("operands could not be broadcast together with shapes (3,3,2) (3,2,3)", False),  # kh and kw swapped
        ("operands could not be broadcast together with shapes (2,4,4,3) (4,)", False),  # out + b
        ("setting an array element with a sequence.", False),
    ]:
        assert common.window_past_the_edge(ValueError(message)) == past, message
    assert not common.window_past_the_edge(
        TypeError("operands could not be broadcast together with shapes (3,2) (3,3)")
    )


def test_lists_tensors_numpy_ints_and_other_formulations_are_accepted(capsys):
    for check, answer in [
        (ex.check_cross_correlate, lambda image, kernel: cross_correlate(image, kernel).tolist()),
        # the mistakes' template, unchanged
        (ex.check_conv2d_loops, ex.check_conv2d_loops.function(convolution._conv_loops())),
        (ex.check_max_pool, lambda x, size: torch.from_numpy(max_pool(x, size))),
        (ex.check_max_pool, ex.check_max_pool.function(pooling._pool_loops())),
        (ex.check_same_padding, lambda k, dilation: np.int64(dilation * (k - 1) // 2)),
        (ex.check_avg_pool_as_conv, lambda size: (torch.full((size, size), 1 / size**2, dtype=torch.float64), size)),
        (ex.check_avg_pool_as_conv, lambda size: ([[1 / size**2] * size] * size, np.int64(size))),
        (ex.check_avg_pool_as_conv, lambda size: [np.full((size, size), 1 / size**2), size]),
        (ex.check_conv_layer, ex.check_conv_layer.function(whole_layer._layer())),  # the mistakes' template: loops
        (ex.check_conv_layer, layer_einsum),
        (ex.check_conv_layer, layer_windows),
        (ex.check_conv_layer, layer_torch),
        (ex.check_conv_layer, layer_channel_loop),
        (ex.check_conv_layer, lambda x, w, b, stride=1, padding=0: conv.conv2d_naive(x, w, b, stride, padding)),
    ]:
        check(answer)
        out = capsys.readouterr().out
        assert out.startswith(f"[{check.eid}] {CORRECT}"), out
        assert ex.accepted(check, answer)


def test_the_notebook_runs_the_reference_layer_until_the_students_is_accepted(capsys):
    def stub(x, w, b, stride=1, padding=0):
        return None  # YOUR CODE HERE

    wrong = ex.check_conv_layer.function(whole_layer._layer(value=whole_layer._SUM.replace(" + b[o]", "")))
    assert not ex.accepted(ex.check_conv_layer, stub) and not ex.accepted(ex.check_conv_layer, wrong)
    assert ex.accepted(ex.check_conv_layer, layer_einsum)
    assert capsys.readouterr().out == ""  # accepted() prints nothing
    x, w, b = np.ones((1, 3, 4, 5)), np.ones((5, 3, 3, 3)), np.arange(5.0)
    assert np.array_equal(conv_layer(x, w, b, padding=1)[0, :, 1, 1], 27 + np.arange(5.0))  # 3 channels x 3 x 3


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
    assert ex.QUIZZES["04.q1"].answer == ex.QUIZZES["04.q3"].answer == "b"


def test_quiz_q3_each_option_as_its_explanation_says():
    q3 = ex.QUIZZES["04.q3"]
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 2, 6, 8)))
    # (a) 2 x 2 average pooling is conv2d with a constant 1/4 kernel and stride 2 (each channel on its own)
    quarter = torch.full((2, 1, 2, 2), 0.25, dtype=torch.float64)
    assert torch.allclose(F.conv2d(x, quarter, stride=2, groups=2), F.avg_pool2d(x, 2))
    # (b) max pooling is not linear, so no kernel computes it
    y = torch.from_numpy(np.random.default_rng(1).standard_normal((1, 2, 6, 8)))
    assert not torch.allclose(F.max_pool2d(x + y, 2), F.max_pool2d(x, 2) + F.max_pool2d(y, 2))
    # (c) the kernel [1, 0, 0] with padding=(0, 1), as the explanation says, shifts right by one with a zero in front
    right = torch.tensor([[[[1.0, 0.0, 0.0]]]], dtype=torch.float64)
    one = x[:, :1]
    shifted = F.conv2d(one, right, padding=(0, 1))
    assert shifted.shape == one.shape and torch.equal(shifted[..., 1:], one[..., :-1]) and not shifted[..., 0].any()
    assert "padding=(0, 1)" in q3.explanations["c"]
    assert F.conv2d(one, right, padding=1).shape[-2:] == (one.shape[-2] + 2, one.shape[-1])  # padding=1: 2 rows more
    # (d) mixing the channels with one matrix at every pixel is the 1 x 1 convolution
    mix = torch.from_numpy(np.random.default_rng(2).standard_normal((3, 2)))
    assert torch.allclose(F.conv2d(x, mix[:, :, None, None]), torch.einsum("oc,nchw->nohw", mix, x))
    assert q3.answer == "b" and "1 x 1 convolution" in q3.explanations["d"]


def test_probed_mistakes_outside_the_declarations_get_their_hint(capsys):
    def one_window_too_many(image, kernel):  # the output sized right, the loops one position longer
        kh, kw = kernel.shape
        out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
        for i in range(image.shape[0] - kh + 2):
            for j in range(out.shape[1]):
                out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
        return out

    def channels_last(x, size=2):
        H, W, C = x.shape
        return np.zeros((H // size, W // size, C))

    truncated = lambda x, size: max_pool(x, size).astype(int)  # an int output array
    for check, answer, message in [
        (ex.check_cross_correlate, one_window_too_many, "run past the image's bottom and right edges"),
        (ex.check_cross_correlate, lambda image, kernel: np.zeros(2)[3], "out has n - k + 1 rows"),
        (ex.check_max_pool, truncated, "Your maxima lost their fractional part"),
        (ex.check_max_pool, channels_last, "You read x as (H, W, C), channels last"),
        (ex.check_avg_pool_as_conv, lambda size: (size, np.full((size, size), 1 / size**2)), "in that order"),
    ]:
        check(answer)
        out = capsys.readouterr().out
        assert out.startswith(f"[{check.eid}] {HINT}") and message in out, out
        assert "argmax" not in out, out  # whole numbers from truncation are no window positions


def test_probed_alternatives_are_accepted(capsys):
    windows = lambda image, kernel: (np.lib.stride_tricks.sliding_window_view(image, kernel.shape) * kernel).sum((2, 3))
    for check, answer in [
        (ex.check_cross_correlate, windows),
        (ex.check_same_padding, lambda k, dilation=1: round(dilation * (k - 1) / 2)),
        (ex.check_same_padding, lambda k, dilation=1: dilation * (k // 2)),
        (ex.check_avg_pool_as_conv, lambda size: (np.ones((size, size)) / (size * size), int(size))),
    ]:
        check(answer)
        assert capsys.readouterr().out.startswith(f"[{check.eid}] {CORRECT}")
