"""grader.exchange: what the instructor's exchange steps log (tests/assignments/test_class_workflow.py
runs them for real, with separate users)."""

import logging

from grader.exchange import _ReleasedName


def record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("nbgrader", logging.INFO, __file__, 1, message, args, None)


def test_release_feedback_logs_the_name_students_fetch():
    rewritten = record("Feedback released to: {}".format("/srv/ex/nn-course/feedback/ab12cd-tmp.html"))
    assert _ReleasedName().filter(rewritten)
    assert rewritten.getMessage() == "Feedback released to: /srv/ex/nn-course/feedback/ab12cd.html"
    other = record("Releasing feedback for student '%s'", "bob-tmp.html")
    assert _ReleasedName().filter(other)
    assert other.getMessage() == "Releasing feedback for student 'bob-tmp.html'", "other messages are left alone"
