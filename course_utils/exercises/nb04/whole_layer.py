"""Notebook 04's whole layer: 04.6 a convolutional layer with batch, channels, bias, stride, padding."""

from __future__ import annotations

import textwrap

import numpy as np

from .. import Case, Mistake, Typical, as_array, compare
from .common import FLIPPED, FLOAT_SIZE, PAST_THE_EDGE, NotebookExercise, loop_errors

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


# the loop over the images left out: the windows of all images at once, summed over everything (the batch too)
_BATCH_AT_ONCE = "\n".join(
    line[4:] if line.startswith("    ") else line
    for line in _layer(value=_SUM.replace("[n, ", "[:, ")).splitlines()
    if line != "for n in range(N):"
)


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


check_conv_layer = NotebookExercise(
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
            _layer(value=_SUM.replace("+ b[o]", "+ b")),
            "You added the whole vector b (C_out biases) to one output value: output channel o adds its own bias, "
            "b[o].",
        ),
        Typical(
            _BATCH_AT_ONCE,
            "Your np.sum runs over the batch too: every image got the sum over ALL the images' windows. With the "
            "windows of all images at once, sum over the channels and the window only, np.sum(..., axis=(1, 2, 3)).",
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
    on_error=loop_errors("input"),
)
