"""The grader's worker pool under bubblewrap, the sandbox Flatpak uses (Debian's ``bubblewrap``).

Part of :mod:`grader`. The coordinator starts the pre-forked zygote (:mod:`grader.worker`)
through ``bwrap`` when it can: then every worker, and every student process forked from one,
lives in

* a mount namespace where the whole file system is **read-only**, except the folders the
  run writes (its state folder, ``feedback/``, ``autograded/``, the students' scratch folders)
  and the cgroup tree that holds the slots' limits; ``/tmp`` and ``/dev/shm`` are private and
  empty;
* its own network, IPC and host-name namespaces: no network at all, not even the machine's
  loopback, and no shared memory segment or message queue of the machine;
* a process tree that dies with the coordinator (``--die-with-parent``).

No PID namespace: the coordinator's watchdog kills runaway workers by the process ids the
zygote reports, which must be the machine's.

These layers come on top of the per-student ones of :mod:`grader.sandbox` (uid per slot,
Landlock, rlimits, cgroups), which stay: bubblewrap confines the pool as a whole, and on a
kernel without Landlock it is what keeps a student from writing to the course. Without
``bwrap``, or where it cannot create namespaces (an unprivileged user on a system that
forbids user namespaces), the pool runs without it and the run's "enforced:" line says so.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

NAMESPACES = ("--unshare-net", "--unshare-ipc", "--unshare-uts")
CGROUP_ROOT = Path("/sys/fs/cgroup")
PRIVATE = ("/tmp", "/dev/shm")  # empty inside: what lies there must be bound back to be seen


def python_paths() -> list[str]:
    """The folders this Python and the course's packages live in: the interpreter, the
    environment, ``sys.path`` and the source folders of ``course_utils`` and ``grader`` (an
    editable install imports them from the checkout). Those under a private folder (a checkout
    or a virtual environment in ``/tmp``) must be bound into the pool, or it cannot start."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    found += [p for p in sys.path if p]
    for package in ("course_utils", "grader"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            found.append(str(Path(spec.origin).parent))
    return [p for p in dict.fromkeys(found) if os.path.isdir(p)]


def _hidden(path: str) -> bool:
    return any(path == root or path.startswith(root + "/") for root in PRIVATE)


def find_bwrap() -> tuple[str | None, str]:
    """``(path of bwrap, "")`` when bubblewrap is installed and can create the pool's namespaces
    here (tried once with ``true``), else ``(None, why not)``."""
    exe = shutil.which("bwrap")
    if exe is None:
        return None, "bubblewrap (bwrap is not installed)"
    try:
        tried = subprocess.run(
            [exe, "--ro-bind", "/", "/", *NAMESPACES, "--die-with-parent", "--", "true"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"bubblewrap ({exe} did not run: {err})"
    if tried.returncode != 0:
        return None, f"bubblewrap (cannot create namespaces here: {tried.stderr.strip()[:200]})"
    return exe, ""


def command_prefix(exe: str, writable: Iterable[str | Path], readable: Iterable[str | Path] = ()) -> list[str]:
    """The arguments that run a command under ``exe`` (bwrap) as described above.

    Args:
        exe: the path of bwrap (:func:`find_bwrap`).
        writable: folders that stay writable inside (existing ones; each is bound at its own path).
        readable: folders the pool reads that may lie under ``/tmp`` (which is private inside):
            the course and the submissions; bound read-only at their own paths, as are the
            folders of :func:`python_paths` that lie under ``/tmp`` or ``/dev/shm``.

    Returns:
        ``[exe, options..., "--"]``: append the command to run.
    """
    args = [exe, "--die-with-parent", *NAMESPACES, "--ro-bind", "/", "/"]
    args += ["--dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc", "--tmpfs", "/tmp"]
    shown = sorted({str(Path(f).resolve()) for f in [*readable, *python_paths()]})
    for folder in shown:
        if _hidden(folder) or folder in {str(Path(r).resolve()) for r in readable}:
            args += ["--ro-bind", folder, folder]
    for folder in writable:  # after the read-only ones: a state folder inside the course stays writable
        folder = str(Path(folder).resolve())
        args += ["--bind", folder, folder]
    if CGROUP_ROOT.is_dir():
        args += ["--bind", str(CGROUP_ROOT), str(CGROUP_ROOT)]  # the slots' cgroups are made from inside
    return [*args, "--"]
