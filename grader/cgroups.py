"""The student slots' cgroups (v1 or v2): where they go, their limits, and killing a slot's processes.

Part of :mod:`grader`. Each of the ``--jobs`` slots has a memory cgroup (the whole process
tree of its student, at 1.5 x ``--memory-mb``) and a pids cgroup (``--nproc`` processes), when
the machine lets the grader create cgroups:

* **cgroup v1**: a controller mounted on a v1 hierarchy of its own (``/sys/fs/cgroup/memory``,
  found through ``/proc/self/cgroup``) is used there: ``<own cgroup>/batch_grade/slot<N>/``;
* **cgroup v2**: any other controller is looked for in the unified hierarchy (mounted at
  ``/sys/fs/cgroup``, or ``/sys/fs/cgroup/unified`` on a hybrid machine); the grader enables it
  for ``batch_grade/`` and its slots, moving itself into a leaf first when it is alone in its
  cgroup (see :func:`probe_cgroups`).

:func:`kill_slot` kills everything a student left: its process group, every process of its
cgroups (at once with cgroup v2's ``cgroup.kill``) and of its slot uid (:mod:`grader.privileges`).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from .limits import Limits
from .privileges import kill_uid, uid_processes

CGROUP_NAME = "batch_grade"
CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")
CGROUP_CONTROLLERS = ("memory", "pids")


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


class SlotCgroups:
    """A slot's memory and pids cgroups, created on demand under the folders :func:`probe_cgroups` found:
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


def slot_cgroups(slot: int, caps: dict, limits: Limits) -> SlotCgroups | None:
    """Slot ``slot``'s cgroups when the machine has any (``caps`` from :func:`grader.probe.probe`), else None."""
    return SlotCgroups(slot, caps, limits) if (caps.get("cgroup_memory") or caps.get("cgroup_pids")) else None
