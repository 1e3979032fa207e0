"""The sandboxed student process of the batch grader, and its limits.

Part of :mod:`grader`. For each student the trusted worker
forks a child *before* it reads any secret (reference solution, hidden tests,
gradebook). The child, in this order:

1. starts a new session (its own process group) and asks the kernel to kill it
   when the worker dies (``PR_SET_PDEATHSIG``); keeps only its socket open;
2. joins per-slot cgroups when the machine allows it (memory: the whole
   process tree; pids: process count), on cgroup v1 or v2 - see :func:`probe`
   and :class:`SlotCgroups`;
3. sets rlimits: address space, CPU seconds, processes, file size, open
   files, no core dumps;
4. cuts the network (a new, empty network namespace) when root;
5. restricts the file system with Landlock (Linux >= 5.13, on the architectures
   of :data:`LANDLOCK_SYSCALLS`): read-only access
   to the Python installation and the course helper package, read/write to
   its own scratch folder, nothing else - so the source notebook, the
   gradebook, other students' work and the git history cannot be read;
6. when root, drops to an unprivileged uid reserved for its slot, so that
   RLIMIT_NPROC is enforced, nothing of root's can be written or signalled,
   and every process it leaves behind can be found and killed by uid;
7. serves requests from the worker (:class:`StudentServer`): run a cell,
   call a function, read an attribute - see :mod:`grader.codec`.
"""

from __future__ import annotations

import builtins
import ctypes
import os
import resource
import signal
import socket
import sys
import time
import traceback
import warnings

# Bound here so that student code patching the builtins cannot break this module
# (it runs inside the student process too).
from builtins import (  # noqa: E402,A004,UP029 - bound on purpose (see above)
    BaseException,
    dict,
    getattr,
    isinstance,
    len,
    list,
    str,
    tuple,
    type,
)
from dataclasses import asdict, dataclass
from pathlib import Path

from .codec import ProtocolError, decode, describe_type, encode, recv_msg, send_msg
from .messages import Callback, Op

UID_BASE = int(os.environ.get("BATCH_GRADE_UID_BASE", "61000"))
CGROUP_NAME = "batch_grade"
# The grader's own frames are cut from the tracebacks a student sees.
_GRADER_DIR = str(Path(__file__).resolve().parent) + os.sep


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


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 1, 38, 4


def set_pdeathsig(sig: int = signal.SIGKILL) -> None:
    _libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def set_nondumpable() -> None:
    """Keep same-uid processes from reading this process's memory (/proc/PID/mem, ptrace)."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


# ------------------------------------------------------------------ probing
CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")
CGROUP_CONTROLLERS = ("memory", "pids")

# Landlock's three system calls have no glibc wrapper, so they are called by number. The numbers are
# those of the kernel's include/uapi/asm-generic/unistd.h (__NR_landlock_create_ruleset 444,
# __NR_landlock_add_rule 445, __NR_landlock_restrict_self 446): since Linux 5.1 every architecture
# numbers new system calls the same way (x86's, arm's, powerpc's and s390's own tables included),
# except alpha (offset by 110) and mips (an offset per ABI), which are not listed. On a machine not
# listed here Landlock is not used, and the run's "enforced:" line says so.
LANDLOCK_SYSCALLS: dict[str, tuple[int, int, int]] = {
    machine: (444, 445, 446)
    for machine in ("x86_64", "i386", "i686", "aarch64", "armv7l", "armv8l", "riscv64", "ppc64le", "ppc64", "s390x")
}


def landlock_syscalls(machine: str | None = None) -> tuple[int, int, int] | None:
    """(create_ruleset, add_rule, restrict_self) for ``machine`` (default: this one), or None."""
    return LANDLOCK_SYSCALLS.get(machine if machine is not None else os.uname().machine)


def _self_cgroup_lines(self_cgroup: Path = SELF_CGROUP) -> list[tuple[str, list[str], str]]:
    """``/proc/self/cgroup`` as (hierarchy id, controllers, path); ``("0", [], path)`` is cgroup v2."""
    out = []
    try:
        for line in Path(self_cgroup).read_text().splitlines():
            hid, ctrls, path = line.split(":", 2)
            out.append((hid, [c for c in ctrls.split(",") if c], path))
    except (OSError, ValueError):
        pass  # no /proc/self/cgroup (not Linux, or /proc not mounted): no cgroups
    return out


def _own_cgroup_v1(controller: str, root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> Path | None:
    """This process's folder in the cgroup v1 hierarchy of ``controller``, if it is mounted."""
    for hid, ctrls, path in _self_cgroup_lines(self_cgroup):
        if hid != "0" and controller in ctrls:
            base = Path(root) / controller / path.lstrip("/")
            return base if base.is_dir() else None
    return None


def _writable_parent(base: Path) -> Path | None:
    """``base/batch_grade``, created, if we may create cgroups in it (a probe folder is made and removed)."""
    parent = base / CGROUP_NAME
    try:
        parent.mkdir(exist_ok=True)
        probe_dir = parent / f"probe{os.getpid()}"
        probe_dir.mkdir(exist_ok=True)
        probe_dir.rmdir()
        return parent
    except OSError:
        return None


def _cgroup_parent(controller: str, root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> Path | None:
    """The cgroup v1 folder under which the per-slot cgroups of ``controller`` go, or None."""
    base = _own_cgroup_v1(controller, root, self_cgroup)
    return None if base is None else _writable_parent(base)


def _v2_mount(root: Path = CGROUP_ROOT) -> Path | None:
    """Where the unified (v2) hierarchy is mounted: ``root`` itself on a pure cgroup v2 machine,
    ``root/unified`` on a hybrid one (systemd's layout), else None."""
    for mount in (Path(root), Path(root) / "unified"):
        if (mount / "cgroup.controllers").is_file():
            return mount
    return None


def _words(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []


def _enable_controllers(cgroup: Path, controllers) -> None:
    """Make ``controllers`` available to the children of ``cgroup`` (its ``cgroup.subtree_control``);
    raises OSError when the kernel refuses (EBUSY: the cgroup has processes of its own)."""
    missing = [c for c in controllers if c not in _words(cgroup / "cgroup.subtree_control")]
    if missing:
        (cgroup / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))


def _cgroup_parent_v2(
    controllers, root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP, pid: int | None = None
) -> tuple[Path | None, str]:
    """The cgroup v2 folder under which the per-slot cgroups go, with ``controllers`` enabled for
    them; or (None, why not). cgroup v2 allows controllers in a child only when its parent has
    them in ``cgroup.subtree_control``, and a non-root cgroup with processes of its own cannot
    enable any: when this process is alone in its cgroup (the grader as a container's only
    process) it moves itself into a leaf ``batch_grade_coordinator`` first."""
    own_path = next((path for hid, ctrls, path in _self_cgroup_lines(self_cgroup) if hid == "0"), None)
    mount = _v2_mount(root)
    if own_path is None or mount is None:
        return None, "no cgroup v2 hierarchy"
    own = mount / own_path.lstrip("/")
    available = _words(own / "cgroup.controllers")
    missing = [c for c in controllers if c not in available]
    if missing:
        return None, f"cgroup v2 offers no {'/'.join(missing)} controller in {own}"
    try:
        _enable_controllers(own, controllers)
    except OSError as err:
        pid = os.getpid() if pid is None else pid
        procs = _words(own / "cgroup.procs")
        if procs != [str(pid)]:
            return None, f"cgroup v2: cannot enable {'/'.join(controllers)} in {own} ({err.strerror or err})"
        try:  # alone in our cgroup: move into a leaf so that ours may hand controllers down
            leaf = own / f"{CGROUP_NAME}_coordinator"
            leaf.mkdir(exist_ok=True)
            (leaf / "cgroup.procs").write_text(str(pid))
            _enable_controllers(own, controllers)
        except OSError as err2:
            return None, f"cgroup v2: cannot enable {'/'.join(controllers)} in {own} ({err2.strerror or err2})"
    parent = _writable_parent(own)
    if parent is None:
        return None, f"cgroup v2: {own} is not writable"
    try:
        _enable_controllers(parent, controllers)
    except OSError as err:
        return None, f"cgroup v2: cannot enable {'/'.join(controllers)} in {parent} ({err.strerror or err})"
    return parent, ""


def probe_cgroups(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP, pid: int | None = None) -> dict:
    """Where each controller's per-slot cgroups go: ``cgroup_<ctrl>`` (a folder, or "" when not
    enforced), ``cgroup_<ctrl>_version`` (1, 2, or 0) for memory and pids, and ``cgroup_notes``
    (why a controller is not enforced). A controller mounted as a cgroup v1 hierarchy of its own
    is used there (as before); any other is looked for in the unified (v2) hierarchy."""
    caps: dict = {"cgroup_notes": []}
    v2_wanted = []
    for ctrl in CGROUP_CONTROLLERS:
        caps[f"cgroup_{ctrl}"], caps[f"cgroup_{ctrl}_version"] = "", 0
        if any(hid != "0" and ctrl in ctrls for hid, ctrls, _ in _self_cgroup_lines(self_cgroup)):
            parent = _cgroup_parent(ctrl, root, self_cgroup)
            if parent is not None:
                caps[f"cgroup_{ctrl}"], caps[f"cgroup_{ctrl}_version"] = str(parent), 1
            else:
                caps["cgroup_notes"].append(f"{ctrl} cgroup (cgroup v1 hierarchy not found or not writable)")
        else:
            v2_wanted.append(ctrl)
    if v2_wanted:
        parent, why = _cgroup_parent_v2(v2_wanted, root, self_cgroup, pid)
        for ctrl in v2_wanted:
            if parent is not None:
                caps[f"cgroup_{ctrl}"], caps[f"cgroup_{ctrl}_version"] = str(parent), 2
            else:
                caps["cgroup_notes"].append(f"{ctrl} cgroup ({why})")
    return caps


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers (0: none, or an architecture without known numbers)."""
    numbers = landlock_syscalls()
    if not sys.platform.startswith("linux") or numbers is None:
        return 0
    res = _libc.syscall(numbers[0], None, 0, 1)  # landlock_create_ruleset(NULL, 0, VERSION)
    return max(int(res), 0)


def _uid_can_run_python(uid: int) -> bool:
    """Whether an unprivileged uid can read this Python's standard library
    (not the case when Python lives under a private home, e.g. /root/.pyenv)."""
    pid = os.fork()
    if pid == 0:
        ok = 1
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.listdir(os.path.dirname(os.__file__))
            os.listdir(os.path.dirname(np_file())) if np_file() else None
            ok = 0
        finally:
            os._exit(ok)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def np_file() -> str | None:
    mod = sys.modules.get("numpy")
    return getattr(mod, "__file__", None)


def probe() -> dict:
    """What this machine lets the grader enforce (reported in the summary, see
    :func:`grader.batch._enforced`); ``not_enforced`` lists what is missing and why."""
    root = os.geteuid() == 0
    setuid = root and _uid_can_run_python(UID_BASE)
    abi = landlock_abi()
    cgroups = probe_cgroups()
    not_enforced = list(cgroups.pop("cgroup_notes"))
    if landlock_syscalls() is None:
        not_enforced.append(f"landlock (no system call numbers known for machine {os.uname().machine!r})")
    elif abi == 0:
        not_enforced.append("landlock (the kernel does not offer it)")
    if not root:
        not_enforced.append("network, uid per slot, capabilities (not root)")
    return {
        "root": root,
        "setuid": setuid,
        "dropcaps": root and not setuid,
        "landlock_abi": abi,
        **cgroups,
        "netns": root,
        "not_enforced": not_enforced,
    }


# --------------------------------------------------------------- landlock
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
                    _libc.syscall(add_rule, fd, 1, ctypes.byref(rule), 0)  # LANDLOCK_RULE_PATH_BENEATH
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


# ------------------------------------------------------------------ cgroups
class SlotCgroups:
    """A slot's memory and pids cgroups, created on demand under the folders :func:`probe` found:
    cgroup v1 (one folder per controller: ``memory.limit_in_bytes``, ``memory.swappiness``,
    ``pids.max``) or cgroup v2 (one folder for both: ``memory.max``, ``memory.swap.max``,
    ``pids.max``). The memory limit is 1.5 x ``memory_mb`` (the whole process tree; RLIMIT_AS
    catches a single process at ``memory_mb``)."""

    def __init__(self, slot: int, caps: dict, limits: Limits):
        self.dirs: list[Path] = []
        self.versions: dict[Path, int] = {}
        memory = limits.memory_mb * 2**20 * 3 // 2
        files = {
            ("memory", 1): {"memory.limit_in_bytes": memory, "memory.swappiness": 0},
            ("memory", 2): {"memory.max": memory, "memory.swap.max": 0},
            ("pids", 1): {"pids.max": limits.nproc},
            ("pids", 2): {"pids.max": limits.nproc},
        }
        wanted: dict[Path, tuple[int, dict]] = {}
        for ctrl in CGROUP_CONTROLLERS:
            if not caps.get(f"cgroup_{ctrl}"):
                continue
            version = int(caps.get(f"cgroup_{ctrl}_version") or 1)
            d = Path(caps[f"cgroup_{ctrl}"]) / f"slot{slot}"
            wanted.setdefault(d, (version, {}))[1].update(files[ctrl, version])
        for d, (version, values) in wanted.items():
            try:
                d.mkdir(exist_ok=True)
            except OSError:
                continue  # the probe could create cgroups here; if it no longer can, this slot goes without
            for name, value in values.items():
                if version == 2 and name == "memory.swap.max" and not (d / name).exists():
                    continue  # a kernel without swap accounting: there is no swap to limit
                try:
                    (d / name).write_text(str(value))
                except OSError:
                    pass  # a knob this kernel lacks (memory.swappiness on v1 without swap); the limit itself is set
            self.dirs.append(d)
            self.versions[d] = version
        self._oom_base = self._oom_kills()

    def join(self) -> None:
        """Move the calling process into the slot's cgroups (``0``: the writer itself, v1 and v2)."""
        for d in self.dirs:
            try:
                (d / "cgroup.procs").write_text("0")
            except OSError:
                pass  # not joined: rlimits still apply, and kill_slot finds it by process group and uid

    def pids(self) -> set[int]:
        """Every process in the slot's cgroups."""
        out = set()
        for d in self.dirs:
            try:
                out |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass  # a cgroup folder that vanished has no processes
        return out

    def kill(self) -> None:
        """Kill the whole cgroup at once where the kernel can (cgroup v2 ``cgroup.kill``, Linux >= 5.14)."""
        for d in self.dirs:
            if self.versions.get(d) == 2 and (d / "cgroup.kill").exists():
                try:
                    (d / "cgroup.kill").write_text("1")
                except OSError:
                    pass  # kill_slot still kills every pid listed in cgroup.procs

    def _oom_kills(self) -> int:
        """How many processes the memory cgroup's OOM killer has killed in this slot so far
        (v1: ``memory.oom_control``, v2: ``memory.events``; both count ``oom_kill``)."""
        count = 0
        for d in self.dirs:
            name = "memory.events" if self.versions.get(d) == 2 else "memory.oom_control"
            try:
                for line in (d / name).read_text().splitlines():
                    if line.startswith("oom_kill "):
                        count += int(line.split()[1])
            except (OSError, ValueError, IndexError):
                pass  # no memory controller in this folder (pids only), or an older kernel without the count
        return count

    def oom_killed(self) -> bool:
        """Whether the OOM killer killed something in this slot since this object was made
        (the counters are cumulative and the slot's cgroups are reused)."""
        return self._oom_kills() > self._oom_base

    def reset(self) -> None:
        """Reset cgroup v1's usage high-water mark and failure count (cgroup v2 has no such files)."""
        for d in self.dirs:
            if self.versions.get(d) != 1:
                continue
            for name in ("memory.max_usage_in_bytes", "memory.failcnt"):
                try:
                    (d / name).write_text("0")
                except OSError:
                    pass  # a pids-only folder has neither file


def kill_slot(slot_uid: int | None, cgroups: SlotCgroups | None, pgid: int | None) -> None:
    """Kill every process the student left: its process group, its cgroups, and
    (when it ran under its own uid) every process of that uid."""
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass  # the group is already gone
    for _ in range(20):
        if cgroups:
            cgroups.kill()
        left = cgroups.pids() if cgroups else set()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # it exited meanwhile
        if slot_uid is not None and os.geteuid() == 0:
            kill_uid(slot_uid)
        if not left and (slot_uid is None or not uid_processes(slot_uid)):
            return
        time.sleep(0.02)


def uid_processes(uid: int) -> list[int]:
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
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


# ------------------------------------------------------------ the child side
def start_student(
    slot: int, caps: dict, limits: Limits, scratch: Path, extra_read=(), forbidden=()
) -> tuple[int, socket.socket, SlotCgroups | None, int | None]:
    """Fork the sandboxed student process. Returns (pid, socket, cgroups, uid)."""
    parent_sock, child_sock = socket.socketpair()
    cgroups = SlotCgroups(slot, caps, limits) if (caps.get("cgroup_memory") or caps.get("cgroup_pids")) else None
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
    vsz = _vsz_bytes()
    mem = limits.memory_mb * 2**20
    for res, value in (
        (resource.RLIMIT_AS, vsz + mem),
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
    if caps.get("netns"):
        _libc.unshare(0x40000000)  # CLONE_NEWNET: no network interfaces but lo (down)
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
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    elif caps.get("dropcaps"):
        drop_capabilities()
    set_pdeathsig()  # reset by setuid


def drop_capabilities() -> None:
    """Root without any capability: cannot mount, load modules, change owners,
    override permissions of files it does not own, trace or signal others."""
    for cap in range(64):
        _libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)
    data = (Data * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:  # glibc's wrapper: no architecture-specific number
        raise OSError(ctypes.get_errno(), "capset failed")


def _vsz_bytes() -> int:
    try:
        return int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


class _Capture:
    """A bounded text stream (stdout/stderr of student code)."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size, self.truncated = limit, [], 0, False

    def write(self, s):
        s = str(s)
        if self.size < self.limit:
            self.parts.append(s[: self.limit - self.size])
            self.size += len(self.parts[-1])
        if self.size >= self.limit and len(s):
            self.truncated = True
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def text(self) -> str:
        out = "".join(self.parts)
        return out + ("\n[output truncated by the grader]\n" if self.truncated else "")


class _ForbiddenImports:
    """Refuse imports of forbidden top-level modules *from notebook cells*
    (library code such as the course's grading helpers may still import them)."""

    def __init__(self, forbidden, real_import):
        self.forbidden, self.real_import = set(forbidden), real_import

    def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.split(".")[0] in self.forbidden:
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith("<") or caller.startswith("/tmp/ipykernel"):
                raise ImportError(
                    f"{name.split('.')[0]} may not be used in this assignment (write the answer with numpy)"
                )
        return self.real_import(name, globals, locals, fromlist, level)


class StudentServer:
    """Runs in the sandbox: executes cells and answers the checker's requests."""

    def __init__(self, sock: socket.socket, limits: Limits, forbidden=()):
        self.sock, self.limits = sock, limits
        self.handles: dict[int, object] = {}
        self.ids: dict[int, int] = {}
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.shell = None
        self.forbidden = tuple(forbidden)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    # -- plain data / handles
    def make_handle(self, obj):
        key = self.ids.get(id(obj))
        if key is None:
            key = len(self.handles) + 1
            self.handles[key] = obj
            self.ids[id(obj)] = key
        info = {"__handle__": key, "type": describe_type(obj)}
        try:
            if callable(obj):
                info["name"] = str(getattr(obj, "__name__", info["type"]))[:200]
                info["module"] = str(getattr(obj, "__module__", "__main__"))[:200]
        except BaseException:  # noqa: BLE001 - a hostile __getattr__/__str__: the handle goes without a name
            pass
        return info

    def make_remote(self, obj):
        if "__callback__" in obj:
            return _Callback(self, obj["__callback__"])
        target = self.handles.get(obj.get("__handle__"))
        if target is None:
            raise ProtocolError("unknown handle")
        return target

    def encode(self, value):
        return encode(value, self.make_handle)

    def target(self, spec):
        if type(spec) is dict and "handle" in spec:
            if spec["handle"] not in self.handles:
                raise NameError("unknown handle")
            return self.handles[spec["handle"]]
        if type(spec) is dict and "name" in spec:
            name = spec["name"]
            if name not in self.ns or name.startswith("_") or name in ("In", "Out", "get_ipython", "exit", "quit"):
                raise NameError(f"name '{name}' is not defined")
            return self.ns[name]
        raise ProtocolError("bad target")

    # -- main loop
    def serve(self) -> None:
        while True:
            try:
                msg = recv_msg(self.sock)
            except ProtocolError:
                return
            self.handle(msg)

    def wait_reply(self) -> dict:
        """Wait for the reply to our own callback, serving nested requests."""
        while True:
            msg = recv_msg(self.sock)
            if "op" in msg:
                self.handle(msg)
            else:
                return msg

    def handle(self, msg: dict) -> None:
        reply: dict = {"id": msg.get("id")}
        op = msg.get("op")
        out = _Capture(self.limits.output_chars)
        err = _Capture(self.limits.output_chars)
        old = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            if op == Op.EXEC:
                reply.update(self.run_cell(str(msg.get("code", "")), int(msg.get("index", 0))))
            elif op == Op.GET:
                value = self.target(msg.get("target"))
                if type(value).__name__ == "module" and isinstance(getattr(value, "__name__", None), str):
                    reply["module"] = value.__name__
                else:
                    reply["value"] = self.encode(value)
            elif op == Op.CALL:
                reply.update(self.call(msg))
            elif op == Op.GETATTR:
                reply["value"] = self.encode(getattr(self.target(msg.get("target")), str(msg.get("name"))))
            elif op == Op.SETATTR:
                setattr(
                    self.target(msg.get("target")), str(msg.get("name")), decode(msg.get("value"), self.make_remote)
                )
                reply["value"] = None
            elif op == Op.GETITEM:
                reply["value"] = self.encode(self.target(msg.get("target"))[decode(msg.get("key"), self.make_remote)])
            elif op == Op.SETITEM:
                self.target(msg.get("target"))[decode(msg.get("key"), self.make_remote)] = decode(
                    msg.get("value"), self.make_remote
                )
                reply["value"] = None
            elif op == Op.LEN:
                reply["value"] = self.encode(len(self.target(msg.get("target"))))
            elif op == Op.PING:
                reply["value"] = os.getpid()
            else:
                raise ProtocolError(f"unknown op {op!r}")
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            reply = {"id": msg.get("id"), "error": _error_info(exc)}
        finally:
            sys.stdout, sys.stderr = old
        try:
            send_msg(self.sock, reply)
        except (TypeError, ValueError) as exc:
            send_msg(self.sock, {"id": msg.get("id"), "error": _error_info(exc)})

    def call(self, msg):
        fn = self.target(msg.get("target"))
        args = decode(msg.get("args", []), self.make_remote)
        raw = msg.get("kwargs")
        kwargs = {str(k): decode(v, self.make_remote) for k, v in raw.items()} if type(raw) is dict else {}
        if type(args) is not list:
            raise ProtocolError("bad arguments")
        errstate = msg.get("errstate") if type(msg.get("errstate")) is dict else {}
        import numpy as np

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(**{k: v for k, v in errstate.items() if k in ("over", "divide", "invalid", "under")}):
                result = fn(*args, **kwargs)
        reply = {"value": self.encode(result)}
        reply["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught[:5]]
        reply["args_after"] = [encode(a) if type(a) is np.ndarray else None for a in args]
        return reply

    def get_shell(self):
        if self.shell is None:
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config

            cfg = Config()
            cfg.HistoryManager.enabled = False
            cfg.InteractiveShell.colors = "NoColor"
            cfg.InteractiveShell.xmode = "Plain"
            self.shell = InteractiveShell(config=cfg, user_ns=self.ns)
            builtins_import = builtins.__import__
            if self.forbidden:
                builtins.__import__ = _ForbiddenImports(self.forbidden, builtins_import)
        return self.shell

    def run_cell(self, code: str, index: int) -> dict:
        shell = self.get_shell()
        result = shell.run_cell(code, store_history=False, silent=False)
        error = result.error_before_exec or result.error_in_exec
        return {
            "ok": error is None,
            "stdout": sys.stdout.text(),
            "stderr": sys.stderr.text(),
            "error": _error_info(error) if error is not None else None,
        }


class _Callback:
    """A function of the checker passed into student code."""

    def __init__(self, server: StudentServer, key):
        self.server, self.key = server, key

    def __call__(self, *args, **kwargs):
        callback = Callback(
            self.key,
            [self.server.encode(a) for a in args],
            {"__dict__": [[k, self.server.encode(v)] for k, v in kwargs.items()]},
        )
        send_msg(self.server.sock, callback.to_wire())
        reply = self.server.wait_reply()
        if "error" in reply:
            from .codec import raise_student_error

            raise_student_error(reply["error"] if type(reply["error"]) is dict else {})
        return decode(reply.get("value"), self.server.make_remote)


def _error_info(exc: BaseException) -> dict:
    try:
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        tb = [line for line in tb if _GRADER_DIR not in line and "site-packages/IPython" not in line]
        return {"ename": type(exc).__name__, "evalue": str(exc)[:2000], "traceback": "".join(tb)[-5000:]}
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return {"ename": "Exception", "evalue": "(unprintable exception)", "traceback": ""}
