"""The batch grader on the course's real nbgrader assignment (backprop): the
reference solution scores 100, the blank release 0, a buggy answer that also
monkeypatches numpy and the course's grading helpers gets no extra credit, and
the feedback never contains the hidden tests. The output is a complete nbgrader record:
submission timestamps in the gradebook and the export, feedback that ``nbgrader
release_feedback`` can release and students can read."""

from __future__ import annotations

import copy
import csv
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader import batch as batch_grade
from grader.limits import Limits

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "assignments" / "source" / "backprop" / "backprop.ipynb"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

pytestmark = [
    pytest.mark.slow,  # grades the real assignment with the batch grader
    pytest.mark.skipif(
        not SOURCE.exists() or not sys.platform.startswith("linux"), reason="needs the backprop assignment and Linux"
    ),
]


def _release(nb):
    """What students get: solutions replaced by the stub, hidden tests removed."""
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        c.source = re.sub(
            r"(?m)^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[^\n]*",
            lambda m: "\n".join(m.group(1) + line for line in STUB.splitlines()),
            c.source,
            flags=re.S,
        )
        c.source = re.sub(
            r"(?m)^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*\n?", "", c.source, flags=re.S
        )
    return nb


def _reference(nb):
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution"):
            c.source = "\n".join(
                l for l in c.source.splitlines() if "### BEGIN SOLUTION" not in l and "### END SOLUTION" not in l
            )
        elif meta.get("grade"):
            c.source = _release(nbformat.v4.new_notebook(cells=[copy.deepcopy(c)])).cells[0].source
    return nb


def test_real_assignment(tmp_path):
    course = tmp_path / "course"
    (course / "source" / "backprop").mkdir(parents=True)
    shutil.copy(SOURCE, course / "source" / "backprop")
    source = nbformat.read(SOURCE, as_version=4)
    ref, blank = _reference(source), _release(source)
    cheat = copy.deepcopy(ref)
    for c in cheat.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_forward":
            c.source = (
                "def relu_forward(x):\n    return x.copy(), x\n"
                "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                "import course_utils.grading as g\ng.check_close = lambda *a, **k: None\n"
            )
    subs = tmp_path / "subs"  # nbgrader's submitted/ layout, with what `nbgrader collect` leaves there
    stamps = {
        "reference": "2026-11-20 10:00:00.000000 UTC",
        "blank": "2026-11-21 11:30:00.000000 UTC",
        "cheat": "2026-11-22 12:00:00.000000 UTC",
    }
    for name, nb in (("reference", ref), ("blank", blank), ("cheat", cheat)):
        (subs / name / "backprop").mkdir(parents=True)
        nbformat.write(nb, subs / name / "backprop" / "backprop.ipynb")
        (subs / name / "backprop" / "timestamp.txt").write_text(stamps[name])
        (subs / name / "backprop" / "submission_secret.txt").write_text(f"secret-of-{name}")
    limits = Limits(cell_timeout=120, notebook_timeout=400)
    res = {
        r["student"]: r
        for r in batch_grade.grade(batch_grade.Options("backprop", subs, course, jobs=2, limits=limits, quiet=True))
    }
    assert res["reference"]["score"] == res["reference"]["max_score"] == 100, res["reference"]
    assert res["blank"]["score"] == 0
    assert res["cheat"]["scores"]["test_relu_forward"] == 0
    assert res["cheat"]["score"] < 100
    hidden = [
        m.group(0)
        for c in source.cells
        for m in re.finditer(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", c.source, flags=re.S)
    ]
    public = "\n".join(c.source for c in _release(source).cells)
    secret_lines = {
        l.strip() for h in hidden for l in h.splitlines()[1:-1] if len(l.strip()) > 25 and l.strip() not in public
    }
    assert secret_lines
    for name in res:
        page = (course / "feedback" / name / "backprop" / "backprop.html").read_text()
        leaked = [l for l in secret_lines if l in page or l.replace("'", "&#x27;").replace('"', "&quot;") in page]
        assert not leaked, (name, leaked[:3])

    # a complete nbgrader record: releasable feedback, timestamps, a private gradebook
    assert stat.S_IMODE(os.stat(course / "gradebook.db").st_mode) == 0o600
    for name in res:
        folder = course / "feedback" / name / "backprop"
        assert stat.S_IMODE(os.stat(folder / "backprop.html").st_mode) == 0o644
        assert stat.S_IMODE(os.stat(folder).st_mode) == stat.S_IMODE(os.stat(folder.parent).st_mode) == 0o755
        assert (folder / "timestamp.txt").read_text() == stamps[name]
        assert (folder / "submission_secret.txt").read_text() == f"secret-of-{name}"
        assert stat.S_IMODE(os.stat(folder / "submission_secret.txt").st_mode) == 0o600
    (tmp_path / "exchange").mkdir()
    nbgrader = [sys.executable, "-m", "nbgrader"]
    flags = ["--CourseDirectory.course_id=nn-course", f"--Exchange.root={tmp_path / 'exchange'}"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for cmd in (["export", "--to", "grades.csv"], ["release_feedback", "backprop"]):
        done = subprocess.run(nbgrader + cmd + flags, cwd=course, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    with open(course / "grades.csv", newline="") as fh:
        exported = {row["student_id"]: row for row in csv.DictReader(fh)}
    for name, when in stamps.items():
        assert exported[name]["timestamp"].startswith(when[:19]), exported[name]
    released = sorted((tmp_path / "exchange" / "nn-course" / "feedback").glob("*.html"))
    assert len(released) == 3 and all(stat.S_IMODE(os.stat(p).st_mode) & 0o044 == 0o044 for p in released)
