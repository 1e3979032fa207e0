"""Grading one student: read the submission, rebuild it around the genuine
tests, run it in lockstep with the sandboxed student process, score, and write
the autograded notebook and the feedback page.

Part of :mod:`grader`. Everything here runs in the trusted
worker process; student code runs only in the sandbox
(:mod:`grader.sandbox`) and reaches the tests only through
:mod:`grader.codec`.

How a submission is rebuilt (same rules as nbgrader's ``OverwriteCells`` and
``DeduplicateIds``, plus restoring what was deleted):

* a cell whose ``grade_id`` names a *solution* cell of the source notebook keeps
  the student's code, with the source's metadata (points cannot be changed);
* a cell whose ``grade_id`` names a *test* or read-only cell is replaced by the
  source version (with its hidden tests); a test cell the student deleted is
  put back after the cell that precedes it in the source;
* a second cell with an already seen ``grade_id`` loses its nbgrader metadata
  and runs as ordinary student code (it earns nothing);
* every other cell is student code and runs where the student put it.

Test cells run in the worker, never in the student process; names a test uses
resolve first to what the test cells and the instructor's own set-up cells
(run here too when they do not depend on student code) define, then to the
builtins, and only then to the student's namespace (plain data by value,
modules re-imported here, functions and objects as handles).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import html
import importlib
import json
import os
import re
import signal
import time
import traceback
from dataclasses import dataclass, field

import nbformat

from .codec import Channel, ProtocolError, StudentTimeout, decode
from .feedback import HIDDEN_RE, hidden_lines, public_error, public_source  # noqa: F401 (re-exported)
from .messages import Exec, Get, RunState, Status
from .sandbox import Limits, _Capture

MAX_NOTEBOOK_BYTES = 50 * 2**20


class SubmissionError(Exception):
    """The submission cannot be graded; ``status`` and the message say why."""

    def __init__(self, status: Status, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


# ------------------------------------------------------------------ reading
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


# ----------------------------------------------------------------- merging
def _nbg(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def cell_kind(cell) -> str:
    m = _nbg(cell)
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
    src_by_id = {}
    for i, c in enumerate(source_nb.cells):
        gid = _nbg(c).get("grade_id")
        if gid and cell_kind(c) != "plain":
            src_by_id[gid] = (i, c)
    plan = Plan(entries=[])
    seen = set()
    for c in student_nb.cells:
        gid = _nbg(c).get("grade_id")
        if gid in src_by_id and gid not in seen:
            seen.add(gid)
            i, sc = src_by_id[gid]
            kind = cell_kind(sc)
            if kind in ("solution", "manual") and _nbg(sc).get("solution"):
                new = copy.deepcopy(sc)
                new.source = c.source if c.cell_type == sc.cell_type else sc.source
                if c.cell_type != sc.cell_type:
                    plan.notes.append(f"answer cell {gid} changed type: its content was not graded")
                    plan.tampered = True
                sm, om = _nbg(c), _nbg(sc)
                if any(sm.get(k) != om.get(k) for k in ("points", "grade", "solution", "locked")):
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
                elif any(_nbg(c).get(k) != _nbg(sc).get(k) for k in ("points", "grade", "solution", "locked")):
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
        if kind in ("solution", "manual") and _nbg(sc).get("solution"):
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
            plan.tests[_nbg(c)["grade_id"]] = (i, float(_nbg(c).get("points", 0) or 0))
            defined |= bound_names(c.source)
        elif kind in ("locked", "plain"):
            free = free_names(c.source)
            if free is not None and free <= defined:
                plan.checker_setup.append((i, c.source))
                defined |= bound_names(c.source)
    return plan


def _python(source: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        return source


def _names(source: str):
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return None, None
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, ast.alias):
            stores.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
    return loads, stores


def free_names(source: str) -> set[str] | None:
    loads, stores = _names(source)
    if loads is None:
        return None
    return loads - stores - set(vars(builtins)) - {"get_ipython"}


def bound_names(source: str) -> set[str]:
    return _names(source)[1] or set()


def forbidden_uses(plan: Plan, source_nb, forbidden) -> list[str]:
    """Student-written cells that mention a forbidden module (``torch`` in a
    numpy-only assignment) as a name, attribute, import or string."""
    if not forbidden:
        return []
    instructor = {c.source for c in source_nb.cells}
    found = []
    for k, entry in enumerate(plan.entries):
        if entry.role != "student" or entry.cell.source in instructor:
            continue
        try:
            tree = ast.parse(_python(entry.cell.source))
        except SyntaxError:
            continue
        words = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                words.add(node.id)
            elif isinstance(node, ast.Attribute):
                words.add(node.attr)
            elif isinstance(node, ast.alias):
                words.update(node.name.split("."))
            elif isinstance(node, ast.ImportFrom) and node.module:
                words.update(node.module.split("."))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.update(re.findall(r"[A-Za-z_]+", node.value))
        hits = sorted(words & set(forbidden))
        if hits:
            found.append(f"cell {k + 1} uses {', '.join(hits)}")
    return found


# ---------------------------------------------------------------- running
class CheckerNamespace(dict):
    """Globals of the test cells. Names not defined by the tests or the builtins
    are looked up in the student process."""

    def __init__(self, chan: Channel):
        super().__init__(__name__="__grader__", __builtins__=builtins)
        self._chan = chan
        self._cache: dict = {}

    def __missing__(self, name):
        if name in vars(builtins) or name.startswith("__"):
            raise KeyError(name)
        if name in self._cache:
            return self._cache[name]
        try:
            reply = self._chan.request(Get({"name": name}))
        except ProtocolError:
            raise KeyError(name) from None
        if "module" in reply:
            try:
                value = importlib.import_module(str(reply["module"]))
            except Exception:  # noqa: BLE001
                raise KeyError(name) from None
        elif "error" in reply:
            raise KeyError(name)
        else:
            value = decode(reply.get("value"), self._chan.make_remote)
        self._cache[name] = value
        return value


class _CellTimeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _CellTimeout()


def run_in_checker(code: str, ns: CheckerNamespace, filename: str, seconds: float, grace: float = 3.0):
    """Run trusted code (a test cell) here. Returns (stdout, error-or-None, last value)."""
    out = _Capture(100_000)
    value = None
    old = signal.signal(signal.SIGALRM, _alarm)
    # after the channel's own deadline, so a slow student call is interrupted there first
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01) + grace)
    try:
        with contextlib.redirect_stdout(out):
            tree = ast.parse(_python(code), filename=filename)
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, filename, "exec"), ns)
            if last is not None:
                value = eval(compile(last, filename, "eval"), ns)
        return out.text(), None, value
    except _CellTimeout:
        return out.text(), (TimeoutError("the test cell exceeded its time limit"), None), None
    except StudentTimeout as exc:
        return out.text(), (exc, exc.__traceback__), None
    except Exception as exc:  # noqa: BLE001 - a failing test
        return out.text(), (exc, exc.__traceback__), None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def partial_grade(value, points: float) -> tuple[float, str | None]:
    """nbgrader's rule for a test cell's last value (``get_partial_grade``)."""
    if value is None:
        return points, None
    import numpy as np

    if type(value) in (int, float) or (isinstance(value, np.number) and type(value).__module__ == "numpy"):
        grade = float(value)
    elif type(value) is str:
        try:
            grade = float(value)
        except ValueError:
            return points, None
    else:
        return points, None
    if grade != grade or grade < 0:
        return points, None
    if grade > points:
        return points, f"partial credit {grade} above the cell's {points} points (capped)"
    return grade, None


def _output_stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def _output_error(ename, evalue, tb_text):
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=tb_text.splitlines() if tb_text else []
    )


@dataclass
class TestResult:
    grade_id: str
    points: float
    score: float
    passed: bool
    message: str  # shown to the instructor
    public_message: str  # shown to the student


def execute_plan(plan: Plan, chan: Channel, limits: Limits, student_alive, on_dead) -> tuple[dict, list[str], RunState]:
    """Run the plan. Returns (test results by grade_id, events, final state)."""
    ns = CheckerNamespace(chan)
    setup_done: set[int] = set()
    results: dict[str, TestResult] = {}
    events: list[str] = []
    start = time.monotonic()
    state = RunState.OK
    for k, entry in enumerate(plan.entries):
        cell = entry.cell
        if entry.role in ("markdown", "missing") or cell.cell_type != "code":
            continue
        left = limits.notebook_timeout - (time.monotonic() - start)
        if left <= 0 and state == RunState.OK:
            state = RunState.TIMEOUT
            events.append(
                f"notebook time limit ({limits.notebook_timeout:.0f} s) reached at cell {k + 1}; "
                "the remaining cells were not run"
            )
            on_dead("notebook time limit")
        budget = max(min(limits.cell_timeout, left), 0.05)
        if entry.role in ("student", "instructor"):
            if chan.dead:
                cell.outputs = [_output_stream("stderr", f"[grader] not run: {chan.dead}\n")]
                continue
            chan.deadline = time.monotonic() + budget
            ns._cache.clear()
            try:
                reply = chan.request(Exec(cell.source, k))
            except StudentTimeout:
                events.append(f"cell {k + 1} exceeded its time limit ({budget:.0f} s) and was interrupted")
                cell.outputs = [_output_error("TimeoutError", f"cell exceeded its time limit of {budget:.0f} s", "")]
                continue
            except ProtocolError as err:
                why = on_dead(None) or str(err)
                events.append(f"student process ended during cell {k + 1}: {why}")
                state = RunState.CRASHED if state == RunState.OK else state
                cell.outputs = [_output_error("DeadKernelError", why, "")]
                continue
            finally:
                chan.deadline = None
            outs = []
            if type(reply.get("stdout")) is str and reply["stdout"]:
                outs.append(_output_stream("stdout", reply["stdout"]))
            if type(reply.get("stderr")) is str and reply["stderr"]:
                outs.append(_output_stream("stderr", reply["stderr"]))
            err = reply.get("error")
            if type(err) is dict:
                outs.append(
                    _output_error(
                        str(err.get("ename", "Error"))[:200],
                        str(err.get("evalue", ""))[:2000],
                        str(err.get("traceback", ""))[:5000],
                    )
                )
            cell.outputs = outs
        elif entry.role == "test":
            gid = entry.grade_id
            src_index, points = plan.tests.get(gid, (entry.source_index or 0, 0.0))
            for i, code in plan.checker_setup:
                if i < src_index and i not in setup_done:
                    setup_done.add(i)
                    _, err, _ = run_in_checker(code, ns, f"<setup {i}>", limits.cell_timeout)
                    if err is not None:
                        events.append(f"instructor set-up cell {i} failed in the checker: {err[0]!r}")
            chan.deadline = time.monotonic() + budget
            ns._cache.clear()
            try:
                stdout, err, value = run_in_checker(
                    cell.source, ns, f"<test {gid}>", budget, limits.interrupt_grace + 1
                )
            finally:
                chan.deadline = None
            outs = [_output_stream("stdout", stdout)] if stdout else []
            if err is None:
                score, note = partial_grade(value, points)
                if note:
                    events.append(f"{gid}: {note}")
                if value is not None and score != points:
                    outs.append(
                        nbformat.v4.new_output("execute_result", data={"text/plain": repr(value)}, execution_count=None)
                    )
                results[gid] = TestResult(
                    gid,
                    points,
                    score,
                    score == points,
                    "passed" if score == points else f"partial credit {score}",
                    "passed" if score == points else f"partial credit {score}",
                )
            else:
                exc, tb = err
                ename = type(exc).__name__
                evalue = str(exc)[:2000]
                frames = [f for f in traceback.extract_tb(tb)] if tb is not None else []
                lines = [f.lineno for f in frames if f.filename == f"<test {gid}>"]
                tb_text = "".join(traceback.format_list([f for f in frames if f.filename.startswith("<")]))
                outs.append(_output_error(ename, evalue, tb_text + f"{ename}: {evalue}"))
                hidden = hidden_lines(_python(cell.source)) if "HIDDEN TESTS" in cell.source else set()
                public = public_error(ename, evalue, lines[-1] if lines else None, hidden)
                results[gid] = TestResult(gid, points, 0.0, False, f"{ename}: {evalue}", public)
            cell.outputs = outs
    if not student_alive() and state == RunState.OK and chan.dead:
        state = RunState.CRASHED
    return results, events, state


# ------------------------------------------------------------------ feedback
_CSS = """body{font-family:sans-serif;max-width:960px;margin:auto;padding:1em}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap}
.pass{color:#1a7f37}.fail{color:#cf222e}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em}.out{background:#fff;border-left:3px solid #ccc}"""


LATE_START, LATE_END = "<!-- late penalty -->", "<!-- /late penalty -->"


def late_penalty_html(page: str, penalty: float, score: float, max_score: float) -> str:
    """``page`` (a :func:`feedback_html` page) saying that the submission came after the due
    date and what that cost: ``penalty`` points off ``score``. Idempotent: a page is rewritten,
    not appended to, when the penalty is recorded again. A page without the marker (a page
    written for a submission that could not be graded) is returned unchanged."""
    start, end = page.find(LATE_START), page.find(LATE_END)
    if start < 0 or end < start:
        return page
    note = (
        f"<p class='late'><b>Submitted after the due date: late penalty &minus;{penalty:g} points, "
        f"score after the penalty {max(score - penalty, 0):g} / {max_score:g}</b> "
        "(the course's late policy, assignments/README.md)</p>"
        if penalty > 0
        else ""
    )
    return page[: start + len(LATE_START)] + note + page[end:]


def feedback_html(
    student: str,
    assignment: str,
    notebook: str,
    plan: Plan,
    results: dict,
    status: str,
    reason: str,
    score: float,
    max_score: float,
) -> str:
    """A self-contained feedback page. It shows the student's own cells and
    outputs, the *public* part of each test cell, and for hidden tests only
    whether they passed - never their code or their messages."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(gid)}</td><td>{r.score:g} / {r.points:g}</td>"
        f"<td class='{'pass' if r.passed else 'fail'}'>{e(r.public_message)}</td></tr>"
        for gid, r in results.items()
    )
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(assignment)} - {e(student)}</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(assignment)} / {e(notebook)}: feedback for {e(student)}</h1>",
        f"<p><b>Score: {score:g} / {max_score:g}</b> &nbsp; status: {e(status)}"
        + (f" &mdash; {e(reason)}" if reason else "")
        + "</p>",
        LATE_START + LATE_END,  # filled in by late_penalty_html once the submission time is known
        "<table><tr><th>test</th><th>points</th><th>result</th></tr>" + rows + "</table>",
    ]
    if plan.notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{e(n)}</li>" for n in plan.notes) + "</ul>")
    parts.append("<h2>Your notebook</h2>")
    for entry in plan.entries:
        cell = entry.cell
        if entry.role == "markdown":
            parts.append(f"<div class='md'><pre>{e(cell.source)}</pre></div>")
        elif entry.role == "test":
            r = results.get(entry.grade_id)
            verdict = (
                ""
                if r is None
                else f"<p class='{'pass' if r.passed else 'fail'}'>{e(entry.grade_id)}: {e(r.public_message)}"
                f" ({r.score:g} / {r.points:g} points)</p>"
            )
            parts.append(f"<pre>{e(public_source(cell.source))}</pre>{verdict}")
        elif entry.role == "missing":
            parts.append(f"<p class='fail'>[answer cell {e(entry.grade_id or '')} is missing]</p>")
        elif cell.cell_type == "code":
            parts.append(f"<pre>{e(cell.source)}</pre>")
            for out in cell.get("outputs", []):
                if out.output_type == "stream":
                    parts.append(f"<pre class='out'>{e(out.text[:20000])}</pre>")
                elif out.output_type == "error":
                    tb = "\n".join(out.get("traceback", []))
                    parts.append(f"<pre class='out fail'>{e(tb[-5000:] or (out.ename + ': ' + out.evalue))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)
