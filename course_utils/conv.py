"""2-D convolution and pooling in plain numpy: the worked reference code of notebook 04.

Notebook 04's examples, figures, widgets and exercise checks (:mod:`course_utils.exercises.nb04`)
call it. The graded ``convolution`` assignment is *not* checked against this module: its test
cells compare a submission with torch (``F.conv2d``, ``F.max_pool2d`` and autograd) and with
central differences (:mod:`course_utils.grading`).

"Convolution" here means what deep-learning libraries compute, cross-correlation
(the kernel is not flipped):

    out[n, f, i, j] = b[f] + sum_{c, u, v} w[f, c, u, v] * xpad[n, c, i*s + u*d, j*s + v*d]

with stride ``s``, dilation ``d`` and ``xpad`` the input zero-padded by ``p`` on
every side. Shapes follow torch: inputs (N, C, H, W), kernels (F, C, KH, KW),
outputs (N, F, OH, OW). ``stride``, ``padding`` and ``dilation`` are an int or
an (height, width) pair.

The module ends with notebook 04's timing harness (:func:`best_time`, :func:`time_jobs`,
:func:`timing_table`, with :func:`course_utils.runtime.cpu_threads`): it reports *ratios measured in one run*, since
absolute times depend on the machine and on whatever else runs on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .runtime import cpu_threads


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis: floor((n + 2p - d(k - 1) - 1) / s) + 1.

    Args:
        in_size: input length n.  kernel_size: kernel length k.  stride, padding, dilation: as in torch.

    Raises:
        ValueError: a non-positive size, stride or dilation, negative padding,
            or a (dilated) kernel larger than the padded input.
    """
    for name, v, low in [
        ("in_size", in_size, 1),
        ("kernel_size", kernel_size, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ]:
        if isinstance(v, bool) or int(v) != v or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    span = dilation * (kernel_size - 1) + 1
    if span > in_size + 2 * padding:
        raise ValueError(f"the kernel spans {span} pixels but the padded input has only {in_size + 2 * padding}")
    return (in_size + 2 * padding - span) // stride + 1


def _pair(v, name: str) -> tuple[int, int]:
    pair = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return int(pair[0]), int(pair[1])


def _prepare(x, w, b, stride, padding, dilation):
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 4 or w.ndim != 4 or x.shape[1] != w.shape[1]:
        raise ValueError(f"need x (N, C, H, W) and w (F, C, KH, KW) with equal C, got {x.shape} and {w.shape}")
    if b is not None and np.shape(b) != (w.shape[0],):
        raise ValueError(f"b must have shape ({w.shape[0]},), got {np.shape(b)}")
    s, p, d = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    oh = conv_output_size(x.shape[2], w.shape[2], s[0], p[0], d[0])
    ow = conv_output_size(x.shape[3], w.shape[3], s[1], p[1], d[1])
    if p != (0, 0):
        x = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    return x, w, s, d, oh, ow


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Convolution by explicit loops over examples, filters and output pixels (slow; for teaching).

    Args:
        x: (N, C, H, W) input.  w: (F, C, KH, KW) kernels.  b: optional (F,) biases.

    Returns:
        (N, F, OH, OW), OH and OW given by :func:`conv_output_size`.
    """
    x, w, (sh, sw), (dh, dw), oh, ow = _prepare(x, w, b, stride, padding, dilation)
    n_filters, _, kh, kw = w.shape
    out = np.zeros((x.shape[0], n_filters, oh, ow), dtype=np.result_type(x, w))
    for n in range(x.shape[0]):
        for f in range(n_filters):
            for i in range(oh):
                for j in range(ow):
                    patch = x[n, :, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw]
                    out[n, f, i, j] = np.sum(patch * w[f])
    if b is not None:
        out += np.asarray(b)[None, :, None, None]
    return out


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Vectorised convolution: strided windows (im2col) and one matrix product.

    ``sliding_window_view`` gives every (dilated) kernel-sized window of the
    padded input without copying; the windows are laid out as a (C*KH*KW, N*OH*OW)
    matrix (one copy, the "im2col" step) and multiplied by the (F, C*KH*KW)
    kernel matrix.

    Args:
        x: (N, C, H, W) input.  w: (F, C, KH, KW) kernels.  b: optional (F,) biases.

    Returns:
        (N, F, OH, OW), equal to ``torch.nn.functional.conv2d`` with the same arguments.
    """
    x, w, (sh, sw), (dh, dw), oh, ow = _prepare(x, w, b, stride, padding, dilation)
    n_filters, c, kh, kw = w.shape
    windows = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    windows = windows[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]  # (N, C, OH, OW, KH, KW)
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, -1)  # im2col: the only copy
    out = (w.reshape(n_filters, -1) @ cols).reshape(n_filters, x.shape[0], oh, ow).transpose(1, 0, 2, 3)
    if b is not None:
        out = out + np.asarray(b)[None, :, None, None]
    return out


def _pool(x, size, stride, reduce):
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"need an input (..., H, W), got shape {x.shape}")
    k, s = _pair(size, "size"), _pair(size if stride is None else stride, "stride")
    oh = conv_output_size(x.shape[-2], k[0], s[0])
    ow = conv_output_size(x.shape[-1], k[1], s[1])
    windows = sliding_window_view(x, k, axis=(-2, -1))[..., :: s[0], :: s[1], :, :][..., :oh, :ow, :, :]
    return reduce(windows, axis=(-2, -1))


def max_pool2d(x, size=2, stride=None) -> np.ndarray:
    """Max pooling over the last two axes.

    Args:
        x: (..., H, W) array, e.g. (N, C, H, W) or a single (H, W) map.
        size: window size (int or pair).  stride: defaults to ``size`` (non-overlapping windows).

    Returns:
        (..., OH, OW) with OH = floor((H - size) / stride) + 1 (windows that do not fit are dropped, like torch).
    """
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size=2, stride=None) -> np.ndarray:
    """Average pooling over the last two axes; arguments and shapes as :func:`max_pool2d`."""
    return _pool(x, size, stride, np.mean)


# --------------------------------------------------------------------------- #
# Image kernels (setosa.io/ev/image-kernels)
# --------------------------------------------------------------------------- #

KERNEL_PRESETS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16,  # deck 003: 1/16, 1/8, 1/4
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "edges": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64),
    "left sobel": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64),
    "top sobel": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64),
}


def parse_kernel(text: str) -> np.ndarray:
    """A kernel typed by hand: rows separated by ``;`` or newlines, numbers by spaces or commas.

    Fractions such as ``1/16`` are allowed. ``"0 -1 0; -1 5 -1; 0 -1 0"`` gives the sharpen kernel.

    Returns:
        (KH, KW) float64 with odd KH and KW.

    Raises:
        ValueError: empty text, ragged rows, something that is not a number, or an even size.
    """
    rows = [r for r in text.replace("\n", ";").split(";") if r.strip()]
    if not rows:
        raise ValueError("the kernel is empty: type rows like '0 -1 0; -1 5 -1; 0 -1 0'")
    values = []
    for row in rows:
        entries = row.replace(",", " ").split()
        try:
            values.append([_number(e) for e in entries])
        except (ValueError, ZeroDivisionError) as err:
            raise ValueError(f"could not read the row {row.strip()!r} as numbers") from err
    if len({len(r) for r in values}) != 1:
        raise ValueError(f"every row needs the same number of entries, got {[len(r) for r in values]}")
    kernel = np.array(values, dtype=np.float64)
    if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"the kernel needs an odd size so it has a centre pixel, got {kernel.shape}")
    return kernel


def _number(s: str) -> float:
    if "/" in s:
        num, den = s.split("/", 1)
        return float(num) / float(den)
    return float(s)


def apply_kernel(image, kernel) -> np.ndarray:
    """Slide a kernel over a grayscale image, zero-padded so the output keeps the image's size.

    Args:
        image: (H, W) array.  kernel: (KH, KW) with odd sizes.

    Returns:
        (H, W) float64, not clipped (edge kernels give negative values).
    """
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"need a (H, W) image and a (KH, KW) kernel, got {image.shape} and {kernel.shape}")
    if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"the kernel needs odd sizes, got {kernel.shape}")
    pad = (kernel.shape[0] // 2, kernel.shape[1] // 2)
    return conv2d(image[None, None], kernel[None, None], padding=pad)[0, 0]


# --------------------------------------------------------------------------- #
# Timing harness (notebook 04's speed comparison)
# --------------------------------------------------------------------------- #


def best_time(fn: Callable[[], object], repeat: int = 15) -> float:
    """Seconds taken by the fastest of ``repeat`` calls of ``fn()``, after one warm-up call.

    The minimum, not the mean: other programs can only slow a run down, so the fastest
    run is the least disturbed estimate of the cost itself.
    """
    if int(repeat) != repeat or repeat < 1:
        raise ValueError(f"repeat must be a positive integer, got {repeat!r}")
    fn()  # warm-up: caches, lazy initialisation, thread pools
    times = []
    for _ in range(int(repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def time_jobs(
    jobs: Mapping[str, tuple[Callable[[], object], int, float]], serial: Iterable[str] = ()
) -> dict[str, tuple[float, float]]:
    """Time every job with all threads, then with one thread (:func:`~course_utils.runtime.cpu_threads`).

    Args:
        jobs: ``name -> (fn, repeat, scale)``; a job's time is ``best_time(fn, repeat) * scale``
            (``scale`` extrapolates a job run on part of the data, e.g. 2 images of 64 -> 32).
        serial: names of pure-Python jobs that use one thread anyway: timed once, and that
            time is reported in both columns.

    Returns:
        ``name -> (seconds with all threads, seconds with one thread)``, in the order of ``jobs``.
    """
    serial = set(serial)
    unknown = serial - set(jobs)
    if unknown:
        raise ValueError(f"serial names {sorted(unknown)} are not jobs; jobs: {list(jobs)}")
    all_threads = {name: best_time(fn, repeat) * scale for name, (fn, repeat, scale) in jobs.items()}
    with cpu_threads(1):
        single = {
            name: best_time(fn, repeat) * scale for name, (fn, repeat, scale) in jobs.items() if name not in serial
        }
    return {name: (all_threads[name], single.get(name, all_threads[name])) for name in jobs}


def timing_table(
    timings: Mapping[str, tuple[float, float]], baseline: str, title: str = "", threads: int | None = None
) -> str:
    """The table of :func:`time_jobs`' result: milliseconds, and each time as a ratio to
    ``baseline``'s time in the same column (ratios measured in one run, comparable across
    machines far better than the milliseconds)."""
    if baseline not in timings:
        raise ValueError(f"baseline {baseline!r} is not one of {list(timings)}")
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    base_all, base_one = timings[baseline]
    width = max(36, max(len(name) for name in timings) + 2, len(title) + 2)
    lines = [f"{title:<{width}}{f'{threads} threads (ms)':>16}{'ratio':>8}{'1 thread (ms)':>16}{'ratio':>8}"]
    for name, (t_all, t_one) in timings.items():
        lines.append(
            f"{name:<{width}}{t_all * 1e3:>16.2f}{t_all / base_all:>8.1f}{t_one * 1e3:>16.2f}{t_one / base_one:>8.1f}"
        )
    return "\n".join(lines)
