"""Grades out to a learning-management system: one CSV that Canvas's and Moodle's gradebook
imports read, as an nbgrader export plugin.

Part of :mod:`grader`. From the course folder::

    nbgrader export --exporter=grader.export.LmsCsvExportPlugin --to lms-grades.csv

(nbgrader's own ``nbgrader export`` keeps writing its long format, one row per student and
assignment, through :class:`PrivateCsvExportPlugin`, the course's default exporter.) Both write
their file with mode 0600: every student's grade, readable by the instructor only
(:func:`grader.privacy.private_file`). The layout is the one Canvas writes in its own gradebook export (*Grades >
Export*) and reads back in its import (*Grades > Import*); Moodle's *Import > CSV file* reads
the same file, with the identifier column chosen on its mapping page:

========================  =====================================================================
column                    value
========================  =====================================================================
``Student``               "Last, First" when the gradebook has names, else the student id
``ID``                    empty: Canvas's internal user id, unknown to nbgrader (Canvas
                          matches on the SIS columns instead)
``SIS User ID``           the nbgrader student id (the hub or login name)
``SIS Login ID``          the same id (set Canvas's SIS login to the hub login name)
``Section``               empty
``<assignment>``          one column per assignment: the score after the late penalty
                          (nbgrader's ``score``); 0 for a student who submitted nothing
========================  =====================================================================

The second row is Canvas's ``Points Possible`` row (each assignment's maximum), which sets the
points of an assignment the import creates. Moodle wants one row per student only: export with
``--LmsCsvExportPlugin.points_possible_row=False``, then map ``SIS User ID`` to *username* and
each assignment column to a grade item (or *new grade item*).

Not verified against a live Canvas or Moodle (these machines reach neither): the columns follow
Canvas's documented gradebook CSV and Moodle's CSV grade import.
"""

from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import CsvExportPlugin, ExportPlugin
from traitlets import Bool

from .privacy import private_file

FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def lms_rows(
    gradebook: Gradebook, assignments: list[str] | None = None, students: list[str] | None = None, points_row=True
):
    """The CSV rows (header, Points Possible unless ``points_row`` is false, one per student) for
    ``assignments`` (default all, by due date then name) and ``students`` (default all, by id)."""
    chosen = [a for a in gradebook.assignments if not assignments or a.name in assignments]
    chosen.sort(key=lambda a: (a.duedate is None, a.duedate or 0, a.name))
    rows = [FIXED + [a.name for a in chosen]]
    if points_row:
        rows.append(["Points Possible", "", "", "", ""] + [f"{a.max_score:g}" for a in chosen])
    for student in sorted(gradebook.students, key=lambda s: s.id):
        if students and student.id not in students:
            continue
        name = ", ".join(p for p in (student.last_name, student.first_name) if p) or student.id
        scores = []
        for a in chosen:
            try:
                sub = gradebook.find_submission(a.name, student.id)
            except MissingEntry:
                scores.append("0")
                continue
            penalty = sub.late_submission_penalty or 0.0
            scores.append(f"{max(0.0, sub.score - penalty):g}")
        rows.append([name, "", student.id, student.id, ""] + scores)
    return rows


class LmsCsvExportPlugin(ExportPlugin):
    """``nbgrader export --exporter=grader.export.LmsCsvExportPlugin``: see the module's docstring."""

    points_possible_row = Bool(True, help="Write Canvas's Points Possible row (Moodle: False).").tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "lms-grades.csv"
        rows = lms_rows(
            gradebook, [str(a) for a in self.assignment], [str(s) for s in self.student], self.points_possible_row
        )
        with open(private_file(dest), "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
        self.log.info("Wrote grades of %d assignments to %s", len(rows[0]) - len(FIXED), dest)


class PrivateCsvExportPlugin(CsvExportPlugin):
    """nbgrader's CSV export (one row per student and assignment), written with mode 0600."""

    def export(self, gradebook: Gradebook) -> None:
        private_file(self.to or "grades.csv")  # created 0600 before nbgrader writes into it
        super().export(gradebook)
