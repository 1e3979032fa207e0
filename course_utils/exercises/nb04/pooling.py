"""Notebook 04's pooling: 04.4 max pooling, 04.5 average pooling as a convolution (see the package)."""

from __future__ import annotations

import re

import numpy as np

from ... import conv
from .. import Case, Mistake, Typical, as_array, compare
from .common import DECK_MAP, NotebookExercise, is_int

# ----------------------------------------------------------------------------- 04.4 max pooling


def _pool_loops(reduce="window.max(axis=(1, 2))"):
    """The body of max_pool as a student writes it; ``reduce`` changed is a typical mistake."""
    return f"""C, H, W = x.shape
oh, ow = H // size, W // size
out = np.zeros((C, oh, ow))
for i in range(oh):
    for j in range(ow):
        window = x[:, i * size:(i + 1) * size, j * size:(j + 1) * size]
        out[:, i, j] = {reduce}
return out"""


ARGMAX = (
    "Your values are positions inside the windows (whole numbers from 0 to size * size - 1), not values of x: "
    "np.argmax says WHERE the maximum is. Max pooling keeps the maximum itself: np.max."
)


def _pool_shapes(case: Case) -> dict:
    x, size = case.args
    c, h, w = x.shape
    return {
        (c, -(-h // size), -(-w // size)): "You kept the partial windows at the bottom and right edges: F.max_pool2d "
        "drops them, so there are H // size rows and W // size columns of windows.",
        (c, w // size, h // size): "Height and width are swapped: the output is (C, H // size, W // size).",
        (c // size, h // size, w): "You read x as (H, W, C), channels last: x is (C, H, W) here, channels first "
        "as in PyTorch, and so is the output, (C, H // size, W // size).",
        (h // size, w // size): "There is no channel axis: pool each channel on its own, the output is "
        "(C, H // size, W // size).",
    }


def _explain_pool(where, got, expected, shape_hints, exercise):
    """Any other wrong pooling: window positions in place of values (np.argmax in another layout), else the shape
    in words, or where and by how much."""
    array = as_array(where, got)
    if array.shape == expected.shape and np.array_equal(array, np.trunc(expected)):
        raise Mistake(
            "Your maxima lost their fractional part: an output array of integers (dtype=int) truncates every "
            "value written into it. Make it float: np.zeros((C, H // size, W // size))."
        )
    if (
        array.shape == expected.shape
        and np.all(array == np.round(array))
        and array.min() >= 0
        and array.max() < _pool_size(where) ** 2
    ):
        raise Mistake(ARGMAX)
    compare(where, got, expected, rtol=exercise.rtol, atol=exercise.atol, shape_hints=shape_hints)


def _pool_size(where: str) -> int:
    """The window size of a case, read from its label ``max_pool(x (C, H, W), size=k)``."""
    return int(re.search(r"size=(\d+)", where)[1])


check_max_pool = NotebookExercise(
    "04.4",
    "def max_pool(x, size=2):",
    todo="Write max_pool(x, size): the maximum of every non-overlapping size x size window of each channel.",
    cases=lambda: [  # sides that are not multiples of size: the leftover rows and columns are dropped
        Case(f"max_pool(x {x.shape}, size={size})", (x, size))
        for rng in [np.random.default_rng(404)]
        for x, size in [(DECK_MAP, 2), (rng.standard_normal((3, 7, 9)), 2), (rng.standard_normal((2, 9, 8)), 3)]
    ],
    reference="return conv.max_pool2d(x, size)",
    typical=[
        Typical(
            _pool_loops("window.mean(axis=(1, 2))"),
            "You averaged each window: max pooling keeps the LARGEST value of each window (np.max, not np.mean).",
        ),
        Typical(_pool_loops("window.reshape(C, -1).argmax(axis=1)"), ARGMAX),
        Typical(
            _pool_loops("window.max()"),
            "Every channel got the same value: your maximum runs over the channels too. Pool each channel on its "
            "own, over the window's two spatial axes: window.max(axis=(1, 2)).",
        ),
        Typical(
            "C, H, W = x.shape\nout = np.zeros((C, H - size + 1, W - size + 1))\n"
            "for i in range(H - size + 1):\n    for j in range(W - size + 1):\n"
            "        out[:, i, j] = x[:, i:i + size, j:j + size].max(axis=(1, 2))\nreturn out",
            "Your windows overlap (they move by 1 pixel): pooling windows sit side by side, the window for output "
            "(i, j) starts at row i * size and column j * size.",
        ),
        Typical(
            "C, H, W = x.shape\noh, ow = H // size, W // size\n"
            "return x[:, :oh * size, :ow * size].reshape(C, oh, ow, size, size).max(axis=(3, 4))",
            "You reshaped to (C, H // size, W // size, size, size), which mixes rows of different windows: "
            "reshape to (C, H // size, size, W // size, size) and take the max over axes 2 and 4.",
        ),
        Typical(
            "C, H, W = x.shape\nout = np.zeros((C, H // size, W // size))\nfor i in range(0, H, size):\n"
            "    for j in range(0, W, size):\n"
            "        out[:, i // size, j // size] = x[:, i:i + size, j:j + size].max(axis=(1, 2))\nreturn out",
            "Your loops also start a window in the leftover rows or columns (range(0, H, size) reaches the edge when "
            "size does not divide H): F.max_pool2d drops partial windows, so loop over the H // size full windows, "
            "range(H // size).",
        ),
    ],
    confirmation="deck 004's max-pooled map [[4, 7, 9], [1, 6, 7], [4, 5, 3]] and random stacks match. Each output "
    "answers 'is the feature anywhere in this window?', and the map shrinks by size along each axis.",
    shape_hints=_pool_shapes,
    explain=_explain_pool,
)

# ----------------------------------------------------------------------------- 04.5 pooling as a convolution


def _kernel_and_stride(where: str, size: int, answer) -> tuple[np.ndarray, int]:
    """The student's answer for ``size`` as a (size, size) kernel and a positive int, or :class:`Mistake`."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:  # a list [kernel, stride] is a pair too
        raise Mistake(f"{where} should return a pair (kernel, stride), got {answer!r:.80}.")
    if is_int(answer[0]) and np.shape(answer[1]) == (size, size):
        raise Mistake(f"{where} should return (kernel, stride) in that order: your first value is the stride.")
    kernel, stride = as_array("the kernel", answer[0]), answer[1]
    if kernel.shape != (size, size):
        raise Mistake(
            f"the kernel for size={size} has shape {kernel.shape}: it covers one pooling window, ({size}, {size})."
        )
    if not is_int(stride) or stride < 1:
        raise Mistake(f"the stride should be a positive int, got {stride!r}.")
    return kernel, int(stride)


def _explain_pooling(where, got, expected, shape_hints, exercise):
    """Any other (kernel, stride): deck 004's map (size 2) or a random stack (size 3) convolved, vs pooled."""
    size = expected[1]
    kernel, stride = _kernel_and_stride(where, size, got)
    x = DECK_MAP if size == 2 else np.random.default_rng(405).standard_normal((2, 7, 9))
    pooled = conv.conv2d(x[:, None], kernel[None, None], stride=stride)[:, 0]
    compare(f"conv2d(x {x.shape}, your kernel, stride={stride})", pooled, conv.avg_pool2d(x, size))


def _confirm_pooling(avg_pool_as_conv) -> str:  # the values are right (as numbers): a tuple, an int stride?
    for size in (2, 3):
        _kernel_and_stride(f"avg_pool_as_conv({size})", size, avg_pool_as_conv(size))
    return (
        "a constant kernel 1 / size^2 with stride = size is average pooling: a fixed (not learned) "
        "convolution applied to each channel, which is why it shrinks maps with no parameters to train."
    )


check_avg_pool_as_conv = NotebookExercise(
    "04.5",
    "def avg_pool_as_conv(size):",
    todo="Write avg_pool_as_conv(size): return (kernel, stride) such that a convolution with them "
    "is size x size average pooling.",
    cases=lambda: [Case(f"avg_pool_as_conv({size})", (size,)) for size in (2, 3)],
    reference="return np.full((size, size), 1 / size**2), size",
    typical=[
        Typical(
            "return np.ones((size, size)), size",
            "Your kernel sums the window: divide by the number of pixels in it, size * size (4 for size = 2).",
        ),
        Typical(
            "return np.full((size, size), 1 / size), size",
            "A window has size * size pixels (4 for size = 2), so each weight is 1 / size**2, not 1 / size.",
        ),
        Typical(
            "return np.full((size, size), 1 / size**2), 1",
            "Your windows overlap: with stride 1 the kernel slides pixel by pixel; pooling uses stride = size.",
        ),
        Typical(
            "return np.full((size, size), 1 / size**2), 2",
            "Your stride is 2 whatever the size: pooling windows sit side by side, so the stride is the window's "
            "side, stride = size.",
        ),
        Typical(
            "return np.full((size, size), 1 // size**2), size",
            "Your kernel is all zeros: 1 // size**2 is floor division, 0. Each weight is 1 / size**2, with /.",
        ),
    ],
    confirmation=_confirm_pooling,
    explain=_explain_pooling,
)
