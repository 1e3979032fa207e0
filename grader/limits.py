"""What a student may use: the per-student limits, and the rlimits that hold them per process.

Part of :mod:`grader`. :class:`Limits` is what the instructor sets (``--cell-timeout``,
``--memory-mb``, ``--nproc``, ...); it travels to each worker inside a
:class:`grader.messages.Job`. :func:`set_rlimits` applies the per-process part in the student
process (:func:`grader.sandbox.start_student`); the per-slot part, the whole process tree's
memory and process count, is the slot's cgroups' (:mod:`grader.cgroups`); the wall-time limits
are the worker's (:mod:`grader.checker`) and the coordinator's (:mod:`grader.batch`).
"""

from __future__ import annotations

import resource
import signal
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Limits:
    """Per-student limits (seconds, MiB, counts)."""

    cell_timeout: float = 60.0
    notebook_timeout: float = 300.0
    memory_mb: int = 2048
    nproc: int = 32
    fsize_mb: int = 64
    nofile: int = 256
    output_chars: int = 100_000
    interrupt_grace: float = 2.0

    def __post_init__(self):
        for name, value in asdict(self).items():
            if type(value) not in (int, float) or not value > 0 or value != value or value == float("inf"):
                raise ValueError(f"limit {name} must be a positive, finite number (got {value!r})")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Limits:
        """The inverse of :meth:`to_json` (unknown keys are an error)."""
        return cls(**data)


def set_rlimits(limits: Limits) -> None:
    """Set this process's rlimits from ``limits``: address space (``memory_mb`` on top of what the
    process already maps), CPU seconds (the notebook's time plus 5 s), file size, open files,
    processes, and no core dumps. A limit above the hard limit this process was given (not root)
    leaves the inherited, lower one. Writing past the file size limit fails with an error instead
    of killing the process (SIGXFSZ ignored)."""
    for res, value in (
        (resource.RLIMIT_AS, _vsz_bytes() + limits.memory_mb * 2**20),
        (resource.RLIMIT_CPU, int(limits.notebook_timeout) + 5),
        (resource.RLIMIT_FSIZE, limits.fsize_mb * 2**20),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, limits.nofile),
        (resource.RLIMIT_NPROC, limits.nproc),
    ):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass  # above the hard limit we were given (not root): the inherited, lower limit stays
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _vsz_bytes() -> int:
    """This process's virtual size (what it maps before any student code runs)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0
