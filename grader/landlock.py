"""The student process's file system under Landlock (Linux >= 5.13).

Part of :mod:`grader`. Before it runs any student code the student process restricts itself
(:func:`apply_landlock`), for good and for every process it starts: it may read the Python
installation, the system libraries and the course's helper package (:func:`default_read_paths`)
and read and write its own scratch folder, nothing else, so the source notebook, the gradebook,
other students' work and the git history can be neither read nor written. From ABI 6 on, it can
neither signal a process outside the sandbox nor connect to an abstract unix socket.

Landlock's three system calls have no glibc wrapper, so they are called by number. The numbers
are those of the kernel's ``include/uapi/asm-generic/unistd.h`` (``__NR_landlock_create_ruleset``
444, ``__NR_landlock_add_rule`` 445, ``__NR_landlock_restrict_self`` 446): since Linux 5.1 every
architecture numbers new system calls the same way (x86's, arm's, powerpc's and s390's own tables
included), except alpha (offset by 110) and mips (an offset per ABI), which are not listed. On a
machine not listed in :data:`LANDLOCK_SYSCALLS` Landlock is not used, and the run's "enforced:"
line says so (:func:`grader.probe.probe`).
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

LANDLOCK_SYSCALLS: dict[str, tuple[int, int, int]] = {
    machine: (444, 445, 446)
    for machine in ("x86_64", "i386", "i686", "aarch64", "armv7l", "armv8l", "riscv64", "ppc64le", "ppc64", "s390x")
}

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS = 38
LANDLOCK_RULE_PATH_BENEATH = 1


def landlock_syscalls(machine: str | None = None) -> tuple[int, int, int] | None:
    """(create_ruleset, add_rule, restrict_self) for ``machine`` (default: this one), or None."""
    return LANDLOCK_SYSCALLS.get(machine if machine is not None else os.uname().machine)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers (0: none, or an architecture without known numbers)."""
    numbers = landlock_syscalls()
    if not sys.platform.startswith("linux") or numbers is None:
        return 0
    res = _libc.syscall(numbers[0], None, 0, 1)  # landlock_create_ruleset(NULL, 0, VERSION)
    return max(int(res), 0)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR


def _fs_all(abi: int) -> int:
    bits = (1 << 13) - 1  # execute .. make_sym (ABI 1)
    if abi >= 2:
        bits |= 1 << 13  # refer
    if abi >= 3:
        bits |= 1 << 14  # truncate
    if abi >= 5:
        bits |= 1 << 15  # ioctl_dev
    return bits


def apply_landlock(read_paths, write_paths, abi: int) -> bool:
    """Restrict this process (and its future children) to reading ``read_paths``
    and reading/writing ``write_paths``. Returns False when not supported."""
    numbers = landlock_syscalls()
    if abi < 1 or numbers is None:
        return False
    create_ruleset, add_rule, restrict_self = numbers
    handled = _fs_all(abi)
    scoped = 0b11 if abi >= 6 else 0  # abstract unix sockets, signals outside the sandbox
    attr = _RulesetAttr(handled, 0, scoped)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 8
    fd = _libc.syscall(create_ruleset, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if fd < 0:
        return False
    try:
        for paths, access in ((read_paths, _FS_READ), (write_paths, handled)):
            for p in paths:
                try:
                    pfd = os.open(p, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    allowed = (
                        access
                        if os.path.isdir(p)
                        else access & (_FS_READ_FILE | _FS_WRITE_FILE | _FS_EXECUTE | (1 << 14 if abi >= 3 else 0))
                    )
                    rule = _PathBeneath(allowed & handled, pfd)
                    _libc.syscall(add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
                finally:
                    os.close(pfd)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        return _libc.syscall(restrict_self, fd, 0) == 0
    finally:
        os.close(fd)


def default_read_paths() -> list[str]:
    """The Python installation, system libraries and the course helper package."""
    paths = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        "/usr/lib",
        "/usr/lib64",
        "/lib",
        "/lib64",
        "/usr/share",
        "/proc",
        "/sys/devices/system/cpu",
        "/etc/fonts",
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/etc/passwd",
        "/etc/group",
        "/etc/nsswitch.conf",
        "/etc/matplotlibrc",
        "/etc/mime.types",
        "/dev/null",
        "/dev/urandom",
        "/dev/zero",
        str(Path(__file__).resolve().parent),
    }
    for p in sys.path:
        if p and "site-packages" in p:
            paths.add(p)
    return sorted(p for p in paths if os.path.exists(p))
