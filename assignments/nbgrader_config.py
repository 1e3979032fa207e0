"""nbgrader configuration of the course's graded assignments (the instructor's side).

Run nbgrader from this folder (the course root): ``cd assignments && nbgrader ...``.
See README.md here for the instructor's and the students' workflow.
"""

import os
import sys

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from grader.exchange import CheckedReleaseFeedback, OwnerCheckedCollect, StickyReleaseAssignment
from grader.export import PrivateCsvExportPlugin
from grader.feedback import HideHiddenTests
from grader.late import DailyPenalty
from grader.privacy import CourseNotPrivate, make_private, private_file

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# This folder holds the solutions, the hidden tests and, once graded, every student's work and
# grade: every nbgrader command and formgrader started here first makes it private (mode 0700, or
# 2750 with $COURSE_STAFF_GROUP; grader/privacy.py), or stops when it cannot.
_course = os.path.dirname(os.path.abspath(__file__))
try:
    for _change in make_private(_course):
        print(f"made private: {_change}", file=sys.stderr)
except CourseNotPrivate as _err:
    raise SystemExit(f"nbgrader: {_err}") from None
# nbgrader creates the gradebook (every student's scores) 0644; an empty file made 0600 first is
# an empty SQLite database that nbgrader fills in, keeping the mode (made by the folder's owner
# only: root reading this config, as setup_exchange.sh does, must not own the instructor's gradebook)
if os.stat(_course).st_uid == os.geteuid() and not os.path.exists(os.path.join(_course, "gradebook.db")):
    private_file(os.path.join(_course, "gradebook.db"))

# The course root is the folder nbgrader runs in (this one): source/, release/,
# submitted/, autograded/, feedback/ and gradebook.db all live here.
c.CourseDirectory.course_id = "nn-course"

# The exchange (release_assignment / fetch_assignment / submit / collect / feedback): the one
# place it is set. NBGRADER_EXCHANGE overrides the default for a test or a second class.
# `sudo assignments/setup_exchange.sh` creates it (mode 1777, like /tmp: everyone may add,
# nobody may rename or delete what another user made) and writes the students' config with
# these same two values. (nbgrader's own default, /usr/local/share/nbgrader/exchange, is not used.)
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or "/srv/nbgrader/exchange"

# What replaces a solution in the release: students see exactly this in each function body.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every test cell finishes in about a second with a reasonable answer; a runaway loop
# in a submission costs this much per cell and the cell scores 0.
c.Execute.timeout = 60

# Late submissions (assignments/README.md, "Deadlines"): each assignment's due date is set in
# the gradebook (`nbgrader db assignment add NAME --duedate="YYYY-MM-DD HH:MM:SS UTC"`); a
# submission more than 5 minutes after it loses 10 % of its score per started day late, all of it
# after 10 days. `make grade` (the batch grader) reads these same settings.
c.AssignLatePenalties.plugin_class = DailyPenalty
c.DailyPenalty.percent_per_day = 10
c.DailyPenalty.grace_minutes = 5

# A submission from a student the gradebook does not know yet adds that student.
c.Autograde.create_student = True

# Feedback never shows hidden tests: each test cell is shown as released (hidden blocks
# replaced by "# (hidden tests)"), a failure on a hidden line says only "a hidden test
# failed", and no traceback (tracebacks print the lines around the failure). This applies to
# every `nbgrader generate_feedback` run from this folder, grade.sh's included.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
# ... and `nbgrader release_feedback` refuses to release while any page of the assignment
# shows a hidden-test line (feedback made elsewhere, or before this rule existed).
c.ExchangeFactory.release_feedback = CheckedReleaseFeedback

# The exchange's other rules (grader/exchange.py): inbound/ gets the sticky bit, so no
# student can rename or delete another's submission; collect skips a submission not owned by
# the student whose name it carries. (The students' config adds private submissions.)
c.ExchangeFactory.release_assignment = StickyReleaseAssignment
c.ExchangeFactory.collect = OwnerCheckedCollect

# `nbgrader export` writes its CSV readable by the instructor only (0600), like every grade export.
c.ExportApp.plugin_class = PrivateCsvExportPlugin
