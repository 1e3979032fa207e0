"""The checker: runs a plan in lockstep with the student process, the hidden tests here.

Part of :mod:`grader`. Runs in the trusted worker. :func:`execute_plan` walks the plan
(:mod:`grader.plan`): the student's cells (and the instructor's cells that need student code)
run in the sandboxed student process over the channel (:mod:`grader.codec`); each test cell
runs here, in the worker (:func:`run_in_checker`), and scores by nbgrader's rules
(:func:`partial_grade`).

Names a test uses resolve first to what the test cells and the instructor's own set-up cells
(run here too when they do not depend on student code) define, then to the builtins, and only
then to the student's namespace (:class:`CheckerNamespace`: plain data by value, modules
re-imported here, functions and objects as handles).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import signal
import time
import traceback
from dataclasses import dataclass

import nbformat

from .channel import Channel
from .codec import ProtocolError, StudentTimeout, decode
from .feedback import hidden_lines, public_error
from .limits import Limits
from .messages import Exec, Get, RunState
from .plan import Plan
from .scan import python_source
from .server import OutputCapture


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

    def forget(self) -> None:
        """Forget the student's values read so far: the next cell may have changed them."""
        self._cache.clear()


class _CellTimeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _CellTimeout()


def run_in_checker(code: str, ns: CheckerNamespace, filename: str, seconds: float, grace: float = 3.0):
    """Run trusted code (a test cell) here. Returns (stdout, error-or-None, last value)."""
    out = OutputCapture(100_000)
    value = None
    old = signal.signal(signal.SIGALRM, _alarm)
    # after the channel's own deadline, so a slow student call is interrupted there first
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01) + grace)
    try:
        with contextlib.redirect_stdout(out):
            tree = ast.parse(python_source(code), filename=filename)
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
    """A test cell's score from its last ``value``, and a note for the instructor (or None).

    The rule is nbgrader's own, ``nbgrader.utils.get_partial_grade``, called as is: no value, or
    one that is not a number, earns the cell's points; a number from 0 to the points earns that
    much; a negative one, or NaN, earns the points. nbgrader reads the text a notebook shows for
    the value; the checker has the value itself, and hands nbgrader the number in it: an exact
    int or float, a numpy integer or float (which a notebook shows as ``np.float64(0.5)``, text
    nbgrader would not read as a number), or a string. Above the points nbgrader raises an error;
    here the score is capped, with a note."""
    if value is None:
        return points, None
    import numpy as np

    if type(value) in (int, float) or (
        isinstance(value, (np.integer, np.floating)) and type(value).__module__ == "numpy"
    ):
        try:
            text = repr(float(value))
        except OverflowError:  # an int too large for a float
            text = "inf"
    elif type(value) is str and value.strip():
        text = value
    else:
        return points, None
    # imported here, by the few workers that need it: nbgrader's package costs a worker about 0.5 s
    # (jupyter_server, SQLAlchemy), and test cells that end in a number are rare
    from nbgrader.utils import get_partial_grade

    try:
        return float(get_partial_grade({"data": {"text/plain": text}}, points)), None
    except ValueError:  # "partial credit cannot be greater than maximum points for cell"
        return points, f"partial credit {float(text)} above the cell's {points} points (capped)"


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
            ns.forget()
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
            ns.forget()
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
                hidden = hidden_lines(python_source(cell.source)) if "HIDDEN TESTS" in cell.source else set()
                public = public_error(ename, evalue, lines[-1] if lines else None, hidden)
                results[gid] = TestResult(gid, points, 0.0, False, f"{ename}: {evalue}", public)
            cell.outputs = outs
    if not student_alive() and state == RunState.OK and chan.dead:
        state = RunState.CRASHED
    return results, events, state
