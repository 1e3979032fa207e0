"""The grader's cgroup v2 limits, for real, in a small virtual machine.

On the course's own machines the memory and pids controllers are bound to cgroup v1 (the unified
hierarchy offers only hugetlb), so no namespace trick gives a v2 memory controller there. This
test boots Debian's own kernel under QEMU with a root file system made by debootstrap from
Debian's mirror (Python and NumPy from Debian), copies the grader package in, and runs
``tests/grader/vm/cgroup2_check.py`` as the VM's only job: the grader's ``probe_cgroups`` and
``SlotCgroups`` set memory.max and pids.max for a slot, a process tree allocating 400 MiB is
OOM-killed and counted, a fork bomb is refused at pids.max, and ``kill_slot`` empties the slot.

Needs root, ``qemu-system-x86_64``, ``debootstrap``, ``cpio`` and ``apt-get`` (``.ci/run`` installs
them). QEMU emulates the CPU (TCG, about 20 s to boot): KVM is not used, because nested KVM on
the course's machines hangs at boot. The kernel
and the root file system are cached in ``~/.cache/nn-course/cgroup2-vm``. Run it with
``make test-cgroup2``; it takes about 3 minutes the first time, 1 minute after.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nn-course" / "cgroup2-vm"
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
TOOLS = ("qemu-system-x86_64", "debootstrap", "cpio", "apt-get", "dpkg-deb")

INIT = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t cgroup2 none /sys/fs/cgroup
mount -t tmpfs tmp /tmp
echo "CGROUP2 kernel $(uname -r), controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
python3 /opt/cgroup2_check.py
echo 1 > /proc/sys/kernel/sysrq
echo o > /proc/sysrq-trigger
sleep 10
"""


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def kernel() -> Path:
    """Debian's current amd64 kernel image, unpacked from its package (not installed)."""
    found = sorted(CACHE.glob("kernel/boot/vmlinuz-*"))
    if found:
        return found[-1]
    depends = run(["apt-cache", "depends", "linux-image-amd64"], check=True).stdout
    package = re.search(r"Depends: (linux-image-\S+)", depends).group(1)
    (CACHE / "deb").mkdir(parents=True, exist_ok=True)
    got = run(["apt-get", "download", package], cwd=CACHE / "deb")
    assert got.returncode == 0, f"apt-get download {package} failed:\n{got.stderr}"
    deb = next((CACHE / "deb").glob("linux-image-*.deb"))
    run(["dpkg-deb", "-x", str(deb), str(CACHE / "kernel")], check=True)
    return sorted(CACHE.glob("kernel/boot/vmlinuz-*"))[-1]


def rootfs() -> Path:
    """A minimal Debian (bookworm) with Python 3 and NumPy, made once by debootstrap."""
    root = CACHE / "root"
    if (root / "usr" / "bin" / "python3").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    made = run(
        ["debootstrap", "--variant=minbase", "--include=python3,python3-numpy", "bookworm", str(root), MIRROR],
        timeout=1200,
    )
    assert made.returncode == 0, f"debootstrap failed:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"
    for bulky in ("usr/share/doc", "usr/share/man", "usr/share/locale", "var/cache/apt"):
        shutil.rmtree(root / bulky, ignore_errors=True)
    return root


def initramfs(tmp_path: Path) -> Path:
    """The root file system plus /init, the grader package and the check, as one cpio archive
    that the kernel unpacks into memory (no disk, so no block or file-system driver needed)."""
    root = rootfs()
    (root / "init").write_text(INIT)
    (root / "init").chmod(0o755)
    shutil.rmtree(root / "opt" / "grader", ignore_errors=True)
    shutil.copytree(ROOT / "grader", root / "opt" / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.toml"))
    shutil.copy(ROOT / "tests" / "grader" / "vm" / "cgroup2_check.py", root / "opt" / "cgroup2_check.py")
    archive = tmp_path / "rootfs.cpio.gz"
    subprocess.run(f"find . | cpio -o -H newc 2>/dev/null | gzip -1 > {archive}", shell=True, cwd=root, check=True)
    return archive


def boot(vmlinuz: Path, archive: Path) -> subprocess.CompletedProcess:
    return run(
        ["qemu-system-x86_64", "-accel", "tcg", "-m", "1536", "-smp", "2", "-nographic", "-no-reboot",
         "-kernel", str(vmlinuz), "-initrd", str(archive),
         "-append", "console=ttyS0 rdinit=/init panic=-1 quiet"],
        timeout=600,
    )  # fmt: skip


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the VM is an x86-64 Debian")
def test_cgroup_v2_limits_in_a_vm(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root (debootstrap); CI runs as root")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, f"missing {missing}: .ci/run installs qemu-system-x86, debootstrap and cpio"
    out = boot(kernel(), initramfs(tmp_path))
    lines = [line.strip() for line in out.stdout.splitlines() if line.startswith("CGROUP2")]
    report = "\n".join(lines) or out.stdout[-3000:]
    print(report)
    assert "CGROUP2 done" in lines, f"the VM did not finish:\n{report}\n{out.stderr[-2000:]}"
    checks = [line for line in lines if re.match(r"CGROUP2 .* (ok|FAIL)( |$)", line)]
    assert len(checks) == 5, report
    assert not [line for line in checks if " FAIL" in line], report
