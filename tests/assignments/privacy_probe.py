"""What another user of the class server must not read in the instructor's course folder, and a
bash command that tries (tests/assignments/test_class_workflow.py, tests/e2e/test_hub.py).

The folder is the nbgrader course root (``assignments/``); ``grader/privacy.py`` keeps it private.
"""

from __future__ import annotations

import shlex
import stat
from pathlib import Path

SECRET_FOLDERS = ("submitted", "autograded", "feedback", "batch_grade")


def grade_files(course: Path) -> list[Path]:
    """The gradebook and every grade export in ``course`` (nbgrader's, Canvas's, the batch grader's)."""
    found = [course / "gradebook.db", *course.glob("*.csv"), *course.glob("batch_grade/*/*.csv")]
    return [p for p in found if p.is_file()]


def secret_files(course: Path, assignment: str) -> list[Path]:
    """The source notebook, the grade files, and every file of every submission, autograded
    notebook, feedback page and batch-grader record in ``course``."""
    files = [course / "source" / assignment / f"{assignment}.ipynb", *grade_files(course)]
    for folder in SECRET_FOLDERS:
        files += sorted(p for p in (course / folder).rglob("*") if p.is_file())
    return files


def probe_command(course: Path, files: list[Path]) -> str:
    """bash that lists ``course`` and reads each of ``files``, printing only what succeeded
    (``LISTED ...``, ``READ ...``): empty output means none of it could be read."""
    listing = "\n".join(str(p) for p in files)
    return (
        f"ls {shlex.quote(str(course))} >/dev/null 2>&1 && echo 'LISTED the course folder'\n"
        f'while IFS= read -r f; do cat "$f" >/dev/null 2>&1 && echo "READ $f"; done <<\'END_OF_LIST\'\n'
        f"{listing}\nEND_OF_LIST\ntrue"
    )


def loose_grade_files(course: Path) -> list[str]:
    """The grade files that other users could read if they reached the folder (should be 0600)."""
    return [f"{p} {stat.S_IMODE(p.stat().st_mode):04o}" for p in grade_files(course) if p.stat().st_mode & 0o077]
