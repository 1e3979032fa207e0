"""The class hub of ``deploy/hub`` for ``tests/e2e/test_hub.py``: start, use as a user, stop.

:class:`ClassHub` runs ``deploy/hub/run_hub.py`` (as root) with its own user prefix, a free
port and homes in a temporary folder, reads the URL and passwords from its info file, runs
commands as one of its users (``runuser``) and stops it with SIGTERM, after which no user and
no process of theirs may remain.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labdriver import REPO, free_port, log_tail

RUN_HUB = REPO / "deploy" / "hub" / "run_hub.py"
COURSE_ENV = Path(os.environ.get("HUB_COURSE_ENV", "/opt/nn-course-hub"))


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def processes_of(users: list[str]) -> list[str]:
    done = subprocess.run(["ps", "-eo", "user:32=,pid=,args="], capture_output=True, text=True)
    return [ln for ln in done.stdout.splitlines() if ln.split(None, 1)[0] in users]


class ClassHub:
    def __init__(self, prefix: str, students: list[str], log_path: Path):
        self.prefix = prefix
        self.student_names = students
        self.base = Path(tempfile.mkdtemp(prefix="nnhub-test-", dir="/tmp"))
        os.chmod(self.base, 0o755)
        self.info_file = self.base / "info.json"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}
        self.users = [prefix + "teacher", *(prefix + s for s in students)]

    def start(self, timeout: float = 300) -> float:
        t0 = time.monotonic()
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(RUN_HUB),
                "--course-env",
                str(COURSE_ENV),
                "--prefix",
                self.prefix,
                "--students",
                ",".join(self.student_names),
                "--port",
                str(free_port()),
                "--home-base",
                str(self.base / "home"),
                "--home-mode",  # Debian's useradd default: the course folder must be private by itself
                "755",
                "--info-file",
                str(self.info_file),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        while not self.info_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"run_hub.py exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"the hub did not start within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.5)
        time.sleep(0.2)  # written in one go, but let it land
        self.info = json.loads(self.info_file.read_text())
        return time.monotonic() - t0

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def instructor(self) -> str:
        return self.info["instructor"]

    def student(self, short: str) -> str:
        return self.prefix + short

    def password(self, user: str) -> str:
        return self.info["passwords"][user]

    def home(self, user: str) -> Path:
        return Path(self.info["homes"][user])

    @property
    def course(self) -> Path:
        return self.home(self.instructor) / "course" / "assignments"

    @property
    def exchange(self) -> Path:
        return Path(self.info["exchange"])

    def as_user(self, user: str, command: str, cwd: Path | None = None, check: bool = True):
        """``command`` in bash as ``user`` with the course environment first on PATH."""
        env = {
            "HOME": str(self.home(user)),
            "USER": user,
            "LOGNAME": user,
            "LANG": "C.UTF-8",
            "PATH": f"{COURSE_ENV}/bin:/usr/local/bin:/usr/bin:/bin",
            "NBGRADER_EXCHANGE": str(self.exchange),
            "JUPYTER_CONFIG_PATH": f"{self.info['runtime']}/jupyter/common",
        }
        cmd = ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), "bash", "-c", command]
        done = subprocess.run(cmd, cwd=cwd or self.home(user), capture_output=True, text=True, timeout=900)
        if check:
            assert done.returncode == 0, (
                f"{user}: {command!r} -> {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def instructor_cli(self, command: str, check: bool = True):
        return self.as_user(self.instructor, command, cwd=self.course, check=check)

    def log_tail(self, chars: int = 6000) -> str:
        return log_tail(self.log_path, chars)

    def stop(self) -> list[str]:
        """SIGTERM to run_hub.py (it stops the hub and removes its users); what is left behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(180)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        left = [f"user {u}" for u in self.users if user_exists(u)] + processes_of(self.users)
        for user in self.users:  # the last resort: never leave users behind
            if user_exists(user):
                subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
                subprocess.run(["userdel", "--remove", user], capture_output=True)
                subprocess.run(["groupdel", user], capture_output=True)
        if getattr(self, "_log", None):
            self._log.close()
        subprocess.run(["rm", "-rf", str(self.base)])
        return left
