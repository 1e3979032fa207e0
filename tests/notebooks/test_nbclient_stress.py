"""Every notebook finishes under nbclient, again and again, also beside a class being autograded.

nbclient is what `jupyter nbconvert --execute`, nbgrader and a MyST-NB site build use to run
a notebook without a browser. Notebooks 02 and 04 used to hang for good there, right after an
explorer cell (an ipywidgets ``Output`` cleared and redrawn by ``Explorer.refresh``): 4 times in
about 35 runs of notebook 02 while nbgrader autograded a class in parallel, and once for
notebook 04 on an idle machine. ``course_utils.widgets.Explorer`` now replaces the output's
contents in one message instead of ``clear_output(wait=True)`` + ``display`` (issue 17, §5).

This module executes the stored notebooks 21 times in all:

* each notebook once while ``nbgrader autograde`` runs in a loop beside it (9 runs);
* the two explorer-heavy notebooks, 02 and 04, three times alone (6 runs) and three more
  times beside the autograde loop (6 runs).

Every execution has a per-cell timeout (``CELL_TIMEOUT_S``, far above any cell's normal time),
so a hang fails fast and the failure names the cell. It takes about five minutes, so it is
marked slow and runs as its own target, ``make test-stress``, which ``.ci/run`` calls.

A second failure it caught was no hang: notebook 06's RNN-vs-LSTM cell ran past the timeout
beside the autograde loop. It was the one heavy notebook that left torch on its default thread
count (one per core), and with more runnable threads than cores each of its tiny operations
waits for a descheduled thread: the sweep took 143 s instead of 10 beside a second copy
(``benchmarks/bench_cpu_threads.py``). The kernel's log then showed ZMQ's "Socket operation on
non-socket" only because nbclient interrupts and shuts down the kernel on a timeout while the
interrupted cell's reply is on its way. Every notebook now calls ``set_cpu_threads(1)``
(``tests/notebooks/test_hygiene.py`` checks it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXPLORER_NOTEBOOKS = [p for p in NOTEBOOKS if p.name[:2] in ("02", "04")]
REPEATS = 3
# The slowest cell takes about 15 s alone and twice that under load; a hang is forever.
CELL_TIMEOUT_S = 120


def execute(path: Path, timeout: float = CELL_TIMEOUT_S) -> None:
    """Run the notebook at ``path`` top to bottom in a fresh kernel; fail naming the cell that
    hung, stalled or raised.

    A *stall* is the way the hang shows when a timeout is set: nbclient misses the cell's
    ``execute_reply`` (which the kernel sent on time) and only finds it when its wait times out,
    then carries on without an error. So a cell whose reply took 90 % of the timeout or more,
    measured on the client's side, fails too: no cell here takes a tenth of it."""
    nb = nbformat.read(path, as_version=4)
    started: dict[int, float] = {}
    stalled: list[str] = []

    def on_execute(cell, cell_index, **_):
        started[cell_index] = time.monotonic()

    def on_executed(cell, cell_index, **_):
        took = time.monotonic() - started.get(cell_index, time.monotonic())
        if took >= 0.9 * timeout:
            first_line = (cell.source.splitlines() or [""])[0]
            stalled.append(f"cell {cell_index} ({first_line!r}) took {took:.0f} s")

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=on_execute,
        on_cell_executed=on_executed,
    )
    try:
        client.execute()
    except CellTimeoutError as err:
        # nbclient's message quotes the source of the cell that never finished
        pytest.fail(f"{path.name} hung: a cell ran over {timeout} s.\n{str(err)[:1500]}")
    except CellExecutionError as err:
        pytest.fail(f"{path.name} raised: {str(err).strip().splitlines()[-1][:300]}")
    if stalled:
        pytest.fail(f"{path.name} stalled until the {timeout} s timeout: " + "; ".join(stalled))


@pytest.fixture(scope="module")
def autograde_loop(tmp_path_factory):
    """``nbgrader autograde`` of a blank backprop submission, again and again, in the background,
    for as long as the tests that ask for it run. Fails the test that ends it if the loop died."""
    course = tmp_path_factory.mktemp("stress") / "assignments"
    shutil.copytree(
        ROOT / "assignments",
        course,
        ignore=shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "gradebook.db", "batch_grade"),
    )
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    nbgrader = f"{sys.executable} -m nbgrader"
    subprocess.run(
        [*nbgrader.split(), "generate_assignment", "backprop", "--log-level=ERROR"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    (course / "submitted" / "blank" / "backprop").mkdir(parents=True)
    shutil.copy(course / "release" / "backprop" / "backprop.ipynb", course / "submitted" / "blank" / "backprop")
    log = course / "autograde.log"
    loop = f"while true; do {nbgrader} autograde backprop --force --log-level=ERROR || exit 1; done"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["bash", "-c", loop], cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        died = proc.poll()
        proc.kill()
        proc.wait()
    tail = log.read_text()[-2000:]
    assert died is None, f"the autograde loop stopped (exit {died}), so the load was missing:\n{tail}"


@pytest.mark.parametrize("repeat", range(REPEATS))
@pytest.mark.parametrize("path", EXPLORER_NOTEBOOKS, ids=lambda p: p.name[:2])
def test_explorer_notebook_finishes_alone(path, repeat):
    execute(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_notebook_finishes_beside_autograde(path, autograde_loop):
    assert autograde_loop.poll() is None, "the autograde loop is not running"
    execute(path)


@pytest.mark.parametrize("repeat", range(REPEATS))
@pytest.mark.parametrize("path", EXPLORER_NOTEBOOKS, ids=lambda p: p.name[:2])
def test_explorer_notebook_finishes_beside_autograde(path, repeat, autograde_loop):
    assert autograde_loop.poll() is None, "the autograde loop is not running"
    execute(path)


def test_a_hang_fails_fast_and_names_its_cell(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("import time\ntime.sleep(600)  # stuck")]
    )
    path = tmp_path / "stuck.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(pytest.fail.Exception, match=r"(?s)stuck.ipynb hung.*time.sleep\(600\)  # stuck"):
        execute(path, timeout=3)


def test_a_stall_that_the_timeout_ends_fails_too(tmp_path, monkeypatch):
    """The hang as it shows with a timeout: the cell finishes only when nbclient's wait for its
    reply times out. Simulated by a cell that sleeps 95 % of the timeout."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(5.7)  # slow")])
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(pytest.fail.Exception, match=r"slow.ipynb stalled until the 6 s timeout: cell 0"):
        execute(path, timeout=6)


def test_enough_runs():
    """The issue asks for at least 20 executions in all, some beside autograde."""
    assert len(EXPLORER_NOTEBOOKS) == 2 and len(NOTEBOOKS) >= 9
    assert 2 * REPEATS * len(EXPLORER_NOTEBOOKS) + len(NOTEBOOKS) >= 20
