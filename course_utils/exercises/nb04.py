"""Exercises and self-check questions of notebook 04 (convolutions).

* 04.1 ``cross_correlate(image, kernel)`` - valid cross-correlation with loops;
* 04.2 ``conv2d_loops(image, kernel, stride, padding)`` - the same with stride and zero padding;
* 04.3 ``same_padding(k, dilation)`` - the padding that keeps the size at stride 1;
* 04.4 ``max_pool(x, size)`` - non-overlapping max pooling of a (C, H, W) stack;
* 04.5 ``avg_pool_as_conv(size)`` - average pooling written as a convolution (kernel, stride);
* 04.6 ``conv_layer(x, w, b, stride, padding)`` - the whole layer: a batch, several input and output channels,
  a bias per filter, checked against ``F.conv2d``; section 6 of the notebook runs it once :func:`accepted`.

Each is declared once (:class:`~course_utils.exercises.Exercise`): seeded inputs plus the decks' worked
examples, the reference (:mod:`course_utils.conv`, which the rest of the notebook uses), and each typical
mistake as the code a student would write (with the notebook's ``np``, ``torch``, ``F`` and ``conv``),
with its hint. The cases are chosen so that, on the first case where a mistake's output differs from
the reference (the case the check diagnoses it on), no other typical mistake gives the same output: each hint
names the mistake made (``test_exercises_nb04.py`` checks it). The self-check questions are in ``nb04.toml``.
"""

from __future__ import annotations

import functools
import re
import textwrap

import numpy as np
import torch
import torch.nn.functional as F

from .. import conv
from . import Case, Exercise, Mistake, Typical, as_array, compare, compare_scalar, quizzes, quizzes_of
from . import accepted as accepted  # the notebook runs the student's layer (04.6) once it is accepted

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
        Typical(
            _XCORR.replace("image[i:i + kh, j:j + kw]", "image[i:i + kw, j:j + kh]"),
            "Your window has the kernel's shape transposed (kw rows, kh columns): kernel.shape is (rows, columns), "
            "so the window under it is image[i:i + kh, j:j + kw].",
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


PAST_THE_EDGE = (
    "Your loops ask for more windows than fit in your padded image: the last ones run past its bottom and right "
    "edges. The padded image must have n + 2p pixels per axis (p zeros on EACH side), and floor((n + 2p - k) / s) "
    "+ 1 windows fit, with n the unpadded size (padded.shape already includes the 2p)."
)
FLOAT_SIZE = (
    "A size came out as a float (/ divides exactly: 7 / 2 = 3.5), and np.zeros and range need ints: use floor "
    "division // in the size formula, floor((n + 2p - k) / s) + 1."
)


def _window_past_the_edge(error: Exception) -> bool:
    """NumPy's error for a window cut short by the edge: the slice broadcast against the kernel is smaller than it
    along the last two axes and equal along the others (any other shape error is no such sign)."""
    shapes = [tuple(int(v) for v in re.findall(r"\d+", t)) for t in re.findall(r"\(([\d,]*)\)", str(error))]
    if not isinstance(error, ValueError) or "broadcast" not in str(error) or len(shapes) != 2:
        return False
    window, kernel = shapes
    return (
        len(window) == len(kernel) >= 2
        and window[:-2] == kernel[:-2]
        and all(a <= b for a, b in zip(window[-2:], kernel[-2:]))
        and window != kernel
    )


def _index_past_the_end(error: Exception) -> bool:
    return isinstance(error, IndexError) and "out of bounds" in str(error)


INDEX_PAST_THE_END = (
    "an index ran past the end of an array: compare your loops' ranges with the sizes of the arrays they index "
    "(out has floor((n + 2p - k) / s) + 1 rows and columns)."
)

# image and kernel shapes, stride, padding: sizes that the stride does not divide evenly, so the floor matters; the
# first case tells every typical mistake apart (the check gives the hint of the first case that differs)
_STRIDED = [((7, 8), (3, 3), 3, 2), ((9, 11), (3, 2), 3, 2), ((7, 6), (2, 3), 2, 0), ((5, 5), (3, 3), 1, 1)]

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
    on_error={_window_past_the_edge: PAST_THE_EDGE, _index_past_the_end: INDEX_PAST_THE_END},
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
        (h // size, w // size): "There is no channel axis: pool each channel on its own, the output is "
        "(C, H // size, W // size).",
    }


def _explain_pool(where, got, expected, shape_hints, exercise):
    """Any other wrong pooling: window positions in place of values (np.argmax in another layout), else the shape
    in words, or where and by how much."""
    array = as_array(where, got)
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

# ----------------------------------------------------------------------------- 04.6 the whole layer

_PAD_HW = "((0, 0), (0, 0), (padding, padding), (padding, padding))"
_SUM = "out[n, o, i, j] = np.sum(padded[n, :, r:r + kh, c:c + kw] * w[o]) + b[o]"


def _layer(
    pad=_PAD_HW,
    kernel="C_out, _, kh, kw = w.shape",
    oh="(H + 2 * padding - kh) // stride + 1",
    ow="(W + 2 * padding - kw) // stride + 1",
    at="i * stride, j * stride",
    value=_SUM,
    end="return out",
):
    """The body of conv_layer as a student writes it (loops over images, filters and output pixels); each
    argument changed is a typical mistake. ``value`` may be several lines (a loop over the input channels)."""
    value = textwrap.indent(value, " " * 16).lstrip()
    return f"""N, C_in, H, W = x.shape
{kernel}
padded = np.pad(x, {pad})
oh = {oh}
ow = {ow}
out = np.zeros((N, C_out, oh, ow))
for n in range(N):
    for o in range(C_out):
        for i in range(oh):
            for j in range(ow):
                r, c = {at}
                {value}
{end}"""


def _per_channel(term: str, op: str = "+=", bias: str = "") -> str:
    """The output value as a loop over the input channels ``ch``."""
    return f"for ch in range(C_in):\n    out[n, o, i, j] {op} np.sum({term}){bias}"


_CH = "padded[n, ch, r:r + kh, c:c + kw] * w[o, ch]"
# x, w, b shapes, stride, padding: N, C_in, C_out > 1, H != W, kh != kw, sizes the stride does not divide;
# the first case tells every typical mistake apart (the check gives the hint of the first case that differs)
_LAYERS = [
    ((2, 3, 8, 6), (4, 3, 3, 2), 3, 2),
    ((1, 2, 5, 6), (3, 2, 2, 3), 1, 0),
    ((2, 2, 7, 9), (3, 2, 3, 3), 2, 1),
]


def _layer_cases() -> list[Case]:
    rng = np.random.default_rng(406)
    cases = []
    for xs, ws, s, p in _LAYERS:
        x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
        cases.append(Case(f"conv_layer(x {xs}, w {ws}, b ({ws[0]},), stride={s}, padding={p})", (x, w, b, s, p)))
    return cases


def _layer_shapes(case: Case) -> dict:
    """Wrong output shapes that say which axes are mixed up."""
    x, w, _, s, p = case.args
    (n, _, h, wd), (c_out, _, kh, kw) = x.shape, w.shape
    oh, ow = (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1
    no_channels = "There is no output-channel axis: each of the C_out filters makes its own map, (N, C_out, OH, OW)."
    return {
        (c_out, n, oh, ow): "The batch and channel axes are swapped: the output is (N, C_out, OH, OW), images first.",
        (n, c_out, ow, oh): "Height and width are swapped: OH comes from H and kh, OW from W and kw.",
        (n, oh, ow): no_channels,
    }


def _explain_layer(where, got, expected, shape_hints, exercise):
    """A wrong layer that is no typical mistake: the shape in words, or an error that is the same constant over
    each output channel (the bias), else where and by how much."""
    array = as_array(where, got)
    if array.shape == expected.shape:
        gap = array - expected
        per_channel = gap.mean(axis=(0, 2, 3))
        if np.allclose(gap, per_channel[None, :, None, None], atol=1e-9) and not np.allclose(per_channel, 0):
            raise Mistake(
                f"`{where}` is off by the same amount at every pixel of an output channel "
                f"(by {np.round(per_channel, 3).tolist()} for channels 0, 1, ...): the convolution is right and "
                "the bias is not. Add b[o] exactly once to every value of output channel o."
            )
    compare(where, got, expected, rtol=exercise.rtol, atol=exercise.atol, shape_hints=shape_hints)


check_conv_layer = _Exercise(
    "04.6",
    "def conv_layer(x, w, b, stride=1, padding=0):",
    todo="Write conv_layer(x, w, b, stride, padding): every output value is b[o] plus the sum over ALL input "
    "channels and the kh x kw window of w[o] times the padded input.",
    cases=_layer_cases,
    reference="return F.conv2d(torch.as_tensor(x), torch.as_tensor(w), torch.as_tensor(b), stride=stride, "
    "padding=padding).numpy()",
    typical=[
        Typical(
            _layer(value=_per_channel(_CH, op="=", bias=" + b[o]")),
            "Only the LAST input channel counts: inside your loop over the input channels you assign (=) instead "
            "of adding (+=), so each channel overwrites the one before. Sum over all C_in channels.",
        ),
        Typical(
            _layer(value="out[n, o, i, j] = np.sum(padded[n, 0, r:r + kh, c:c + kw] * w[o, 0]) + b[o]"),
            "Only input channel 0 counts: each output value sums over ALL C_in input channels (and the window), "
            "padded[n, :, r:r + kh, c:c + kw] * w[o], not over one channel's window.",
        ),
        Typical(
            _layer(value="out[n, o, i, j] = np.sum(padded[n, :, r:r + kh, c:c + kw] * w) + b[o]"),
            "Every output channel came out the same (up to its bias): you multiplied the patch by ALL the filters w "
            "and summed over them too. Output channel o uses its own filter only, w[o] of shape (C_in, kh, kw).",
        ),
        Typical(
            _layer(value=_per_channel(_CH, bias=" + b[o]")),
            "Your bias is added C_in times, once per input channel: add b[o] once per output value, after the sum "
            "over the input channels.",
        ),
        Typical(
            _layer(value="out[n, o, i, j] = np.sum(padded[n, :, r:r + kh, c:c + kw] * w[o] + b[o])"),
            "Your bias is inside np.sum, so it is added once per multiplied number (C_in * kh * kw times): add "
            "b[o] once, outside the sum.",
        ),
        Typical(
            _layer(value="out[n, o, i, j] = np.sum(padded[n, :, r:r + kh, c:c + kw] * w[o])"),
            "You left out the bias: each output channel o adds its b[o] to every one of its values.",
        ),
        Typical(
            _layer(value="out[n, o, i, j] = np.sum(padded[n, :, r:r + kh, c:c + kw] * w[o])", end="return out + b"),
            "`out + b` lines b up with the LAST axis of out (the width): b has one value per output channel, "
            "axis 1, so add b[None, :, None, None] (or b.reshape(1, -1, 1, 1)).",
        ),
        Typical(
            _layer(value=_SUM.replace("w[o]", "w[o, :, ::-1, ::-1]")),
            FLIPPED.replace("kernel[::-1, ::-1]", "w[o, :, ::-1, ::-1]"),
        ),
        Typical(
            _layer(oh="(H + 2 * padding - kh) // stride", ow="(W + 2 * padding - kw) // stride"),
            "Your output misses its last row and column: floor((n + 2p - k) / s) + 1 windows fit along an axis "
            "(the + 1 counts the window at position 0).",
        ),
        Typical(
            _layer(oh="(H + padding - kh) // stride + 1", ow="(W + padding - kw) // stride + 1"),
            "Your output stops short of the bottom and right edges: it has floor((n + p - k) / s) + 1 positions per "
            "axis, the count for p zeros in all instead of p on EACH side. The padded input has n + 2p pixels "
            "along H and W, so floor((n + 2p - k) / s) + 1 windows fit: count both sides in the size formula "
            "(and pad both sides).",
        ),
        Typical(
            _layer(oh="(H - kh) // stride + 1", ow="(W - kw) // stride + 1"),
            "Your size formula leaves out the padding: the padded input has n + 2p pixels along H and W, so "
            "floor((n + 2p - k) / s) + 1 windows fit (you padded, but counted positions in the unpadded input).",
        ),
        Typical(
            _layer(
                oh="(padded.shape[2] + 2 * padding - kh) // stride + 1",
                ow="(padded.shape[3] + 2 * padding - kw) // stride + 1",
            ),
            PAST_THE_EDGE.replace("image", "input"),
        ),
        Typical(_layer(oh="(H + 2 * padding - kh) / stride + 1", ow="(W + 2 * padding - kw) / stride + 1"), FLOAT_SIZE),
        Typical(
            _layer(pad="((0, 0), (0, 0), (padding, 0), (padding, 0))"),
            "Your zeros are on the top and left only: pad_width (p, 0) pads one side. Put p zeros on EACH side of "
            "the rows and columns, ((0, 0), (0, 0), (p, p), (p, p)), so the padded input has n + 2p pixels.",
        ),
        Typical(
            _layer(pad="padding"),
            "np.pad(x, p) pads all four axes, so your padded input has 2p extra images and 2p extra channels: pad "
            "only the rows and columns, np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))).",
        ),
        Typical(
            _layer(at="i, j"),
            "Your windows move by 1 pixel whatever the stride: the window for output (i, j) starts at row "
            "i * stride and column j * stride of the padded input.",
        ),
        Typical(
            _layer(kernel="C_out, _, kw, kh = w.shape"),
            "You swapped the kernel's height and width: w has shape (C_out, C_in, kh, kw), height before width, "
            "as x is (N, C_in, H, W).",
        ),
        Typical(
            _layer(ow="(W + 2 * padding - kh) // stride + 1"),
            "Your output's width uses the kernel's height kh: OW = floor((W + 2p - kw) / s) + 1, with the "
            "kernel's width (the kernels here are not square).",
        ),
    ],
    confirmation="your layer matches F.conv2d on batches of several images with several input and output channels, "
    "strides and paddings. Each output channel has its own C_in x kh x kw filter and one bias: "
    "C_out * C_in * kh * kw + C_out parameters, whatever the image size.",
    shape_hints=_layer_shapes,
    explain=_explain_layer,
    on_error={
        _window_past_the_edge: PAST_THE_EDGE.replace("image", "input"),
        _index_past_the_end: INDEX_PAST_THE_END,
    },
)

EXERCISES = [
    check_cross_correlate,
    check_conv2d_loops,
    check_same_padding,
    check_max_pool,
    check_avg_pool_as_conv,
    check_conv_layer,
]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
