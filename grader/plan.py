"""Reading a submission and rebuilding it around the genuine tests: the plan the worker runs.

Part of :mod:`grader`. Runs in the trusted worker. :func:`read_submission` parses a student's
notebook, or says why it cannot be graded (:class:`SubmissionError`); :func:`build_plan` merges
it with the source notebook into a :class:`Plan`: the cells to run, in order, each with its role.

How a submission is rebuilt (the rules of nbgrader's ``OverwriteCells`` and ``DeduplicateIds``,
plus restoring what was deleted; ``assignments/GRADING.md`` says why nbgrader's own
preprocessors are not called):

* a cell whose ``grade_id`` names a *solution* cell of the source notebook keeps
  the student's code, with the source's metadata (points cannot be changed);
* a cell whose ``grade_id`` names a *test* or read-only cell is replaced by the
  source version (with its hidden tests); a test cell the student deleted is
  put back after the cell that precedes it in the source;
* a second cell with an already seen ``grade_id`` loses its nbgrader metadata
  and runs as ordinary student code (it earns nothing);
* every other cell is student code and runs where the student put it.

The plan also lists the instructor's code cells that need nothing from student code: the
checker runs them itself (:mod:`grader.checker`), so a test's set-up never comes from the
student's process.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field

import nbformat

from .feedback import HIDDEN_RE
from .messages import Status
from .scan import bound_names, free_names

MAX_NOTEBOOK_BYTES = 50 * 2**20


class SubmissionError(Exception):
    """The submission cannot be graded; ``status`` and the message say why."""

    def __init__(self, status: Status, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def read_submission(path) -> tuple[nbformat.NotebookNode, list[str]]:
    """Parse a student's notebook; raises :class:`SubmissionError` with a clear reason."""
    notes = []
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise SubmissionError(Status.MISSING, f"cannot read the notebook: {err.strerror}") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(
            Status.INVALID, f"notebook is {size / 2**20:.0f} MiB (limit {MAX_NOTEBOOK_BYTES >> 20} MiB)"
        )
    with open(path, "rb") as fh:
        raw = fh.read()
    if not raw.strip():
        raise SubmissionError(Status.INVALID, "the file is empty (0 bytes of JSON)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SubmissionError(Status.INVALID, "not a notebook: the file is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        truncated = err.pos >= len(raw.decode("utf-8", "replace").rstrip()) - 1
        raise SubmissionError(
            Status.INVALID,
            (
                "truncated JSON: the file ends before the notebook does"
                if truncated
                else f"not JSON: {err.msg} at line {err.lineno}"
            ),
        ) from None
    except RecursionError:
        raise SubmissionError(Status.INVALID, "not JSON: nested too deeply") from None
    if type(data) is not dict or "cells" not in data and "worksheets" not in data or "nbformat" not in data:
        raise SubmissionError(Status.INVALID, "valid JSON but not a notebook (no 'cells'/'nbformat')")
    major = data.get("nbformat")
    if major not in (3, 4):
        raise SubmissionError(Status.INVALID, f"unsupported nbformat version {major!r}")
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        if major == 3:
            notes.append("converted from nbformat 3 to 4")
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds
        raise SubmissionError(Status.INVALID, f"not a valid notebook: {str(err).splitlines()[0][:200]}") from None
    if not any(c.cell_type == "code" for c in nb.cells):
        raise SubmissionError(Status.EMPTY, "the notebook has no code cells")
    return nb, notes


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata; ``{}`` when it has none, or something that is not a dict
    (a submission's metadata is the student's to edit)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def cell_kind(cell) -> str:
    """What nbgrader makes of a cell: ``solution`` (an answer, manually graded ones included),
    ``test`` (an autograded test cell), ``manual`` (a graded cell that is not code), ``locked``
    (read-only) or ``plain``."""
    m = nbgrader_meta(cell)
    if m.get("solution"):
        return "solution"
    if m.get("grade") and cell.cell_type == "code":
        return "test"
    if m.get("grade"):
        return "manual"
    if m.get("locked"):
        return "locked"
    return "plain"


def _same_test(student: str, source: str) -> bool:
    """Whether a student's copy of a read-only cell is the released version
    (the release drops hidden tests entirely)."""
    norm = lambda t: "\n".join(line.rstrip() for line in t.strip().splitlines())  # noqa: E731
    return norm(student) in (norm(source), norm(HIDDEN_RE.sub("", source)))


def _metadata_edited(student, source) -> bool:
    """Whether a student's cell claims other points, or another kind, than the source's cell."""
    mine, genuine = nbgrader_meta(student), nbgrader_meta(source)
    return any(mine.get(k) != genuine.get(k) for k in ("points", "grade", "solution", "locked"))


@dataclass
class Entry:
    cell: nbformat.NotebookNode
    role: str  # student | test | instructor | markdown
    source_index: int | None = None
    grade_id: str | None = None


@dataclass
class Plan:
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)
    tampered: bool = False
    checker_setup: list[tuple[int, str]] = field(default_factory=list)  # (source index, code)
    tests: dict = field(default_factory=dict)  # grade_id -> (source index, points)


def build_plan(source_nb, student_nb) -> Plan:
    """``student_nb`` rebuilt around the genuine cells of ``source_nb`` (see the module docstring),
    with notes on what was restored, whether it was tampered with, the test cells' points, and
    the instructor's cells the checker may run itself."""
    src_by_id = {}
    for i, c in enumerate(source_nb.cells):
        gid = nbgrader_meta(c).get("grade_id")
        if gid and cell_kind(c) != "plain":
            src_by_id[gid] = (i, c)
    plan = Plan(entries=[])
    seen = set()
    for c in student_nb.cells:
        gid = nbgrader_meta(c).get("grade_id")
        if gid in src_by_id and gid not in seen:
            seen.add(gid)
            i, sc = src_by_id[gid]
            kind = cell_kind(sc)
            if kind in ("solution", "manual") and nbgrader_meta(sc).get("solution"):
                new = copy.deepcopy(sc)
                new.source = c.source if c.cell_type == sc.cell_type else sc.source
                if c.cell_type != sc.cell_type:
                    plan.notes.append(f"answer cell {gid} changed type: its content was not graded")
                    plan.tampered = True
                if _metadata_edited(c, sc):
                    plan.notes.append(f"metadata of {gid} was edited (restored from the source)")
                    plan.tampered = True
                role = "student" if sc.cell_type == "code" else "markdown"
            else:
                new = copy.deepcopy(sc)
                if not _same_test(c.source, sc.source) or c.cell_type != sc.cell_type:
                    plan.notes.append(
                        f"{'test' if kind == 'test' else 'read-only'} cell {gid} was edited (restored from the source)"
                    )
                    plan.tampered = True
                elif _metadata_edited(c, sc):
                    plan.notes.append(f"metadata of {gid} was edited (restored from the source)")
                    plan.tampered = True
                role = "test" if kind == "test" else ("instructor" if sc.cell_type == "code" else "markdown")
            if hasattr(new, "outputs"):
                new.outputs, new.execution_count = [], None
            plan.entries.append(Entry(new, role, i, gid))
        else:
            new = copy.deepcopy(c)
            if gid in seen:
                plan.notes.append(f"duplicate grade_id {gid}: the copy runs as ordinary code and earns nothing")
                plan.tampered = True
            elif gid:
                plan.notes.append(f"unknown grade_id {gid}: runs as ordinary code")
            new.metadata.pop("nbgrader", None)
            if new.cell_type == "code":
                new.outputs, new.execution_count = [], None
            plan.entries.append(Entry(new, "student" if new.cell_type == "code" else "markdown"))
    # put back what was deleted, after the entry that precedes it in the source
    for gid, (i, sc) in sorted(src_by_id.items(), key=lambda kv: kv[1][0]):
        if gid in seen:
            continue
        kind = cell_kind(sc)
        new = copy.deepcopy(sc)
        if hasattr(new, "outputs"):
            new.outputs, new.execution_count = [], None
        if kind in ("solution", "manual") and nbgrader_meta(sc).get("solution"):
            plan.notes.append(f"answer cell {gid} is missing (not answered)")
            role = "missing"
        else:
            plan.notes.append(
                f"{'test' if kind == 'test' else 'read-only'} cell {gid} was deleted (restored from the source)"
            )
            plan.tampered = True
            role = "test" if kind == "test" else ("instructor" if sc.cell_type == "code" else "markdown")
        pos = 0
        for k, e in enumerate(plan.entries):
            if e.source_index is not None and e.source_index < i:
                pos = k + 1
        plan.entries.insert(pos, Entry(new, role, i, gid))
    # trusted set-up for the checker: instructor code cells that need nothing from students
    defined: set[str] = set()
    for i, c in enumerate(source_nb.cells):
        if c.cell_type != "code":
            continue
        kind = cell_kind(c)
        if kind == "test":
            plan.tests[nbgrader_meta(c)["grade_id"]] = (i, float(nbgrader_meta(c).get("points", 0) or 0))
            defined |= bound_names(c.source)
        elif kind in ("locked", "plain"):
            free = free_names(c.source)
            if free is not None and free <= defined:
                plan.checker_setup.append((i, c.source))
                defined |= bound_names(c.source)
    return plan
