"""Which student slots a batch run may use, so that two runs on one machine never share one.

Part of :mod:`grader`. A slot ``N`` is the uid ``UID_BASE + N`` its student runs as (when root) and
its cgroups ``batch_grade/slotN`` (:mod:`grader.cgroups`). A run that ends a student kills every
process of the slot's uid and cgroups (:func:`grader.cgroups.kill_slot`), so two runs sharing a slot
(two assignments graded at once, two instructors on one server) would kill each other's students.
:func:`claimed_slots` holds an exclusive ``flock`` on one file per slot, in a folder private to the
user, for as long as the run lasts; a run takes the first free slots, and waits while none is free.
The kernel drops the locks when a run dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .privileges import UID_BASE

MAX_SLOTS = 64  # uids UID_BASE .. UID_BASE + 63


def slot_lock_folder() -> Path:
    """The folder of the slot locks of this user and this ``UID_BASE``."""
    return Path(tempfile.gettempdir()) / f"batch-grade-slots-{os.geteuid()}-{UID_BASE}"


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise RuntimeError(
            f"{folder} is not a folder of this user that only it can write (a link, or someone else's): "
            "the batch grader will not keep its slot locks there; remove it and run again"
        )


@contextlib.contextmanager
def claimed_slots(jobs: int, folder: Path | None = None, poll_s: float = 0.5, log=None) -> Iterator[list[int]]:
    """Up to ``jobs`` slot numbers no other batch run holds, held until the ``with`` block ends (at least
    one: while every slot is taken, it waits, saying so once through ``log``)."""
    folder = folder or slot_lock_folder()
    _private_folder(folder)
    held: list[tuple[int, int]] = []
    said = False
    try:
        while True:
            for n in range(MAX_SLOTS):
                if len(held) == jobs:
                    break
                fd = os.open(folder / f"slot{n}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                else:
                    held.append((n, fd))
            if held:
                break
            if log is not None and not said:
                log(f"all {MAX_SLOTS} student slots are in use by other batch runs: waiting for one")
                said = True
            time.sleep(poll_s)
        yield [n for n, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)
