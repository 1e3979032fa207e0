"""pytest plugin: keep each course notebook that nbval executed, with its outputs, for the site.

With ``COURSE_EXECUTED_DIR`` set, every notebook of ``notebooks/`` that nbval runs without a
failure is written to ``$COURSE_EXECUTED_DIR/<name>.ipynb``: the cells with the outputs of
that run, the execution counts, and the ipywidgets state (so that the site shows progress bars
and widget explorers as they were left). ``build_site.py`` then builds the site from these files
instead of executing the notebooks a second time. Without the variable the plugin does nothing.

Enable it with ``-p nbval_export`` and this folder (a folder of scripts, not a package) on the
import path::

    COURSE_EXECUTED_DIR=build/executed PYTHONPATH=docs python -m pytest -p nbval_export \\
        --nbval-lax --nbval-current-env notebooks assignments/source

How: nbval keeps only part of what a front end sees (it drops ``clear_output``, display
updates and every comm message). The plugin listens to the same kernel messages nbval reads
(it wraps the nbval kernel's ``get_message`` and ``execute_cell_input``; it sends nothing to
the kernel) and feeds them to nbclient's own message handling, the code ``nbconvert --execute``
and ``build_site.py`` use, so a notebook saved here has the outputs and widget state an nbclient
run would give (``tests/site/test_nbval_export.py`` compares the two). nbval executes with
``store_history=False``, so the kernel's execution counts stay put: the saved cells are numbered
in the order they ran. Assignment sources (reference solutions) and notebooks outside
``notebooks/`` (``$COURSE_EXECUTED_SOURCES`` in tests) are never saved. A notebook with a failed
cell is not saved, and an older copy of it is removed.
"""

from __future__ import annotations

import os
from pathlib import Path

import executed
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete

ENV = "COURSE_EXECUTED_DIR"
# The folder whose notebooks are saved: notebooks/ unless this says otherwise (for tests).
SOURCES_ENV = "COURSE_EXECUTED_SOURCES"
_HERE = Path(__file__).resolve().parent


def _forget_own_folder_in_pythonpath() -> None:
    """Kernels inherit PYTHONPATH: they must not see this folder, only a plain run's path."""
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    kept = [p for p in parts if Path(p).resolve() != _HERE]
    if kept != parts:
        if kept:
            os.environ["PYTHONPATH"] = os.pathsep.join(kept)
        else:
            del os.environ["PYTHONPATH"]


class _Deaf:
    """A kernel client stand-in for nbclient's Output-widget mimic, which would send the
    captured outputs back to the kernel: the exporter only listens, so nothing is sent."""

    class session:  # lower case: the attribute names of jupyter_client's KernelClient
        @staticmethod
        def msg(*args, **kwargs):
            return {}

    class shell_channel:
        @staticmethod
        def send(msg):
            pass


class _Recording:
    """One notebook being executed by nbval: the copy that receives the outputs."""

    def __init__(self, nb_file):
        self.source = Path(str(nb_file.fspath))
        self.original_cells = nb_file.nb.cells
        self.nb = nbformat.from_dict(nb_file.nb)  # a deep copy; nbval's own stays as read
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        self.client = NotebookClient(self.nb, store_widget_state=True, record_timing=False)
        self.client.kc = _Deaf()
        self.client.clear_before_next_output = False
        self.cell_of_msg: dict[str, int] = {}
        self.failed = False
        self.kernel = None

    def listen(self, kernel) -> None:
        """Wrap ``kernel`` (nbval's RunningKernel) so that its iopub messages reach us too."""
        if self.kernel is kernel:
            return
        self.kernel = kernel
        get_message, execute_cell_input = kernel.get_message, kernel.execute_cell_input

        def tapped_get_message(stream, timeout=None):
            msg = get_message(stream, timeout=timeout)
            if stream == "iopub":
                self.on_iopub(msg)
            return msg

        def tapped_execute_cell_input(cell_input, allow_stdin=None):
            msg_id = execute_cell_input(cell_input, allow_stdin=allow_stdin)
            self.cell_of_msg[msg_id] = self.current_cell
            return msg_id

        kernel.get_message = tapped_get_message
        kernel.execute_cell_input = tapped_execute_cell_input

    def start_cell(self, nbval_cell) -> None:
        self.current_cell = next(i for i, c in enumerate(self.original_cells) if c is nbval_cell)

    def on_iopub(self, msg) -> None:
        index = self.cell_of_msg.get(msg.get("parent_header", {}).get("msg_id"))
        if index is None:
            return  # kernel start-up, or a message that belongs to no cell
        try:
            self.client.process_message(msg, self.nb.cells[index], index)
        except CellExecutionComplete:
            pass

    def save(self, out_dir: Path) -> Path:
        self.client.set_widgets_metadata()
        # nbval executes with store_history=False, so the kernel's counts do not advance:
        # number the cells that ran in order, as a front end would show them
        for count, index in enumerate(sorted(set(self.cell_of_msg.values())), start=1):
            cell = self.nb.cells[index]
            cell.execution_count = count
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
        return executed.save(self.nb, self.source, "nbval", out_dir)


class NbvalExport:
    def __init__(self, out_dir: Path, notebooks: Path):
        self.out_dir = out_dir
        self.notebooks = notebooks.resolve()
        self.recordings: dict[int, _Recording] = {}

    def _recording(self, item) -> _Recording | None:
        nb_file = getattr(item, "parent", None)
        if not hasattr(item, "cell") or not hasattr(nb_file, "nb"):
            return None  # not an nbval cell
        if Path(str(nb_file.fspath)).resolve().parent != self.notebooks:
            return None  # assignment sources and anything else: never exported
        key = id(nb_file)
        if key not in self.recordings:
            self.recordings[key] = _Recording(nb_file)
        return self.recordings[key]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        recording = self._recording(item)
        if recording is not None and item.parent.kernel is not None:
            recording.listen(item.parent.kernel)
            recording.start_cell(item.cell)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        recording = self._recording(item)
        if recording is not None and outcome.get_result().failed:
            recording.failed = True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        yield
        recording = self._recording(item)
        if recording is None or (nextitem is not None and nextitem.parent is item.parent):
            return  # not an exported notebook, or not its last cell yet
        del self.recordings[id(item.parent)]
        if recording.failed:
            (self.out_dir / recording.source.name).unlink(missing_ok=True)
        else:
            recording.save(self.out_dir)


def pytest_configure(config):
    _forget_own_folder_in_pythonpath()
    out_dir = os.environ.get(ENV)
    if out_dir:
        sources = Path(os.environ.get(SOURCES_ENV) or executed.NOTEBOOKS)
        config.pluginmanager.register(NbvalExport(Path(out_dir).resolve(), sources), "course-site-nbval-export")
