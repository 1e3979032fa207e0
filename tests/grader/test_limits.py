"""The sandbox's limits (grader.limits, grader.cgroups, grader.landlock, grader.privileges and
grader.probe): Limits validation and serialisation, the per-slot cgroups (v1 and v2) written
against a fake cgroup tree in a temporary folder, the Landlock architecture table, the
"enforced:" line, and (as root) capabilities dropped through glibc's capset and a real cgroup v2
hierarchy joined, listed and killed where the machine has one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader import cgroups, landlock, privileges, probe
from grader.batch import _enforced
from grader.cgroups import SlotCgroups, kill_slot, probe_cgroups
from grader.landlock import landlock_syscalls
from grader.limits import Limits

LIMITS = Limits(memory_mb=100, nproc=7)
MEMORY = 100 * 2**20 * 3 // 2


# ------------------------------------------------------------------ Limits
def test_limits_round_trip_and_defaults():
    limits = Limits(cell_timeout=3, notebook_timeout=20, memory_mb=768, nproc=16)
    assert Limits.from_json(limits.to_json()) == limits
    assert Limits().to_json()["memory_mb"] == 2048


@pytest.mark.parametrize(
    "bad", [{"memory_mb": 0}, {"nproc": -1}, {"cell_timeout": float("nan")}, {"notebook_timeout": float("inf")}]
)
def test_limits_refuse_non_positive_or_non_finite(bad):
    with pytest.raises(ValueError, match="positive"):
        Limits(**bad)


def test_limits_refuse_unknown_or_mistyped_fields():
    with pytest.raises(TypeError):
        Limits.from_json({"memory": 1})
    with pytest.raises(ValueError):
        Limits(nproc="32")


# -------------------------------------------------------------- Landlock
@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "riscv64", "armv7l", "ppc64le", "s390x", "i686"])
def test_landlock_numbers_of_the_unified_syscall_table(machine):
    assert landlock_syscalls(machine) == (444, 445, 446)


@pytest.mark.parametrize("machine", ["alpha", "mips64", "sparc64", ""])
def test_unknown_architectures_get_no_landlock(machine, monkeypatch):
    assert landlock_syscalls(machine) is None
    monkeypatch.setattr(landlock, "landlock_syscalls", lambda machine=None: None)
    assert landlock.landlock_abi() == 0
    assert landlock.apply_landlock(["/"], ["/tmp"], 7) is False


def test_probe_says_landlock_is_not_enforced_on_an_unknown_architecture(monkeypatch):
    monkeypatch.setattr(landlock, "landlock_syscalls", lambda machine=None: None)
    monkeypatch.setattr(cgroups, "probe_cgroups", lambda: {"cgroup_notes": []})
    caps = probe.probe()
    assert caps["landlock_abi"] == 0
    assert any(n.startswith("landlock (no system call numbers known") for n in caps["not_enforced"])
    assert "not enforced: landlock (no system call numbers known" in _enforced(caps)


# ------------------------------------------------------------ the fake trees
def fake_v1(tmp_path, procs="4242"):
    """A cgroup v1 layout: memory and pids hierarchies, this process in /job."""
    root = tmp_path / "cgroup"
    for ctrl in ("memory", "pids"):
        (root / ctrl / "job").mkdir(parents=True)
    self_cgroup = tmp_path / "self_cgroup"
    self_cgroup.write_text("9:pids:/job\n4:memory:/job\n1:cpu:/\n0::/\n")
    return root, self_cgroup


def fake_v2(tmp_path, controllers="cpu memory pids", subtree="", procs="4242", hybrid=False):
    """A cgroup v2 layout (pure, or systemd's hybrid one under unified/), this process in /job."""
    root = tmp_path / "cgroup"
    mount = root / "unified" if hybrid else root
    own = mount / "job"
    own.mkdir(parents=True)
    (mount / "cgroup.controllers").write_text(controllers + "\n")
    (own / "cgroup.controllers").write_text(controllers + "\n")
    (own / "cgroup.subtree_control").write_text(subtree)
    (own / "cgroup.procs").write_text(procs + "\n")
    self_cgroup = tmp_path / "self_cgroup"
    self_cgroup.write_text("0::/job\n" if not hybrid else "4:memory:/\n0::/job\n")
    return root, own, self_cgroup


def test_v1_probe_and_slot_files(tmp_path):
    root, self_cgroup = fake_v1(tmp_path)
    caps = probe_cgroups(root, self_cgroup, pid=4242)
    assert caps == {
        "cgroup_notes": [],
        "cgroup_memory": str(root / "memory/job/batch_grade"),
        "cgroup_memory_version": 1,
        "cgroup_pids": str(root / "pids/job/batch_grade"),
        "cgroup_pids_version": 1,
    }
    mem = root / "memory/job/batch_grade/slot3"
    mem.mkdir()
    (mem / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    cg = SlotCgroups(3, caps, LIMITS)
    assert (mem / "memory.limit_in_bytes").read_text() == str(MEMORY)
    assert (mem / "memory.swappiness").read_text() == "0"
    assert (root / "pids/job/batch_grade/slot3/pids.max").read_text() == "7"
    assert not (mem / "memory.max").exists() and not (mem / "cgroup.kill").exists()
    cg.reset()
    assert (mem / "memory.failcnt").read_text() == "0"
    assert not cg.oom_killed()  # two kills before this student: not theirs
    (mem / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
    assert cg.oom_killed()
    (mem / "cgroup.procs").write_text("11\n12\n")
    (root / "pids/job/batch_grade/slot3/cgroup.procs").write_text("12\n13\n")
    assert cg.pids() == {11, 12, 13}
    cg.kill()  # v1 has no cgroup.kill: nothing written
    assert not (mem / "cgroup.kill").exists()
    assert "memory cgroup v1, pids cgroup v1" in _enforced({**caps, "setuid": False, "landlock_abi": 0, "netns": 0})


def test_v1_unwritable_hierarchy_is_reported(tmp_path):
    root, self_cgroup = fake_v1(tmp_path)
    (root / "pids/job").rmdir()  # the hierarchy is there, our folder is not
    caps = probe_cgroups(root, self_cgroup)
    assert caps["cgroup_pids"] == "" and caps["cgroup_pids_version"] == 0
    assert caps["cgroup_notes"] == ["pids cgroup (cgroup v1 hierarchy not found or not writable)"]


@pytest.mark.parametrize("hybrid", [False, True])
def test_v2_probe_enables_the_controllers_and_writes_the_slot_files(tmp_path, hybrid):
    root, own, self_cgroup = fake_v2(tmp_path, subtree="cpu", hybrid=hybrid)
    if hybrid:  # memory stays on its v1 hierarchy, pids goes to v2
        (root / "memory").mkdir()
    caps = probe_cgroups(root, self_cgroup, pid=4242)
    parent = own / "batch_grade"
    assert caps["cgroup_pids"] == str(parent) and caps["cgroup_pids_version"] == 2
    if hybrid:
        assert (own / "cgroup.subtree_control").read_text() == "+pids"
        assert caps["cgroup_memory"] == str(root / "memory/batch_grade") and caps["cgroup_memory_version"] == 1
        cg = SlotCgroups(1, caps, LIMITS)
        assert cg.versions == {root / "memory/batch_grade/slot1": 1, parent / "slot1": 2}
        assert (parent / "slot1/pids.max").read_text() == "7"
        assert (root / "memory/batch_grade/slot1/memory.limit_in_bytes").read_text() == str(MEMORY)
        return
    assert caps["cgroup_memory"] == str(parent) and caps["cgroup_memory_version"] == 2 and caps["cgroup_notes"] == []
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids"  # cpu was there already
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    slot = parent / "slot1"
    slot.mkdir()
    for name in ("memory.swap.max", "cgroup.kill"):  # what a real kernel shows in a new cgroup
        (slot / name).write_text("max\n" if name != "cgroup.kill" else "")
    (slot / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n")
    cg = SlotCgroups(1, caps, LIMITS)
    assert cg.dirs == [slot]  # one folder for both controllers
    assert (slot / "memory.max").read_text() == str(MEMORY)
    assert (slot / "memory.swap.max").read_text() == "0"
    assert (slot / "pids.max").read_text() == "7"
    assert not (slot / "memory.limit_in_bytes").exists() and not (slot / "memory.swappiness").exists()
    cg.reset()
    assert not (slot / "memory.failcnt").exists()  # no v1 files created in a v2 folder
    assert not cg.oom_killed()
    (slot / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n")
    assert cg.oom_killed()
    (slot / "cgroup.procs").write_text("21\n22\n")
    assert cg.pids() == {21, 22}
    cg.kill()
    assert (slot / "cgroup.kill").read_text() == "1"
    text = _enforced({**caps, "setuid": False, "landlock_abi": 0, "netns": 0})
    assert "memory cgroup v2, pids cgroup v2" in text and "not enforced" not in text


def test_v2_without_swap_accounting_writes_no_swap_file(tmp_path):
    root, own, self_cgroup = fake_v2(tmp_path)
    caps = probe_cgroups(root, self_cgroup, pid=4242)
    SlotCgroups(0, caps, LIMITS)
    assert not (own / "batch_grade/slot0/memory.swap.max").exists()


def test_v2_missing_controller_is_reported(tmp_path):
    root, own, self_cgroup = fake_v2(tmp_path, controllers="cpu hugetlb")  # like this machine's unified tree
    caps = probe_cgroups(root, self_cgroup, pid=4242)
    assert caps["cgroup_memory"] == caps["cgroup_pids"] == ""
    assert caps["cgroup_notes"] == [
        f"memory cgroup (cgroup v2 offers no memory/pids controller in {own})",
        f"pids cgroup (cgroup v2 offers no memory/pids controller in {own})",
    ]
    text = _enforced({**caps, "setuid": False, "landlock_abi": 0, "netns": 0, "not_enforced": caps["cgroup_notes"]})
    assert "; not enforced: memory cgroup (cgroup v2 offers no memory/pids" in text


def test_v2_busy_cgroup_with_other_processes_is_reported(tmp_path):
    root, own, self_cgroup = fake_v2(tmp_path, procs="4242\n77")
    (own / "cgroup.subtree_control").unlink()
    (own / "cgroup.subtree_control").mkdir()  # writing it fails, as EBUSY would
    caps = probe_cgroups(root, self_cgroup, pid=4242)
    assert caps["cgroup_memory"] == "" and "cannot enable memory/pids" in caps["cgroup_notes"][0]
    assert not (own / "batch_grade_coordinator").exists()  # not alone: nobody is moved


def test_v2_alone_in_a_busy_cgroup_moves_into_a_leaf(tmp_path, monkeypatch):
    root, own, self_cgroup = fake_v2(tmp_path, procs="4242")
    calls = []
    real = cgroups._enable_controllers

    def enable(cgroup, controllers):
        calls.append(cgroup)
        if cgroup == own and not (own / "batch_grade_coordinator/cgroup.procs").exists():
            raise OSError(16, "Device or resource busy")
        real(cgroup, controllers)

    monkeypatch.setattr(cgroups, "_enable_controllers", enable)
    caps = probe_cgroups(root, self_cgroup, pid=4242)
    assert (own / "batch_grade_coordinator/cgroup.procs").read_text() == "4242"
    assert caps["cgroup_memory_version"] == caps["cgroup_pids_version"] == 2


def test_no_cgroups_at_all(tmp_path):
    self_cgroup = tmp_path / "self_cgroup"
    self_cgroup.write_text("0::/\n")
    caps = probe_cgroups(tmp_path / "nothing", self_cgroup)
    assert caps["cgroup_memory"] == caps["cgroup_pids"] == ""
    assert caps["cgroup_notes"] == ["memory cgroup (no cgroup v2 hierarchy)", "pids cgroup (no cgroup v2 hierarchy)"]
    assert probe_cgroups(tmp_path / "nothing", tmp_path / "absent")["cgroup_memory"] == ""


# ------------------------------------------------------------ for real (root)
root_only = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")


def _in_child(fn) -> int:
    """Run ``fn`` in a forked child; its exit status (0: fn returned True)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if fn() else 1
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@root_only
def test_drop_capabilities_through_glibc_capset():
    def child():
        privileges.drop_capabilities()
        status = Path("/proc/self/status").read_text()
        caps = {line.split(":")[0]: int(line.split()[1], 16) for line in status.splitlines() if line.startswith("Cap")}
        return caps["CapEff"] == caps["CapPrm"] == caps["CapBnd"] == 0

    assert _in_child(child) == 0


def _real_cgroup2() -> Path | None:
    mount = cgroups._v2_mount()
    if mount is None or os.geteuid() != 0:
        return None
    own = next((p for hid, _, p in cgroups._self_cgroup_lines() if hid == "0"), None)
    return None if own is None else mount / own.lstrip("/")


@pytest.mark.skipif(_real_cgroup2() is None, reason="needs root and a cgroup v2 hierarchy")
def test_v2_join_list_and_kill_for_real():
    """The parts of cgroup v2 that need no controller: joining (cgroup.procs), listing and
    cgroup.kill, in a real cgroup2 hierarchy (on a hybrid machine, one without memory/pids)."""
    parent = _real_cgroup2() / f"batch_grade_test{os.getpid()}"
    parent.mkdir()
    try:
        caps = {"cgroup_pids": str(parent), "cgroup_pids_version": 2}
        cg = SlotCgroups(0, caps, LIMITS)
        slot = parent / "slot0"
        assert cg.dirs == [slot]
        pid = os.fork()
        if pid == 0:
            cg.join()
            os.fork()  # two processes in the cgroup
            time.sleep(30)
            os._exit(0)
        deadline = time.monotonic() + 5
        while len(cg.pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pid in cg.pids() and len(cg.pids()) == 2
        kill_slot(None, cg, None)
        os.waitpid(pid, 0)
        deadline = time.monotonic() + 5
        while cg.pids() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cg.pids() == set()
    finally:
        for d in (parent / "slot0", parent):
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)  # busy until the killed processes are reaped
