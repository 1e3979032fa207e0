"""Fixtures for the end-to-end test: a temporary course, JupyterLab, Chromium.

* ``course_root``: a temporary copy of ``notebooks/`` plus what the test adds
  (a training run with a progress bar, released nbgrader assignments: the
  course's own from ``assignments/source`` and a tiny built-in one).
* ``lab``: JupyterLab on 127.0.0.1 serving that copy, started from this Python
  environment with isolated Jupyter dirs; stopped, kernels included, at the end
  of the session (also when a test fails). Processes that survive are an error.
* ``browser``: Debian's Chromium (``$CHROMIUM``, default /usr/bin/chromium)
  driven by Playwright, offline.
* ``nb_page``: a fresh page per test. When a test fails, its screenshot goes to
  ``$COURSE_REPORTS/screenshots/FAILED-<test>.png`` and the browser's console errors and
  the server log are added to the failure report.
"""

from __future__ import annotations

import atexit
import re
import shutil
import signal
from pathlib import Path

import labdriver as ld
import pytest

REAL_ASSIGNMENTS = ld.REPO / "assignments" / "source"


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session", autouse=True)
def sigterm_runs_finalizers():
    """A CI job stopped with SIGTERM still shuts JupyterLab and Chromium down: the
    signal becomes a KeyboardInterrupt, on which pytest runs the fixture finalizers."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def jupyter_env(work_dir) -> dict:
    return ld.isolated_jupyter_env(work_dir / "jupyter")


@pytest.fixture(scope="session")
def released_assignments(work_dir) -> dict:
    """name -> list of (source notebook, released notebook) paths, or the exception
    that stopped nbgrader from releasing it; the built-in fixture assignment first,
    then every assignment in assignments/source (released into a temporary course)."""
    course = work_dir / "course"
    names = ["e2e_fixture"]
    ld.fixture_assignment_source(course, "e2e_fixture")
    if REAL_ASSIGNMENTS.is_dir():
        for cfg in (ld.REPO / "assignments").glob("nbgrader_config.py"):
            shutil.copy(cfg, course / cfg.name)
        for src in sorted(p for p in REAL_ASSIGNMENTS.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))):
            ld.copy_tree(src, course / "source" / src.name)
            names.append(src.name)
    result = {}
    for name in names:  # a broken assignment fails its own Validate test, not the session
        try:
            release = ld.release_assignment(course, name)
            result[name] = [(course / "source" / name / nb.name, nb) for nb in sorted(release.glob("*.ipynb"))]
        except Exception as err:
            result[name] = err
    return result


@pytest.fixture(scope="session")
def course_root(work_dir, released_assignments) -> Path:
    root = work_dir / "lab-root"
    ld.copy_tree(ld.REPO / "notebooks", root / "notebooks")  # with any data next to the notebooks
    ld.progress_bar_notebook(root / "e2e" / "progress_bar.ipynb")
    for name, notebooks in released_assignments.items():
        if isinstance(notebooks, Exception) or not notebooks:
            continue
        target = root / "assignments" / name
        ld.copy_tree(notebooks[0][1].parent, target)
        for source_nb, released_nb in notebooks:
            try:
                ld.solved_copy(source_nb, released_nb, target / f"{released_nb.stem}-solved.ipynb")
            except Exception as err:
                released_assignments[name] = err
                break
    # read by nbgrader's Validate handler from the server's working directory
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.Execute.timeout = 600  # a course notebook may train for a minute on a slow machine\n"
    )
    return root


@pytest.fixture(scope="session")
def lab(course_root, jupyter_env, work_dir):
    server = ld.LabServer(course_root, jupyter_env, work_dir / "jupyterlab.log")
    atexit.register(server.stop)  # the last resort; the finalizer below is the rule
    try:
        server.start()
        yield server
    finally:
        survivors = server.stop()
        atexit.unregister(server.stop)
        if survivors:
            pytest.fail(f"processes survived the JupyterLab shutdown: {survivors}")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(ld.CHROMIUM).exists():
        pytest.fail(
            f"{ld.CHROMIUM} not found: install Debian's chromium (`apt-get install chromium`; "
            ".ci/run does it) or point $CHROMIUM at a Chromium binary"
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=ld.CHROMIUM, args=ld.CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def nb_page(request, browser, lab):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(60_000)
    page = context.new_page()
    wrapped = ld.NotebookPage(page, lab)
    request.node._nb_page = wrapped
    try:
        yield wrapped
    finally:
        context.close()
        lab.shutdown_kernels()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    nb_page = getattr(item, "_nb_page", None)
    if report.when != "call" or not report.failed or nb_page is None:
        return
    name = "FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
    try:
        shot = nb_page.screenshot(name)
        report.sections.append(("screenshot of the failure", str(shot)))
    except Exception as err:  # a crashed page cannot be photographed
        report.sections.append(("screenshot of the failure", f"could not be taken: {err}"))
    report.sections.append(("browser console errors", "\n".join(nb_page.console) or "(none)"))
    report.sections.append(("JupyterLab server log (tail)", nb_page.server.log_tail()))
