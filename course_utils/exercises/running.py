"""The student's code, run: the three verdicts' words, a time limit, and errors in words.

Part of :mod:`course_utils.exercises` (which re-exports everything here): a check prints
``NOT_ATTEMPTED``, ``HINT`` or ``CORRECT``; :func:`time_limit` stops a student's function that never
returns; :func:`describe_error` turns an exception from the student's code into a hint (a shape
error with the line and the shapes of its arrays).
"""

from __future__ import annotations

import linecache
import re
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

NOT_ATTEMPTED = "Not attempted yet."
HINT = "Not quite:"
CORRECT = "Correct!"


class NotAttempted(Exception):
    """The student's cell is still the stub (it returned or holds ``None``)."""


class Mistake(Exception):
    """A specific, actionable hint for the student (the message is shown as it is); ``name`` names the
    typical mistake it is, for the practice record."""

    def __init__(self, message: str = "", name: str = ""):
        super().__init__(message)
        self.name = name


TIME_LIMIT_S = 10.0  # a student's function that runs longer is stopped (an endless loop, a step never taken)
CHECK_LIMIT_S = 30.0  # a whole check written as code, which calls the student's code itself


class TookTooLong(Exception):
    """The student's function did not return within its time limit."""


@contextmanager
def time_limit(seconds: float | None = None, what: str = "your function did not return"):
    """Stop the code inside after ``seconds`` (default :data:`TIME_LIMIT_S`) with :class:`TookTooLong`
    saying ``what`` and the limit. A SIGALRM timer, so only in the main thread of a Unix process,
    where notebook cells run; elsewhere no limit. Limits nest: an inner one that would end later than
    the enclosing one changes nothing, a shorter one runs and then gives the enclosing one back the
    time it has left."""
    seconds = TIME_LIMIT_S if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return
    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    if 0 < outer_left <= seconds:  # the enclosing limit ends first: it stops the code
        yield
        return

    def stop(signum, frame):
        raise TookTooLong(
            f"{what} within {seconds:g} s: is a loop missing its step (an index never incremented, a "
            "stopping rule that can never hold)? Fix the loop and run the cell again."
        )

    previous = signal.signal(signal.SIGALRM, stop)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:  # give the enclosing limit what it has left (at least a moment, so it fires)
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - start), 1e-3))


_SHAPE_ERRORS = (
    "mismatch in its core dimension",  # numpy's matmul
    "could not be broadcast",
    "not aligned",  # np.dot
    "cannot be multiplied",  # torch's mm
    "must match the size of tensor",  # torch's broadcasting
    "size mismatch",
    "cannot reshape",
    "shape '[",  # torch's view/reshape
    "doesn't match the broadcast shape",
    "inconsistent tensor size",
)


def describe_error(e: BaseException, advice: str = "") -> str:
    """A hint for an exception raised by the student's code: a time limit as it is; a shape error
    (NumPy's matmul or broadcasting, torch's size mismatch) in plain words, with the line and the
    shapes of the arrays it uses, read from the innermost frame of the student's code, then ``advice``
    (or a general one); anything else by its type and message (and ``advice``)."""
    if isinstance(e, TookTooLong):
        return str(e)
    message = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if not any(marker in message for marker in _SHAPE_ERRORS):
        return f"your code raised {type(e).__name__}: " + (f"{message.rstrip('.')}. {advice}" if advice else message)
    inner = re.search(
        r"mismatch in its core dimension \d+, with gufunc signature .*\(size (\d+) is different from (\d+)\)", message
    )
    if inner:  # NumPy's gufunc message, in words
        message = f"a matrix product @ whose inner sizes differ, {inner[2]} against {inner[1]}"
    frame = _students_frame(e.__traceback__)
    where, shapes = "", ""
    if frame is not None:
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        where = f" in the line `{line}`" if line else ""
        arrays = [
            f"{name} {tuple(value.shape)}"
            for name, value in frame.f_locals.items()
            if isinstance(getattr(value, "shape", None), tuple) and (not line or re.search(rf"\b{name}\b", line))
        ]
        shapes = f" The arrays there have shapes: {', '.join(arrays)}." if arrays else ""
    advice = advice or (
        "Write each array's shape next to the line and check that the sizes that meet agree; a transpose (.T) or "
        "the wrong axis is the usual cause."
    )
    return f"the shapes do not fit{where} ({type(e).__name__}: {message}).{shapes} {advice}"


def _students_frame(tb):
    """The innermost traceback frame outside NumPy, torch and this package: the student's code."""
    libraries = tuple(
        str(Path(module.__file__).parent)
        for module in (np, sys.modules.get("torch"), sys.modules["course_utils"])
        if module is not None
    )
    found = None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(libraries):
            found = tb.tb_frame
        tb = tb.tb_next
    return found
