"""The students' side of the course's nbgrader exchange: a submission nobody else can read or fake.

The students' nbgrader config, written by ``assignments/setup_exchange.sh``, selects these two
steps instead of nbgrader's own (0.9)::

    c.ExchangeFactory.submit = "classroom.exchange.PrivateSubmit"
    c.ExchangeFactory.fetch_feedback = "classroom.exchange.OwnFetchFeedback"

* :class:`PrivateSubmit`: the submission's folders are open to the student and the instructor's
  group only (nbgrader makes them world-writable, their files readable by anyone who knows the
  path), and a student submits in their own name only (``--student=someone-else`` is refused:
  ``collect`` would ignore such a submission anyway, as :class:`grader.exchange.OwnerCheckedCollect`).
* :class:`OwnFetchFeedback`: feedback is looked for only for the student's own submissions, never
  for an entry of their submission cache that carries another student's name.

The instructor's steps of the exchange (release, collect, release feedback) are in the
grader package (:mod:`grader.exchange`).
"""

from __future__ import annotations

import os
import shutil
import tempfile

from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import get_username

__all__ = ["PrivateSubmit", "OwnFetchFeedback"]


def _claimed_id(exchange) -> str:
    """The student id a command acts for: the user's own name, whatever ``--student`` says
    (an exchange error, naming both, when it names somebody else)."""
    me = get_username()
    claimed = exchange.coursedir.student_id
    if claimed not in ("", "*", me):
        exchange.fail(
            f"you are {me}: you may not submit or fetch feedback as {claimed!r} "
            "(the instructor collects a submission only from the student whose name it carries)"
        )
    return me


class PrivateSubmit(ExchangeSubmit):
    """``submit`` in the student's own name, then the submission's folders in ``inbound/`` are
    0770 instead of 0777/0755.

    ``inbound/`` is setgid and belongs to the instructor's group, so the folders of a
    submission belong to that group: the instructor lists, reads, collects and deletes them
    through the group, and no other student can enter them, even knowing their name, let
    alone change them. (The files keep nbgrader's 0644: two of them are written after the
    folder lost its setgid bit and belong to the student's own group.)"""

    def init_dest(self):
        _claimed_id(self)
        super().init_dest()

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        group = os.stat(self.inbound_path).st_gid
        for folder, _, _ in os.walk(dest, topdown=False):
            if os.stat(folder).st_gid != group:
                self.log.warning("%s does not belong to the instructor's group: left as nbgrader made it", folder)
                continue
            os.chmod(folder, 0o770)


class OwnFetchFeedback(ExchangeFetchFeedback):
    """``fetch_feedback`` that looks only at the student's own submissions.

    nbgrader reads every entry of the student's submission cache, whoever it names, so a
    submission made with ``--student=alice`` (refused by :class:`PrivateSubmit`, but nbgrader's
    own submit takes it) would be listed as one of the student's own. Here nbgrader searches a
    view of the cache that holds the student's own entries only."""

    def init_src(self):
        me = _claimed_id(self)
        cache = os.path.join(self.cache, self.coursedir.course_id)
        view = tempfile.mkdtemp(prefix="nbgrader-own-cache-")
        try:
            os.mkdir(os.path.join(view, self.coursedir.course_id))
            for name in os.listdir(cache) if os.path.isdir(cache) else []:
                if name.split("+", 1)[0] == me:
                    os.symlink(os.path.join(cache, name), os.path.join(view, self.coursedir.course_id, name))
                else:  # not theirs: not even named in the output
                    self.log.debug("not a submission of %s: %s", me, name)
            real_cache, self.cache = self.cache, view
            try:
                super().init_src()
            finally:
                self.cache = real_cache
        finally:
            shutil.rmtree(view, ignore_errors=True)
