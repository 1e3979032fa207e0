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
                                  world-writable, its files readable by anyone with the path),
                                  and refuses ``--student`` naming somebody else.
:class:`OwnerCheckedCollect`      ``collect`` refuses, and logs with its owner, claimed student
                                  and timestamp, a submission whose folder is not owned by the
                                  student it claims to be from (nbgrader only warns).
:class:`CheckedReleaseFeedback`   ``release_feedback`` refuses while any feedback page of the
                                  assignment shows a hidden test
                                  (:func:`grader.feedback.check_course`), and leaves each
                                  released page 0644 (fetched by its unguessable name).
=============================  ===========================================================

The instructor's ``assignments/nbgrader_config.py`` selects the three instructor steps;
the students' config written by ``assignments/setup_exchange.sh`` selects
:class:`PrivateSubmit` and ``OwnFetchFeedback``, which live in the course package
(:mod:`classroom.exchange`) because students run them. The exchange root itself is made mode 1777 by that script.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

from classroom.exchange import PrivateSubmit

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
    """``collect``, refusing any submission whose folder in ``inbound/`` is not owned by the
    user whose name it carries: one student cannot submit in another's name.

    Each refused submission is logged as an error with its folder, the student it claims to be
    from, its owner and its timestamp, whether or not the student it names also submitted (the
    instructor sees every attempt); among a student's genuine submissions nbgrader's rule
    (the latest, or the latest before the due date) still chooses."""

    def _genuine(self, record) -> bool:
        path = os.path.join(self.inbound_path, record["filename"])
        owner = owner_of(path)
        if owner == record["username"]:
            return True
        refused = getattr(self, "_refused", set())
        if record["filename"] not in refused:
            self._refused = refused | {record["filename"]}
            self.log.error(
                "refused submission %s: it claims to be from %s but is owned by %s (timestamp %s)",
                path,
                record["username"],
                owner,
                record["timestamp"],
            )
        return False

    def _sort_by_timestamp(self, records):
        # nbgrader keeps the newest record of each student: choose among the genuine ones
        records = super()._sort_by_timestamp(records)
        genuine = [r for r in records if self._genuine(r)]
        return genuine or records  # none genuine: init_src drops the student's entry below

    def init_src(self):
        super().init_src()
        self.src_records = [r for r in self.src_records if self._genuine(r)]


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
        # nbgrader logs "Feedback released to: <hash>-tmp.html", the temporary name it then moves
        # away: the log names the page students fetch, <hash>.html, instead
        renamer, logger = _ReleasedName(), getattr(self.log, "logger", self.log)
        logger.addFilter(renamer)
        try:
            super().copy_files()
        finally:
            logger.removeFilter(renamer)
        # the page is fetched by its unguessable name from a folder nobody can list: readable by
        # all (0644) whatever mode the page had in the private course folder
        for page in Path(self.dest_path).glob("*.html"):
            if stat.S_IMODE(page.stat().st_mode) != 0o644 and page.stat().st_uid == os.geteuid():
                os.chmod(page, 0o644)


class _ReleasedName(logging.Filter):
    """Rewrites nbgrader's "Feedback released to: X-tmp.html" to the name the page has: X.html."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Feedback released to: ") and message.endswith("-tmp.html"):
            record.msg, record.args = message[: -len("-tmp.html")] + ".html", ()
        return True
