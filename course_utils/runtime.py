"""Where the computation runs, and how to make it repeatable."""

from __future__ import annotations

import contextlib
import functools
import os
import random
import warnings

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


def _limit_cpu_threads(n: int):
    """Set torch's CPU threads and NumPy's BLAS/OpenMP pools to ``n``; return a function that
    puts the previous counts back."""
    from threadpoolctl import threadpool_limits

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of CPU threads must be a positive integer, got {n!r}")
    torch_before = torch.get_num_threads()
    torch.set_num_threads(n)
    # threadpoolctl warns when two OpenMP runtimes are loaded (torch ships its own libgomp);
    # limiting both is what we want, so the warning says nothing a student can act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pools = threadpool_limits(limits=n)

    def restore() -> None:
        pools.restore_original_limits()
        torch.set_num_threads(torch_before)

    return restore


def set_cpu_threads(n: int) -> None:
    """From now on, for the rest of the session, run torch and NumPy's BLAS on ``n`` CPU threads.

    Every course notebook calls ``set_cpu_threads(1)`` in its set-up cell, on purpose: the
    course's networks are small, and their many tiny operations gain nothing from splitting
    across threads. By default torch and OpenBLAS start one spinning thread per core, and when
    other programs share the cores (another kernel, a neighbour on a JupyterHub, nbgrader
    grading a class) every one of those tiny operations waits for a thread that is not
    running. Measured on a 2-core machine (``benchmarks/bench_cpu_threads.py``): notebook
    06's RNN-vs-LSTM sweep took 11 s alone with 2 threads and 10 s with 1; beside a second
    such process, 143 s with 2 threads and 10 s with 1.

    Raises:
        ValueError: ``n`` is not a positive integer.
    """
    _limit_cpu_threads(n)


@contextlib.contextmanager
def cpu_threads(n: int = 1):
    """Run the ``with`` block (or the decorated function) with torch and NumPy's BLAS on ``n``
    CPU threads, and put the caller's thread counts back afterwards (see
    :func:`set_cpu_threads` for why one thread suits small networks).

    Raises:
        ValueError: ``n`` is not a positive integer.
    """
    restore = _limit_cpu_threads(n)
    try:
        yield
    finally:
        restore()
