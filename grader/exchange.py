"""The instructor's side of the course's nbgrader exchange rules: submissions nobody else can read, move or fake.

nbgrader's file-system exchange (0.9) leaves a class exposed in four ways that matter when
students are separate users of one machine or hub. Each class below is nbgrader's own
exchange step with one rule added; the configs select them (``c.ExchangeFactory...``):

=============================  ===========================================================
:class:`StickyReleaseAssignment`  ``release_assignment`` also sets the sticky bit on the
                                  course's ``inbound/`` (nbgrader makes it 2733: students
                                  may add but not list; without the sticky bit a student who
                                  learns another's folder name may rename or delete it).
:class:`PrivateSubmit`            ``submit`` makes the student's submission folder open to its
                                  owner and the instructor's group only (nbgrader leaves it
                                  world-writable, its files readable by anyone with the path).
:class:`OwnerCheckedCollect`      ``collect`` skips a submission whose folder is not owned
                                  by the student it claims to be from (nbgrader only warns).
:class:`CheckedReleaseFeedback`   ``release_feedback`` refuses while any feedback page of the
                                  assignment shows a hidden test
                                  (:func:`grader.feedback.check_course`).
=============================  ===========================================================

The instructor's ``assignments/nbgrader_config.py`` selects the three instructor steps;
the students' config written by ``assignments/setup_exchange.sh`` selects
:class:`PrivateSubmit`, which lives in the course package (:mod:`course_utils.exchange`)
because students run it. The exchange root itself is made mode 1777 by that script.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

from course_utils.exchange import PrivateSubmit

__all__ = ["StickyReleaseAssignment", "PrivateSubmit", "OwnerCheckedCollect", "CheckedReleaseFeedback", "owner_of"]


def owner_of(path: str | Path) -> str | None:
    """The user name owning ``path`` (``None`` when the uid has no name)."""
    import pwd

    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except KeyError:
        return None


class StickyReleaseAssignment(ExchangeReleaseAssignment):
    """``release_assignment``, then ``inbound/`` gets the sticky bit (mode 3733)."""

    def init_dest(self):
        super().init_dest()
        mode = os.stat(self.inbound_path).st_mode
        if not mode & stat.S_ISVTX:
            os.chmod(self.inbound_path, stat.S_IMODE(mode) | stat.S_ISVTX)


class OwnerCheckedCollect(ExchangeCollect):
    """``collect``, skipping (with an error in the log) any submission whose folder in
    ``inbound/`` is not owned by the user whose name it carries: one student cannot
    submit in another's name."""

    def _genuine(self, record) -> bool:
        return owner_of(os.path.join(self.inbound_path, record["filename"])) == record["username"]

    def _sort_by_timestamp(self, records):
        # nbgrader keeps the newest record of each student: choose among the genuine ones
        records = super()._sort_by_timestamp(records)
        genuine = [r for r in records if self._genuine(r)]
        return genuine or records  # none genuine: init_src drops the student's entry below

    def init_src(self):
        super().init_src()
        kept = []
        for record in self.src_records:
            path = os.path.join(self.inbound_path, record["filename"])
            owner = owner_of(path)
            if owner != record["username"]:
                self.log.error(
                    "skipping %s: it claims to be from %s but is owned by %s", path, record["username"], owner
                )
                continue
            kept.append(record)
        self.src_records = kept


class CheckedReleaseFeedback(ExchangeReleaseFeedback):
    """``release_feedback`` that refuses to release anything while any feedback page of the
    assignment shows a hidden test, whoever produced it."""

    def copy_files(self):
        from .feedback import check_course

        problems = check_course(Path(self.coursedir.root), [self.coursedir.assignment_id])
        if problems:
            self.fail(
                "refusing to release feedback that shows hidden tests:\n"
                + "\n".join(problems[:20])
                + "\nregenerate it from the course root (nbgrader generate_feedback --force, or make grade)"
            )
        super().copy_files()
