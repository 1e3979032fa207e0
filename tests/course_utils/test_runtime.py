import random

import numpy as np
import pytest
import torch

from course_utils import device, seed_everything, set_cpu_threads
from course_utils.runtime import cpu_threads


def test_device_auto_matches_cuda_availability(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_device_forced_cpu(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "CPU")
    assert device() == torch.device("cpu")


def test_device_forced_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="COURSE_DEVICE=cuda"):
        device()


def test_device_forced_cuda_with_gpu(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device() == torch.device("cuda")


def test_device_unknown_name(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="tpu"):
        device()


def test_seed_everything_repeats_all_generators():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError):
        seed_everything(bad)


@pytest.fixture
def thread_counts():
    """The torch and BLAS thread counts before the test, put back after it."""
    from threadpoolctl import threadpool_info, threadpool_limits

    before = torch.get_num_threads(), [pool["num_threads"] for pool in threadpool_info()]
    yield before
    torch.set_num_threads(before[0])
    threadpool_limits(limits=max(before[1], default=1))


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info()]


def test_cpu_threads_limits_torch_and_blas_and_restores_them(thread_counts):
    torch.set_num_threads(2)
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
        assert all(n == 1 for n in _blas_threads())
    assert torch.get_num_threads() == 2
    with pytest.raises(KeyError), cpu_threads(1):
        raise KeyError("the block failed")
    assert torch.get_num_threads() == 2, "a failing block still gets its threads back"


def test_cpu_threads_decorates_a_function(thread_counts):
    torch.set_num_threads(2)

    @cpu_threads(1)
    def threads_inside():
        return torch.get_num_threads()

    assert [threads_inside(), threads_inside()] == [1, 1]
    assert torch.get_num_threads() == 2


def test_set_cpu_threads_lasts(thread_counts):
    set_cpu_threads(1)
    assert torch.get_num_threads() == 1 and all(n == 1 for n in _blas_threads())
    with cpu_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == 1, "the session's setting is what a block restores"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_thread_counts_must_be_positive_integers(bad, thread_counts):
    with pytest.raises(ValueError, match="positive integer"):
        set_cpu_threads(bad)
    with pytest.raises(ValueError, match="positive integer"), cpu_threads(bad):
        pass
    assert torch.get_num_threads() == thread_counts[0], "a bad count changes nothing"
