"""Exercises and self-check questions of notebook 04 (convolutions).

Every check calls the student's function on inputs built here (seeded, plus the decks'
worked examples) and compares with :mod:`course_utils.conv`, the reference the rest of the
notebook uses. Typical mistakes are recognised by computing what the mistaken code returns:

* 04.1 ``cross_correlate(image, kernel)``: valid cross-correlation with loops;
* 04.2 ``conv2d_loops(image, kernel, stride, padding)``: the same with stride and zero padding;
* 04.3 ``same_padding(k, dilation)``: the padding that keeps the size at stride 1;
* 04.4 ``max_pool(x, size)``: non-overlapping max pooling of a (C, H, W) stack;
* 04.5 ``avg_pool_as_conv(size)``: average pooling written as a convolution (kernel, stride).
"""

from __future__ import annotations

import numpy as np

from .. import conv
from . import Mistake, Quiz, attempt, compare, compare_scalar, exercise, quizzes

FLIPPED = (
    "You flipped the kernel (kernel[::-1, ::-1]): that is the convolution of signal processing. "
    "Deep learning's conv (F.conv2d) is cross-correlation: multiply each pixel by the kernel entry "
    "at the same offset, kernel[u, v] * image[i + u, j + v], without flipping."
)
OFF_BY_ONE = (
    "Your output misses the last row and column: a kernel of size k fits in n - k + 1 positions "
    "along an axis of n pixels (positions 0, 1, ..., n - k), so loop over range(n - k + 1)."
)


def _correlate(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Reference: (H, W) image, (KH, KW) kernel -> (OH, OW) cross-correlation (course_utils.conv)."""
    return conv.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]


# ----------------------------------------------------------------------------- 04.1 cross-correlation


@exercise(
    "04.1",
    todo="Write cross_correlate(image, kernel): loop over the output positions (i, j) and sum "
    "image[i:i+kh, j:j+kw] * kernel.",
)
def check_cross_correlate(cross_correlate):
    """``cross_correlate((H, W), (KH, KW)) -> (H - KH + 1, W - KW + 1)``, checked on deck 004's
    example and on random non-square images and kernels."""
    rng = np.random.default_rng(401)
    deck_image = np.array(
        [[0, 0, 1, 1, 0], [0, 1, 0, 1, 0], [0, 0, 1, 1, 0], [0, 1, 0, 0, 0], [0, 1, 1, 1, 0]], dtype=np.float64
    )
    cases = [
        (deck_image, np.array([[-1, 0, 1]] * 3, dtype=np.float64)),
        (rng.standard_normal((6, 8)), rng.standard_normal((3, 2))),
        (rng.standard_normal((9, 7)), rng.standard_normal((2, 4))),
    ]
    for image, kernel in cases:
        expected = _correlate(image, kernel)
        got = attempt(cross_correlate, image, kernel)
        compare(
            f"cross_correlate(image {image.shape}, kernel {kernel.shape})",
            got,
            expected,
            mistakes=[(_correlate(image, kernel[::-1, ::-1].copy()), FLIPPED), (expected[:-1, :-1], OFF_BY_ONE)],
        )
    return (
        "deck 004's feature map and random non-square cases match F.conv2d. This loop is the whole idea "
        "of a convolutional layer; the rest (channels, stride, padding) is bookkeeping around it."
    )


# ----------------------------------------------------------------------------- 04.2 stride and padding

ONE_SIDE = (
    "You padded one side only: np.pad(image, p) (or pad_width ((p, p), (p, p))) puts p zeros on "
    "EVERY side, so the padded image has n + 2p pixels along each axis."
)
NO_STRIDE = (
    "The stride is missing from the window's position: the window for output (i, j) starts at row "
    "i * stride and column j * stride of the padded image."
)
NO_PLUS_ONE = (
    "Your output misses its last row and column: the number of positions is "
    "floor((n + 2p - k) / s) + 1 (do not forget the + 1: position 0 counts too)."
)


def _conv2d_candidates(image, kernel, stride, padding, expected):
    """What the typical mistakes of 04.2 return for this case: ``[(value, hint), ...]``."""
    p = padding
    top_left = np.pad(image, ((p, 0), (p, 0)))
    bottom_right = np.pad(image, ((0, p), (0, p)))
    oh, ow = expected.shape
    stride_one = _correlate(image, kernel, 1, p)
    return [
        (_correlate(top_left, kernel, stride), ONE_SIDE),
        (_correlate(bottom_right, kernel, stride), ONE_SIDE),
        (stride_one[:oh, :ow], NO_STRIDE),
        (stride_one, NO_STRIDE),
        (expected[:-1, :-1], NO_PLUS_ONE),
        (_correlate(image, kernel[::-1, ::-1].copy(), stride, p), FLIPPED),
    ]


@exercise(
    "04.2",
    todo="Write conv2d_loops(image, kernel, stride, padding): pad with np.pad, compute the output "
    "size from the formula, and loop over the output positions.",
)
def check_conv2d_loops(conv2d_loops):
    """``conv2d_loops((H, W), (KH, KW), stride, padding) -> (OH, OW)`` against ``F.conv2d``'s rule,
    on random images whose size does not divide evenly by the stride (so the floor matters)."""
    rng = np.random.default_rng(402)
    cases = [((8, 8), (3, 3), 2, 1), ((9, 11), (3, 2), 3, 2), ((7, 6), (2, 3), 2, 0), ((5, 5), (3, 3), 1, 1)]
    for shape, kshape, stride, padding in cases:
        image, kernel = rng.standard_normal(shape), rng.standard_normal(kshape)
        expected = _correlate(image, kernel, stride, padding)
        name = f"conv2d_loops(image {shape}, kernel {kshape}, stride={stride}, padding={padding})"
        try:
            got = attempt(conv2d_loops, image, kernel, stride, padding)
        except (ValueError, IndexError) as err:
            if "broadcast" in str(err) or "out of bounds" in str(err):
                raise Mistake(
                    f"{name} raised {type(err).__name__} ({err}): a window ran past the edge of the "
                    "image. Pad both sides (n + 2p pixels per axis) and take floor((n + 2p - k) / s) + 1 "
                    "positions."
                ) from None
            raise
        compare(name, got, expected, mistakes=_conv2d_candidates(image, kernel, stride, padding, expected))
    return (
        "stride and zero padding behave as in F.conv2d, including the floor when the stride does not "
        "divide the padded size. Padding keeps the border pixels in play; stride shrinks the map."
    )


# ----------------------------------------------------------------------------- 04.3 "same" padding


@exercise(
    "04.3",
    todo="Write same_padding(k, dilation): the padding p with n_out = n at stride 1, from the output-size formula.",
)
def check_same_padding(same_padding):
    """``same_padding(k: int, dilation: int) -> int`` for odd ``k``; checked for k = 1..7, dilation 1..3."""
    for dilation in (1, 2, 3):
        for k in (1, 3, 5, 7):
            expected = dilation * (k - 1) // 2
            got = attempt(same_padding, k, dilation)
            compare_scalar(
                f"same_padding({k}, {dilation})",
                got,
                expected,
                mistakes=[
                    (
                        k / 2,
                        "k / 2 is not a whole number for odd k (1.5 for k = 3): the kernel sticks out (k - 1) / 2 "
                        "pixels on each side of its centre, and that is what the padding must cover.",
                    ),
                    (
                        (k - 1) // 2,
                        "You forgot the dilation: a dilated kernel spans d(k - 1) + 1 pixels, so it sticks "
                        "out d(k - 1) / 2 pixels on each side of its centre.",
                    ),
                    (
                        dilation * k // 2,
                        "The dilated kernel spans d(k - 1) + 1 pixels, not d * k: solve "
                        "n + 2p - d(k - 1) - 1 + 1 = n for p.",
                    ),
                    (
                        dilation * (k - 1),
                        "That is the padding of both sides together: p zeros go on EACH side, so divide by 2.",
                    ),
                ],
            )
            if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
                raise Mistake(
                    f"same_padding({k}, {dilation}) has the right value but is a {type(got).__name__}: "
                    "use integer division // so it is an int, as F.conv2d's padding must be."
                )
    return (
        "p = d(k - 1) / 2 keeps the size for every odd k. For even k (with d = 1) d(k - 1) is odd, so no "
        "symmetric padding works: PyTorch's padding='same' then pads one pixel more on one side."
    )


# ----------------------------------------------------------------------------- 04.4 max pooling

OVERLAP = (
    "Your windows overlap (they move by 1 pixel): pooling windows sit side by side, the window for output "
    "(i, j) starts at row i * size and column j * size."
)
MEAN = "You averaged each window: max pooling keeps the LARGEST value of each window (np.max, not np.mean)."
RESHAPE = (
    "You reshaped to (C, H // size, W // size, size, size), which mixes rows of different windows: "
    "reshape to (C, H // size, size, W // size, size) and take the max over axes 2 and 4."
)


def _reshape_in_wrong_order(x: np.ndarray, size: int) -> np.ndarray:
    c, h, w = x.shape
    oh, ow = h // size, w // size
    return x[:, : oh * size, : ow * size].reshape(c, oh, ow, size, size).max(axis=(3, 4))


@exercise(
    "04.4", todo="Write max_pool(x, size): the maximum of every non-overlapping size x size window of each channel."
)
def check_max_pool(max_pool):
    """``max_pool((C, H, W), size) -> (C, H // size, W // size)``: deck 004's 6x6 example and random
    stacks whose sides are not multiples of ``size`` (leftover rows and columns are dropped)."""
    rng = np.random.default_rng(404)
    deck = np.array(
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
    for x, size in [(deck, 2), (rng.standard_normal((3, 7, 9)), 2), (rng.standard_normal((2, 9, 8)), 3)]:
        expected = conv.max_pool2d(x, size)
        got = attempt(max_pool, x, size)
        compare(
            f"max_pool(x {x.shape}, size={size})",
            got,
            expected,
            mistakes=[
                (conv.max_pool2d(x, size, stride=1), OVERLAP),
                (conv.avg_pool2d(x, size), MEAN),
                (_reshape_in_wrong_order(x, size), RESHAPE),
            ],
        )
    return (
        "deck 004's max-pooled map [[4, 7, 9], [1, 6, 7], [4, 5, 3]] and random stacks match. Each output "
        "answers 'is the feature anywhere in this window?', and the map shrinks by size along each axis."
    )


# ----------------------------------------------------------------------------- 04.5 pooling as a convolution


@exercise(
    "04.5",
    todo="Write avg_pool_as_conv(size): return (kernel, stride) such that a convolution with them "
    "is size x size average pooling.",
)
def check_avg_pool_as_conv(avg_pool_as_conv):
    """``avg_pool_as_conv(size) -> (kernel (size, size), stride: int)``; the check convolves deck 004's
    6x6 map and a random (2, 7, 9) stack with them and compares with average pooling."""
    rng = np.random.default_rng(405)
    deck = np.array(
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
    for x, size in [(deck, 2), (rng.standard_normal((2, 7, 9)), 3)]:
        answer = attempt(avg_pool_as_conv, size)
        if not isinstance(answer, tuple) or len(answer) != 2:
            raise Mistake(f"avg_pool_as_conv({size}) should return a pair (kernel, stride), got {answer!r:.80}.")
        kernel, stride = np.asarray(answer[0], dtype=np.float64), answer[1]
        if kernel.shape != (size, size):
            raise Mistake(
                f"the kernel for size={size} has shape {kernel.shape}: it covers one pooling window, ({size}, {size})."
            )
        if isinstance(stride, (bool, np.bool_)) or not isinstance(stride, (int, np.integer)) or stride < 1:
            raise Mistake(f"the stride should be a positive int, got {stride!r}.")
        got = conv.conv2d(x[:, None], kernel[None, None], stride=int(stride))[:, 0]
        compare(
            f"conv2d(x {x.shape}, your kernel, stride={stride})",
            got,
            conv.avg_pool2d(x, size),
            mistakes=[
                (
                    conv.conv2d(x[:, None], np.ones((1, 1, size, size)), stride=size)[:, 0],
                    f"Your kernel sums the window: divide by the number of pixels in it, size * size = {size * size}.",
                ),
                (
                    conv.conv2d(x[:, None], np.full((1, 1, size, size), 1 / size), stride=size)[:, 0],
                    f"A window has size * size = {size * size} pixels, "
                    f"so each weight is 1 / {size * size}, not 1 / {size}.",
                ),
                (
                    conv.avg_pool2d(x, size, stride=1),
                    "Your windows overlap: with stride 1 the kernel slides pixel by pixel; pooling uses stride = size.",
                ),
            ],
        )
    return (
        "a constant kernel 1 / size^2 with stride = size is average pooling: a fixed (not learned) "
        "convolution applied to each channel, which is why it shrinks maps with no parameters to train."
    )


# ----------------------------------------------------------------------------- self-check questions

QUIZZES = {
    "04.q1": Quiz(
        question="For which kernel do cross-correlation (<code>F.conv2d</code>) and true convolution "
        "(<code>scipy.signal.convolve2d</code>) give the same feature map on every image?",
        options={
            "a": "deck 004's edge kernel [[-1, 0, 1]] x 3",
            "b": "the blur kernel [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16",
            "c": "the left Sobel kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]]",
            "d": "every kernel: the two operations are the same",
        },
        answer="b",
        explanations={
            "a": "Rotated by 180 degrees this kernel becomes -K, so true convolution gives the negated feature map.",
            "b": "Right: true convolution uses the kernel rotated by 180 degrees, and the blur kernel looks the same "
            "after that rotation, so both operations agree.",
            "c": "Rotated by 180 degrees the Sobel kernel swaps its left and right columns (the middle one is zero): "
            "it becomes its own negative, and the feature map changes sign.",
            "d": "True convolution rotates the kernel by 180 degrees before sliding it; only kernels that look the "
            "same after that rotation give the same result.",
        },
    ),
    "04.q2": Quiz(
        question="A 28 x 28 input, a 5 x 5 kernel with dilation 2, padding 2 and stride 2: how many output "
        "pixels along each axis?",
        answer=12.0,
        tolerance=1e-6,
        explanations={
            "right": "The dilated kernel spans 2(5 - 1) + 1 = 9 pixels; the padded input has 32, so "
            "the window has 32 - 9 = 23 pixels of room: floor(23 / 2) + 1 = 12 positions."
        },
        wrong="use n_out = floor((n + 2p - d(k - 1) - 1) / s) + 1: first the span of the dilated kernel, "
        "d(k - 1) + 1, then how many stride-s steps fit in the padded input, plus the first position.",
    ),
    "04.q3": Quiz(
        question="Every convolution is linear in its input. Which of these operations on a feature map can NOT "
        "be written as <code>conv2d</code> with some fixed kernel, stride and padding?",
        options={
            "a": "2 x 2 average pooling with stride 2",
            "b": "2 x 2 max pooling with stride 2",
            "c": "shifting the map one pixel to the right, filling the gap with zeros",
            "d": "mixing the channels at every pixel with one matrix (C_in values -> C_out values)",
        },
        answer="b",
        explanations={
            "a": "It can: a constant kernel of 1/4 with stride 2 (exercise 04.5).",
            "b": "Right: the maximum is not linear (max(a + b) is not max(a) + max(b) in general), while every "
            "convolution is, so no kernel computes it.",
            "c": "It can: a 1 x 3 kernel [1, 0, 0] with padding 1 copies each pixel's left neighbour, which shifts "
            "the map right by one and brings in a zero at the left edge.",
            "d": "It can: that is the 1 x 1 convolution of section 6.",
        },
    ),
    "04.q4": Quiz(
        question="How many trainable parameters (weights and biases) does <code>torch.nn.Conv2d(3, 16, "
        "kernel_size=5)</code> have, for 224 x 224 colour images?",
        answer=1216.0,
        tolerance=1e-6,
        explanations={
            "right": "16 kernels of 3 x 5 x 5 = 1,200 weights, plus 16 biases; the image size "
            "does not enter: that is weight sharing."
        },
        wrong="each of the C_out kernels spans all C_in input channels: C_out * C_in * k * k weights, plus one "
        "bias per output channel; the image size plays no part.",
    ),
}

quiz = quizzes(QUIZZES)

# Typical mistakes: the complete code replacing the student's cell, and a substring of the hint.
MISTAKES = {
    "04.1": [
        (
            """def cross_correlate(image, kernel):
    kh, kw = kernel.shape
    flipped = kernel[::-1, ::-1]
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * flipped)
    return out
""",
            "flipped the kernel",
        ),
        (
            """def cross_correlate(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh, image.shape[1] - kw))
    for i in range(image.shape[0] - kh):
        for j in range(image.shape[1] - kw):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out
""",
            "n - k + 1 positions",
        ),
    ],
    "04.2": [
        (
            """def conv2d_loops(image, kernel, stride=1, padding=0):
    kh, kw = kernel.shape
    padded = np.pad(image, ((padding, 0), (padding, 0)))
    oh = (padded.shape[0] - kh) // stride + 1
    ow = (padded.shape[1] - kw) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out
""",
            "padded one side only",
        ),
        (
            """def conv2d_loops(image, kernel, stride=1, padding=0):
    kh, kw = kernel.shape
    padded = np.pad(image, padding)
    oh = (image.shape[0] + 2 * padding - kh) // stride
    ow = (image.shape[1] + 2 * padding - kw) // stride
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out
""",
            "do not forget the + 1",
        ),
        (
            """def conv2d_loops(image, kernel, stride=1, padding=0):
    kh, kw = kernel.shape
    padded = np.pad(image, padding)
    oh = (image.shape[0] + 2 * padding - kh) // stride + 1
    ow = (image.shape[1] + 2 * padding - kw) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(padded[i:i + kh, j:j + kw] * kernel)
    return out
""",
            "i * stride",
        ),
        (
            """def conv2d_loops(image, kernel, stride=1, padding=0):
    kh, kw = kernel.shape
    padded = np.pad(image, ((padding, 0), (padding, 0)))
    oh = (image.shape[0] + 2 * padding - kh) // stride + 1
    ow = (image.shape[1] + 2 * padding - kw) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out
""",
            "ran past the edge",
        ),
    ],
    "04.3": [
        (
            """def same_padding(k, dilation=1):
    return k // 2
""",
            "forgot the dilation",
        ),
        (
            """def same_padding(k, dilation=1):
    return k / 2
""",
            "not a whole number",
        ),
        (
            """def same_padding(k, dilation=1):
    return dilation * (k - 1)
""",
            "EACH side",
        ),
        (
            """def same_padding(k, dilation=1):
    return dilation * (k - 1) / 2
""",
            "use integer division",
        ),
    ],
    "04.4": [
        (
            """def max_pool(x, size=2):
    C, H, W = x.shape
    oh, ow = H // size, W // size
    out = np.zeros((C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, i * size:(i + 1) * size, j * size:(j + 1) * size].mean(axis=(1, 2))
    return out
""",
            "averaged each window",
        ),
        (
            """def max_pool(x, size=2):
    C, H, W = x.shape
    out = np.zeros((C, H - size + 1, W - size + 1))
    for i in range(H - size + 1):
        for j in range(W - size + 1):
            out[:, i, j] = x[:, i:i + size, j:j + size].max(axis=(1, 2))
    return out
""",
            "windows overlap",
        ),
        (
            """def max_pool(x, size=2):
    C, H, W = x.shape
    oh, ow = H // size, W // size
    return x[:, :oh * size, :ow * size].reshape(C, oh, ow, size, size).max(axis=(3, 4))
""",
            "mixes rows of different windows",
        ),
    ],
    "04.5": [
        (
            """def avg_pool_as_conv(size):
    return np.ones((size, size)), size
""",
            "kernel sums the window",
        ),
        (
            """def avg_pool_as_conv(size):
    return np.full((size, size), 1 / size**2), 1
""",
            "windows overlap",
        ),
        (
            """def avg_pool_as_conv(size):
    return np.full((size, size), 1 / size), size
""",
            "not 1 /",
        ),
    ],
}
