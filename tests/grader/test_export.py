"""grader.export: the Canvas/Moodle CSV, from a gradebook the batch grader filled (late penalty
included), through nbgrader's own ``nbgrader export`` command."""

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "data"))
import fixture  # noqa: E402

from grader import batch  # noqa: E402

pytestmark = pytest.mark.slow

GOOD = fixture.GOOD


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A toy class: ann on time (3/3), cat a day and two hours late (3 - 20 %), dan nothing."""
    tmp = tmp_path_factory.mktemp("export")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # alembic
    course = fixture.make_course(tmp / "course")
    due = dt.datetime(2026, 11, 1, 12, 0, 0)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment("toy", duedate=due)
        gb.update_or_create_student("ann", first_name="Ann", last_name="Lee")
        gb.update_or_create_student("dan")
    subs = tmp / "subs"
    for student, late in (("ann", dt.timedelta(0)), ("cat", dt.timedelta(days=1, hours=2))):
        fixture.write_submission(subs, student, {"answers": GOOD})
        (subs / student / "toy" / "timestamp.txt").write_text(f"{due + late:%Y-%m-%d %H:%M:%S.%f} UTC")
    batch.grade(batch.Options("toy", subs, course, jobs=2, quiet=True))
    return course


def export(course, *args):
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", *args, "--log-level=ERROR"],
        cwd=course,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_canvas_layout_with_points_possible_and_late_penalty(course):
    export(course, "--exporter=grader.export.LmsCsvExportPlugin", "--to", "lms.csv")
    with open(course / "lms.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3"]
    assert rows[2:] == [
        ["Lee, Ann", "", "ann", "ann", "", "3"],
        ["cat", "", "cat", "cat", "", "2.4"],  # two started days late: 20 % off
        ["dan", "", "dan", "dan", "", "0"],  # nothing submitted
    ]


def test_moodle_layout_has_one_row_per_student(course):
    export(
        course, "--exporter=grader.export.LmsCsvExportPlugin", "--LmsCsvExportPlugin.points_possible_row=False",
        "--to", "moodle.csv",
    )  # fmt: skip
    with open(course / "moodle.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["SIS User ID"]: r["toy"] for r in rows} == {"ann": "3", "cat": "2.4", "dan": "0"}


def test_nbgrader_s_own_export_still_works_and_agrees(course):
    export(course, "--to", "grades.csv")
    with open(course / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["cat"]["raw_score"]) == 3 and float(rows["cat"]["late_submission_penalty"]) == pytest.approx(0.6)
    assert float(rows["cat"]["score"]) == pytest.approx(2.4) and float(rows["dan"]["score"]) == 0
