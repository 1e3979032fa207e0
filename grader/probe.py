"""What this machine lets the grader enforce, found once per run (:func:`probe`).

Part of :mod:`grader`. The coordinator (:mod:`grader.batch`) probes before it starts the
workers and sends the answer, the ``caps`` dict, with every job; the sandbox
(:mod:`grader.sandbox`) uses what it says is there, and the run's "enforced:" line reports it,
with each missing piece and why. Each layer is asked through its own module:
:mod:`grader.privileges` (root, a uid per slot), :mod:`grader.landlock` and :mod:`grader.cgroups`.
"""

from __future__ import annotations

import os

from . import cgroups, landlock
from .privileges import UID_BASE, uid_can_run_python


def probe() -> dict:
    """What this machine lets the grader enforce: ``root``, ``setuid`` (a uid per slot),
    ``dropcaps`` (root without capabilities instead), ``landlock_abi``, ``netns``, the cgroup
    folders of :func:`grader.cgroups.probe_cgroups`, and ``not_enforced`` (what is missing, and
    why), reported in the run's summary (``grader.batch``'s "enforced:" line)."""
    root = os.geteuid() == 0
    setuid = root and uid_can_run_python(UID_BASE)
    abi = landlock.landlock_abi()
    found = cgroups.probe_cgroups()
    not_enforced = list(found.pop("cgroup_notes"))
    if landlock.landlock_syscalls() is None:
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
        **found,
        "netns": root,
        "not_enforced": not_enforced,
    }
