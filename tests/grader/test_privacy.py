"""grader.privacy: the instructor's course folder is made private before any command writes in it."""

from __future__ import annotations

import grp
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.privacy import CourseNotPrivate, make_private, private_file

PRIVACY = Path(__file__).resolve().parents[2] / "grader" / "privacy.py"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def cloned(tmp_path, monkeypatch) -> Path:
    """A course folder as a clone in a Debian home has it: 0755, files 0644, a gradebook and an export."""
    monkeypatch.delenv("COURSE_STAFF_GROUP", raising=False)
    course = tmp_path / "assignments"
    (course / "source" / "backprop").mkdir(parents=True)
    for name in ("source/backprop/backprop.ipynb", "gradebook.db", "grades.csv", "nbgrader_config.py"):
        (course / name).write_text("x")
        os.chmod(course / name, 0o644)
    for folder in (course, course / "source", course / "source" / "backprop"):
        os.chmod(folder, 0o755)
    return course


def test_an_ordinary_folder_becomes_the_owners_only(cloned):
    changes = make_private(cloned)
    assert mode(cloned) == 0o700
    assert mode(cloned / "gradebook.db") == mode(cloned / "grades.csv") == 0o600
    assert mode(cloned / "nbgrader_config.py") == 0o644, "only the grades are tightened: the folder guards the rest"
    assert len(changes) == 3 and str(cloned) in changes[0]
    assert make_private(cloned) == [], "a private folder is left as it is"


def test_a_staff_group_may_read_but_not_write(cloned):
    staff = grp.getgrgid(os.getgid()).gr_name  # a group this user is in
    changes = make_private(cloned, staff_group=staff)
    assert mode(cloned) == 0o2750 and cloned.stat().st_gid == os.getgid()
    assert staff in changes[0]
    assert make_private(cloned, staff_group=staff) == []
    os.chmod(cloned, 0o2770)  # the group may write: not private enough
    assert make_private(cloned, staff_group=staff) and mode(cloned) == 0o2750


def test_the_staff_group_comes_from_the_environment(cloned, monkeypatch):
    monkeypatch.setenv("COURSE_STAFF_GROUP", "no-such-group-of-the-course")
    with pytest.raises(CourseNotPrivate, match="no-such-group-of-the-course"):
        make_private(cloned)
    assert mode(cloned) == 0o755, "nothing changed"


def test_group_bits_without_a_staff_group_are_not_private(cloned):
    os.chmod(cloned, 0o750)
    make_private(cloned)
    assert mode(cloned) == 0o700


def _as_another_user(course: Path) -> tuple[int, str]:
    """make_private(course) run by the user nobody (root only: a forked child drops to it; the
    Python of this checkout may live where nobody cannot run it): exit code and message."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            make_private(course)
            code = 0
        except CourseNotPrivate as err:
            os.write(write, str(err).encode())
            code = 3
        except BaseException as err:  # noqa: BLE001 (reported to the parent)
            os.write(write, repr(err).encode())
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as fh:
        message = fh.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), message


def test_a_folder_others_reach_and_this_user_may_not_change_stops_the_command():
    if os.geteuid() != 0:
        pytest.skip("needs a folder owned by another user: run as root (CI does)")
    base = Path(tempfile.mkdtemp(prefix="privacy-"))  # outside pytest's 0700 folders: nobody must see it
    try:
        course = base / "assignments"
        course.mkdir()
        os.chmod(base, 0o755)
        os.chmod(course, 0o755)
        code, message = _as_another_user(course)
        assert code == 3, message
        assert str(course) in message and "chmod 700" in message and "owner root" in message
        assert mode(course) == 0o755
    finally:
        shutil.rmtree(base)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such course folder"):
        make_private(tmp_path / "nowhere")


def test_the_command_line_used_by_the_scripts(cloned, tmp_path):
    # the system's Python runs it as a file (make shared-env), before the course environment exists
    done = subprocess.run([sys.executable, str(PRIVACY), str(cloned)], capture_output=True, text=True)
    assert done.returncode == 0 and "made private" in done.stdout and mode(cloned) == 0o700
    done = subprocess.run([sys.executable, str(PRIVACY), str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert done.returncode == 2 and "no such course folder" in done.stderr
    done = subprocess.run([sys.executable, str(PRIVACY)], capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stdout


def test_private_file_is_never_readable_by_others(tmp_path):
    old = os.umask(0)
    try:
        path = private_file(tmp_path / "canvas.csv")
        assert mode(path) == 0o600
        path.write_text("old grades")
        os.chmod(path, 0o644)
        private_file(path)
        assert mode(path) == 0o600 and path.read_text() == ""
    finally:
        os.umask(old)
