"""course_utils.conv against torch.nn.functional (float64), the decks' worked examples, and the timing harness."""

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import conv
from course_utils.exercises.nb04.common import DECK_IMAGE, DECK_MAP

DECK_FEATURE_MAP = DECK_MAP[0]  # one channel


def test_deck_004_examples():
    kernel = np.array([[-1, 0, 1]] * 3, float)
    expected = [[2, 2, -2], [1, 0, -1], [2, 0, -2]]
    for fn in (conv.conv2d, conv.conv2d_naive):
        np.testing.assert_array_equal(fn(DECK_IMAGE[None, None], kernel[None, None])[0, 0], expected)
    np.testing.assert_array_equal(conv.max_pool2d(DECK_FEATURE_MAP), [[4, 7, 9], [1, 6, 7], [4, 5, 3]])
    np.testing.assert_allclose(conv.avg_pool2d(DECK_FEATURE_MAP), [[1, 4, 4.75], [0.75, 2.5, 2.75], [2.5, 1, 0.75]])


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_matches_torch_on_random_configurations(seed):
    rng = np.random.default_rng(seed)
    n, c, f = rng.integers(1, 4, 3)
    kh, kw = rng.integers(1, 5, 2)
    stride = tuple(rng.integers(1, 4, 2))
    padding = tuple(rng.integers(0, 3, 2))
    dilation = tuple(rng.integers(1, 3, 2))
    h = int(dilation[0] * (kh - 1) + 1 + rng.integers(0, 8))
    w = int(dilation[1] * (kw - 1) + 1 + rng.integers(0, 8))
    x, k, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, kh, kw)), rng.standard_normal(f)
    ref = F.conv2d(
        torch.from_numpy(x), torch.from_numpy(k), torch.from_numpy(b), stride=stride, padding=padding, dilation=dilation
    ).numpy()
    for fn in (conv.conv2d, conv.conv2d_naive):
        out = fn(x, k, b, stride=stride, padding=padding, dilation=dilation)
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    assert ref.shape[2:] == (
        conv.conv_output_size(h, kh, stride[0], padding[0], dilation[0]),
        conv.conv_output_size(w, kw, stride[1], padding[1], dilation[1]),
    )


@pytest.mark.parametrize("size,stride", [(2, None), (3, 2), (2, 1), ((2, 3), (1, 2))])
def test_pooling_matches_torch(size, stride):
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 9))
    t = torch.from_numpy(x)
    np.testing.assert_allclose(conv.max_pool2d(x, size, stride), F.max_pool2d(t, size, stride).numpy())
    np.testing.assert_allclose(conv.avg_pool2d(x, size, stride), F.avg_pool2d(t, size, stride).numpy())


def test_conv_output_size_errors():
    assert conv.conv_output_size(28, 5) == 24
    assert conv.conv_output_size(5, 3, stride=2, padding=1) == 3
    for bad in [
        dict(in_size=0, kernel_size=1),
        dict(in_size=5, kernel_size=3, stride=0),
        dict(in_size=5, kernel_size=3, padding=-1),
        dict(in_size=3, kernel_size=3, dilation=2),
        dict(in_size=4.5, kernel_size=1),
    ]:
        with pytest.raises(ValueError):
            conv.conv_output_size(**bad)
    with pytest.raises(ValueError):
        conv.conv2d(np.zeros((1, 2, 5, 5)), np.zeros((1, 3, 3, 3)))
    with pytest.raises(ValueError):
        conv.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), b=np.zeros(3))
    with pytest.raises(ValueError):
        conv.max_pool2d(np.zeros(4))


def test_kernels_presets_parse_and_apply():
    image = np.random.default_rng(2).random((12, 15))
    assert conv.KERNEL_PRESETS["blur"].sum() == pytest.approx(1.0)
    assert set(np.unique(conv.KERNEL_PRESETS["blur"])) == {1 / 16, 1 / 8, 1 / 4}
    np.testing.assert_allclose(conv.apply_kernel(image, conv.KERNEL_PRESETS["identity"]), image)
    sharpen = conv.parse_kernel("0 -1 0; -1 5 -1\n0,-1,0")
    np.testing.assert_array_equal(sharpen, conv.KERNEL_PRESETS["sharpen"])
    np.testing.assert_allclose(
        conv.parse_kernel("1/16 1/8 1/16; 1/8 1/4 1/8; 1/16 1/8 1/16"), conv.KERNEL_PRESETS["blur"]
    )
    out = conv.apply_kernel(image, sharpen)
    ref = F.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(sharpen)[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-12)
    for bad in ["", "1 2; 3", "a b c", "1 1; 1 1", "1/0"]:
        with pytest.raises(ValueError):
            conv.parse_kernel(bad)
    with pytest.raises(ValueError):
        conv.apply_kernel(image, np.ones((2, 2)))


# --------------------------------------------------------------------------- timing harness (notebook 04)


def test_best_time_warms_up_and_keeps_the_fastest_run():
    calls, delays = [], iter([0.05, 0.03, 0.0, 0.02])  # the warm-up is the slowest and must not count

    def job():
        calls.append(1)
        end = time.perf_counter() + next(delays)
        while time.perf_counter() < end:
            pass

    t = conv.best_time(job, repeat=3)
    assert len(calls) == 4 and t < 0.01
    with pytest.raises(ValueError):
        conv.best_time(job, repeat=0)


def test_time_jobs_scales_and_times_serial_jobs_once():
    calls = {"fast": 0, "loops": 0}

    def job(name):
        def run():
            calls[name] += 1

        return run

    timings = conv.time_jobs({"fast": (job("fast"), 4, 1), "loops": (job("loops"), 2, 1000.0)}, serial=["loops"])
    assert list(timings) == ["fast", "loops"]
    assert calls == {"fast": 2 * (4 + 1), "loops": 2 + 1}  # warm-up + repeats, twice / once
    assert timings["loops"][0] == timings["loops"][1] > 0
    assert all(t >= 0 for pair in timings.values() for t in pair)
    with pytest.raises(ValueError):
        conv.time_jobs({"fast": (job("fast"), 1, 1)}, serial=["slow"])


def test_timing_table_reports_ratios_to_the_baseline():
    table = conv.timing_table(
        {"torch": (0.002, 0.001), "numpy": (0.004, 0.003)}, baseline="torch", title="a job", threads=4
    )
    header, torch_row, numpy_row = table.splitlines()
    assert "4 threads (ms)" in header and header.startswith("a job")
    assert torch_row.split()[1:] == ["2.00", "1.0", "1.00", "1.0"]
    assert numpy_row.split()[1:] == ["4.00", "2.0", "3.00", "3.0"]
    with pytest.raises(ValueError):
        conv.timing_table({"torch": (1, 1)}, baseline="numpy")
