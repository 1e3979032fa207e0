"""A minimal nbgrader course for the batch grader's tests, and the student
submissions (honest, broken, hostile) graded against it.

The assignment ``toy`` has one notebook with a read-only set-up cell, two
answer cells (``sigmoid`` and ``relu``) and two test cells, one of them with a
hidden part. ``SUBMISSIONS`` maps a student name to either the notebook's
answer code (a dict: grade_id -> source, plus optional ``extra`` cells and
``tamper``), or raw bytes for malformed files, or a problem marker.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}

SETUP = "import numpy as np"
SIGMOID_SOLUTION = """def sigmoid(x):
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
    ### END SOLUTION"""
RELU_SOLUTION = """def relu(x):
    ### BEGIN SOLUTION
    return np.maximum(np.asarray(x, dtype=float), 0.0)
    ### END SOLUTION"""
TEST_SIGMOID = """x = np.array([-2.0, 0.0, 3.0])
out = sigmoid(x)
assert type(out) is np.ndarray, f"sigmoid must return a numpy array, got {type(out)}"
assert np.allclose(out[1], 0.5), "sigmoid(0) should be 0.5"
### BEGIN HIDDEN TESTS
SECRET_EXPECTED = 1.0 / (1.0 + np.exp(-np.array([-2.0, 0.0, 3.0])))
assert out.shape == (3,) and out.dtype.kind == "f"
assert np.allclose(out, SECRET_EXPECTED), "hidden: values wrong"
### END HIDDEN TESTS"""
TEST_RELU = """y = relu(np.array([-1.0, 2.0]))
assert type(y) is np.ndarray
assert np.array_equal(y, np.array([0.0, 2.0]))"""

BLANK = "    # YOUR CODE HERE\n    raise NotImplementedError()"


def cell_meta(grade_id, *, grade=False, solution=False, locked=False, points=0):
    m = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if grade:
        m["points"] = points
    return {"nbgrader": m}


def assignment_notebook(title: str, setup: nbformat.NotebookNode, questions) -> nbformat.NotebookNode:
    """An nbgrader source notebook: a read-only ``title``, the ``setup`` cell, then for each question
    ``(grade_id, solution, test, points)`` its answer cell and its test cell ``test_<grade_id>``."""
    cells = [new_markdown_cell(title, metadata=cell_meta("intro", locked=True)), setup]
    for gid, solution, test, points in questions:
        cells.append(new_code_cell(solution, metadata=cell_meta(gid, solution=True)))
        cells.append(new_code_cell(test, metadata=cell_meta(f"test_{gid}", grade=True, locked=True, points=points)))
    return new_notebook(cells=cells, metadata={"kernelspec": KERNEL})


def filled_in(source: nbformat.NotebookNode, answers: dict) -> nbformat.NotebookNode:
    """The release version of ``source`` (solutions and hidden tests taken out) with ``answers``
    (grade_id -> code) in its answer cells."""
    nb = copy.deepcopy(source)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = answers.get(meta["grade_id"], release_source(cell.source))
        elif cell.cell_type == "code":
            cell.source = release_source(cell.source)
    return nb


def source_notebook() -> nbformat.NotebookNode:
    return assignment_notebook(
        "# Toy assignment",
        new_code_cell(SETUP, metadata=cell_meta("setup", locked=True)),
        [("sigmoid", SIGMOID_SOLUTION, TEST_SIGMOID, 2), ("relu", RELU_SOLUTION, TEST_RELU, 1)],
    )


def release_source(source: str) -> str:
    import re

    out = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", BLANK.strip(), source, flags=re.S)
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", out, flags=re.S)


def make_course(root: Path) -> Path:
    """Write ``root/source/toy/toy.ipynb`` (and a release copy); returns ``root``."""
    (root / "source" / "toy").mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), root / "source" / "toy" / "toy.ipynb")
    return root


def student_notebook(answers: dict | None = None, *, extra=(), tamper=None) -> nbformat.NotebookNode:
    """The release notebook with ``answers`` (grade_id -> code) filled in.
    ``extra``: (after_grade_id, code) cells the student added.
    ``tamper``: a function that edits the notebook in place."""
    nb = filled_in(source_notebook(), answers or {})
    for after, code in reversed(list(extra)):
        idx = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == after)
        nb.cells.insert(idx + 1, new_code_cell(code))
    if tamper:
        tamper(nb)
    return nb


def write_submission(folder: Path, student: str, spec) -> None:
    """Write one student's submission into ``folder`` (nbgrader ``submitted/`` layout)."""
    d = folder / student / "toy"
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(spec, bytes):
        (d / "toy.ipynb").write_bytes(spec)
    elif spec == "MISSING":
        pass
    elif isinstance(spec, tuple) and spec[0] == "RENAMED":
        nbformat.write(student_notebook(spec[1]), d / "Toy (1).ipynb")
    elif isinstance(spec, nbformat.NotebookNode):
        nbformat.write(spec, d / "toy.ipynb")
    else:
        nbformat.write(student_notebook(**spec), d / "toy.ipynb")


GOOD = {
    "sigmoid": SIGMOID_SOLUTION.replace("### BEGIN SOLUTION\n    ", "").replace("\n    ### END SOLUTION", ""),
    "relu": RELU_SOLUTION.replace("### BEGIN SOLUTION\n    ", "").replace("\n    ### END SOLUTION", ""),
}


def nbformat3_notebook() -> bytes:
    """The correct answers saved as an nbformat 3 notebook."""
    nb4 = student_notebook(GOOD)
    v3 = nbformat.convert(nb4, 3)
    return nbformat.writes(v3, version=3).encode()
