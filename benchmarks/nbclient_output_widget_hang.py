"""Minimal reproduction: nbclient waits for good after cells that write into an ipywidgets Output.

Not a test (it runs minutes and, when the bug shows, proves it by hanging until the per-cell
timeout). It executes a tiny notebook again and again with ``nbclient.NotebookClient``:

* ``--pattern capture`` (the trigger): cells that ``display`` an ``Output`` widget and then, in a
  loop, write into it with ``with out: clear_output(wait=True); display(...)``. nbclient plays
  the front end for such a widget: for every captured output it sends a ``comm_msg`` back to
  the kernel on the *shell* channel (``nbclient.output_widget.OutputWidget.sync_state``), from
  the task that reads IOPub, while another task awaits the cell's ``execute_reply`` on that
  same shell socket;
* ``--pattern assign`` (the course's workaround, ``course_utils.widgets.Explorer``): the same
  cells set ``out.outputs = (...)`` in the kernel. Nothing is captured, nbclient never sends.

    .venv/bin/python benchmarks/nbclient_output_widget_hang.py --pattern capture --runs 40 --load 2

``--load N`` keeps N busy processes running beside it (the hangs were seen under load). Prints
one line per execution and a summary; exits 1 if any execution hung.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

SETUP = "import ipywidgets as w\nfrom IPython.display import clear_output, display"
CAPTURE = """out = w.Output()
display(out)
for i in range({n}):
    with out:
        clear_output(wait=True)
        display({{"text/plain": f"frame {{i}}"}}, raw=True)"""
ASSIGN = """out = w.Output()
display(out)
for i in range({n}):
    out.outputs = ({{"output_type": "display_data", "data": {{"text/plain": f"frame {{i}}"}}, "metadata": {{}}}},)"""


def notebook(pattern: str, cells: int, frames: int) -> nbformat.NotebookNode:
    body = (CAPTURE if pattern == "capture" else ASSIGN).format(n=frames)
    code = [SETUP] + [c for _ in range(cells) for c in (body, "x = 1  # the cell after the widget")]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code])


class CellTimer:
    """nbclient hooks that note the cells whose reply came only at 90 % of the timeout or later."""

    def __init__(self, timeout: float):
        self.timeout, self.started, self.stalled = timeout, {}, []

    def start(self, cell, cell_index, **_):
        self.started[cell_index] = time.monotonic()

    def stop(self, cell, cell_index, **_):
        if time.monotonic() - self.started[cell_index] >= 0.9 * self.timeout:
            self.stalled.append(cell_index)


def busy() -> None:
    while True:
        pass


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pattern", choices=("capture", "assign"), default="capture")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--cells", type=int, default=5, help="widget cells per notebook")
    p.add_argument("--frames", type=int, default=30, help="outputs written into each widget")
    p.add_argument("--load", type=int, default=0, help="busy processes beside it")
    p.add_argument("--cell-timeout", type=int, default=30)
    a = p.parse_args(argv)
    hogs = [mp.Process(target=busy, daemon=True) for _ in range(a.load)]
    for h in hogs:
        h.start()
    hung = 0
    try:
        for run in range(1, a.runs + 1):
            nb = notebook(a.pattern, a.cells, a.frames)
            timer = CellTimer(a.cell_timeout)
            start = time.perf_counter()
            client = NotebookClient(
                nb, timeout=a.cell_timeout, kernel_name="python3", on_cell_execute=timer.start,
                on_cell_executed=timer.stop,
            )  # fmt: skip
            try:
                client.execute()
                verdict = f"STALLED in cell {timer.stalled} until the timeout" if timer.stalled else "ok"
                hung += bool(timer.stalled)
            except CellTimeoutError as err:
                hung += 1
                verdict = "HUNG: " + str(err).strip().splitlines()[-1][:100]
            print(f"run {run:3d} {a.pattern}: {time.perf_counter() - start:6.1f} s  {verdict}", flush=True)
    finally:
        for h in hogs:
            h.terminate()
    print(f"{a.runs} executions ({a.pattern}, load {a.load}): {hung} stalled or hung")
    return 1 if hung else 0


if __name__ == "__main__":
    sys.exit(main())
