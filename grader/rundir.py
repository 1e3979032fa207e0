"""Each batch run's temporary folder, removed when the run ends, or by the next run if it was killed.

Part of :mod:`grader`. A run keeps in ``<tmp>/batch-grade-run-<pid>-*`` (mode 0711) the students' scratch
folders (``scratch/``, 0711: each slot's uid reaches its own folder and lists nothing), the worker
pool's IPython folder and an unpacked ``.zip`` of submissions (both 0700). It holds an exclusive
``flock`` on the folder's ``.lock`` for as long as it lasts; the kernel drops the lock when the run dies,
however it dies (``kill -9``, the OOM killer), so the next run can tell an abandoned folder from a
live one, also across PID namespaces, and removes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "batch-grade-run-"
LOCK = ".lock"


@contextlib.contextmanager
def run_folder(tmp: Path | None = None) -> Iterator[Path]:
    """A new run folder (see the module), held until the ``with`` block ends and then removed; the
    abandoned folders of this user's earlier runs in ``tmp`` are removed first."""
    tmp = Path(tmp or tempfile.gettempdir())
    for old in tmp.glob(f"{PREFIX}*"):
        remove_if_abandoned(old)
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=tmp))
    lock = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.chmod(folder, 0o711)
        (folder / "scratch").mkdir()
        os.chmod(folder / "scratch", 0o711)  # mkdir's mode goes through the umask
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)


def remove_if_abandoned(folder: Path) -> bool:
    """Remove ``folder``, a run folder, when it is this user's and no living run holds its lock; True if
    it did. A folder without its lock yet (a run that is just starting) is left alone."""
    try:
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return False
        lock = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False  # gone meanwhile, not ours, or its run has not made its lock yet
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a living run holds it
    else:
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(lock)
