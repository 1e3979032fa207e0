"""The students' side of the course's nbgrader exchange: a submission nobody else can read.

nbgrader's file-system exchange (0.9) makes a student's submission folder world-writable and its
files readable by anyone who knows the path. The students' nbgrader config, written by
``assignments/setup_exchange.sh``, selects :class:`PrivateSubmit` instead
(``c.ExchangeFactory.submit = "course_utils.exchange.PrivateSubmit"``).

The instructor's steps of the exchange (release, collect, release feedback) are in the
grader package (:mod:`grader.exchange`), which a student environment does not contain.
"""

from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit

__all__ = ["PrivateSubmit"]


class PrivateSubmit(ExchangeSubmit):
    """``submit``, then the submission's folders in ``inbound/`` are 0770 instead of 0777/0755.

    ``inbound/`` is setgid and belongs to the instructor's group, so the folders of a
    submission belong to that group: the instructor lists, reads, collects and deletes them
    through the group, and no other student can enter them, even knowing their name, let
    alone change them. (The files keep nbgrader's 0644: two of them are written after the
    folder lost its setgid bit and belong to the student's own group.)"""

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        group = os.stat(self.inbound_path).st_gid
        for folder, _, _ in os.walk(dest, topdown=False):
            if os.stat(folder).st_gid != group:
                self.log.warning("%s does not belong to the instructor's group: left as nbgrader made it", folder)
                continue
            os.chmod(folder, 0o770)
