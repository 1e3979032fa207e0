"""grader.late: the course's late-submission policy, as nbgrader's plugin and in the batch grader."""

import pytest
from traitlets.config import Config

from grader.late import DAY_S, DailyPenalty, course_config, late_penalty

GRACE_S = 5 * 60


@pytest.mark.parametrize(
    ("seconds_late", "kept"),
    [
        (0, 1.0),
        (GRACE_S, 1.0),  # within the grace period: on time
        (GRACE_S + 1, 0.9),  # the first started day
        (GRACE_S + DAY_S, 0.9),
        (GRACE_S + DAY_S + 1, 0.8),  # the second started day
        (GRACE_S + 9 * DAY_S + 1, 0.0),  # ten started days: nothing left
        (GRACE_S + 30 * DAY_S, 0.0),
    ],
)
def test_ten_percent_per_started_day_after_five_minutes(seconds_late, kept):
    penalty = DailyPenalty().late_submission_penalty("ann", 80.0, seconds_late)
    assert penalty == pytest.approx(80.0 * (1 - kept))


def test_nothing_to_take_from_a_zero_score():
    assert DailyPenalty().late_submission_penalty("ann", 0.0, 5 * DAY_S) == 0.0


def test_the_course_config_sets_the_policy(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.AssignLatePenalties.plugin_class = 'grader.late.DailyPenalty'\n"
        "c.DailyPenalty.percent_per_day = 25\n"
        "c.DailyPenalty.grace_minutes = 0\n"
    )
    config = course_config(tmp_path)
    assert late_penalty(config, "ann", 40.0, 1) == pytest.approx(10.0)
    assert late_penalty(config, "ann", 40.0, 3 * DAY_S + 1) == pytest.approx(40.0)
    assert late_penalty(course_config(tmp_path / "nowhere"), "ann", 40.0, 1) == 0.0  # default: the grace period


def test_the_course_s_own_config_uses_this_policy():
    from pathlib import Path

    config = course_config(Path(__file__).resolve().parents[2] / "assignments")
    plugin = config.AssignLatePenalties.plugin_class
    assert plugin is DailyPenalty or plugin == "grader.late.DailyPenalty"


class _Odd(DailyPenalty):
    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return {"none": None, "negative": -5.0, "huge": 1e9}[student_id]


@pytest.mark.parametrize(("student", "expected"), [("none", 0.0), ("negative", 0.0), ("huge", 30.0)])
def test_a_plugin_s_answer_is_clamped_like_nbgrader_does(student, expected):
    config = Config({"AssignLatePenalties": {"plugin_class": _Odd}})
    assert late_penalty(config, student, 30.0, DAY_S) == expected


@pytest.mark.slow
def test_nbgrader_autograde_applies_the_policy(tmp_path):
    """nbgrader's own pipeline with the course's setting: a submission a day and two hours late
    keeps 80 % of its score."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from nbgrader.api import Gradebook

    sys.path.insert(0, str(Path(__file__).parent / "data"))
    import fixture

    course = fixture.make_course(tmp_path / "course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'toy-course'\n"
        "c.AssignLatePenalties.plugin_class = 'grader.late.DailyPenalty'\n"
    )
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

    def nbgrader(*args):
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"], cwd=course, env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]

    nbgrader("db", "assignment", "add", "toy", "--duedate=2026-11-01 12:00:00 UTC")
    nbgrader("generate_assignment", "toy")
    fixture.write_submission(course / "submitted", "cat", {"answers": fixture.GOOD})
    (course / "submitted" / "cat" / "toy" / "timestamp.txt").write_text("2026-11-02 14:00:00.000000 UTC")
    nbgrader("autograde", "toy")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission("toy", "cat")
        assert sub.total_seconds_late == 26 * 3600 and sub.score == 3
        assert sub.late_submission_penalty == pytest.approx(0.6)
