"""Run inside the test VM (tests/grader/test_cgroup2_vm.py) as its init's only job, as root, on a
Debian kernel with the unified (v2) cgroup hierarchy: the grader's own cgroup code
(grader.cgroups) sets the limits, and real processes hit them.

Prints one line per check, ``CGROUP2 <name> ok|FAIL <detail>``, and ``CGROUP2 done`` at the end.
Uses only the standard library and the grader package copied to /opt/grader (its codec needs
NumPy, which the VM's Debian provides).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, "/opt")

from grader.cgroups import SlotCgroups, kill_slot, probe_cgroups  # noqa: E402
from grader.limits import Limits  # noqa: E402

ROOT = Path("/sys/fs/cgroup")
MEMORY_MB, NPROC = 64, 16


def report(name: str, ok: bool, detail="") -> None:
    print(f"CGROUP2 {name} {'ok' if ok else 'FAIL'} {detail}", flush=True)


def in_child(cgroups: SlotCgroups, body) -> tuple[int, bytes]:
    """Fork; the child joins the slot's cgroups and runs ``body(write)``. Returns the child's wait
    status and what it wrote to the pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            cgroups.join()
            body(lambda b: os.write(w, b))
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    return status, data


def allocate(write) -> None:
    blocks = []
    for i in range(40):  # 400 MiB, every page touched, far above the limit
        blocks.append(b"\x01" * (10 * 2**20))
        write(f"{i + 1} ".encode())


def fork_bomb(write) -> None:
    children = 0
    try:
        for _ in range(200):
            if os.fork() == 0:
                time.sleep(600)
                os._exit(0)
            children += 1
    except OSError as err:  # EAGAIN once pids.max is reached
        write(f"refused after {children} children: {err.strerror}".encode())
        time.sleep(600)  # stay, so that kill_slot has a tree to kill
    write(f"never refused: {children} children".encode())


def main() -> None:
    # The grader as a container's only process: alone in a non-root cgroup, whose parent offers
    # the memory and pids controllers (as systemd and container runtimes set it up).
    (ROOT / "cgroup.subtree_control").write_text("+memory +pids")
    job = ROOT / "job"
    job.mkdir()
    (job / "cgroup.procs").write_text(str(os.getpid()))

    caps = probe_cgroups()
    versions = (caps.get("cgroup_memory_version"), caps.get("cgroup_pids_version"))
    report("probe finds memory and pids on cgroup v2", versions == (2, 2), caps)
    if versions != (2, 2):
        return

    limits = Limits(memory_mb=MEMORY_MB, nproc=NPROC)
    cgroups = SlotCgroups(0, caps, limits)
    folder = cgroups.dirs[0] if cgroups.dirs else None
    values = {n: (folder / n).read_text().strip() for n in ("memory.max", "pids.max")} if folder else {}
    report(
        "limits written",
        values == {"memory.max": str(MEMORY_MB * 2**20 * 3 // 2), "pids.max": str(NPROC)},
        f"{folder}: {values}",
    )

    status, data = in_child(cgroups, allocate)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9
    reached = len(data.split())
    report(
        "memory limit: the OOM killer stops a process tree above memory.max",
        killed and cgroups.oom_killed() and reached < 40,
        f"SIGKILL={killed}, oom_kill counted={cgroups.oom_killed()}, allocated {reached}0 MiB before",
    )

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        cgroups.join()
        fork_bomb(lambda b: os.write(w, b))
        os._exit(0)
    os.close(w)
    message = os.read(r, 4096).decode()
    in_slot = cgroups.pids()
    report(
        "pids limit: fork is refused at pids.max",
        message.startswith("refused") and len(in_slot) <= NPROC,
        f"{message}; {len(in_slot)} processes in the slot",
    )
    kill_slot(None, cgroups, None)
    os.waitpid(pid, 0)
    time.sleep(0.2)
    left = cgroups.pids()
    report("kill_slot empties the slot (cgroup.kill)", not left, f"left: {sorted(left)}")
    os.close(r)


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - reported to the test on the console, which fails on it
        report("unexpected error", False, repr(err))
    print("CGROUP2 done", flush=True)
