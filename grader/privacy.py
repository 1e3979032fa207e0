"""The instructor's course folder is private: no other user of the machine reads a solution or a grade.

The nbgrader course root (``assignments/``) holds what students must never read: ``source/``
(reference solutions and hidden tests), ``submitted/``, ``autograded/`` and ``feedback/`` (every
student's code), ``gradebook.db`` and the grade exports. A clone in a Debian home gets ordinary
modes (folders 0755, files 0644), so every instructor command calls :func:`make_private` before
it writes anything:

* the folder becomes **0700** (owner only), or, when ``$COURSE_STAFF_GROUP`` names a group
  (teaching assistants), **2750** with that group: staff read, only the owner writes, and new
  files inherit the group;
* the gradebook and the grade exports already there (``gradebook.db``, ``*.csv``, the batch
  grader's ``batch_grade/<assignment>/grades.csv``) become 0600;
* a folder that others can reach and that this user may not change (not its owner, not root)
  stops the command with :class:`CourseNotPrivate`, which names the folder and the fix.

Students never need the folder: assignments reach them through the exchange, and so does their
feedback, where each page is readable only by whoever knows its unguessable name (nbgrader's
design; :class:`grader.exchange.CheckedReleaseFeedback`).

Who calls it: the course's ``nbgrader_config.py`` (so every ``nbgrader`` command and formgrader
run from the course root), ``python -m grader`` (``make grade``), ``assignments/grade.sh``
(``make grade-nbgrader``), ``assignments/setup_exchange.sh``, ``make shared-env`` and
``deploy/hub/run_hub.py``. Standard library only: ``make shared-env`` runs it with the system's
Python (``python3 grader/privacy.py assignments``) before the course environment exists.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import sys
from pathlib import Path

__all__ = ["CourseNotPrivate", "make_private", "private_file", "SECRET_FILES", "GENERATED", "STAFF_GROUP_VARIABLE"]

STAFF_GROUP_VARIABLE = "COURSE_STAFF_GROUP"
SECRET_FILES = ("gradebook.db", "*.csv", "batch_grade/*/*.csv")  # every student's grades
# what nbgrader, the grader and Python write in the course folder: a fresh copy of the course leaves them out
GENERATED = (
    "release",
    "submitted",
    "autograded",
    "feedback",
    "gradebook.db",
    "*.csv",
    "batch_grade",
    "__pycache__",
    ".ipynb_checkpoints",
)


class CourseNotPrivate(RuntimeError):
    """The course folder can be reached by other users, and this user may not change that."""


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_id(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise CourseNotPrivate(f"${STAFF_GROUP_VARIABLE}={name}: there is no such group on this machine") from None


def _is_private(st: os.stat_result, staff_gid: int | None) -> bool:
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o007:  # others may list, enter or write
        return False
    if mode & 0o070 == 0:
        return True
    return staff_gid is not None and st.st_gid == staff_gid and not mode & 0o020


def make_private(course: str | Path, staff_group: str | None = None) -> list[str]:
    """Make ``course`` (the nbgrader course root) reachable by its owner (and staff) only.

    ``staff_group`` defaults to ``$COURSE_STAFF_GROUP``. Returns what it changed, one line each
    (empty when nothing needed changing). Raises :class:`CourseNotPrivate` when others can reach
    the folder and this user is neither its owner nor root, and ``FileNotFoundError`` when
    there is no such folder."""
    course = Path(course).resolve()
    if not course.is_dir():
        raise FileNotFoundError(f"{course}: no such course folder")
    if staff_group is None:
        staff_group = os.environ.get(STAFF_GROUP_VARIABLE) or None
    staff_gid = _group_id(staff_group) if staff_group else None
    st = course.stat()
    may_change = os.geteuid() in (0, st.st_uid)
    done = []
    if not _is_private(st, staff_gid):
        if not may_change:
            fix = f"chmod 700 {course}"
            if staff_group:
                fix = f"chgrp {staff_group} {course} && chmod 2750 {course}"
            raise CourseNotPrivate(
                f"{course} (mode {stat.S_IMODE(st.st_mode):04o}, owner {_user(st.st_uid)}) can be read by other "
                f"users of this machine, and it holds the solutions, the hidden tests and, once graded, every "
                f"student's work and grade. Its owner must make it private first:\n    {fix}"
            )
        if staff_gid is not None:
            os.chown(course, -1, staff_gid)
            os.chmod(course, 0o2750)
            done.append(f"{course}: mode 2750, group {staff_group} (the course staff)")
        else:
            os.chmod(course, 0o700)
            done.append(f"{course}: mode 0700 (its owner only)")
    if may_change:
        for pattern in SECRET_FILES:
            for path in sorted(course.glob(pattern)):
                mode = stat.S_IMODE(path.lstat().st_mode)
                if path.is_file() and not path.is_symlink() and mode & 0o077:
                    os.chmod(path, 0o600)
                    done.append(f"{path}: mode 0600")
    return done


def private_file(path: str | Path) -> Path:
    """Create ``path`` (or empty it) with mode 0600 before anything is written to it, so that
    a grade export is never readable by others, not even for a moment."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python grader/privacy.py COURSE_FOLDER``: exit 0 when it is private (made so, if need
    be), 2 with the reason when it cannot be."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python grader/privacy.py COURSE_FOLDER   (the nbgrader course root, e.g. assignments)")
        return 2
    try:
        for line in make_private(args[0]):
            print(f"made private: {line}")
    except (CourseNotPrivate, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
