"""nbgrader configuration of the course's graded assignments.

Run nbgrader from this folder (the course root): ``cd assignments && nbgrader ...``.
See README.md here for the instructor's and the students' workflow.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# The course root is the folder nbgrader runs in (this one): source/, release/,
# submitted/, autograded/, feedback/ and gradebook.db all live here.
c.CourseDirectory.course_id = "nn-course"

# What replaces a solution in the release: students see exactly this in each function body.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every test cell finishes in about a second with a reasonable answer; a runaway loop
# in a submission costs this much per cell and the cell scores 0.
c.Execute.timeout = 60

# A submission from a student the gradebook does not know yet adds that student.
c.Autograde.create_student = True

# The exchange (release_assignment / fetch_assignment / submit / collect) is a folder
# every user can write to; nbgrader's default is /srv/nbgrader/exchange.
if os.environ.get("NBGRADER_EXCHANGE"):
    c.Exchange.root = os.environ["NBGRADER_EXCHANGE"]
