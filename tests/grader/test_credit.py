"""Points per test cell (grader.checker): a test cell earns its points unless it raises; a numeric
last value gives partial credit (nbgrader's get_partial_grade), capped at the cell's points.
Runs execute_plan on test cells only, with a channel that is never used."""

from __future__ import annotations

import numpy as np
import pytest
from nbformat.v4 import new_code_cell

from grader.checker import execute_plan, partial_grade
from grader.limits import Limits
from grader.messages import RunState
from grader.plan import Entry, Plan


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, (2.0, None)),  # no last value: full points
        (1, (1.0, None)),
        (0.5, (0.5, None)),
        (np.float32(1.5), (1.5, None)),
        ("0.25", (0.25, None)),  # nbgrader reads text/plain as a number
        ("not a number", (2.0, None)),
        (0, (0.0, None)),
        (float("nan"), (2.0, None)),
        (-1, (2.0, None)),
        ([1], (2.0, None)),  # not a number: the cell simply passed
        (True, (2.0, None)),  # exact int/float only
    ],
)
def test_partial_grade(value, expected):
    assert partial_grade(value, 2.0) == expected


def test_partial_credit_above_the_points_is_capped_with_a_note():
    score, note = partial_grade(5, 2.0)
    assert score == 2.0 and "capped" in note


class NoChannel:
    """The checker's channel, for test cells that never ask the student process anything."""

    dead = None
    deadline = None

    def request(self, req):  # pragma: no cover - a test here that reaches the student is a bug
        raise AssertionError(f"unexpected request {req}")


def run_tests(cells: dict[str, tuple[str, float]], **limits):
    plan = Plan(entries=[])
    for i, (gid, (code, points)) in enumerate(cells.items()):
        plan.entries.append(Entry(new_code_cell(code), "test", i, gid))
        plan.tests[gid] = (i, points)
    limits = Limits(**{"cell_timeout": 5, "notebook_timeout": 30, **limits})
    return execute_plan(plan, NoChannel(), limits, lambda: True, lambda why: None)


def test_points_per_test_cell():
    results, events, state = run_tests(
        {
            "passes": ("assert 1 + 1 == 2", 2.0),
            "fails": ("assert 1 + 1 == 3, 'arithmetic'", 3.0),
            "half": ("0.5", 1.0),
            "too_much": ("7", 1.0),
            "raises_late": ("x = 1\nraise ValueError('no')", 4.0),
        }
    )
    assert state is RunState.OK
    assert {gid: r.score for gid, r in results.items()} == {
        "passes": 2.0,
        "fails": 0.0,
        "half": 0.5,
        "too_much": 1.0,
        "raises_late": 0.0,
    }
    assert results["fails"].message == "AssertionError: arithmetic" and not results["fails"].passed
    assert results["half"].message == "partial credit 0.5" and results["passes"].passed
    assert any("too_much" in e and "capped" in e for e in events)


def test_a_hidden_failure_is_not_shown_to_the_student():
    code = "assert True\n### BEGIN HIDDEN TESTS\nassert 1 == 2, 'secret 42'\n### END HIDDEN TESTS"
    results, _, _ = run_tests({"t": (code, 1.0)})
    assert "secret" in results["t"].message  # the instructor sees it
    assert "secret" not in results["t"].public_message and "hidden" in results["t"].public_message


def test_a_test_cell_past_its_time_is_stopped():
    results, _, _ = run_tests({"slow": ("while True:\n    pass", 1.0)}, cell_timeout=0.2, interrupt_grace=0.1)
    assert results["slow"].score == 0.0 and "TimeoutError" in results["slow"].message
