"""Who the student process runs as, and the processes of that identity.

Part of :mod:`grader`. As root, the student process of slot ``N`` runs as the unprivileged uid
``UID_BASE + N`` when such a uid can read the Python installation (:func:`uid_can_run_python`),
otherwise as root without any capability (:func:`drop_capabilities`). Either way it dies with
its parent (:func:`set_pdeathsig`); the grader's own processes are not dumpable
(:func:`set_nondumpable`), so a process of the same uid cannot read their memory. Everything a
slot uid runs can be listed (:func:`uid_processes`) and killed at once (:func:`kill_uid`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

UID_BASE = int(os.environ.get("BATCH_GRADE_UID_BASE", "61000"))

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24


def set_pdeathsig(sig: int = signal.SIGKILL) -> None:
    """Have the kernel send ``sig`` to this process when its parent dies (reset by a uid change)."""
    _libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def set_nondumpable() -> None:
    """Keep same-uid processes from reading this process's memory (/proc/PID/mem, ptrace)."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def become(uid: int) -> None:
    """Switch this process to ``uid`` (and the group of the same number, no supplementary groups)
    for good: real, effective and saved ids. Needs root."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def drop_capabilities() -> None:
    """Root without any capability: cannot mount, load modules, change owners,
    override permissions of files it does not own, trace or signal others."""
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)
    data = (Data * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:  # glibc's wrapper: no architecture-specific number
        raise OSError(ctypes.get_errno(), "capset failed")


def uid_can_run_python(uid: int) -> bool:
    """Whether an unprivileged uid can read this Python's standard library and numpy
    (not the case when Python lives under a private home, e.g. /root/.pyenv). Tried in a child."""
    pid = os.fork()
    if pid == 0:
        ok = 1
        try:
            become(uid)
            os.listdir(os.path.dirname(os.__file__))
            numpy_file = getattr(sys.modules.get("numpy"), "__file__", None)
            if numpy_file:
                os.listdir(os.path.dirname(numpy_file))
            ok = 0
        finally:
            os._exit(ok)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def uid_processes(uid: int) -> list[int]:
    """The ids of every process running as ``uid``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    out.append(int(entry))
            except OSError:
                pass  # the process exited between listdir and stat
    return out


def kill_uid(uid: int) -> None:
    """kill(-1, SIGKILL) from a child running as ``uid``: kills every process of
    that uid at once (a fork bomb cannot outrun it)."""
    pid = os.fork()
    if pid == 0:
        try:
            become(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
