"""Exercises and self-check questions of notebook 04 (convolutions).

* 04.1 ``cross_correlate(image, kernel)`` - valid cross-correlation with loops;
* 04.2 ``conv2d_loops(image, kernel, stride, padding)`` - the same with stride and zero padding;
* 04.3 ``same_padding(k, dilation)`` - the padding that keeps the size at stride 1;
* 04.4 ``max_pool(x, size)`` - non-overlapping max pooling of a (C, H, W) stack;
* 04.5 ``avg_pool_as_conv(size)`` - average pooling written as a convolution (kernel, stride).

Each is declared once (:class:`~course_utils.exercises.Exercise`): seeded inputs plus the decks' worked
examples, the reference (:mod:`course_utils.conv`, which the rest of the notebook uses), and each typical
mistake as the code a student would write (with the notebook's ``np``, ``torch``, ``F`` and ``conv``),
with its hint. The self-check questions are in ``nb04.toml``.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from .. import conv
from . import Case, Exercise, Mistake, Typical, as_array, compare, compare_scalar, quizzes, quizzes_of

# what the notebook has imported when the student's cell runs
NOTEBOOK = {"np": np, "torch": torch, "F": F, "conv": conv}

FLIPPED = (
    "You flipped the kernel (kernel[::-1, ::-1]): that is the convolution of signal processing. "
    "Deep learning's conv (F.conv2d) is cross-correlation: multiply each pixel by the kernel entry "
    "at the same offset, kernel[u, v] * image[i + u, j + v], without flipping."
)
# deck 004's examples: the binary image of cross-correlation, the 6x6 feature map of pooling (one channel)
_DECK_IMAGE = np.array([[0, 0, 1, 1, 0], [0, 1, 0, 1, 0], [0, 0, 1, 1, 0], [0, 1, 0, 0, 0], [0, 1, 1, 1, 0]], float)
_DECK_MAP = np.array(
    [
        [2, 4, 5, 7, 3, -2],
        [-2, 0, 0, 4, 9, 9],
        [1, 0, -1, 2, 1, 1],
        [1, 1, 6, 3, 7, 2],
        [3, 4, 0, -2, 3, 0],
        [3, 0, 5, 1, 0, 0],
    ],
    dtype=np.float64,
)[None]


_Exercise = functools.partial(Exercise, namespace=NOTEBOOK, result="")  # the case labels are the calls


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


# ----------------------------------------------------------------------------- 04.1 cross-correlation

_XCORR = """kh, kw = kernel.shape
out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
for i in range(out.shape[0]):
    for j in range(out.shape[1]):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
return out"""

check_cross_correlate = _Exercise(
    "04.1",
    "def cross_correlate(image, kernel):",
    todo="Write cross_correlate(image, kernel): loop over the output positions (i, j) and sum "
    "image[i:i+kh, j:j+kw] * kernel.",
    cases=lambda: [  # deck 004's example, then random non-square images and kernels
        Case(f"cross_correlate(image {x.shape}, kernel {k.shape})", (x, k))
        for rng in [np.random.default_rng(401)]
        for x, k in [
            (_DECK_IMAGE, np.array([[-1.0, 0, 1]] * 3)),
            (rng.standard_normal((6, 8)), rng.standard_normal((3, 2))),
            (rng.standard_normal((9, 7)), rng.standard_normal((2, 4))),
        ]
    ],
    reference="return conv.conv2d(image[None, None], kernel[None, None])[0, 0]",
    typical=[
        Typical("kernel = kernel[::-1, ::-1]\n" + _XCORR, FLIPPED),
        Typical(
            _XCORR.replace(" + 1", ""),
            "Your output misses the last row and column: a kernel of size k fits in n - k + 1 positions "
            "along an axis of n pixels (positions 0, 1, ..., n - k), so loop over range(n - k + 1).",
        ),
    ],
    confirmation="deck 004's feature map and random non-square cases match F.conv2d. This loop is the whole idea "
    "of a convolutional layer; the rest (channels, stride, padding) is bookkeeping around it.",
)

# ----------------------------------------------------------------------------- 04.2 stride and padding


def _conv_loops(pad="padding", size="padded.shape", div=" // stride", plus=" + 1", at=" * stride", kernel="kernel"):
    """The body of conv2d_loops as a student writes it; each argument changed is a typical mistake."""
    return f"""kh, kw = kernel.shape
padded = np.pad(image, {pad})
H, W = {size}
oh, ow = (H - kh){div}{plus}, (W - kw){div}{plus}
out = np.zeros((oh, ow))
for i in range(oh):
    for j in range(ow):
        r, c = i{at}, j{at}
        out[i, j] = np.sum(padded[r:r + kh, c:c + kw] * {kernel})
return out"""


ONE_SIDE = (
    "You padded one side only: np.pad(image, p) (or pad_width ((p, p), (p, p))) puts p zeros on "
    "EVERY side, so the padded image has n + 2p pixels along each axis."
)
NO_STRIDE = (
    "The stride is missing from the window's position: the window for output (i, j) starts at row "
    "i * stride and column j * stride of the padded image."
)
PAST_THE_EDGE = (
    "a window ran past the edge of the image. Pad both sides (n + 2p pixels per axis) and take "
    "floor((n + 2p - k) / s) + 1 positions."
)


def _past_the_edge(error: Exception) -> bool:
    """NumPy's errors for a window past the edge (another ValueError is no such sign)."""
    message = str(error)
    return isinstance(error, (ValueError, IndexError)) and ("broadcast" in message or "out of bounds" in message)


# image and kernel shapes, stride, padding: sizes that the stride does not divide evenly, so the floor matters
_STRIDED = [((8, 8), (3, 3), 2, 1), ((9, 11), (3, 2), 3, 2), ((7, 6), (2, 3), 2, 0), ((5, 5), (3, 3), 1, 1)]

check_conv2d_loops = _Exercise(
    "04.2",
    "def conv2d_loops(image, kernel, stride=1, padding=0):",
    todo="Write conv2d_loops(image, kernel, stride, padding): pad with np.pad, compute the output "
    "size from the formula, and loop over the output positions.",
    cases=lambda: [
        Case(f"conv2d_loops(image {n}, kernel {k}, stride={s}, padding={p})", (x, w, s, p))
        for rng in [np.random.default_rng(402)]
        for n, k, s, p in _STRIDED
        for x, w in [(rng.standard_normal(n), rng.standard_normal(k))]
    ],
    reference="return conv.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]",
    typical=[
        Typical(_conv_loops(pad="((padding, 0), (padding, 0))"), ONE_SIDE + " Yours has zeros at the top and left."),
        Typical(
            _conv_loops(pad="((0, padding), (0, padding))"), ONE_SIDE + " Yours has zeros at the bottom and right."
        ),
        Typical(
            _conv_loops(
                pad="((padding, 0), (padding, 0))", size="image.shape[0] + 2 * padding, image.shape[1] + 2 * padding"
            ),
            "You padded one side only, so " + PAST_THE_EDGE,
        ),
        Typical(_conv_loops(at=""), NO_STRIDE),
        Typical(
            _conv_loops(div="", at=""),
            NO_STRIDE + " Your output has the size of a stride-1 map too: divide by the stride in the size formula.",
        ),
        Typical(
            _conv_loops(plus=""),
            "Your output misses its last row and column: the number of positions is "
            "floor((n + 2p - k) / s) + 1 (do not forget the + 1: position 0 counts too).",
        ),
        Typical(_conv_loops(kernel="kernel[::-1, ::-1]"), FLIPPED),
    ],
    confirmation="stride and zero padding behave as in F.conv2d, including the floor when the stride does not "
    "divide the padded size. Padding keeps the border pixels in play; stride shrinks the map.",
    on_error={_past_the_edge: PAST_THE_EDGE},
)

# ----------------------------------------------------------------------------- 04.3 "same" padding

_PADDINGS = [(k, d) for d in (1, 2, 3) for k in (1, 3, 5, 7)]
_INTEGER = "use integer division // so it is an int, as F.conv2d's padding must be."


def _confirm_same_padding(same_padding) -> str:  # the values are right (as numbers): is each an int?
    for k, d in _PADDINGS:
        if not _is_int(p := same_padding(k, d)):
            raise Mistake(f"same_padding({k}, {d}) has the right value but is a {type(p).__name__}: {_INTEGER}")
    return (
        "p = d(k - 1) / 2 keeps the size for every odd k. For even k (with d = 1) d(k - 1) is odd, so no "
        "symmetric padding works: PyTorch's padding='same' then pads one pixel more on one side."
    )


check_same_padding = _Exercise(
    "04.3",
    "def same_padding(k, dilation=1):",
    todo="Write same_padding(k, dilation): the padding p with n_out = n at stride 1, from the output-size formula.",
    cases=lambda: [Case(f"same_padding({k}, {d})", (k, d)) for k, d in _PADDINGS],
    reference="return dilation * (k - 1) // 2",
    typical=[
        Typical(
            "return k / 2",
            "k / 2 is not a whole number for odd k (1.5 for k = 3): the kernel sticks out (k - 1) / 2 "
            "pixels on each side of its centre, and that is what the padding must cover.",
        ),
        Typical(
            "return k // 2",
            "You forgot the dilation: a dilated kernel spans d(k - 1) + 1 pixels, so it sticks "
            "out d(k - 1) / 2 pixels on each side of its centre.",
        ),
        Typical(
            "return dilation * k // 2",
            "The dilated kernel spans d(k - 1) + 1 pixels, not d * k: solve n + 2p - d(k - 1) - 1 + 1 = n for p.",
        ),
        Typical(
            "return dilation * (k - 1)",
            "That is the padding of both sides together: p zeros go on EACH side, so divide by 2.",
        ),
        Typical("return dilation * (k - 1) / 2", _INTEGER),  # the right value: _confirm_same_padding says so
    ],
    confirmation=_confirm_same_padding,
    explain=lambda where, got, expected, shape_hints, exercise: compare_scalar(where, got, expected),
)

# ----------------------------------------------------------------------------- 04.4 max pooling

check_max_pool = _Exercise(
    "04.4",
    "def max_pool(x, size=2):",
    todo="Write max_pool(x, size): the maximum of every non-overlapping size x size window of each channel.",
    cases=lambda: [  # sides that are not multiples of size: the leftover rows and columns are dropped
        Case(f"max_pool(x {x.shape}, size={size})", (x, size))
        for rng in [np.random.default_rng(404)]
        for x, size in [(_DECK_MAP, 2), (rng.standard_normal((3, 7, 9)), 2), (rng.standard_normal((2, 9, 8)), 3)]
    ],
    reference="return conv.max_pool2d(x, size)",
    typical=[
        Typical(
            "C, H, W = x.shape\noh, ow = H // size, W // size\nout = np.zeros((C, oh, ow))\n"
            "for i in range(oh):\n    for j in range(ow):\n"
            "        out[:, i, j] = x[:, i * size:(i + 1) * size, j * size:(j + 1) * size].mean(axis=(1, 2))\n"
            "return out",
            "You averaged each window: max pooling keeps the LARGEST value of each window (np.max, not np.mean).",
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
    ],
    confirmation="deck 004's max-pooled map [[4, 7, 9], [1, 6, 7], [4, 5, 3]] and random stacks match. Each output "
    "answers 'is the feature anywhere in this window?', and the map shrinks by size along each axis.",
)

# ----------------------------------------------------------------------------- 04.5 pooling as a convolution


def _kernel_and_stride(where: str, size: int, answer) -> tuple[np.ndarray, int]:
    """The student's answer for ``size`` as a (size, size) kernel and a positive int, or :class:`Mistake`."""
    if not isinstance(answer, tuple) or len(answer) != 2:
        raise Mistake(f"{where} should return a pair (kernel, stride), got {answer!r:.80}.")
    kernel, stride = as_array("the kernel", answer[0]), answer[1]
    if kernel.shape != (size, size):
        raise Mistake(
            f"the kernel for size={size} has shape {kernel.shape}: it covers one pooling window, ({size}, {size})."
        )
    if not _is_int(stride) or stride < 1:
        raise Mistake(f"the stride should be a positive int, got {stride!r}.")
    return kernel, int(stride)


def _explain_pooling(where, got, expected, shape_hints, exercise):
    """Any other (kernel, stride): deck 004's map (size 2) or a random stack (size 3) convolved, vs pooled."""
    size = expected[1]
    kernel, stride = _kernel_and_stride(where, size, got)
    x = _DECK_MAP if size == 2 else np.random.default_rng(405).standard_normal((2, 7, 9))
    pooled = conv.conv2d(x[:, None], kernel[None, None], stride=stride)[:, 0]
    compare(f"conv2d(x {x.shape}, your kernel, stride={stride})", pooled, conv.avg_pool2d(x, size))


def _confirm_pooling(avg_pool_as_conv) -> str:  # the values are right (as numbers): a tuple, an int stride?
    for size in (2, 3):
        _kernel_and_stride(f"avg_pool_as_conv({size})", size, avg_pool_as_conv(size))
    return (
        "a constant kernel 1 / size^2 with stride = size is average pooling: a fixed (not learned) "
        "convolution applied to each channel, which is why it shrinks maps with no parameters to train."
    )


check_avg_pool_as_conv = _Exercise(
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
    ],
    confirmation=_confirm_pooling,
    explain=_explain_pooling,
)

EXERCISES = [check_cross_correlate, check_conv2d_loops, check_same_padding, check_max_pool, check_avg_pool_as_conv]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
