"""grader.plan.build_plan: a submission rebuilt around the genuine cells of the source
(nbgrader's OverwriteCells and DeduplicateIds, plus restoring deleted cells), on a small
notebook made here; and read_submission's statuses."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.messages import Status
from grader.plan import SubmissionError, build_plan, read_submission
from grader.scan import forbidden_uses


def meta(gid, *, grade=False, solution=False, locked=False, points=None):
    m = {"grade": grade, "solution": solution, "locked": locked, "grade_id": gid, "schema_version": 3}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source():
    return new_notebook(
        cells=[
            new_markdown_cell("# Title", metadata=meta("intro", locked=True)),
            new_code_cell("import numpy as np\nK = 2", metadata=meta("setup", locked=True)),
            new_code_cell("def f(x):\n    return K * x", metadata=meta("f", solution=True)),
            new_code_cell(
                "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS",
                metadata=meta("test_f", grade=True, locked=True, points=2),
            ),
            new_code_cell("assert f(0) == 0", metadata=meta("test_g", grade=True, locked=True, points=1)),
        ]
    )


def release():
    """What students get: hidden tests removed, the answer blank."""
    nb = copy.deepcopy(source())
    nb.cells[2].source = "def f(x):\n    raise NotImplementedError()"
    nb.cells[3].source = "assert f(1) == 2\n"
    return nb


def roles(plan):
    return [(e.role, e.grade_id) for e in plan.entries]


def test_honest_submission_keeps_the_answer_and_gets_the_hidden_tests_back():
    sub = release()
    sub.cells[2].source = "def f(x):\n    return 2 * x"
    sub.cells.insert(3, new_code_cell("print(f(5))"))  # the student's own cell stays where it was put
    plan = build_plan(source(), sub)
    assert not plan.tampered and plan.notes == []
    assert roles(plan) == [
        ("markdown", "intro"),
        ("instructor", "setup"),
        ("student", "f"),
        ("student", None),
        ("test", "test_f"),
        ("test", "test_g"),
    ]
    assert plan.entries[2].cell.source == "def f(x):\n    return 2 * x"
    assert "HIDDEN TESTS" in plan.entries[4].cell.source
    assert plan.tests == {"test_f": (3, 2.0), "test_g": (4, 1.0)}
    assert [i for i, _ in plan.checker_setup] == [1]  # set-up that needs nothing from students runs in the checker


def test_an_edited_test_is_restored_and_marked_tampered():
    sub = release()
    sub.cells[3].source = "pass"
    plan = build_plan(source(), sub)
    assert plan.tampered and "test cell test_f was edited (restored from the source)" in plan.notes
    assert "assert f(3) == 6" in plan.entries[3].cell.source


def test_a_deleted_test_is_put_back_in_place():
    sub = release()
    del sub.cells[3]
    plan = build_plan(source(), sub)
    assert plan.tampered and any("test_f was deleted" in n for n in plan.notes)
    assert roles(plan)[3] == ("test", "test_f")


def test_changed_points_are_restored_from_the_source():
    sub = release()
    sub.cells[4].metadata["nbgrader"]["points"] = 100
    plan = build_plan(source(), sub)
    assert plan.tampered and "metadata of test_g was edited (restored from the source)" in plan.notes
    assert plan.entries[4].cell.metadata["nbgrader"]["points"] == 1 and plan.tests["test_g"] == (4, 1.0)


def test_a_duplicated_grade_id_runs_as_ordinary_code():
    sub = release()
    dup = copy.deepcopy(sub.cells[4])
    dup.source = "pass"
    sub.cells.append(dup)
    plan = build_plan(source(), sub)
    assert plan.tampered and roles(plan)[-1] == ("student", None)
    assert "nbgrader" not in plan.entries[-1].cell.metadata


def test_a_deleted_answer_is_missing_not_tampered():
    sub = release()
    del sub.cells[2]
    plan = build_plan(source(), sub)
    assert not plan.tampered and ("missing", "f") in roles(plan)


def test_forbidden_modules_are_found_in_student_cells_only():
    sub = release()
    sub.cells[2].source = "def f(x):\n    import torch\n    return x * 2"
    plan = build_plan(source(), sub)
    assert forbidden_uses(plan, source(), ("torch",)) == ["cell 3 uses torch"]
    assert forbidden_uses(plan, source(), ("jax",)) == []


@pytest.mark.parametrize(
    "content, status, reason",
    [
        (b"", Status.INVALID, "empty"),
        (b'{"cells": [', Status.INVALID, "truncated"),
        (b"\xff\xfe", Status.INVALID, "UTF-8"),
        (b"[1]", Status.INVALID, "not a notebook"),
        (b'{"cells": [], "nbformat": 2}', Status.INVALID, "unsupported nbformat"),
        (json.dumps(nbformat.v4.new_notebook()).encode(), Status.EMPTY, "no code cells"),
    ],
)
def test_read_submission_statuses(tmp_path, content, status, reason):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError) as err:
        read_submission(path)
    assert err.value.status is status and reason in err.value.reason
    with pytest.raises(SubmissionError) as err:
        read_submission(tmp_path / "absent.ipynb")
    assert err.value.status is Status.MISSING
