"""pytest plugin for the notebook harness (active for every pytest run in this repo).

* Notebooks run by nbval must not write to stderr: warnings and raw tracebacks
  there mean a student sees noise, and nbgrader scores such a cell as failed.
  A cell that writes to stderr fails with the text it wrote.
* Every notebook's wall time is measured (sum of its cells' setup, call and
  teardown, kernel start included) and printed at the end of the run as a
  benchmark report, also written to ``$COURSE_REPORTS/notebook-times.md`` when set. Notebooks
  over their budget are named there; the budget is a report, not an assertion.
* A notebook as stored holds the exercise stubs: every exercise check cell (tagged
  ``check``) must report "Not attempted yet" there, not fail and not confirm
  (``tests/notebooks/test_exercises_solved.py`` runs the notebooks with the solutions in).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

NOTEBOOK_BUDGET_S = float(os.environ.get("NOTEBOOK_BUDGET_S", "30"))  # the developers' guide: each notebook under 30 s
# The checks the tests run record practice events (course_utils.progress): into a file of this run,
# never into the developer's own record (the notebooks' kernels inherit this environment).
# The process that makes the folder removes it when it exits (xdist's workers inherit the variable).
if "COURSE_PROGRESS_FILE" not in os.environ:
    _progress_dir = tempfile.mkdtemp(prefix="course-progress-")
    os.environ["COURSE_PROGRESS_FILE"] = os.path.join(_progress_dir, "progress.jsonl")
    atexit.register(shutil.rmtree, _progress_dir, ignore_errors=True)
# The report file: NOTEBOOK_REPORT, else notebook-times.md in COURSE_REPORTS (the Makefile's test
# targets set it to reports/), else none: a plain pytest run writes nothing into the checkout.
_REPORTS = os.environ.get("COURSE_REPORTS")
REPORT = (
    Path(os.environ["NOTEBOOK_REPORT"])
    if os.environ.get("NOTEBOOK_REPORT")
    else (Path(_REPORTS) / "notebook-times.md" if _REPORTS else None)
)

_times: dict[str, float] = defaultdict(float)
_failed: set[str] = set()


def _notebook_of(item) -> str | None:
    path = str(getattr(item, "fspath", ""))
    return os.path.relpath(path, Path(__file__).parent) if path.endswith(".ipynb") else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    outcome = yield
    outputs = getattr(item, "test_outputs", None) or []
    if _notebook_of(item) is None or outcome.excinfo is not None:
        return
    stderr = "".join(
        o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    if stderr.strip():
        outcome.force_exception(
            AssertionError(f"cell wrote to stderr (warnings must be fixed, not printed):\n{stderr[:2000]}")
        )
        return
    cell = getattr(item, "cell", None) or {}
    if "check" in cell.get("metadata", {}).get("tags", []):
        from course_utils.exercises import NOT_ATTEMPTED

        stdout = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
        if NOT_ATTEMPTED not in stdout:
            outcome.force_exception(
                AssertionError(
                    f"an exercise check on the stored stub must say {NOT_ATTEMPTED!r}, it printed:\n{stdout[:2000]}"
                )
            )


def pytest_runtest_logreport(report):
    """Add up each notebook's setup, call and teardown times (the kernel starts in its first
    cell's setup). Reports reach this hook in the main process also when pytest-xdist runs the
    notebooks in workers (``make test-notebooks`` does: one notebook per worker at a time)."""
    nb = report.nodeid.split("::")[0]
    if not nb.endswith(".ipynb"):
        return
    _times[nb] += report.duration
    if report.failed:
        _failed.add(nb)


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    device = os.environ.get("COURSE_DEVICE", "auto")
    lines = ["| notebook | wall time (s) | budget (s) | status |", "|---|---:|---:|---|"]
    over = []
    for nb, seconds in sorted(_times.items()):
        status = "FAILED" if nb in _failed else ("over budget" if seconds > NOTEBOOK_BUDGET_S else "ok")
        if seconds > NOTEBOOK_BUDGET_S:
            over.append(nb)
        lines.append(f"| {nb} | {seconds:.1f} | {NOTEBOOK_BUDGET_S:.0f} | {status} |")
    workers = getattr(terminalreporter.config.option, "numprocesses", None)  # pytest-xdist's -n
    at_once = f", {workers} notebooks at a time" if isinstance(workers, int) and workers > 1 else ""
    header = f"Notebook wall times (COURSE_DEVICE={device}, {os.cpu_count()} CPUs{at_once})"
    terminalreporter.section(header)
    for line in lines:
        terminalreporter.write_line(line)
    if over:
        terminalreporter.write_line(f"OVER BUDGET ({NOTEBOOK_BUDGET_S:.0f} s): " + ", ".join(over), red=True)
    if REPORT is None:
        return
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        f"# {header}\n\n" + "\n".join(lines) + "\n" + (f"\nOver budget: {', '.join(over)}\n" if over else "")
    )
