"""A whole class, as the docs tell it, with real and separate Linux users (needs root).

One instructor and two students, each a new non-root user with a home of their own, work
through the documented cycle of ``assignments/README.md`` and ``GRADING.md`` with the same
commands the docs give:

* the administrator (root) installs the course environment for all users
  (``make shared-env``: the system's Python, readable by everyone; this checkout's Python
  lives under ``/root``, which other users cannot read) and creates the exchange and the
  students' config (``assignments/setup_exchange.sh``);
* the instructor, in a copy of the course, generates and releases ``backprop``;
* alice fetches it, validates and submits it blank (validation fails, exit 1), then fixes it,
  validates (exit 0) and submits again: the last submission must count;
* the deadline passes; bob fetches and submits a solution with a bug that only a hidden
  test catches: late;
* bob tries to tamper with the exchange: list, read, rename and delete alice's submission,
  rename the course folder, and submit in alice's name; all of it fails or is ignored;
* bob forges two submissions in alice's name: ``nbgrader submit --student=nnc-alice`` (refused by
  the course's submit step), the same with nbgrader's own submit step, and a hand-made folder
  with a later timestamp; ``collect`` logs each with its owner, the student it claims and its
  timestamp, and bob's ``fetch_feedback`` never shows them;
* the instructor grades with ``make grade-nbgrader ... GRADE_ARGS=--collect`` (nbgrader's
  pipeline, ``assignments/grade.sh --collect``), exports for Canvas and releases the feedback;
  both students fetch it; then collects and grades again with ``make grade`` (the batch grader)
  and releases and fetches once more.

The instructor's course is a clone in an ordinary home: the home 0755, the checkout's folders
0755 and files 0644, as ``git clone`` makes them in a Debian home. Before each documented
command that may write in the course folder, the folder and the grade files get those modes
back; after it, bob (a second real user) must fail to list the folder and to read the source,
every submission, autograded notebook and feedback page in it, the gradebook and every export,
and the exports must be 0600. Each student can still read their own feedback, fetched from
the exchange.

It asserts the scores (alice 100 from her resubmission, bob less), lateness, that no
feedback anyone produced or fetched shows a hidden test (marker, line, or the word
``torch``), that the feedback was fetched by its student, the tampering results, the
gradebook's mode (0600), the exported timestamps, and that a student's ``course-lab``
starts JupyterLab in the student's role. The users, their homes and the
exchange are removed afterwards, also when the test fails. The course environment is kept in
``$COURSE_SHARED_ENV`` (default ``/opt/nn-course-test``) and reused by later runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import grp
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from privacy_probe import grade_files, loose_grade_files, probe_command, secret_files
from test_nbgrader_course import Mutant, apply_mutant, solution_sources, submission

from grader.feedback import find_leaks, html_text, secret_lines
from grader.privacy import GENERATED

ROOT = Path(__file__).resolve().parents[2]
SHARED_ENV = Path(os.environ.get("COURSE_SHARED_ENV", "/opt/nn-course-test"))
ASSIGNMENT = "backprop"
INSTRUCTOR, ALICE, BOB = "nnc-teacher", "nnc-alice", "nnc-bob"
USERS = (INSTRUCTOR, ALICE, BOB)
# right on the visible 2x4 example, wrong on the hidden tests' other shapes
BOB_MUTANT = Mutant(
    "relu_mask_only_for_two_rows",
    "relu_backward",
    (("dx = dout * (x > 0)", "dx = dout * (x > 0) if x.shape[0] == 2 else dout"),),
    ("test_relu_backward",),
)
CHECKOUT_FILES = (
    "Makefile",
    "pyproject.toml",
    "README.md",
    "requirements",
    "course_utils",
    "grader",
    "classroom",
    "assignments",
    "lab",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform != "linux" or os.geteuid() != 0, reason="creates Linux users: run as root (CI does)"
    ),
    pytest.mark.skipif(not shutil.which("useradd") or not shutil.which("runuser"), reason="needs useradd and runuser"),
]


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1200, **kw)


def remove_users():
    for user in USERS:
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        run(["pkill", "-KILL", "-u", user])
        for _ in range(10):  # retried while another tool holds /etc/passwd's lock
            if run(["userdel", "--remove", user]).returncode == 0:
                break
            time.sleep(1)
        try:
            grp.getgrnam(user)
            run(["groupdel", user])
        except KeyError:
            pass


class Class:
    """The class's machine: users, their homes, the exchange; commands run as a user."""

    def __init__(self, base: Path):
        self.base = base
        self.exchange = base / "exchange"
        self.checkout = base / "home" / INSTRUCTOR / "course"
        self.log: list[str] = []

    def home(self, user: str) -> Path:
        return self.base / "home" / user

    def as_user(
        self, user: str, command: str, cwd: Path | None = None, check: bool = True, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        """``command`` in bash as ``user``, in a login-like environment with the course
        environment on PATH (``source .../bin/activate``, as the docs say)."""
        home = self.home(user)
        environment = {
            "HOME": str(home),
            "USER": user,
            "LOGNAME": user,
            "LANG": "C.UTF-8",
            "PATH": f"{SHARED_ENV}/bin:/usr/local/bin:/usr/bin:/bin",
            "VIRTUAL_ENV": str(SHARED_ENV),
            **(env or {}),
        }
        cmd = [
            "runuser",
            "-u",
            user,
            "--",
            "env",
            "-i",
            *(f"{k}={v}" for k, v in environment.items()),
            "bash",
            "-c",
            command,
        ]
        done = run(cmd, cwd=cwd or home)
        self.log.append(f"[{user}] $ {command}  -> exit {done.returncode}")
        if check:
            assert done.returncode == 0, (
                f"{user}: {command!r} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def instructor(self, command: str, check: bool = True, where: str = "assignments"):
        return self.as_user(
            INSTRUCTOR,
            command,
            cwd=self.checkout / where if where else self.checkout,
            check=check,
            env={"NBGRADER_EXCHANGE": str(self.exchange)},
        )

    @property
    def course(self) -> Path:
        return self.checkout / "assignments"

    def as_cloned(self) -> None:
        """The course folder and the grade files with a clone's ordinary modes again (0755, 0644),
        as before an instructor's command that must make them private by itself."""
        os.chmod(self.course, 0o755)
        for path in grade_files(self.course):
            os.chmod(path, 0o644)

    def assert_private(self, after: str) -> None:
        """After ``after``: bob can neither list the course folder nor read anything secret in it
        (the source, every file under submitted/, autograded/, feedback/ and batch_grade/, the
        gradebook and every export), and every grade file is 0600."""
        secret = secret_files(self.course, ASSIGNMENT)
        done = self.as_user(BOB, probe_command(self.course, secret))
        assert done.stdout == "", f"after {after}, bob could:\n{done.stdout[:3000]}"
        loose = loose_grade_files(self.course)
        assert not loose, f"after {after}, grade files readable by others: {loose}"
        self.log.append(f"after {after}: bob read none of {len(secret)} secret files; grade files 0600")

    def write_notebook(self, user: str, nb, path: Path) -> None:
        """Save ``nb`` at ``path`` as ``user`` would (owned by them)."""
        nbformat.write(nb, path)
        pw = pwd.getpwnam(user)
        os.chown(path, pw.pw_uid, pw.pw_gid)


@pytest.fixture(scope="module")
def klass():
    remove_users()  # leftovers of an interrupted run
    base = Path(tempfile.mkdtemp(prefix="nn-class-", dir="/tmp"))
    os.chmod(base, 0o755)
    (base / "home").mkdir(mode=0o755)
    k = Class(base)
    try:
        for user in USERS:
            home = ["--create-home", "--home-dir", str(k.home(user))]
            for _ in range(10):  # .ci/run's hub test may hold /etc/passwd's lock for a moment
                done = run(["useradd", *home, "--user-group", "--shell", "/bin/bash", user])
                if done.returncode == 0 or "lock" not in done.stderr:
                    break
                time.sleep(1)
            assert done.returncode == 0, done.stderr
            # the students keep their work to themselves; the instructor's home is Debian's default
            os.chmod(k.home(user), 0o755 if user == INSTRUCTOR else 0o700)
        # the instructor's copy of the course (a clone, in real life)
        k.checkout.mkdir()
        for name in CHECKOUT_FILES:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, k.checkout / name, ignore=shutil.ignore_patterns(*GENERATED))
            else:
                shutil.copy2(src, k.checkout / name)
        pw = pwd.getpwnam(INSTRUCTOR)
        for folder, _dirs, files in os.walk(k.checkout):  # a clone's owner and modes
            os.lchown(folder, pw.pw_uid, pw.pw_gid)
            os.chmod(folder, 0o755)
            for name in files:
                path = os.path.join(folder, name)
                os.lchown(path, pw.pw_uid, pw.pw_gid)
                if not os.path.islink(path):
                    os.chmod(path, 0o755 if os.stat(path).st_mode & 0o100 else 0o644)
        # the administrator: the course environment for all users, the exchange, the students' config
        k.as_cloned()
        done = run(["make", "-C", str(k.checkout), "shared-env", f"COURSE_ENV={SHARED_ENV}"])
        assert done.returncode == 0, f"make shared-env failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        k.assert_private("make shared-env")
        k.as_cloned()
        done = run(
            [
                "bash",
                str(k.checkout / "assignments" / "setup_exchange.sh"),
                "--config",
                str(SHARED_ENV / "etc" / "jupyter" / "nbgrader_config.py"),
            ],
            env=dict(os.environ, NBGRADER_EXCHANGE=str(k.exchange), PYTHON=str(SHARED_ENV / "bin" / "python")),
        )
        assert done.returncode == 0, done.stderr
        k.assert_private("setup_exchange.sh")
        yield k
    finally:
        remove_users()
        shutil.rmtree(base, ignore_errors=True)
        config = SHARED_ENV / "etc" / "jupyter" / "nbgrader_config.py"
        if config.is_file():
            config.unlink()
        print("\n".join(k.log))


def submissions_in_inbound(k: Class, student: str) -> list[Path]:
    """The student's own submissions in inbound/ (named after them and owned by them), oldest first."""
    inbound = k.exchange / "nn-course" / "inbound"
    return sorted(
        p
        for p in inbound.iterdir()
        if p.name.startswith(f"{student}+{ASSIGNMENT}+") and pwd.getpwuid(p.stat().st_uid).pw_name == student
    )


def fetched_feedback(k: Class, student: str) -> list[Path]:
    return sorted((k.home(student) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))


def assert_no_hidden_test(pages: list[Path], secrets: set[str]) -> None:
    assert pages, "no feedback page to check"
    for page in pages:
        html = page.read_text()
        leaks = find_leaks(html, secrets)
        assert not leaks, f"{page} shows hidden tests: {leaks[:3]}"
        assert "torch" not in html_text(html), f"{page} mentions torch (hidden-test code)"


def scores(k: Class) -> dict[str, float]:
    k.instructor("nbgrader export --to grades.csv")
    with open(k.checkout / "assignments" / "grades.csv", newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh) if row["assignment"] == ASSIGNMENT}


def test_the_documented_class_cycle(klass):
    k = klass
    source = k.checkout / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    secrets = secret_lines(nbformat.read(source, as_version=4))
    reference = solution_sources(source)

    # -- the exchange as set up: sticky, world-writable root; the students' config in the environment
    assert stat.S_IMODE(os.stat(k.exchange).st_mode) == 0o1777

    # -- a student's JupyterLab on the class server (README: "Student"): the student's role
    shown = k.as_user(ALICE, "course-lab --show-config")
    assert f"{SHARED_ENV}/lab/student/jupyter_server_config.json" in shown.stdout + shown.stderr, shown.stdout[-2000:]

    # -- instructor: generate and release (README, "Instructor: release an assignment")
    k.as_cloned()
    k.instructor(f"nbgrader generate_assignment {ASSIGNMENT}")
    k.assert_private("nbgrader generate_assignment")
    k.instructor(f'nbgrader db assignment add {ASSIGNMENT} --duedate="2099-12-31 23:59:59 UTC"')
    k.as_cloned()
    k.instructor(f"nbgrader release_assignment {ASSIGNMENT}")
    k.assert_private("nbgrader release_assignment")
    inbound = k.exchange / "nn-course" / "inbound"
    assert stat.S_IMODE(os.stat(inbound).st_mode) & 0o1000, "inbound/ must have the sticky bit"

    # -- alice: fetch, validate and submit the blank release, then a fixed version
    k.as_user(ALICE, f"nbgrader fetch_assignment {ASSIGNMENT}")
    mine = k.home(ALICE) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    release = nbformat.read(mine, as_version=4)
    failed = k.as_user(ALICE, f"python -m classroom.validate {ASSIGNMENT}/{ASSIGNMENT}.ipynb", check=False)
    assert failed.returncode == 1, f"validating the blank release must fail:\n{failed.stdout[-2000:]}"
    k.as_user(ALICE, f"nbgrader submit {ASSIGNMENT}")
    k.write_notebook(ALICE, submission(release, reference), mine)
    k.as_user(ALICE, f"python -m classroom.validate {ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    k.as_user(ALICE, f"nbgrader submit {ASSIGNMENT}")
    assert len(submissions_in_inbound(k, ALICE)) == 2

    # -- the deadline passes; bob submits a solution whose bug only a hidden test catches
    # nbgrader's due dates have whole seconds: the deadline is the next whole second after alice's
    # last submission, and bob submits once it has passed (a deadline rounded down could fall
    # before a submission made earlier in the same second).
    now = dt.datetime.now(dt.UTC)
    deadline = now.replace(microsecond=0) + dt.timedelta(seconds=1)
    k.instructor(f'nbgrader db assignment add {ASSIGNMENT} --duedate="{deadline:%Y-%m-%d %H:%M:%S} UTC"')
    time.sleep(max(0.0, (deadline - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)
    k.as_user(BOB, f"nbgrader fetch_assignment {ASSIGNMENT}")
    mutant = BOB_MUTANT
    bob_nb = k.home(BOB) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    k.write_notebook(
        BOB, submission(release, {**reference, mutant.cell: apply_mutant(reference[mutant.cell], mutant)}), bob_nb
    )
    k.as_user(BOB, f"nbgrader submit {ASSIGNMENT}")

    # -- bob tampers with the exchange
    alice_sub = submissions_in_inbound(k, ALICE)[-1]
    q = shlex.quote
    course_dir = k.exchange / "nn-course"
    attempts = {
        "list inbound": f"ls {q(str(inbound))}",
        "read alice's submission": f"cat {q(str(alice_sub / (ASSIGNMENT + '.ipynb')))}",
        "rename alice's submission": f"mv {q(str(alice_sub))} {q(str(alice_sub) + '-moved')}",
        "delete alice's submission": f"rm -r {q(str(alice_sub))}",
        "write into alice's submission": f"echo x > {q(str(alice_sub / 'extra.txt'))}",
        "rename the course folder": f"mv {q(str(course_dir))} {q(str(k.exchange / 'hijacked'))}",
        "delete the course folder": f"rm -r {q(str(course_dir))}",
    }
    for what, command in attempts.items():
        done = k.as_user(BOB, command, check=False)
        assert done.returncode != 0, f"bob could {what}: {done.stdout[:300]}"
    assert alice_sub.is_dir() and (k.exchange / "nn-course" / "inbound").is_dir()
    # submissions in alice's name, made by bob: the course's submit step refuses...
    refused = k.as_user(BOB, f"nbgrader submit {ASSIGNMENT} --student={ALICE}", check=False)
    assert refused.returncode != 0 and f"may not submit or fetch feedback as '{ALICE}'" in refused.stderr, (
        refused.stdout[-2000:] + refused.stderr[-2000:]
    )
    # ... nbgrader's own submit step does not (a student chooses their own command line) ...
    k.as_user(
        BOB,
        f"nbgrader submit {ASSIGNMENT} --student={ALICE} "
        "--ExchangeFactory.submit=nbgrader.exchange.default.submit.ExchangeSubmit",
    )
    cache = k.home(BOB) / ".local" / "share" / "jupyter" / "nbgrader_cache" / "nn-course"
    (forged_in_cache,) = [p.name for p in cache.iterdir() if p.name.startswith(f"{ALICE}+")]
    forged_stamp = forged_in_cache.split("+")[2]
    # ... and a hand-made folder, with a later timestamp than all of hers
    fake = inbound / f"{ALICE}+{ASSIGNMENT}+2099-01-01 00:00:00.000000 UTC+fake"
    k.as_user(
        BOB,
        f"mkdir {q(str(fake))} && cp {q(str(bob_nb))} {q(str(fake))}/ && "
        f"echo '2099-01-01 00:00:00.000000 UTC' > {q(str(fake / 'timestamp.txt'))}",
    )

    # -- instructor: collect, grade, feedback, export with nbgrader's pipeline (grade.sh, through make;
    #    tests/assignments/test_nbgrader_course.py runs assignments/grade.sh itself on 37 submissions)
    k.as_cloned()
    graded = k.instructor(
        f"make grade-nbgrader COURSE_ENV={SHARED_ENV} ASSIGNMENT={ASSIGNMENT} GRADE_ARGS=--collect", where=""
    )
    k.assert_private("make grade-nbgrader")
    refusals = [ln for ln in (graded.stdout + graded.stderr).splitlines() if "refused submission" in ln]
    output = graded.stdout[-3000:] + graded.stderr[-3000:]
    assert len(refusals) == 2, f"collect must log both forged submissions:\n{output}"
    for line in refusals:
        assert f"claims to be from {ALICE} but is owned by {BOB}" in line, line
    assert any("2099-01-01 00:00:00" in ln for ln in refusals), refusals
    k.log.append("collect logged: " + " | ".join(refusals))
    k.as_cloned()
    rows = scores(k)
    k.assert_private("nbgrader export")
    assert float(rows[ALICE]["raw_score"]) == 100, "alice's fixed resubmission must count"
    bob_score = float(rows[BOB]["raw_score"])
    assert 0 < bob_score < 100
    assert rows[ALICE]["timestamp"] and rows[BOB]["timestamp"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{k.checkout / 'assignments' / 'gradebook.db'}", "nn-course") as gb:
        late = {s: gb.find_submission(ASSIGNMENT, s).total_seconds_late for s in (ALICE, BOB)}
    assert late[ALICE] == 0 and late[BOB] > 0, late
    k.log.append(f"grade.sh scores: {ALICE} {rows[ALICE]['raw_score']}, {BOB} {bob_score:g}; seconds late: {late}")
    assert stat.S_IMODE(os.stat(k.checkout / "assignments" / "gradebook.db").st_mode) == 0o600
    produced = sorted((k.checkout / "assignments" / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert_no_hidden_test(produced, secrets)
    assert "a hidden test failed" in html_text(
        (k.checkout / "assignments" / "feedback" / BOB / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    )

    k.as_cloned()
    k.instructor("nbgrader export --exporter=grader.export.LmsCsvExportPlugin --to canvas.csv")
    k.assert_private("the Canvas export")
    assert (k.course / "canvas.csv").is_file()

    k.as_cloned()
    k.instructor(f"nbgrader release_feedback {ASSIGNMENT}")
    k.assert_private("nbgrader release_feedback")
    fetched = {}
    for student in (ALICE, BOB):
        done = k.as_user(student, f"nbgrader fetch_feedback {ASSIGNMENT}")
        fetched[student] = done.stdout + done.stderr
    assert ALICE not in fetched[BOB] and forged_stamp not in fetched[BOB], (
        f"bob's fetch_feedback shows the submission he forged in alice's name:\n{fetched[BOB][-3000:]}"
    )
    first = {s: fetched_feedback(k, s) for s in (ALICE, BOB)}
    assert all(len(pages) == 1 for pages in first.values()), first
    assert_no_hidden_test(first[ALICE] + first[BOB], secrets)
    for student, pages in first.items():  # fetched from the exchange, readable by its student
        k.as_user(student, f"cat {shlex.quote(str(pages[0]))} > /dev/null")

    # -- instructor: the same class through the batch grader (GRADING.md: collect first)
    k.as_cloned()
    k.instructor(f"nbgrader collect --update {ASSIGNMENT}")
    k.assert_private("nbgrader collect")
    k.as_cloned()
    k.instructor(
        f"make grade COURSE_ENV={SHARED_ENV} ASSIGNMENT={ASSIGNMENT} SUBMISSIONS=assignments/submitted", where=""
    )
    k.assert_private("make grade")
    batch = scores(k)
    assert float(batch[ALICE]["raw_score"]) == 100 and float(batch[BOB]["raw_score"]) == bob_score
    assert batch[ALICE]["timestamp"] == rows[ALICE]["timestamp"]
    assert stat.S_IMODE(os.stat(k.checkout / "assignments" / "gradebook.db").st_mode) == 0o600
    produced = sorted((k.checkout / "assignments" / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert_no_hidden_test(produced, secrets)
    k.as_cloned()
    k.instructor(f"nbgrader release_feedback {ASSIGNMENT}")
    k.assert_private("nbgrader release_feedback (batch grader's pages)")
    for student in (ALICE, BOB):
        k.as_user(student, f"nbgrader fetch_feedback {ASSIGNMENT}")
        pages = fetched_feedback(k, student)
        assert_no_hidden_test(pages, secrets)
        newest = pages[-1].read_text()
        assert "feedback for" in newest and student in newest, "the batch grader's page reached its student"
        k.as_user(student, f"cat {shlex.quote(str(pages[-1]))} > /dev/null")
