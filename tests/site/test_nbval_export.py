"""docs/nbval_export.py: nbval's run of a notebook, saved with the outputs a front end would keep.

A small notebook with what the course's notebooks do (prints, a tqdm.auto progress bar, a
widget, clear_output, a display updated in place, an Output widget with assigned outputs) is
run by nbval with the plugin, then executed by nbclient the way build_site.py does: the two
saved notebooks must hold the same outputs and the same widget models. A notebook with a
failing cell is not saved (and an older copy of it is removed); a notebook outside the
exported folder (an assignment's source) is never saved.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import executed
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.site

REPO = Path(__file__).resolve().parents[2]
CELLS = [
    "print('hello')",
    "import os\nprint('site folder on the path:', os.environ.get('PYTHONPATH'))",
    "from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='steps'):\n    pass",
    "import ipywidgets as widgets\nwidgets.IntSlider(value=3, description='n')",
    "from IPython.display import clear_output\nprint('before')\nclear_output(wait=True)\nprint('after')",
    "from IPython.display import display\nhandle = display('first', display_id=True)\nhandle.update('second')",
    "out = widgets.Output()\nout.outputs = ({'output_type': 'stream', 'name': 'stdout', 'text': 'inside'},)\nout",
]


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _outputs(nb) -> list[list[tuple]]:
    """Each code cell's outputs, as (type, text or MIME types), widget model ids left out."""
    cells = []
    for cell in nb.cells:
        outs = []
        for out in cell.outputs:
            if out.output_type == "stream":
                outs.append(("stream", out.name, out.text))
            else:
                outs.append(
                    (
                        out.output_type,
                        out.data.get("text/plain") if "text/plain" in out.data else None,
                        sorted(out.data),
                    )
                )
        cells.append(outs)
    return cells


def _models(nb) -> Counter:
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return Counter(model["model_name"] for model in state.values())


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Run nbval with the plugin over a folder of notebooks and one notebook outside it."""
    root = tmp_path_factory.mktemp("nbval-export")
    course = root / "notebooks"
    good = _notebook(course / "good.ipynb", CELLS)
    _notebook(course / "broken.ipynb", ["print('fine')", "raise ValueError('a failing cell')"])
    secret = _notebook(root / "source" / "secret.ipynb", ["print('a reference solution')"])
    out = root / "executed"
    out.mkdir()
    (out / "broken.ipynb").write_text("{}")  # an older copy, to be removed
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO / "docs"),
        COURSE_EXECUTED_DIR=str(out),
        COURSE_EXECUTED_SOURCES=str(course),
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "nbval_export", "-p", "no:cacheprovider", "-q"]
        + ["--nbval-lax", "--nbval-current-env", str(course), str(secret)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "1 failed" in result.stdout, result.stdout + result.stderr  # the broken notebook only
    return {"good": good, "out": out, "nbval": result}


def test_saves_the_notebook_nbval_ran(exported):
    saved = nbformat.read(exported["out"] / "good.ipynb", as_version=4)
    assert saved.metadata["course_site"]["executed_by"] == "nbval"
    assert executed.is_fresh(exported["out"] / "good.ipynb", exported["good"])
    outputs = _outputs(saved)
    assert outputs[0] == [("stream", "stdout", "hello\n")]
    assert outputs[1] == [("stream", "stdout", "site folder on the path: None\n")], "PYTHONPATH reached the kernel"
    assert outputs[4] == [("stream", "stdout", "after\n")], "clear_output(wait=True) was not applied"
    assert outputs[5] == [("display_data", "'second'", ["text/plain"])], "the display update was not applied"
    assert all("application/vnd.jupyter.widget-view+json" in o[2] for o in outputs[2] + outputs[3] + outputs[6])
    models = _models(saved)
    assert models["FloatProgressModel"] == 1 and models["IntSliderModel"] == 1 and models["OutputModel"] == 1
    assert [c.execution_count for c in saved.cells] == list(range(1, len(CELLS) + 1))


def test_saves_what_nbclient_would(exported, tmp_path):
    by_nbval = nbformat.read(exported["out"] / "good.ipynb", as_version=4)
    by_nbclient = nbformat.read(executed.execute(exported["good"], tmp_path), as_version=4)
    assert _outputs(by_nbval) == _outputs(by_nbclient)
    assert _models(by_nbval) == _models(by_nbclient)
    output_widget = [
        m for m in by_nbval.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"].values()
    ]
    assert any(
        m["state"].get("outputs") == [{"output_type": "stream", "name": "stdout", "text": "inside"}]
        for m in output_widget
    )


def test_a_failing_notebook_is_not_saved(exported):
    assert not (exported["out"] / "broken.ipynb").exists()


def test_a_notebook_outside_the_folder_is_never_saved(exported):
    assert sorted(p.name for p in exported["out"].iterdir()) == ["good.ipynb"]
