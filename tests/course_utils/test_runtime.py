import random

import numpy as np
import pytest
import torch

from course_utils import device, seed_everything


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
