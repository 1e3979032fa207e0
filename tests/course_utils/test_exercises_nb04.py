"""Notebook 04's exercise checks: the stub, a right answer, every typical mistake, the quizzes."""

import numpy as np
import pytest

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, nb04


def cross_correlate(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


def conv2d_loops(image, kernel, stride=1, padding=0):
    kh, kw = kernel.shape
    padded = np.pad(image, padding)
    oh = (image.shape[0] + 2 * padding - kh) // stride + 1
    ow = (image.shape[1] + 2 * padding - kw) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(padded[i * stride : i * stride + kh, j * stride : j * stride + kw] * kernel)
    return out


def same_padding(k, dilation=1):
    return dilation * (k - 1) // 2


def max_pool(x, size=2):
    c, h, w = x.shape
    return x[:, : h // size * size, : w // size * size].reshape(c, h // size, size, w // size, size).max(axis=(2, 4))


def avg_pool_as_conv(size):
    return np.full((size, size), 1 / size**2), size


CASES = {
    "04.1": (nb04.check_cross_correlate, cross_correlate),
    "04.2": (nb04.check_conv2d_loops, conv2d_loops),
    "04.3": (nb04.check_same_padding, same_padding),
    "04.4": (nb04.check_max_pool, max_pool),
    "04.5": (nb04.check_avg_pool_as_conv, avg_pool_as_conv),
}


def _stub(*args, **kwargs):
    return None  # YOUR CODE HERE


@pytest.mark.parametrize("eid", CASES)
def test_stub_is_not_attempted(eid, capsys):
    check, _ = CASES[eid]
    check(_stub)
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {NOT_ATTEMPTED}"), out


@pytest.mark.parametrize("eid", CASES)
def test_right_answer_confirms(eid, capsys):
    check, solution = CASES[eid]
    check(solution)
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {CORRECT}"), out


@pytest.mark.parametrize("eid,k", [(eid, k) for eid, ms in nb04.MISTAKES.items() for k in range(len(ms))])
def test_typical_mistake_gets_its_hint(eid, k, capsys):
    code, hint = nb04.MISTAKES[eid][k]
    namespace = {"np": np}
    exec(code, namespace)
    check, solution = CASES[eid]
    check(namespace[solution.__name__])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_every_exercise_has_two_mistakes():
    assert set(nb04.MISTAKES) == set(CASES)
    assert all(len(m) >= 2 for m in nb04.MISTAKES.values())


def test_other_wrong_answers_get_a_generic_message(capsys):
    nb04.check_cross_correlate(lambda image, kernel: 2 * cross_correlate(image, kernel))
    nb04.check_max_pool(lambda x, size: max_pool(x, size)[:, :, ::-1])
    nb04.check_same_padding(lambda k, dilation: "two")
    nb04.check_avg_pool_as_conv(lambda size: np.ones((size, size)))
    outputs = capsys.readouterr().out.splitlines()
    assert "2 times the expected value" in outputs[0]
    assert outputs[1].startswith(f"[04.4] {HINT}") and "wrong in" in outputs[1]
    assert outputs[2].startswith(f"[04.3] {HINT}") and "array of numbers" in outputs[2]
    assert outputs[3].startswith(f"[04.5] {HINT}") and "pair (kernel, stride)" in outputs[3]


def test_student_exceptions_become_hints(capsys):
    def broken(image, kernel, stride=1, padding=0):
        raise KeyError("oops")

    nb04.check_conv2d_loops(broken)
    out = capsys.readouterr().out
    assert out.startswith(f"[04.2] {HINT}") and "KeyError" in out


def test_a_hard_coded_answer_does_not_pass(capsys):
    deck = np.array([[2, 2, -2], [1, 0, -1], [2, 0, -2]], dtype=float)
    nb04.check_cross_correlate(lambda image, kernel: deck)
    assert capsys.readouterr().out.startswith(f"[04.1] {HINT}")


@pytest.mark.parametrize("qid", nb04.QUIZZES)
def test_quizzes_have_feedback_for_every_answer(qid, capsys):
    q = nb04.QUIZZES[qid]
    if q.options:
        assert q.answer in q.options and set(q.explanations) == set(q.options)
        for key in q.options:
            nb04.quiz(qid, answer=key)
            out = capsys.readouterr().out
            assert out.startswith(f"[{qid}] {CORRECT if key == q.answer else HINT}")
            assert q.explanations[key] in out
    else:
        nb04.quiz(qid, answer=q.answer)
        assert capsys.readouterr().out.startswith(f"[{qid}] {CORRECT}")
        nb04.quiz(qid, answer=q.answer + 1)
        assert q.wrong in capsys.readouterr().out


def test_numeric_quiz_answers_are_right():
    import torch

    from course_utils import conv

    assert nb04.QUIZZES["04.q2"].answer == conv.conv_output_size(28, 5, stride=2, padding=2, dilation=2)
    layer = torch.nn.Conv2d(3, 16, kernel_size=5)
    assert nb04.QUIZZES["04.q4"].answer == sum(p.numel() for p in layer.parameters())
    # 04.q1: only the blur kernel is unchanged by the 180-degree rotation of true convolution
    deck = np.array([[-1, 0, 1]] * 3, dtype=float)
    for kernel, same in [
        (deck, False),
        (conv.KERNEL_PRESETS["blur"], True),
        (conv.KERNEL_PRESETS["left sobel"], False),
    ]:
        assert np.array_equal(kernel[::-1, ::-1], kernel) == same
    # 04.q3: the shift of option c is a convolution; max pooling is not linear
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 6))
    shifted = conv.conv2d(x, np.array([[[[1.0, 0.0, 0.0]]]]), padding=(0, 1))
    np.testing.assert_array_equal(shifted[..., 1:], x[..., :-1])
    assert np.all(shifted[..., 0] == 0)
    y = np.random.default_rng(1).standard_normal((1, 4, 4))
    assert not np.allclose(conv.max_pool2d(x[0, :, :4, :4] + y), conv.max_pool2d(x[0, :, :4, :4]) + conv.max_pool2d(y))


def test_quiz_widget_is_built_without_revealing_the_answer():
    box = nb04.quiz("04.q1")
    assert box.children[1].value is None
