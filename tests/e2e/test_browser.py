"""The course in a real browser: what a student who runs ``make lab`` sees.

nbval runs the notebooks without a browser; these tests open them in JupyterLab
in Debian's Chromium (driven by Playwright) and check what is on the screen:

* ``make lab`` from a fresh clone serves ``/lab`` within the time the README promises, on the
  welcome notebook, with the student's tools (or the instructor's with ``ROLE=instructor``);
* every ``notebooks/*.ipynb`` runs through Run > Run All Cells with no error on the
  page, its outputs have no serious or critical accessibility violation (axe-core; JupyterLab's own
  are recorded apart, in ``axe/lab/``), shows at least one image, every interactive widget redraws its output when
  its control is moved, and progress bars are widgets, not text;
* a ``course_utils.training.fit`` run shows its progress bar as a widget;
* nbgrader's Validate button rejects each released assignment stub and accepts the
  reference solution (the course's assignments and a tiny built-in one);
* a student does one exercise: runs the stub and reads "Not attempted yet", types a typical
  mistake and reads its hint, types the solution and reads "Correct!".

Screenshots of every notebook, widget and verdict go to ``$COURSE_REPORTS/screenshots/`` (make test: reports/).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import labdriver as ld
import nbformat
import pytest

NOTEBOOKS = sorted(ld.REPO.glob("notebooks/*.ipynb"))
# The four notebooks that train longest (20 to 30 s each alone, about 50 s each in the browser beside another
# worker): their Run All is marked browser_heavy, which `make test-browser-heavy` runs and `make test` leaves
# out to stay under its 15 minutes; .ci/run runs it right after make test. nbval, the solved runs and the
# website's page test still take them in make test.
HEAVY = {"05_cnns", "06_rnns", "08_gans", "11_image_captioning"}
ASSIGNMENTS = ["e2e_fixture"] + sorted(
    p.name for p in (ld.REPO / "assignments" / "source").glob("*") if p.is_dir() and any(p.glob("*.ipynb"))
)
NOTEBOOK_TIMEOUT_S = float(os.environ.get("E2E_NOTEBOOK_TIMEOUT", "300"))

# A notebook that builds a control a student can move must show one that works.
USES_CONTROLS = re.compile(
    r"(?:Slider|Dropdown|ToggleButtons|Checkbox|RadioButtons)\(|\bexplorer\(|"
    r"\binteract(?:ive)?\("
)
# A notebook that trains with the course loop or tqdm shows a progress bar.
SHOWS_PROGRESS = re.compile(r"(?<![.\w])fit\(|\btraining\.fit\(|\btqdm\b")


def code_of(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def readme_lab_promise_s(default: float = 60.0) -> float:
    """The start-up time the README promises for ``make lab`` ("serves /lab within N seconds")."""
    readme = ld.REPO / "README.md"
    text = readme.read_text() if readme.exists() else ""
    match = re.search(r"serves\s+`?/lab`?\s+within\s+(\d+)\s+seconds", text)
    return float(match.group(1)) if match else default


ROLE_TOOLS = {  # what nbgrader shows each role: (menu items expected, menu items absent, Create Assignment tab)
    "student": (["Assignment List"], ["Formgrader", "Course List"], False),
    "instructor": (["Assignment List", "Formgrader"], [], True),
}


@pytest.mark.parametrize("role", list(ROLE_TOOLS))
def test_make_lab_serves_lab_from_a_fresh_clone(tmp_path, jupyter_env, browser, role):
    """``make lab`` (``ROLE=instructor``) in a fresh clone, reusing this environment (``VENV=``),
    answers on /lab in time and shows that role's course: a student lands on the welcome
    notebook with only ``notebooks/`` in the file browser and nbgrader's student tools; the
    instructor sees the whole repository, formgrader and Create Assignment.

    The environment is shared with the checkout that runs the tests, so make must
    not reinstall into it (that would point its editable course_utils at the
    temporary clone): ``-o <install stamp>`` tells make to take the environment as
    current, and a dry run first proves that nothing gets installed.
    """
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ld.REPO), str(clone)], check=True, timeout=120)
    port, token = ld.free_port(), os.urandom(16).hex()
    stamp = f"{sys.prefix}/.installed"
    cmd = [
        "make",
        "--no-print-directory",
        "-C",
        str(clone),
        "-o",
        stamp,
        "lab",
        f"VENV={sys.prefix}",
        f"LAB_PORT={port}",
        f"LAB_ARGS=--no-browser --IdentityProvider.token={token}",
    ]
    if role != "student":
        cmd.append(f"ROLE={role}")
    plan = subprocess.run(
        [*cmd[:1], "--dry-run", *cmd[1:]], capture_output=True, text=True, timeout=60, env=jupyter_env
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "jupyter lab" in plan.stdout and not re.search(r"pip install|-m venv", plan.stdout), (
        f"make lab would do more than start JupyterLab in the shared environment:\n{plan.stdout}"
    )
    promise = readme_lab_promise_s()
    log = tmp_path / "make-lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=jupyter_env, start_new_session=True
        )
    expected_items, absent_items, create_assignment = ROLE_TOOLS[role]
    try:
        try:
            seconds = ld.wait_until_serving(
                f"http://127.0.0.1:{port}/lab", token, proc, timeout=max(3 * promise, 120), expect="JupyterLab"
            )
        except (TimeoutError, RuntimeError) as err:
            pytest.fail(f"make lab did not serve /lab: {err}\n{log.read_text()[-4000:]}")
        print(f"make lab ({role}) served /lab after {seconds:.1f} s (README promises {promise:.0f} s)")
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/?token={token}", timeout=120_000)  # the default URL
            page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=120_000)
            current = page.locator(
                ".jp-MainAreaWidget .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel, "
                "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel"
            ).first.inner_text()
            assert current == "00_welcome.ipynb", f"make lab opened {current!r}, not the welcome notebook"
            page.locator(".jp-BreadCrumbs-home").first.click()  # the top of what the file browser may show
            page.wait_for_timeout(1000)
            listing = page.locator(".jp-DirListing-item .jp-DirListing-itemText").all_inner_texts()
            if role == "student":
                assert "00_welcome.ipynb" in listing and not {"tests", "benchmarks", "assignments"} & set(listing), (
                    f"a student's file browser shows {listing}"
                )
            else:
                assert {"notebooks", "assignments"} <= set(listing), f"the instructor's file browser shows {listing}"
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Nbgrader\s*$")).click()
            items = page.locator(".lm-Menu-item .lm-Menu-itemLabel").all_inner_texts()
            page.keyboard.press("Escape")
            assert all(i in items for i in expected_items) and not any(i in items for i in absent_items), (
                f"the {role}'s Nbgrader menu holds {items}"
            )
            assert page.locator(".jp-NotebookPanel:visible .validate-button").count() == 1, "no Validate button"
            has_create = (
                page.locator('.jp-SideBar [title="Create Assignment"], .jp-SideBar [data-id*="create"]').count() > 0
            )
            assert has_create == create_assignment, f"Create Assignment shown to the {role}: {has_create}"
            ld.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ld.SCREENSHOTS / f"make-lab-{role}.png")
        finally:
            context.close()
        assert seconds <= promise, f"make lab served /lab after {seconds:.1f} s; the README promises {promise:.0f} s"
    finally:
        survivors = ld.stop_process_tree(proc)
    assert not survivors, f"make lab left processes behind: {survivors}"
    assert ld.http_get(f"http://127.0.0.1:{port}/lab", token)[0] == 0, "the port still answers after make lab stopped"


@pytest.mark.parametrize(
    "notebook",
    [pytest.param(p, id=p.stem, marks=[pytest.mark.browser_heavy] if p.stem in HEAVY else []) for p in NOTEBOOKS],
)
def test_notebook_runs_in_the_browser(nb_page, notebook):
    """Run All Cells in JupyterLab: no error, images, working widgets, widget progress bars."""
    code = code_of(notebook)
    nb_page.open(f"notebooks/{notebook.name}")
    seconds = nb_page.run_all_cells(timeout=NOTEBOOK_TIMEOUT_S)
    print(f"{notebook.name}: Run All Cells took {seconds:.1f} s in the browser")
    nb_page.screenshot_notebook(notebook.stem)

    errors = nb_page.error_outputs()
    assert not errors, f"{notebook.name} shows {len(errors)} error output(s):\n" + "\n---\n".join(
        e[:2000] for e in errors
    )
    assert not nb_page.unexecuted_cells(), f"cells that did not run: {nb_page.unexecuted_cells()}"
    lab_own, course = nb_page.audit(notebook.stem)
    print(f"{notebook.name}: axe-core: JupyterLab's own {len(lab_own)} violation(s), the outputs' {len(course)}")
    unnamed = nb_page.page.locator(".jp-OutputArea-output .widget-slider:not(:has(.widget-label:not(:empty)))")
    assert unnamed.count() == 0, f"{notebook.name}: a slider without a description (its visible label)"
    grave = [v for v in course if v["impact"] in ("serious", "critical")]
    assert not grave, f"{notebook.name}: the course's outputs have serious accessibility violations: {grave}"
    images = nb_page.rendered_images()
    assert images >= 1, f"{notebook.name} renders no image"
    no_alt = nb_page.images_without_alt()
    assert not no_alt, f"{notebook.name}: {len(no_alt)} image(s) without alt text: {no_alt[:3]}"
    texts = nb_page.output_texts()
    unrendered = [t[:300] for t in texts if ld.UNRENDERED_WIDGET.search(t)]
    assert not unrendered, f"widgets shown as text instead of rendered: {unrendered}"
    text_bars = [t[:300] for t in nb_page.output_texts(text_only=True) if ld.TEXT_PROGRESS_BAR.search(t)]
    assert not text_bars, f"progress bars printed as text: {text_bars}"

    bars = nb_page.progress_bars()
    if SHOWS_PROGRESS.search(code) and "progress=False" not in code:
        assert bars.count() >= 1, f"{notebook.name} trains but shows no progress-bar widget"
    for i in range(bars.count()):
        assert bars.nth(i).locator(".progress-bar").count() == 1, "a progress widget without its bar"

    views = nb_page.interactive_views()
    if USES_CONTROLS.search(code):
        assert views, f"{notebook.name} builds widget controls but none rendered on the page"
    for i, view in enumerate(views, start=1):
        view.scroll_into_view_if_needed()
        before = nb_page.view_state(view)
        nb_page.screenshot(f"{notebook.stem}-widget{i}-before", view)
        action = nb_page.change_control(view)
        waited = nb_page.wait_for_view_change(view, before)
        nb_page.screenshot(f"{notebook.stem}-widget{i}-after", view)
        print(f"{notebook.name}: widget {i}: {action}; its output changed after {waited:.1f} s")
        errors = nb_page.error_outputs()
        assert not errors, f"moving widget {i} produced an error:\n" + "\n---\n".join(e[:2000] for e in errors)
    print(f"{notebook.name}: {images} image(s), {bars.count()} progress bar(s), {len(views)} widget(s) moved")
    assert not nb_page.console, "the browser console reported errors:\n" + "\n".join(nb_page.console)


def test_training_progress_bar_is_a_widget(nb_page):
    """``course_utils.training.fit`` shows a tqdm.auto bar rendered as a widget, not as text."""
    nb_page.open("e2e/progress_bar.ipynb")
    nb_page.run_all_cells(timeout=NOTEBOOK_TIMEOUT_S)
    assert not nb_page.error_outputs(), nb_page.error_outputs()
    bars = nb_page.progress_bars()
    assert bars.count() == 1, f"expected one progress-bar widget, found {bars.count()}"
    bar = bars.first.locator("xpath=..")  # tqdm's HBox: description, bar, counter
    assert bar.locator(".progress-bar").is_visible()
    label = bar.inner_text()
    assert "training" in label and "2/2" in label, f"progress widget reads {label!r}"
    texts = nb_page.output_texts(text_only=True)
    assert not any(ld.TEXT_PROGRESS_BAR.search(t) for t in texts), f"a text progress bar was printed: {texts}"
    nb_page.screenshot("progress-bar", bar)
    assert not nb_page.console, "the browser console reported errors:\n" + "\n".join(nb_page.console)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_validate_button(nb_page, lab, released_assignments, assignment):
    """A student's Validate click: the released stub fails, the reference solution passes."""
    notebooks = released_assignments[assignment]
    if isinstance(notebooks, Exception):
        raise notebooks
    assert notebooks, f"nbgrader released no notebook for {assignment}"
    for _source, released in notebooks:
        for variant, expected in (("stub", "error"), ("solved", "success")):
            name = released.name if variant == "stub" else f"{released.stem}-solved.ipynb"
            nb_page.open(f"assignments/{assignment}/{name}")
            start = time.perf_counter()
            verdict, text = nb_page.validate()
            seconds = time.perf_counter() - start
            nb_page.screenshot(f"validate-{assignment}-{released.stem}-{variant}")
            print(f"{assignment}/{name}: Validate -> {verdict} after {seconds:.1f} s: {' '.join(text.split())[:200]}")
            assert verdict == expected, (
                f"Validate on the {variant} of {assignment}/{released.name} gave "
                f"{verdict}, expected {expected}:\n{text[:3000]}"
            )
            assert not re.search(r"ModuleNotFoundError|ImportError", text), (
                f"Validate on the {variant} of {assignment}/{released.name} hit an import error:\n{text[:3000]}"
            )
            if variant == "stub":  # it fails because the answer is missing, not for another reason
                assert nb_page.page.locator(".nbgrader-ErrorDialog .validation-failed").count(), (
                    f"the stub's verdict is not a failed test:\n{text[:3000]}"
                )
                assert "NotImplementedError" in text, f"the stub failed for another reason:\n{text[:3000]}"
            nb_page.close_dialog()
            nb_page.page.goto("about:blank")
            lab.shutdown_kernels()
    assert not nb_page.console, "the browser console reported errors:\n" + "\n".join(nb_page.console)


def cell_of(nb, eid: str, tag: str) -> int:
    """The index of exercise ``eid``'s cell tagged ``tag`` (exercise, check, solution) in the notebook ``nb``."""
    return next(
        i for i, c in enumerate(nb.cells) if tag in c.metadata.get("tags", []) and c.metadata.get("exercise") == eid
    )


def solution_of(nb, eid: str) -> str:
    """The code of exercise ``eid``'s worked solution (its markdown cell's fenced python block)."""
    return re.search(r"```python\n(.*?)```", nb.cells[cell_of(nb, eid, "solution")].source, re.S).group(1)


def stub_mistake_solution(nb_page, eid: str, student: int, mistake: str, hint: str, solution: str) -> None:
    """Exercise ``eid`` as a student works it, with a screenshot of each verdict: cell ``student`` run as the
    stub, then with a typical ``mistake`` typed in (its ``hint`` expected), then with the ``solution``;
    each time the check below it is run and says the expected verdict."""
    from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED

    for step, code, expected in (
        ("stub", None, NOT_ATTEMPTED),
        ("mistake", mistake, hint),
        ("solution", solution, CORRECT),
    ):
        if code is not None:
            nb_page.type_into_cell(student, code)
        nb_page.run_cell(student)
        nb_page.run_cell(student + 1)
        verdict = nb_page.cell_output_text(student + 1)
        nb_page.select_cell(student + 1)
        nb_page.screenshot(f"exercise-{eid}-{step}")
        print(f"exercise {eid}, {step}: {verdict.strip()[:200]}")
        assert verdict.startswith(f"[{eid}]") and expected in verdict, f"after the {step}, {eid} said {verdict!r}"
        if step == "mistake":
            assert HINT in verdict


EXERCISE_NOTEBOOK, EXERCISE_ID = "01_linear_models.ipynb", "01.2"


def test_a_student_does_an_exercise(nb_page):
    """Exercise 01.2 (one gradient-descent step) worked in JupyterLab, cell by cell, with a
    screenshot of each verdict: the stub, a typical mistake, the solution."""
    from course_utils.exercises.nb01 import EXERCISES

    nb = nbformat.read(ld.REPO / "notebooks" / EXERCISE_NOTEBOOK, as_version=4)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    (declared,) = [ex for ex in EXERCISES if ex.eid == EXERCISE_ID]
    mistake, hint = declared.typical[0].source(declared.signature), declared.typical[0].hint

    nb_page.open(f"notebooks/{EXERCISE_NOTEBOOK}")
    nb_page.run_cell(first_code)  # the imports, as a student starts
    student = cell_of(nb, EXERCISE_ID, "exercise")
    stub_mistake_solution(nb_page, EXERCISE_ID, student, mistake, hint, solution_of(nb, EXERCISE_ID))
    assert not nb_page.error_outputs(), nb_page.error_outputs()
    assert not nb_page.console, "the browser console reported errors:\n" + "\n".join(nb_page.console)


def test_a_student_composes_and_gradient_checks_the_network(nb_page):
    """Notebook 03's whole-model exercises worked in JupyterLab, cell by cell, with a screenshot of each verdict:
    the student has written affine_backward (03.3) and softmax_cross_entropy (03.5); composes them into the
    two-layer network's loss_and_grads (03.6): the stub, the missing ReLU mask and its hint, the solution; then
    writes the gradient check of that network (03.7): the stub, forward differences and their hint, the solution."""
    from course_utils.exercises import CORRECT
    from course_utils.exercises.nb03 import STEPWISE, check_loss_and_grads

    name = "03_backpropagation.ipynb"
    nb = nbformat.read(ld.REPO / "notebooks" / name, as_version=4)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    whole = check_loss_and_grads.typical[0]  # the ReLU mask forgotten
    loop = STEPWISE["03.7"][1][0]  # forward differences
    steps = {
        "03.6": (whole.source(check_loss_and_grads.signature), whole.hint),
        "03.7": (loop.body, loop.hint),
    }

    nb_page.open(f"notebooks/{name}")
    nb_page.run_cell(first_code)  # the imports, as a student starts
    for eid in ("03.3", "03.5"):  # the pieces the student wrote before
        student = cell_of(nb, eid, "exercise")
        nb_page.type_into_cell(student, solution_of(nb, eid))
        nb_page.run_cell(student)
        nb_page.run_cell(student + 1)
        assert CORRECT in nb_page.cell_output_text(student + 1), nb_page.cell_output_text(student + 1)
    for eid, (mistake, hint) in steps.items():
        student = cell_of(nb, eid, "exercise")
        assert cell_of(nb, eid, "check") == student + 1
        stub_mistake_solution(nb_page, eid, student, mistake, hint, solution_of(nb, eid))
    assert not nb_page.error_outputs(), nb_page.error_outputs()
    assert not nb_page.console, "the browser console reported errors:\n" + "\n".join(nb_page.console)
