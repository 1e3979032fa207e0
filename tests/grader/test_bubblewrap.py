"""grader.bubblewrap: the worker pool's namespaces, checked on the command line it builds and,
where bubblewrap runs here (CI installs it and runs as root), for real."""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader import bubblewrap


def test_prefix_makes_everything_read_only_but_the_given_folders(tmp_path):
    args = bubblewrap.command_prefix("/usr/bin/bwrap", [tmp_path])
    assert args[0] == "/usr/bin/bwrap" and args[-1] == "--"
    assert {"--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent"} <= set(args)
    assert "--unshare-pid" not in args, "the coordinator kills workers by the pids the zygote reports"
    ro = args.index("--ro-bind")
    assert args[ro + 1 : ro + 3] == ["/", "/"]
    binds = [args[i + 1] for i, a in enumerate(args) if a == "--bind"]
    assert str(tmp_path.resolve()) in binds
    assert set(binds) <= {str(tmp_path.resolve()), "/sys/fs/cgroup"}
    # the writable folders come after the read-only root and the private /tmp, so they win
    assert all(i > args.index("--tmpfs") for i, a in enumerate(args) if a == "--bind")


def test_missing_bwrap_is_reported(monkeypatch):
    monkeypatch.setattr(bubblewrap.shutil, "which", lambda name: None)
    assert bubblewrap.find_bwrap() == (None, "bubblewrap (bwrap is not installed)")


def test_bwrap_that_cannot_make_namespaces_is_reported(monkeypatch, tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(bubblewrap.shutil, "which", lambda name: str(fake))
    exe, why = bubblewrap.find_bwrap()
    assert exe is None and "cannot create namespaces here: bwrap: No permissions" in why


PROBE = r"""
import os, socket, sys
def attempt(what, act):
    try:
        act()
        print(what, "allowed")
    except OSError as err:
        print(what, "refused", type(err).__name__)
attempt("repository", lambda: open(sys.argv[1], "w"))
attempt("writable", lambda: open(os.path.join(sys.argv[2], "ok.txt"), "w").write("1"))
attempt("host-tmp", lambda: os.listdir(sys.argv[3]))
attempt("loopback", lambda: socket.create_connection(("127.0.0.1", int(sys.argv[4])), timeout=2))
"""


def test_inside_the_pool_for_real(tmp_path):
    exe, why = bubblewrap.find_bwrap()
    if exe is None:
        pytest.skip(why)
    server = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=lambda: server.accept(), daemon=True).start()
    writable, host_tmp = tmp_path / "state", tmp_path / "elsewhere"
    writable.mkdir()
    host_tmp.mkdir()
    # a file outside /tmp (inside, /tmp is a private tmpfs): next to the running Python
    target = Path(sys.prefix) / f"bwrap-probe-{os.getpid()}.txt"
    out = subprocess.run(
        [
            *bubblewrap.command_prefix(exe, [writable]),
            sys.executable,
            "-c",
            PROBE,
            str(target),
            str(writable),
            str(host_tmp),
            str(server.getsockname()[1]),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    server.close()
    written = target.exists()
    target.unlink(missing_ok=True)
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["repository"].startswith("refused"), out  # read-only outside the given folders
    assert lines["writable"] == "allowed", out
    assert lines["host-tmp"].startswith("refused"), out  # /tmp is private: the machine's is not there
    assert lines["loopback"].startswith("refused"), out  # not even the machine's loopback
    assert (writable / "ok.txt").read_text() == "1" and not written


def test_python_under_the_private_tmp_is_bound_back_read_only(monkeypatch, tmp_path):
    """A checkout or virtual environment in /tmp (which is empty inside) must stay visible."""
    monkeypatch.setattr(bubblewrap, "python_paths", lambda: ["/tmp/venv-x/lib", "/usr/lib/python3"])
    args = bubblewrap.command_prefix("/usr/bin/bwrap", [])
    ro = [args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"]
    assert "/tmp/venv-x/lib" in ro and "/usr/lib/python3" not in ro  # the latter is visible already
    assert args.index("--tmpfs", args.index("/dev/shm") + 1) < args.index("/tmp/venv-x/lib")
