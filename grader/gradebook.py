"""nbgrader's record of a graded class: the gradebook, and each submission's own records.

Part of :mod:`grader`. The coordinator (:mod:`grader.batch`) is the gradebook's only writer:
workers write result files, and :class:`Gradebook` imports them one at a time (auto scores per
test cell), then the submission times (from which nbgrader computes lateness) and the late
penalties. :func:`copy_submission_records` puts nbgrader's ``timestamp.txt`` and
``submission_secret.txt`` beside each autograded notebook and feedback page, where
``nbgrader release_feedback`` needs them.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from .submissions import Submission
from .worker import write_text_atomic


class Gradebook:
    """The nbgrader gradebook, written only from the coordinator (one writer)."""

    def __init__(self, course: Path, assignment: str, source_nb):
        from nbgrader.api import Gradebook as NbGradebook

        bindir = os.path.dirname(sys.executable)  # nbgrader runs the `alembic` script from PATH
        if bindir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
        self.path = course / "gradebook.db"
        self.url = f"sqlite:///{self.path.resolve()}"
        self.gb = NbGradebook(self.url)
        os.chmod(self.path, 0o600)
        self.assignment = assignment
        self._ensure_assignment(source_nb)

    def _ensure_assignment(self, source_nb) -> None:
        """Record the assignment's notebook and its cells (points, answers, read-only sources)
        when the gradebook does not know them yet, with nbgrader's own ``SaveCells`` (as
        ``nbgrader generate_assignment`` does). A notebook already recorded (by nbgrader, or an
        earlier run) is left as it is."""
        from nbgrader.api import MissingEntry
        from nbgrader.preprocessors import SaveCells

        name = source_nb["__name__"]
        try:
            self.gb.find_notebook(name, self.assignment)
            return
        except MissingEntry:
            pass  # a new assignment: recorded below
        self.gb.update_or_create_assignment(self.assignment)
        resources = {"nbgrader": {"notebook": name, "assignment": self.assignment, "db_url": self.url}}
        SaveCells().preprocess(source_nb, resources)

    def record(self, result: dict) -> None:
        from nbgrader.api import MissingEntry

        gb, a, s = self.gb, self.assignment, result["student"]
        gb.update_or_create_student(s)
        try:
            sub = gb.find_submission(a, s)
        except MissingEntry:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy autoflush warnings
                sub = gb.add_submission(a, s)
        for nb in sub.notebooks:
            if nb.name != result["notebook"]:
                continue
            for grade in nb.grades:
                if grade.name in result["scores"]:
                    grade.auto_score = float(result["scores"][grade.name])
                    # as nbgrader's SaveAutoGrades: review only what an instructor already graded by hand
                    grade.needs_manual_grade = grade.manual_score is not None
        gb.db.commit()

    def set_timestamp(self, student: str, timestamp, late_config=None) -> float:
        """Record when ``student`` submitted (a ``datetime``), as ``nbgrader autograde`` does:
        nbgrader computes lateness from it and ``nbgrader export`` shows it. With the course's
        config (:func:`grader.late.course_config`), also record the late-submission penalty of
        each notebook, as nbgrader's ``AssignLatePenalties`` does. Returns the total penalty."""
        from nbgrader.api import MissingEntry

        from .late import late_penalty

        try:
            sub = self.gb.find_submission(self.assignment, student)
        except MissingEntry:
            return 0.0
        sub.timestamp = timestamp
        self.gb.db.commit()
        total = 0.0
        if late_config is not None:
            seconds_late = sub.total_seconds_late
            for nb in sub.notebooks:
                penalty = late_penalty(late_config, student, nb.score, seconds_late)
                nb.late_submission_penalty = penalty or None
                total += penalty
            self.gb.db.commit()
        return total

    def close(self):
        self.gb.close()


SUBMISSION_RECORDS = ("timestamp.txt", "submission_secret.txt")


def copy_submission_records(sub: Submission, course: Path, assignment: str):
    """Copy nbgrader's records of a submission (``timestamp.txt``, ``submission_secret.txt``,
    written by ``nbgrader submit``/``collect`` beside the notebook) next to the student's
    autograded notebook and feedback, where ``nbgrader release_feedback`` needs them.

    Only regular files (not links) of at most 1 KiB are read. Returns the submission time
    as a ``datetime`` (UTC), or ``None`` without a readable ``timestamp.txt``.
    """
    from nbgrader.utils import parse_utc

    if sub.path is None:
        return None
    when = None
    for name in SUBMISSION_RECORDS:
        src = sub.path.parent / name
        if src.is_symlink() or not src.is_file() or src.stat().st_size > 1024:
            continue
        text = src.read_text(errors="replace")
        if name == "timestamp.txt":
            try:
                when = parse_utc(text.strip())
            except (ValueError, OverflowError, TypeError):
                continue
        # the timestamp is the student's to see; the secret names their feedback file in the exchange
        write_text_atomic(course / "feedback" / sub.student / assignment / name, text, public=name == "timestamp.txt")
        write_text_atomic(course / "autograded" / sub.student / assignment / name, text)
    return when
