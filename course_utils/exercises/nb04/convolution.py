"""Notebook 04's loops: 04.1 cross-correlation, 04.2 stride and padding, 04.3 "same" padding (see the package)."""

from __future__ import annotations

import numpy as np

from .. import Case, Mistake, Typical, compare_scalar, edited
from .common import (
    DECK_IMAGE,
    FLIPPED,
    FLOAT_SIZE,
    PAST_THE_EDGE,
    NotebookExercise,
    index_past_the_end,
    is_int,
    loop_errors,
    window_past_the_edge,
)

# ----------------------------------------------------------------------------- 04.1 cross-correlation

_XCORR = """kh, kw = kernel.shape
out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
for i in range(out.shape[0]):
    for j in range(out.shape[1]):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
return out"""

check_cross_correlate = NotebookExercise(
    "04.1",
    "def cross_correlate(image, kernel):",
    todo="Write cross_correlate(image, kernel): loop over the output positions (i, j) and sum "
    "image[i:i+kh, j:j+kw] * kernel.",
    cases=lambda: [  # deck 004's example, then random non-square images and kernels
        Case(f"cross_correlate(image {x.shape}, kernel {k.shape})", (x, k))
        for rng in [np.random.default_rng(401)]
        for x, k in [
            (DECK_IMAGE, np.array([[-1.0, 0, 1]] * 3)),
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
        Typical(
            _XCORR.replace("image[i:i + kh, j:j + kw]", "image[i:i + kw, j:j + kh]"),
            "Your window has the kernel's shape transposed (kw rows, kh columns): kernel.shape is (rows, columns), "
            "so the window under it is image[i:i + kh, j:j + kw].",
        ),
        Typical(
            _XCORR.replace("kh, kw = kernel.shape", "kh = kw = kernel.shape[0]"),
            "Your window is square (kh x kh), but the kernels here are not all square: take both sizes, "
            "kh, kw = kernel.shape, and the window image[i:i + kh, j:j + kw].",
        ),
        Typical(
            _XCORR.replace("* kernel)", "@ kernel)"),
            "Your outputs are all 0 on deck 004's image: each output sums the window times the kernel ENTRY BY "
            "ENTRY, np.sum(window * kernel), pixel (i + u, j + v) with kernel[u, v]; a matrix product (@) pairs "
            "pixels with other entries.",
        ),
    ],
    on_error={
        window_past_the_edge: "Your loops ask for more windows than fit: the last ones run past the image's bottom "
        "and right edges. A kernel of size k fits in n - k + 1 positions along an axis of n pixels (0, 1, ..., "
        "n - k), so loop over range(n - k + 1).",
        index_past_the_end: "an index ran past the end of an array: out has n - k + 1 rows and n - k + 1 columns "
        "(n the image's size, k the kernel's along that axis), so loop over range(out.shape[0]) and "
        "range(out.shape[1]).",
    },
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


# image and kernel shapes, stride, padding: sizes that the stride does not divide evenly, so the floor matters; the
# first case tells every typical mistake apart (the check gives the hint of the first case that differs)
_STRIDED = [((7, 8), (3, 3), 3, 2), ((9, 11), (3, 2), 3, 2), ((7, 6), (2, 3), 2, 0), ((5, 5), (3, 3), 1, 1)]

check_conv2d_loops = NotebookExercise(
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
        Typical(  # the same output as np.pad(image, ((padding, 0), (padding, 0))) with H, W = padded.shape
            _conv_loops(size="image.shape[0] + padding, image.shape[1] + padding"),
            "Your output stops short of the bottom and right edges: it has floor((n + p - k) / s) + 1 positions per "
            "axis, the count for p zeros in all instead of p on EACH side. The padded image has n + 2p pixels per "
            "axis, so floor((n + 2p - k) / s) + 1 windows fit: count both sides in the size formula (and pad both "
            "sides: np.pad(image, p)).",
        ),
        Typical(
            _conv_loops(pad="((0, padding), (0, padding))"),
            "Your zeros are at the bottom and right only, so your first window starts on the image's first pixel: "
            "np.pad(image, p) (or pad_width ((p, p), (p, p))) puts p zeros on EVERY side.",
        ),
        Typical(
            _conv_loops(size="image.shape"),
            "Your size formula leaves out the padding: the padded image has n + 2p pixels per axis, so "
            "floor((n + 2p - k) / s) + 1 windows fit (you padded, but counted positions in the unpadded image).",
        ),
        Typical(_conv_loops(size="padded.shape[0] + 2 * padding, padded.shape[1] + 2 * padding"), PAST_THE_EDGE),
        Typical(
            edited(_conv_loops(), ("np.pad(image, padding)", "image")),
            "You never padded: your windows slide over the image itself, with no zero border, and fit "
            "floor((n - k) / s) + 1 times per axis. Slide over padded = np.pad(image, padding), p zeros on every "
            "side.",
        ),
        Typical(
            _conv_loops(at=""),
            "Your windows move by 1 pixel whatever the stride: the window for output (i, j) starts at row "
            "i * stride and column j * stride of the padded image.",
        ),
        Typical(
            _conv_loops(div="", at=""),
            "Your output is the stride-1 map: the stride is in neither the size formula (divide by it) nor the "
            "window's position (row i * stride, column j * stride).",
        ),
        Typical(
            _conv_loops(plus=""),
            "Your output misses its last row and column: the number of positions is "
            "floor((n + 2p - k) / s) + 1 (do not forget the + 1: position 0 counts too).",
        ),
        Typical(_conv_loops(div=" / stride"), FLOAT_SIZE),
        Typical(_conv_loops(kernel="kernel[::-1, ::-1]"), FLIPPED),
    ],
    confirmation="stride and zero padding behave as in F.conv2d, including the floor when the stride does not "
    "divide the padded size. Padding keeps the border pixels in play; stride shrinks the map.",
    on_error=loop_errors(),
)

# ----------------------------------------------------------------------------- 04.3 "same" padding

_PADDINGS = [(k, d) for d in (1, 2, 3) for k in (1, 3, 5, 7)]
_INTEGER = "use integer division // so it is an int, as F.conv2d's padding must be."


def _confirm_same_padding(same_padding) -> str:  # the values are right (as numbers): is each an int?
    for k, d in _PADDINGS:
        if not is_int(p := same_padding(k, d)):
            raise Mistake(f"same_padding({k}, {d}) has the right value but is a {type(p).__name__}: {_INTEGER}")
    return (
        "p = d(k - 1) / 2 keeps the size for every odd k. For even k (with d = 1) d(k - 1) is odd, so no "
        "symmetric padding works: PyTorch's padding='same' then pads one pixel more on one side."
    )


check_same_padding = NotebookExercise(
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
