"""Where the computation runs, and how to make it repeatable."""

from __future__ import annotations

import functools
import os
import random

import numpy as np
import torch

_VALID_DEVICES = ("cpu", "cuda")


def device() -> torch.device:
    """Return the torch device the course should use.

    CUDA when a GPU is available, otherwise the CPU. The environment variable
    ``COURSE_DEVICE`` (``cpu`` or ``cuda``) forces a choice; forcing ``cuda``
    on a machine without a usable GPU raises ``RuntimeError`` rather than
    silently falling back to the CPU (a GPU CI runner must fail loudly).

    Raises:
        ValueError: ``COURSE_DEVICE`` is set to something other than cpu/cuda.
        RuntimeError: ``COURSE_DEVICE=cuda`` but CUDA is not available.
    """
    requested = os.environ.get("COURSE_DEVICE", "").strip().lower()
    if requested and requested not in _VALID_DEVICES:
        raise ValueError(
            f"COURSE_DEVICE={requested!r} is not understood: use one of {_VALID_DEVICES} "
            "or leave it unset to pick CUDA when available."
        )
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "COURSE_DEVICE=cuda was requested but torch sees no CUDA device "
            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}). "
            "Unset COURSE_DEVICE or set it to 'cpu' to run on the CPU."
        )
    if requested == "cpu":
        return torch.device("cpu")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def keeps_global_rng(fn):
    """Decorator for a function that seeds torch's global random generator to be reproducible:
    the caller's generator state (CPU and CUDA) is put back when the function returns, so calling
    it changes no random numbers drawn afterwards (``torch.random.fork_rng``)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with torch.random.fork_rng():
            return fn(*args, **kwargs)

    return wrapper


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    Args:
        seed: a non-negative integer.

    Raises:
        ValueError: ``seed`` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
