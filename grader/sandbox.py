"""The sandboxed student process of the batch grader: started, confined, then serving.

Part of :mod:`grader`. For each student the trusted worker forks a child
(:func:`start_student`) *before* it reads any secret (reference solution, hidden tests,
gradebook). The child, in this order:

1. starts a new session (its own process group) and asks the kernel to kill it
   when the worker dies (``PR_SET_PDEATHSIG``); keeps only its socket open;
2. joins per-slot cgroups when the machine allows it (memory: the whole
   process tree; pids: process count), on cgroup v1 or v2 - see :mod:`grader.cgroups`;
3. sets rlimits: address space, CPU seconds, processes, file size, open
   files, no core dumps - see :mod:`grader.limits`;
4. cuts the network (a new, empty network namespace) when root;
5. restricts the file system with Landlock (:mod:`grader.landlock`): read-only access
   to the Python installation and the course helper package, read/write to
   its own scratch folder, nothing else - so the source notebook, the
   gradebook, other students' work and the git history cannot be read;
6. when root, drops to an unprivileged uid reserved for its slot, so that
   RLIMIT_NPROC is enforced, nothing of root's can be written or signalled,
   and every process it leaves behind can be found and killed by uid; or, when
   that uid cannot run Python, stays root without any capability (:mod:`grader.privileges`);
7. serves requests from the worker (:class:`grader.server.StudentServer`): run a cell,
   call a function, read an attribute - see :mod:`grader.codec`.

What the machine allows is found once per run by :func:`grader.probe.probe` (the ``caps``).
"""

from __future__ import annotations

import ctypes
import os
import socket
from pathlib import Path

from .cgroups import SlotCgroups, slot_cgroups
from .landlock import apply_landlock, default_read_paths
from .limits import Limits, set_rlimits
from .privileges import UID_BASE, become, drop_capabilities, kill_uid, set_pdeathsig
from .server import StudentServer

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def start_student(
    slot: int, caps: dict, limits: Limits, scratch: Path, extra_read=(), forbidden=()
) -> tuple[int, socket.socket, SlotCgroups | None, int | None]:
    """Fork the sandboxed student process. Returns (pid, socket, cgroups, uid)."""
    parent_sock, child_sock = socket.socketpair()
    cgroups = slot_cgroups(slot, caps, limits)
    if cgroups:
        cgroups.reset()
    uid = UID_BASE + slot if caps.get("setuid") else None
    if uid is not None:
        kill_uid(uid)  # leftovers of an earlier, interrupted run
        os.chown(scratch, uid, uid)
    pid = os.fork()
    if pid == 0:  # ---- child
        code = 0
        try:
            parent_sock.close()
            _enter_sandbox(child_sock, cgroups, uid, limits, caps, scratch, extra_read)
            StudentServer(child_sock, limits, forbidden).serve()
        except BaseException:  # noqa: BLE001 - the child must never return into the worker
            code = 70
        finally:
            os._exit(code)
    child_sock.close()
    return pid, parent_sock, cgroups, uid


def _enter_sandbox(sock, cgroups, uid, limits: Limits, caps, scratch: Path, extra_read) -> None:
    os.setsid()
    set_pdeathsig()
    if os.getppid() == 1:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, sock.fileno())
    os.closerange(sock.fileno() + 1, 65536)
    if cgroups:
        cgroups.join()
    set_rlimits(limits)
    if caps.get("netns"):
        _libc.unshare(CLONE_NEWNET)  # no network interfaces but lo (down)
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    if uid is not None:
        os.chown(home, uid, uid)
    os.environ.update(
        {
            "HOME": str(home),
            "TMPDIR": str(scratch),
            "MPLCONFIGDIR": str(home),
            "IPYTHONDIR": str(home / ".ipython"),
            "JUPYTER_RUNTIME_DIR": str(home),
        }
    )
    os.chdir(scratch)
    apply_landlock(default_read_paths() + [str(p) for p in extra_read], [str(scratch)], caps.get("landlock_abi", 0))
    if uid is not None:
        become(uid)
    elif caps.get("dropcaps"):
        drop_capabilities()
    set_pdeathsig()  # reset by setuid
