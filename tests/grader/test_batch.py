"""The batch grader (grader) on a class of honest, broken and
hostile submissions: every one gets a clear outcome, none gets credit it did
not earn, the batch never stops, nothing is left running, and a re-run (also
after kill -9) grades only what changed.

The submissions are built by tests/grader/data/fixture.py against a tiny
nbgrader assignment ("toy": sigmoid worth 2 points with a hidden test, relu
worth 1). Bombs are bounded and limits are small so the whole file stays fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data"))
import fixture  # noqa: E402
from fixture import GOOD  # noqa: E402

from grader import batch as batch_grade  # noqa: E402
from grader import rundir  # noqa: E402
from grader.limits import Limits  # noqa: E402

pytestmark = [
    pytest.mark.slow,  # every test here runs the whole batch grader (nbgrader, the zygote, sandboxes)
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the batch grader needs Linux"),
    # the "duplicated_ids" submission copies a cell, id and all; nbformat warns while reading it, as it should
    pytest.mark.filterwarnings("ignore:Non-unique cell id"),
]

ROOT = Path(__file__).resolve().parents[2]
# The memory cases touch memory_mb of pages before the MemoryError (0.3 s idle); a CI machine
# under load once took over 3 s for 768 MiB, so the cell limit leaves a wide margin over that work.
LIMITS = Limits(cell_timeout=6, notebook_timeout=20, memory_mb=512, nproc=16, interrupt_grace=1, output_chars=20_000)
BUGGY_SIGMOID = "def sigmoid(x):\n    return np.zeros_like(np.asarray(x, dtype=float))"
HALF_SIGMOID = "def sigmoid(x):\n    return np.full(np.shape(x), 0.5)"  # passes the visible test only


def _del_cell(gid):
    def tamper(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != gid]

    return tamper


def _edit_cell(gid, source):
    def tamper(nb):
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") == gid:
                c.source = source

    return tamper


def _dup_cell(gid, points):
    def tamper(nb):
        import copy

        i = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
        dup = copy.deepcopy(nb.cells[i])
        dup.source = "pass"
        dup.metadata["nbgrader"]["points"] = points
        nb.cells.insert(i + 1, dup)

    return tamper


def _points(gid, points):
    def tamper(nb):
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") == gid:
                c.metadata["nbgrader"]["points"] = points

    return tamper


def cheat(sigmoid, extra=None, after="setup"):
    """A submission with a correct relu (1 point) and the given sigmoid answer."""
    return {"answers": {"sigmoid": sigmoid, "relu": GOOD["relu"]}, "extra": [(after, extra)] if extra else ()}


FORK_BOMB = """import os, time
kids = 0
for i in range(64):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    kids += 1
print("forked", kids)"""


def hostile_reads(course, subs):
    paths = [
        course / "source" / "toy" / "toy.ipynb",
        course / "gradebook.db",
        ROOT / ".git" / "HEAD",
        subs / "reference" / "toy" / "toy.ipynb",
        Path("/etc/shadow"),
    ]
    return (
        "results = {}\nfor p in %r:\n    try:\n        results[p] = open(p, 'rb').read(64)\n"
        "        print('READ', p)\n    except Exception as e:\n        print('blocked', p, type(e).__name__)\n"
        % [str(p) for p in paths]
    )


def hostile_writes(course):
    targets = [
        course / "gradebook.db",
        course / "autograded" / "evil.txt",
        course / "evil.txt",
        course / "batch_grade" / "toy" / "results" / "evil.json",
    ]
    return (
        "for p in %r:\n    try:\n        open(p, 'ab').write(b'x')\n        print('WROTE', p)\n"
        "    except Exception as e:\n        print('blocked', p, type(e).__name__)\n" % [str(p) for p in targets]
    )


# student -> (submission spec, expected status, expected score out of 3)
def cases(course: Path, subs: Path):
    good_bytes = nbformat.writes(fixture.student_notebook(GOOD)).encode()
    return {
        # honest
        "reference": ({"answers": GOOD}, "graded", 3),
        "blank": ({}, "graded", 0),
        "mutant_sigmoid": (cheat(BUGGY_SIGMOID), "graded", 1),
        "mutant_hidden": (cheat(HALF_SIGMOID), "graded", 1),
        # malformed
        "not_json": (b"this is not json", "invalid", 0),
        "truncated_json": (good_bytes[: len(good_bytes) // 2], "invalid", 0),
        "json_not_notebook": (b'{"name": "alice", "answers": [1, 2]}', "invalid", 0),
        "wrong_name": (("RENAMED", {"answers": GOOD}), "wrong_name", 0),
        "missing_notebook": ("MISSING", "missing", 0),
        "empty_notebook": (nbformat.v4.new_notebook(), "empty", 0),
        "nbformat3": (fixture.nbformat3_notebook(), "graded", 3),
        # broken code
        "syntax_error": (cheat("def sigmoid(x)\n    return x"), "graded", 1),
        "import_error": (cheat("import no_such_module_xyz\n" + GOOD["sigmoid"]), "graded", 1),
        "infinite_loop": (cheat("while True:\n    pass"), "timeout", 1),
        "unstoppable_loop": (
            cheat(
                "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
            ),
            "timeout",
            0,
        ),
        "recursion_error": (cheat(GOOD["sigmoid"], "def f(n):\n    return f(n + 1)\nf(0)"), "graded", 3),
        # Python 3.11 recursion does not use the C stack: a deep one just runs out of time
        "recursion_bomb": (
            cheat("import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)"),
            "timeout",
            0,
        ),
        "huge_allocation": (cheat(GOOD["sigmoid"], "big = np.ones((10**6, 10**6))"), "graded", 3),
        "memory_growth": (
            cheat(GOOD["sigmoid"], "hog = []\nwhile True:\n    hog.append(bytearray(10**7))"),
            "graded",
            3,
        ),
        "fork_bomb": (cheat(GOOD["sigmoid"], FORK_BOMB), "graded", 3),
        "huge_output": (cheat(GOOD["sigmoid"], "for i in range(300000):\n    print('spam ' * 20)"), "graded", 3),
        "sys_exit": (cheat(GOOD["sigmoid"], "import sys\nsys.exit(1)"), "graded", 3),
        "os_exit": (cheat(GOOD["sigmoid"], "import os\nos._exit(3)"), "crashed", 0),
        # tampering
        "deleted_test": (
            {"answers": {"sigmoid": BUGGY_SIGMOID, "relu": GOOD["relu"]}, "tamper": _del_cell("test_sigmoid")},
            "tampered",
            1,
        ),
        "edited_test": (
            {"answers": {"sigmoid": BUGGY_SIGMOID, "relu": GOOD["relu"]}, "tamper": _edit_cell("test_sigmoid", "pass")},
            "tampered",
            1,
        ),
        "duplicated_ids": (
            {"answers": {"sigmoid": BUGGY_SIGMOID, "relu": GOOD["relu"]}, "tamper": _dup_cell("test_relu", 100)},
            "tampered",
            1,
        ),
        "changed_points": ({"answers": GOOD, "tamper": _points("test_relu", 100)}, "tampered", 3),
        # cheating
        "patch_numpy": (
            cheat(BUGGY_SIGMOID, "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True"),
            "graded",
            1,
        ),
        "patch_builtins": (
            cheat(
                BUGGY_SIGMOID,
                "import builtins\n"
                "builtins.AssertionError = type('Nope', (Exception,), {})\n"
                "builtins.all = lambda *a: True\nbuiltins.abs = lambda x: 0",
            ),
            "graded",
            1,
        ),
        # rebinding builtins.isinstance breaks the student's own process (json, IPython): it dies
        "patch_builtins_isinstance": (
            cheat(BUGGY_SIGMOID, "import builtins\nbuiltins.isinstance = lambda *a: True"),
            "crashed",
            0,
        ),
        # rebinding builtins.type in the student's process changes nothing the checker sees: it is
        # graded like mutant_sigmoid, the same code unpatched (1 point, for its correct relu).
        # (Until the array codec stopped using np.save, whose header code calls type(), the patch
        # also broke the student's own answers on the way out, and it scored 0.)
        "patch_builtins_type": (
            cheat(BUGGY_SIGMOID, "import builtins\nbuiltins.type = lambda *a: np.ndarray"),
            "graded",
            1,
        ),
        "patch_grading_helpers": (
            cheat(
                BUGGY_SIGMOID,
                "import course_utils.grading as g\n"
                "g.check_close = lambda *a, **k: None\n"
                "g.call = lambda fn, *a, **k: fn(*a)",
            ),
            "graded",
            1,
        ),
        "lying_eq": (
            cheat(
                "class Liar:\n    def __eq__(self, other):\n        return True\n"
                "    __ne__ = lambda self, other: False\n    def __bool__(self):\n        return True\n"
                "    def __getitem__(self, i):\n        return 0.5\n"
                "def sigmoid(x):\n    return Liar()"
            ),
            "graded",
            1,
        ),
        "ndarray_subclass": (
            cheat(
                "class Lie(np.ndarray):\n    def __eq__(self, other):\n"
                "        return np.ones(self.shape, bool)\n"
                "def sigmoid(x):\n    return np.zeros(3).view(Lie)"
            ),
            "graded",
            1,
        ),
        "torch_tensor": (
            cheat(
                "import sys\n_t = sys.modules['to' + 'rch']\n"
                "def sigmoid(x):\n    return _t.sigmoid(_t.as_tensor(x, dtype=_t.float64))"
            ),
            "graded",
            1,
        ),
        "torch_autograd": (
            cheat(
                "import torch\ndef sigmoid(x):\n    t = torch.tensor(x, requires_grad=True)\n"
                "    return torch.sigmoid(t).detach().numpy()"
            ),
            "forbidden",
            0,
        ),
        "frame_peeking": (
            cheat(
                "import inspect\ndef sigmoid(x):\n    f = inspect.currentframe().f_back\n"
                "    while f is not None:\n        if 'SECRET_EXPECTED' in f.f_globals:\n"
                "            return f.f_globals['SECRET_EXPECTED']\n        f = f.f_back\n"
                "    return np.zeros(3)"
            ),
            "graded",
            1,
        ),
        "reads_secrets": (cheat(BUGGY_SIGMOID, hostile_reads(course, subs)), "graded", 1),
        "writes_gradebook": (cheat(BUGGY_SIGMOID, hostile_writes(course)), "graded", 1),
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch")
    course = fixture.make_course(tmp / "course")
    subs = tmp / "subs"
    expected = cases(course, subs)
    for student, (spec, _, _) in expected.items():
        fixture.write_submission(subs, student, spec)
    opts = batch_grade.Options("toy", subs, course, jobs=2, limits=LIMITS, quiet=True)
    start = time.monotonic()
    results = {r["student"]: r for r in batch_grade.grade(opts)}
    return {
        "course": course,
        "subs": subs,
        "expected": expected,
        "results": results,
        "opts": opts,
        "seconds": time.monotonic() - start,
    }


def _outputs(course, student):
    nb = json.loads((course / "autograded" / student / "toy" / "toy.ipynb").read_text())
    text = lambda v: "".join(v) if isinstance(v, list) else v  # noqa: E731
    return "".join(text(o.get("text", "")) + o.get("evalue", "") for c in nb["cells"] for o in c.get("outputs", []))


def test_every_submission_has_a_result(batch):
    assert set(batch["results"]) == set(batch["expected"])
    csv_text = (batch["course"] / "batch_grade" / "toy" / "grades.csv").read_text()
    assert len(csv_text.strip().splitlines()) == len(batch["expected"]) + 1


@pytest.mark.parametrize("student", list(cases(Path("/x"), Path("/y"))))
def test_outcome(batch, student):
    _, status, score = batch["expected"][student]
    res = batch["results"][student]
    assert (res["status"], res["score"]) == (status, score), json.dumps(res, indent=1)[:3000]
    assert res["max_score"] == 3
    if status not in ("graded",):
        assert res["reason"], "every non-graded outcome says why"


def test_limits_held(batch):
    course = batch["course"]
    out = _outputs(course, "fork_bomb")
    kids = int(out.split("forked")[1].split()[0])
    assert kids < LIMITS.nproc, out
    assert "MemoryError" in _outputs(course, "huge_allocation")
    assert "MemoryError" in _outputs(course, "memory_growth")
    assert len(_outputs(course, "huge_output")) < 3 * LIMITS.output_chars
    assert "time limit" in batch["results"]["infinite_loop"]["reason"]
    assert "time limit" in batch["results"]["recursion_bomb"]["reason"]
    assert "os._exit" in batch["results"]["os_exit"]["reason"]


def test_no_stray_processes(batch):
    left = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"batch_grade_worker" in cmd:
                left.append(entry)
    assert not left, f"processes left behind: {left}"


def test_secrets_unreadable_and_folders_unwritable(batch):
    course = batch["course"]
    reads = _outputs(course, "reads_secrets")
    writes = _outputs(course, "writes_gradebook")
    assert "READ" not in reads and reads.count("blocked") == 5, reads
    assert "WROTE" not in writes and writes.count("blocked") == 4, writes
    assert not (course / "evil.txt").exists() and not (course / "autograded" / "evil.txt").exists()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_submission("toy", "reference").score == 3
        assert gb.find_submission("toy", "writes_gradebook").score == 1


def test_feedback_never_shows_hidden_tests(batch):
    course = batch["course"]
    for student in batch["expected"]:
        page = (course / "feedback" / student / "toy" / "toy.html").read_text()
        assert "SECRET_EXPECTED = 1.0" not in page and "hidden: values wrong" not in page, student
    page = (course / "feedback" / "mutant_hidden" / "toy" / "toy.html").read_text()
    assert "a hidden test failed (AssertionError)" in page
    assert "1 / 3" in page


def test_rerun_grades_only_what_changed(batch):
    opts = batch["opts"]
    before = {s: r["graded_at"] for s, r in batch["results"].items()}
    fixture.write_submission(batch["subs"], "blank", {"answers": GOOD})  # blank resubmits the right answer
    again = {r["student"]: r for r in batch_grade.grade(opts)}
    changed = {s for s, r in again.items() if r["graded_at"] != before[s]}
    assert changed == {"blank"}
    assert again["blank"]["score"] == 3


def test_kill_minus_9_loses_nothing(tmp_path):
    course = fixture.make_course(tmp_path / "course")
    subs = tmp_path / "subs"
    slow = GOOD["sigmoid"] + "\nimport time\ntime.sleep(1.0)"
    for i in range(8):
        fixture.write_submission(subs, f"s{i}", {"answers": {"sigmoid": slow, "relu": GOOD["relu"]}})
    results = course / "batch_grade" / "toy" / "results"
    cmd = [
        sys.executable,
        "-m",
        "grader",
        "toy",
        str(subs),
        "--course",
        str(course),
        "--jobs",
        "2",
        "--cell-timeout",
        "10",
        "--notebook-timeout",
        "30",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = {p.stem: json.loads(p.read_text()) for p in results.glob("*.json")}
    assert 2 <= len(first) < 8
    left_behind = list(Path(tempfile.gettempdir()).glob(f"{rundir.PREFIX}{proc.pid}-*"))
    assert len(left_behind) == 1, "the killed run's temporary folder is not where this test expects it"
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert not left_behind[0].exists(), "the next run did not remove the killed run's temporary folder"
    final = {p.stem: json.loads(p.read_text()) for p in results.glob("*.json")}
    assert len(final) == 8 and all(r["score"] == 3 for r in final.values())
    for student, res in first.items():
        assert final[student]["graded_at"] == res["graded_at"], "a recorded grade was redone"
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert sorted(s.student.id for s in gb.find_assignment("toy").submissions) == [f"s{i}" for i in range(8)]


def test_zip_and_flat_layouts(tmp_path):
    import zipfile

    course = fixture.make_course(tmp_path / "course")
    flat = tmp_path / "flat"
    flat.mkdir()
    nbformat.write(fixture.student_notebook(GOOD), flat / "ann.ipynb")
    nbformat.write(fixture.student_notebook({}), flat / "bob.ipynb")
    zpath = tmp_path / "class.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in flat.iterdir():
            zf.write(p, p.name)
        zf.writestr("../evil.ipynb", "{}")
    res = batch_grade.grade(
        batch_grade.Options("toy", zpath, course, jobs=2, limits=LIMITS, quiet=True, gradebook=False)
    )
    assert {(r["student"], r["score"]) for r in res} == {("ann", 3), ("bob", 0)}
    assert not (tmp_path / "evil.ipynb").exists()


def test_the_pool_runs_under_bubblewrap_or_says_why_not(tmp_path, capsys):
    """With bubblewrap (installed here and in CI) the "enforced:" line names it; with
    --no-bubblewrap the class is graded the same and the line says what is missing."""
    from grader.bubblewrap import find_bwrap

    course = fixture.make_course(tmp_path / "course")
    subs = tmp_path / "subs"
    fixture.write_submission(subs, "ann", {"answers": GOOD})
    fixture.write_submission(subs, "bob", {})
    scores = {}
    for wrapped in (True, False):
        res = batch_grade.grade(
            batch_grade.Options(
                "toy", subs, course, jobs=2, limits=LIMITS, gradebook=False, force=True, bubblewrap=wrapped
            )
        )
        scores[wrapped] = {(r["student"], r["score"], r["status"]) for r in res}
        enforced = next(line for line in capsys.readouterr().out.splitlines() if "enforced:" in line)
        if not wrapped:
            assert "not enforced:" in enforced and "bubblewrap (--no-bubblewrap)" in enforced, enforced
        elif find_bwrap()[0] is not None:
            assert "bubblewrap (read-only file system" in enforced, enforced
        else:
            assert "not enforced:" in enforced and "bubblewrap (" in enforced, enforced
    assert scores[True] == scores[False] == {("ann", 3, "graded"), ("bob", 0, "graded")}


def test_a_late_submission_is_penalised_in_the_gradebook_and_grades_csv(tmp_path, monkeypatch):
    """Due date in the gradebook, nbgrader's timestamp.txt in each submission: the batch grader
    records the course's late penalty (10 % per started day after 5 minutes) as nbgrader does."""
    import csv
    import datetime as dt

    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")  # nbgrader runs alembic
    course = fixture.make_course(tmp_path / "course")
    due = dt.datetime(2026, 11, 1, 12, 0, 0)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment("toy", duedate=due)
    subs = tmp_path / "subs"
    for student, late in (("ann", dt.timedelta(minutes=-1)), ("cat", dt.timedelta(days=1, hours=2))):
        fixture.write_submission(subs, student, {"answers": GOOD})
        (subs / student / "toy" / "timestamp.txt").write_text(f"{due + late:%Y-%m-%d %H:%M:%S.%f} UTC")
    batch_grade.grade(batch_grade.Options("toy", subs, course, jobs=2, limits=LIMITS, quiet=True))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        ann, cat = (gb.find_submission("toy", s) for s in ("ann", "cat"))
        assert ann.total_seconds_late == 0 and ann.late_submission_penalty == 0 and ann.score == 3
        # graded automatically: formgrader must not list them as waiting for a manual grade
        assert not ann.needs_manual_grade and not cat.needs_manual_grade
        assert cat.total_seconds_late == 26 * 3600
        assert cat.late_submission_penalty == pytest.approx(0.6)  # two started days: 20 % of 3
    with open(course / "batch_grade" / "toy" / "grades.csv", newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert (rows["ann"]["score"], rows["ann"]["late_penalty"]) == ("3", "0")
    assert (rows["cat"]["score"], rows["cat"]["late_penalty"]) == ("2.4", "0.6")
    # the students see it on their feedback page; regrading rewrites the line, never adds one
    pages = {s: course / "feedback" / s / "toy" / "toy.html" for s in ("ann", "cat")}
    assert "Submitted after the due date" not in pages["ann"].read_text()
    assert "late penalty &minus;0.6 points, score after the penalty 2.4 / 3" in pages["cat"].read_text()
    batch_grade.grade(batch_grade.Options("toy", subs, course, jobs=2, limits=LIMITS, quiet=True))
    assert pages["cat"].read_text().count("late penalty &minus;") == 1
