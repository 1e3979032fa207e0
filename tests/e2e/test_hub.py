"""The class on the real JupyterHub of ``deploy/hub`` (``make test-hub``; root, Chromium).

``deploy/hub/run_hub.py`` starts the hub with an instructor and four students (real Linux
users, PAM passwords, each user's JupyterLab spawned as that user from the course
environment ``$HUB_COURSE_ENV``). Then:

* the instructor logs in (formgrader is there) and releases ``backprop`` with nbgrader's
  command line, run as the instructor user;
* each student logs in through the hub's login page; students see the Assignment List and
  no Formgrader, and the formgrader URL of their server is a 404;
* alice fetches in the Assignments tab, fills in the reference solution, Validates and
  Submits in the browser; bob does the same with two bugs; carol submits after the due date
  (her timestamp is moved a day and an hour past it: nbgrader has one due date per
  assignment, and a real lateness of seconds would fall in the 5-minute grace); dave submits
  nothing;
* the instructor collects, grades with the batch grader (``python -m grader``) and releases
  the feedback; each student fetches it in the browser: alice 100 %, bob less with no
  hidden-test code on his page, carol's score shows the late penalty, dave 0 (missing);
* alice tries to read bob's submission, and everything secret in the instructor's course folder:
  the source, every submission, autograded notebook and feedback page there, the gradebook and
  every export (nbgrader's and Canvas's): refused. The instructor's home is 0755 (Debian's
  default) and the course folder is given a clone's mode 0755 before the instructor's first
  command, which must make it private by itself (``grader/privacy.py``); each student can still
  read the feedback fetched from the exchange;
* the students practise exercise 01.2 in the browser (alice solves it, bob makes the 1/N mistake
  twice and then solves it, carol runs the stub, dave steps uphill), and the instructor's practice
  report (``python -m grader.practice`` on their homes) shows exactly those counts;
* the hub started without a proxy error (JupyterHub's ports are free ones, not the fixed 8081 and
  8001), and no student was asked about Jupyter news.

Screenshots: ``$COURSE_REPORTS/screenshots/hub/*.png`` (a folder of their own, which
``make test-hub`` clears first; ``make test-browser`` clears only the top-level ones). The hub, its
users and their processes are gone at the end, also when the test fails or is interrupted
(SIGTERM).
Runs only with ``COURSE_TEST_HUB=1`` (``make test-hub``), never in ``make test-browser``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import hubdriver as hd
import labdriver as ld
import nbformat
import pytest

from grader.feedback import find_leaks, html_text, secret_lines

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "assignments"))
from privacy_probe import loose_grade_files, probe_command, secret_files  # noqa: E402
from test_nbgrader_course import solution_sources  # noqa: E402

ASSIGNMENT = "backprop"
STUDENTS = ["alice", "bob", "carol", "dave"]
PREFIX = "nnhubt-"
SOURCE = ld.REPO / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
# bob's two bugs (tests/assignments/test_nbgrader_course.py has them all)
BUGS = {
    "affine_backward": ("db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),
    "relu_backward": ("dx = dout * (x > 0)", "dx = dout"),
}

pytestmark = [
    pytest.mark.hub,
    pytest.mark.skipif(os.environ.get("COURSE_TEST_HUB") != "1", reason="the class hub: make test-hub"),
    pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="creates Linux users: run as root"),
    pytest.mark.skipif(not shutil.which("useradd") or not shutil.which("runuser"), reason="needs useradd and runuser"),
]

TIMES: dict[str, float] = {}


class step:
    """Times a step of the scenario (printed at the end)."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self.t0 = time.monotonic()

    def __exit__(self, *exc):
        TIMES[self.name] = time.monotonic() - self.t0
        print(f"[hub] {self.name}: {TIMES[self.name]:.1f} s", flush=True)


def write_step_times() -> None:
    """The time of each step, as a table in ``$COURSE_REPORTS/hub-steps.md`` (make test-hub: reports/)."""
    reports = os.environ.get("COURSE_REPORTS")
    if not reports or not TIMES:
        return
    rows = [f"| {name} | {seconds:.1f} |" for name, seconds in TIMES.items()]
    table = ["# The class on a real JupyterHub: time of each step", "", "| step | seconds |", "|---|---:|", *rows]
    Path(reports).mkdir(parents=True, exist_ok=True)
    (Path(reports) / "hub-steps.md").write_text("\n".join(table) + "\n")


@pytest.fixture(scope="module")
def hub(work_dir):
    if not (hd.COURSE_ENV / "bin" / "jupyterhub-singleuser").exists():
        pytest.fail(
            f"{hd.COURSE_ENV} is no course environment with JupyterHub: make test-hub builds it "
            "(or set HUB_COURSE_ENV to one made by `make shared-env`)"
        )
    h = hd.ClassHub(PREFIX, STUDENTS, work_dir / "hub.log")
    try:
        with step("start the hub (users, exchange, JupyterHub)"):
            h.start()
        yield h
    finally:
        with step("stop the hub, remove the users"):
            left = h.stop()
        print("\n".join(f"[hub] {k}: {v:.1f} s" for k, v in TIMES.items()))
        write_step_times()
        if left:
            pytest.fail(f"left behind after the hub stopped: {left}")


def login(browser, hub, user: str, timeout: float = 240):
    """A page of ``user``'s JupyterLab, logged in through the hub's login form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.password(user))
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(user)}/lab"), timeout=timeout * 1000)
    page.locator("#jp-main-dock-panel").wait_for(timeout=timeout * 1000)
    return page


def shot(page, name: str) -> Path:
    folder = ld.SCREENSHOTS / "hub"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"hub-{name}.png"
    page.screenshot(path=path)
    return path


def nbgrader_menu(page) -> list[str]:
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Nbgrader\s*$")).click()
    items = page.locator(".lm-Menu-item .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    return items


def open_assignment_list(page):
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Nbgrader\s*$")).click()
    page.locator(".lm-Menu-item", has_text="Assignment List").click()
    page.locator("#released_assignments_list").wait_for()
    return page


def click_in_list(page, list_id: str, button: str, timeout: float = 120):
    row = page.locator(f"#{list_id} .list_item", has_text=ASSIGNMENT).first
    row.wait_for(timeout=timeout * 1000)
    row.locator("button", has_text=re.compile(rf"^\s*{button}\s*$")).click()


def fill_in(hub, user: str, answers: dict[str, str]) -> None:
    """The student's fetched notebook with ``answers`` in its answer cells, saved as them."""
    path = hub.home(user) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, path)
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)


def validate(page, user: str) -> str:
    page.goto(page.url.split("/lab")[0] + f"/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    page.locator(".jp-NotebookPanel:visible .jp-Notebook").first.wait_for(timeout=120_000)
    page.locator(".jp-NotebookPanel:visible .validate-button").first.click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
    dialog.first.wait_for(timeout=600_000)
    return "success" if page.locator(".nbgrader-SuccessDialog").count() else "error"


def fetch_submit(page, hub, user: str, answers: dict[str, str], name: str) -> str:
    open_assignment_list(page)
    click_in_list(page, "released_assignments_list", "Fetch")
    page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=120_000)
    shot(page, f"{name}-1-fetched")
    fill_in(hub, user, answers)
    verdict = validate(page, user)
    shot(page, f"{name}-2-validate-{verdict}")
    page.locator(".jp-Dialog button.jp-Dialog-button").last.click()
    open_assignment_list(page)
    click_in_list(page, "fetched_assignments_list", "Submit")
    page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=120_000)
    shot(page, f"{name}-3-submitted")
    return verdict


def fetch_feedback(page, hub, user: str, name: str) -> str:
    """Fetch Feedback in the Assignments tab; the feedback page's HTML, shown in the browser."""
    page.goto(f"{hub.url}/user/{user}/lab")
    page.locator("#jp-main-dock-panel").wait_for()
    open_assignment_list(page)
    click_in_list(page, "submitted_assignments_list", "Fetch Feedback")
    deadline = time.monotonic() + 120
    pages: list[Path] = []
    while time.monotonic() < deadline and not pages:
        pages = sorted((hub.home(user) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        time.sleep(1)
    assert pages, f"{user}: no feedback fetched"
    shot(page, f"{name}-4-feedback-fetched")
    rel = pages[-1].relative_to(hub.home(user))
    page.goto(f"{hub.url}/user/{user}/files/{rel}")
    page.wait_for_load_state()
    shot(page, f"{name}-5-feedback-page")
    return pages[-1].read_text()


PRACTICE = "notebooks/01_linear_models.ipynb"  # each student's own copy, made at their first login


def expose_lab_to_the_test(hub, user: str) -> None:
    """``window.jupyterapp`` in ``user``'s JupyterLab (what the test drives cells with), from their own
    Jupyter config folder: the hub's configuration stays as a class has it."""
    folder = hub.home(user) / ".jupyter"
    folder.mkdir(exist_ok=True)
    (folder / "jupyter_server_config.json").write_text('{"LabApp": {"expose_app_in_browser": true}}')
    pw = pwd.getpwnam(user)
    for path in (folder, folder / "jupyter_server_config.json"):
        os.chown(path, pw.pw_uid, pw.pw_gid)


def practise(page, hub, user: str, answers: list[str], name: str) -> list[str]:
    """In ``user``'s JupyterLab: run the set-up, then for each answer (None: the stub as it is) type it into
    the student's cell and run it and its check; the checks' verdicts."""
    course = nbformat.read(ld.REPO / PRACTICE, as_version=4)
    setup = next(i for i, c in enumerate(course.cells) if c.cell_type == "code")
    student = next(i for i, c in enumerate(course.cells) if c.metadata.get("exercise") == "01.2")
    nb = ld.NotebookPage(page, SimpleNamespace(url=f"{hub.url}/user/{user}", token=""))
    nb.open(PRACTICE)
    nb.run_cell(setup)
    verdicts = []
    for k, answer in enumerate(answers):
        if answer is not None:
            nb.type_into_cell(student, answer)
        nb.run_cell(student)
        nb.run_cell(student + 1)
        verdicts.append(nb.cell_output_text(student + 1))
        nb.screenshot(f"hub/hub-practice-{name}-{k + 1}")
    page.goto(f"{hub.url}/user/{user}/lab?reset")  # a fresh workspace: the notebook's tab closed
    page.locator("#jp-main-dock-panel").wait_for()
    return verdicts


def export_scores(hub) -> dict[str, dict]:
    hub.instructor_cli("nbgrader export --to grades.csv")
    text = (hub.course / "grades.csv").read_text()
    return {r["student_id"]: r for r in csv.DictReader(io.StringIO(text)) if r["assignment"] == ASSIGNMENT}


def test_a_class_on_the_hub(hub, browser):
    teacher = hub.instructor
    alice, bob, carol, dave = (hub.student(s) for s in STUDENTS)
    reference = solution_sources(SOURCE)
    secrets = secret_lines(nbformat.read(SOURCE, as_version=4))

    # -- the hub started cleanly: the proxy never logged an error (run_hub asks the hub itself first)
    start_log = hub.log_tail(200_000).split("JupyterHub ready at")[0]
    for error in ("404 GET /hub/health", "ECONNREFUSED"):
        assert error not in start_log, f"the proxy logged {error!r} at the hub's start:\n{start_log[-3000:]}"
    assert hub.info["hub_port"] and hub.info["proxy_api_port"], hub.info

    # -- the course as cloned into an ordinary home: readable by others until an instructor's command
    assert hub.home(teacher).stat().st_mode & 0o005 == 0o005, "the instructor's home should be 0755 here"
    os.chmod(hub.course, 0o755)
    assert hub.as_user(alice, probe_command(hub.course, secret_files(hub.course, ASSIGNMENT))).stdout, (
        "alice should see a course folder with a clone's modes (else the checks below prove nothing)"
    )

    # -- the instructor: formgrader in the browser, release with nbgrader's command line
    with step("instructor: log in, server starts"):
        tpage = login(browser, hub, teacher)
    assert "Formgrader" in nbgrader_menu(tpage)
    due = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    with step("instructor: generate and release backprop (CLI)"):
        hub.instructor_cli(f"nbgrader generate_assignment {ASSIGNMENT}")
        hub.instructor_cli(f'nbgrader db assignment add {ASSIGNMENT} --duedate="{due:%Y-%m-%d %H:%M:%S} UTC"')
        for s in (alice, bob, carol, dave):
            hub.instructor_cli(f"nbgrader db student add {s}")
        hub.instructor_cli(f"nbgrader release_assignment {ASSIGNMENT}")
    tpage.goto(f"{hub.url}/user/{teacher}/formgrader")
    tpage.get_by_text(ASSIGNMENT).first.wait_for()
    shot(tpage, "instructor-formgrader-released")

    # -- the students log in: the Assignment List, no formgrader
    pages = {}
    for s in (alice, bob, carol, dave):
        expose_lab_to_the_test(hub, s)
        with step(f"{s}: log in, server starts"):
            pages[s] = login(browser, hub, s)
        items = nbgrader_menu(pages[s])
        assert "Assignment List" in items and "Formgrader" not in items, f"{s}'s Nbgrader menu: {items}"
        assert pages[s].request.get(f"{hub.url}/user/{s}/formgrader").status == 404
    shot(pages[alice], "student-lab")

    # -- practice in notebook 01's exercise 01.2, each in the browser: alice solves it; bob makes the 1/N
    # mistake twice, then solves it; carol runs the check on the stub only; dave steps uphill once
    from course_utils.exercises import CORRECT, NOT_ATTEMPTED, source
    from course_utils.exercises.nb01 import check_gd_step as gd

    solution = source(gd.signature, gd.reference)
    (n_times,) = [t for t in gd.typical if "N times too big" in t.hint]
    (uphill,) = [t for t in gd.typical if t.body.startswith("return w + eta")]
    plans = {
        alice: [solution],
        bob: [n_times.source(gd.signature), None, solution],
        carol: [None],
        dave: [uphill.source(gd.signature)],
    }
    with step("students: practise exercise 01.2 in the browser"):
        for s, answers in plans.items():
            verdicts = practise(pages[s], hub, s, answers, s.removeprefix(PREFIX))
            print(f"[hub] {s} practised: {[v.strip()[:60] for v in verdicts]}")
            assert (CORRECT in verdicts[-1]) == (s in (alice, bob)), verdicts
            if s == bob:
                assert n_times.hint in verdicts[0] and NOT_ATTEMPTED not in verdicts[1], verdicts
            if s == carol:
                assert NOT_ATTEMPTED in verdicts[0], verdicts

    # -- alice right, bob with two bugs, carol late, dave nothing
    with step("alice: fetch, solve, validate, submit"):
        assert fetch_submit(pages[alice], hub, alice, reference, "alice") == "success"
    buggy = dict(reference)
    for cell, (old, new) in BUGS.items():
        assert buggy[cell].count(old) == 1
        buggy[cell] = buggy[cell].replace(old, new)
    with step("bob: fetch, two bugs, validate, submit"):
        fetch_submit(pages[bob], hub, bob, buggy, "bob")
    with step("carol: fetch, solve, submit (late)"):
        fetch_submit(pages[carol], hub, carol, reference, "carol")

    # -- the instructor collects, grades with the batch grader, releases the feedback
    with step("instructor: collect"):
        hub.instructor_cli(f"nbgrader collect --update {ASSIGNMENT}")
    late = due + dt.timedelta(days=1, hours=1)  # 2 started days late: 20 % off
    stamp = hub.course / "submitted" / carol / ASSIGNMENT / "timestamp.txt"
    hub.as_user(teacher, f"echo '{late:%Y-%m-%d %H:%M:%S.%f} UTC' > '{stamp}'")
    with step("instructor: batch grader"):
        hub.instructor_cli(f"python -m grader {ASSIGNMENT} submitted --course .")
    with step("instructor: release feedback"):
        hub.instructor_cli(f"nbgrader release_feedback {ASSIGNMENT}")
    rows = export_scores(hub)
    assert float(rows[alice]["score"]) == 100, rows[alice]
    assert 0 < float(rows[bob]["score"]) < 100, rows[bob]
    assert float(rows[carol]["raw_score"]) == 100 and float(rows[carol]["late_submission_penalty"]) > 0, rows[carol]
    assert float(rows[carol]["score"]) < 100, rows[carol]
    assert float(rows[dave]["score"]) == 0, rows.get(dave)
    tpage.goto(f"{hub.url}/user/{teacher}/formgrader/gradebook/{ASSIGNMENT}")
    tpage.wait_for_load_state()
    # formgrader fills the table in after the page has loaded
    tpage.wait_for_function("() => !document.body.innerText.includes('Loading')", timeout=60_000)
    shot(tpage, "instructor-gradebook")

    # -- the students fetch their feedback in the browser
    feedback = {}
    for s, name in ((alice, "alice"), (bob, "bob"), (carol, "carol")):
        with step(f"{name}: fetch feedback"):
            feedback[s] = fetch_feedback(pages[s], hub, s, name)
    for s, html in feedback.items():
        assert not find_leaks(html, secrets), f"{s}'s feedback shows hidden tests"
        assert "torch" not in html_text(html)
    assert re.search(r"Score:\s*100(\.0)?\s*/\s*100", html_text(feedback[alice])), "alice's page: 100 / 100"
    assert not re.search(r"Score:\s*100(\.0)?\s*/", html_text(feedback[bob])), "bob's page shows full marks"
    assert "hidden test" in html_text(feedback[bob]).lower() or "Error" in html_text(feedback[bob])
    assert re.search(r"Submitted after the due date: late penalty \S+\d", html_text(feedback[carol])), (
        "carol's page does not show her late penalty"
    )
    # dave submitted nothing: no feedback to fetch, recorded 0 above
    pages[dave].goto(f"{hub.url}/user/{dave}/lab")
    open_assignment_list(pages[dave])
    shot(pages[dave], "dave-nothing-submitted")
    assert not (hub.home(dave) / ASSIGNMENT / "feedback").exists()

    # -- alice tries to read what is not hers
    hub.instructor_cli("nbgrader export --exporter=grader.export.LmsCsvExportPlugin --to canvas.csv")
    inbound = hub.exchange / "nn-course" / "inbound"
    bob_subs = [p for p in inbound.iterdir() if p.name.startswith(f"{bob}+")]
    attempts = {
        "list the inbound": f"ls '{inbound}'",
        "read bob's submission": f"cat '{bob_subs[0]}/{ASSIGNMENT}.ipynb'",
    }
    for what, command in attempts.items():
        done = hub.as_user(alice, command, check=False)
        assert done.returncode != 0, f"alice could {what}"
    secret = secret_files(hub.course, ASSIGNMENT)
    assert {hub.course / "grades.csv", hub.course / "canvas.csv", hub.course / "gradebook.db"} <= set(secret)
    assert any("/feedback/" in str(p) for p in secret) and any("/submitted/" in str(p) for p in secret)
    done = hub.as_user(alice, probe_command(hub.course, secret))
    assert done.stdout == "", f"alice could read the instructor's:\n{done.stdout[:3000]}"
    assert not loose_grade_files(hub.course), loose_grade_files(hub.course)
    for s in (alice, bob, carol):  # each student's own feedback, fetched from the exchange
        (page,) = sorted((hub.home(s) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))[-1:]
        hub.as_user(s, f"cat '{page}' > /dev/null")
    # nobody was asked about Jupyter news (the role's settings switch the announcements off)
    assert pages[alice].get_by_text("Jupyter news").count() == 0
    # nor through the hub: bob's server is not hers
    assert pages[alice].request.get(f"{hub.url}/user/{bob}/api/contents", max_redirects=0).status != 200
    shot(pages[alice], "alice-end")

    # -- the instructor's report of the class's practice, from the students' homes
    homes = hub.home(alice).parent
    report = hub.course.parent / "practice-report.html"
    done = subprocess.run(
        [
            str(hd.COURSE_ENV / "bin" / "python"),
            "-m",
            "grader.practice",
            str(homes),
            "--check-owner",
            "--students",
            ",".join((alice, bob, carol, dave)),
            "-o",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    page = report.read_text()
    from grader.practice import pseudonym

    row = "<tr><th scope='row'>01.2</th><td>3/4</td><td>2/4</td><td>2</td>"  # alice 1 try, bob 3: median 2
    assert row in page, f"{done.stdout}{done.stderr}\n{page[:3000]}"
    assert f"<td>{n_times.name} (2), {uphill.name} (1)</td>" in page, page[:3000]
    assert f"<th scope='row'>{pseudonym(carol, 'nn-course')}</th><td>0</td><td>0</td>" in page
    assert alice not in page  # pseudonyms by default
    view = browser.new_page(viewport={"width": 1100, "height": 900})
    view.set_content(page)
    shot(view, "instructor-practice-report")
    view.close()
