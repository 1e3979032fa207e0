"""Exercises in the course notebooks: the student's attempt, checked at once.

Every exercise in ``notebooks/NN_*.ipynb`` is three cells (tools read this convention):

1. **the student's cell**, a code cell tagged ``exercise`` with cell metadata
   ``"exercise": "NN.k"``. It holds a stub that lets *Run All* go on: a function whose
   body is ``return None  # YOUR CODE HERE`` or an ``answer = None``;
2. **the check**, the very next code cell, tagged ``check``: one call such as
   ``ex.check_gd_step(gd_step)`` of the notebook's module ``course_utils.exercises.nbNN``;
3. **the worked solution**, a markdown cell tagged ``solution`` with the same
   ``"exercise"`` id, collapsed (``"jupyter": {"source_hidden": true}``): one fenced
   python block that replaces the student's cell, and a sentence on why it works.

A check never raises. It prints exactly one of three verdicts, each starting with the
exercise id in brackets:

* ``[02.1] Not attempted yet. <what to do>`` while the stub is untouched;
* ``[02.1] Not quite: <specific hint>`` for a typical mistake (recognised by reproducing
  it), a wrong shape or value, or an exception raised by the student's code;
* ``[02.1] Correct! <why it matters>`` when right.

Most exercises are one declaration, :class:`Exercise`: the function the student writes, fresh
seeded inputs (:class:`Case`), the reference, and each typical mistake written once as the body
of the wrong function a student would write, with its hint (:class:`Typical`). Its check runs the student's
function, the reference and every wrong function on the same inputs: the student's output (or
exception) equal to a wrong function's gives that hint; any other difference says where and by
how much (:func:`compare`). The tests type each wrong function's source into the student's cell
and expect its hint, so a hint is never untested.

Checks whose diagnosis is step by step are code, written with :func:`exercise`: inside,
:func:`attempt` calls the student's code (``None`` back means "not attempted"), :func:`compare`
and :func:`compare_scalar` compare against a reference with the typical mistakes as
candidates (built on :mod:`course_utils.grading`, the checks the graded assignments use),
and :class:`Mistake` reports any other specific hint. :func:`quiz` shows a
self-check question (multiple choice or numeric) with immediate feedback; the questions are
data, ``nbNN.toml`` next to the notebook's module (:func:`quizzes_of`).

Later sections of a notebook never depend on the student's answer being right. Where the student
assembles the notebook's whole model (a training loop, a network's loss and gradients), the notebook
goes on with the student's code once :func:`accepted` says the check accepts it, and with the
reference (``Exercise.solution``) until then. A student's function runs under a time limit
(:data:`TIME_LIMIT_S`): an endless loop becomes a hint, not a frozen kernel.
"""

from __future__ import annotations

import functools
import io
import linecache
import re
import signal
import sys
import textwrap
import threading
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager, nullcontext, redirect_stdout
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .. import grading

__all__ = [
    "NOT_ATTEMPTED",
    "HINT",
    "CORRECT",
    "NotAttempted",
    "Mistake",
    "exercise",
    "attempt",
    "accepted",
    "require",
    "compare",
    "compare_scalar",
    "as_array",
    "Case",
    "Typical",
    "Exercise",
    "source",
    "parts",
    "Quiz",
    "quiz",
    "quiz_feedback",
    "quizzes",
    "quizzes_of",
]

NOT_ATTEMPTED = "Not attempted yet."
HINT = "Not quite:"
CORRECT = "Correct!"


class NotAttempted(Exception):
    """The student's cell is still the stub (it returned or holds ``None``)."""


class Mistake(Exception):
    """A specific, actionable hint for the student (the message is shown as it is)."""


def exercise(eid: str, todo: str) -> Callable:
    """Decorate a check function of exercise ``eid`` ("NN.k").

    The decorated function returns the confirmation text when the answer is right,
    raises :class:`NotAttempted` (or passes ``None`` to :func:`attempt`) for the stub and
    :class:`Mistake` with a hint otherwise. The wrapper prints the verdict, never raises,
    and returns ``None`` (so nothing else is displayed). An exception from the student's
    own code becomes a hint naming it. ``todo`` says what to do while not attempted.
    """

    def decorate(check: Callable[..., str]) -> Callable[..., None]:
        @functools.wraps(check)
        def wrapper(*args, **kwargs) -> None:
            print(verdict(eid, todo, check, *args, **kwargs))

        wrapper.eid = eid
        wrapper.diagnose = check
        return wrapper

    return decorate


def verdict(eid: str, todo: str, check: Callable[..., str], *args, **kwargs) -> str:
    """Run ``check`` and return the one-line verdict that :func:`exercise` prints."""
    try:
        if any(a is None for a in args):
            raise NotAttempted
        confirmation = check(*args, **kwargs)
    except NotAttempted:
        return f"[{eid}] {NOT_ATTEMPTED} {todo}"
    except Mistake as m:
        return f"[{eid}] {HINT} {m}"
    except AssertionError as e:  # from course_utils.grading's comparisons
        return f"[{eid}] {HINT} {e}"
    except Exception as e:  # the student's code raised: say what and where to look
        return f"[{eid}] {HINT} {describe_error(e)}"
    return f"[{eid}] {CORRECT} {confirmation}"


# ----------------------------------------------------------------------------- the student's code, run


TIME_LIMIT_S = 10.0  # a student's function that runs longer is stopped (an endless loop, a step never taken)


class TookTooLong(Exception):
    """The student's function did not return within :data:`TIME_LIMIT_S` seconds."""


@contextmanager
def time_limit(seconds: float | None = None):
    """Stop the code inside after ``seconds`` with :class:`TookTooLong` (a SIGALRM timer, so only in
    the main thread of a Unix process, where notebook cells run; elsewhere no limit). Nested limits
    keep the outer one. ``seconds`` defaults to :data:`TIME_LIMIT_S`."""
    seconds = TIME_LIMIT_S if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return
    if signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # an enclosing limit is running
        yield
        return

    def stop(signum, frame):
        raise TookTooLong(
            f"your function did not return within {seconds:g} s: is a loop missing its step (an index never "
            "incremented, a stopping rule that can never hold)? Interrupt nothing: fix the loop and run the cell again."
        )

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_SHAPE_ERRORS = (
    "mismatch in its core dimension",  # numpy's matmul
    "could not be broadcast",
    "not aligned",  # np.dot
    "cannot be multiplied",  # torch's mm
    "must match the size of tensor",  # torch's broadcasting
    "size mismatch",
    "cannot reshape",
    "shape '[",  # torch's view/reshape
    "doesn't match the broadcast shape",
    "inconsistent tensor size",
)


def describe_error(e: BaseException, advice: str = "") -> str:
    """A hint for an exception raised by the student's code: a time limit as it is; a shape error
    (NumPy's matmul or broadcasting, torch's size mismatch) in plain words, with the line and the
    shapes of the arrays it uses, read from the innermost frame of the student's code, then ``advice``
    (or a general one); anything else by its type and message (and ``advice``)."""
    if isinstance(e, TookTooLong):
        return str(e)
    message = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if not any(marker in message for marker in _SHAPE_ERRORS):
        return f"your code raised {type(e).__name__}: {message}" + (f". {advice}" if advice else "")
    inner = re.search(
        r"mismatch in its core dimension \d+, with gufunc signature .*\(size (\d+) is different from (\d+)\)", message
    )
    if inner:  # NumPy's gufunc message, in words
        message = f"a matrix product @ whose inner sizes differ, {inner[2]} against {inner[1]}"
    frame = _students_frame(e.__traceback__)
    where, shapes = "", ""
    if frame is not None:
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        where = f" in the line `{line}`" if line else ""
        arrays = [
            f"{name} {tuple(value.shape)}"
            for name, value in frame.f_locals.items()
            if isinstance(getattr(value, "shape", None), tuple) and (not line or re.search(rf"\b{name}\b", line))
        ]
        shapes = f" The arrays there have shapes: {', '.join(arrays)}." if arrays else ""
    advice = advice or (
        "Write each array's shape next to the line and check that the sizes that meet agree; a transpose (.T) or "
        "the wrong axis is the usual cause."
    )
    return f"the shapes do not fit{where} ({type(e).__name__}: {message}).{shapes} {advice}"


def _students_frame(tb):
    """The innermost traceback frame outside NumPy, torch and this package: the student's code."""
    libraries = tuple(
        str(Path(module.__file__).parent)
        for module in (np, sys.modules.get("torch"), sys.modules["course_utils"])
        if module is not None
    )
    found = None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(libraries):
            found = tb.tb_frame
        tb = tb.tb_next
    return found


def accepted(check: Callable, *args, **kwargs) -> bool:
    """Whether ``check`` (a declared :class:`Exercise` or an ``@exercise`` check) says "Correct!"
    for these arguments; prints nothing. A notebook uses it after a whole-model exercise, so that
    *Run All* goes on with the reference while the student's cell is still the stub::

        loss_and_grads = student_version if ex.accepted(ex.check_loss, student_version) else ex.check_loss.solution
    """
    with redirect_stdout(io.StringIO()):
        return verdict(check.eid, "", check.diagnose, *args, **kwargs).startswith(f"[{check.eid}] {CORRECT}")


def attempt(fn: Callable, *args, quiet: bool = False, **kwargs):
    """Call the student's ``fn(*args, **kwargs)`` on copies of array arguments.

    Returns what it returns; ``None`` back means the stub is untouched
    (:class:`NotAttempted`). With ``quiet=True`` whatever the function prints is hidden.
    """
    if fn is None:
        raise NotAttempted
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    with time_limit(), redirect_stdout(io.StringIO()) if quiet else nullcontext():
        out = fn(*args, **kwargs)
    return require(out)


def require(value):
    """``value`` itself, or :class:`NotAttempted` when it is ``None`` (the stub's answer)."""
    if value is None:
        raise NotAttempted
    if isinstance(value, tuple) and any(v is None for v in value):
        raise NotAttempted
    return value


def as_array(name: str, value) -> np.ndarray:
    """The student's value as a float64 array: numbers, lists, numpy arrays of any float
    or integer dtype and torch tensors are accepted; anything else is a :class:`Mistake`."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mistake(f"`{name}` should be an array of numbers, got {type(value).__name__}.") from None
    return array


def compare(
    name: str,
    got,
    expected,
    *,
    mistakes: Iterable[tuple] = (),
    rtol: float = 1e-6,
    atol: float = 1e-8,
    shape_hints: Mapping | None = None,
    hint: str = "",
) -> None:
    """Compare the student's array ``got`` with ``expected`` (any shape).

    ``mistakes`` are ``(value_a_mistake_gives, hint)`` pairs: when ``got`` equals one of
    them (same shape, within tolerance) its hint is given; ``shape_hints`` maps a wrong
    shape to a hint. Otherwise the message says where and by how much ``got`` is wrong.
    Raises :class:`Mistake`.
    """
    got = as_array(name, got)
    expected = np.asarray(expected, dtype=np.float64)
    mistakes = [(np.asarray(v, dtype=np.float64), text) for v, text in mistakes]
    for value, text in mistakes:  # a typical mistake may also change the shape
        if value.shape == got.shape != expected.shape and np.allclose(
            got, value, rtol=max(rtol, 1e-6), atol=max(atol, 1e-8)
        ):
            raise Mistake(f"`{name}` has shape {got.shape}, expected {expected.shape}. {text}")
    try:
        grading.check_close(
            f"`{name}`",
            got,
            expected,
            rtol=rtol,
            atol=atol,
            causes=[(v, t) for v, t in mistakes if v.shape == expected.shape],
            shape_hints=dict(shape_hints or {}),
            hint=hint,
        )
    except AssertionError as e:
        raise Mistake(str(e).replace("Likely cause: ", "")) from None


def compare_scalar(
    name: str, got, expected: float, *, mistakes: Iterable[tuple] = (), rtol: float = 1e-6, atol: float = 1e-9
) -> None:
    """Compare the student's number ``got`` with ``expected``; ``mistakes`` as in :func:`compare`."""
    array = as_array(name, got)
    if array.size != 1:
        raise Mistake(
            f"`{name}` should be a single number, got an array of shape {array.shape}: "
            "did you forget to sum or average?"
        )
    try:
        grading.check_scalar(
            f"`{name}`", float(array.reshape(())), float(expected), rtol=rtol, atol=atol, causes=list(mistakes)
        )
    except AssertionError as e:
        raise Mistake(str(e).replace("Likely cause: ", "")) from None


# ----------------------------------------------------------------------------- declared exercises


@dataclass(frozen=True)
class Case:
    """One set of inputs for the student's function: ``fn(*args, **kwargs)``; ``label`` says which
    in a hint ("on the zero start"). A subclass may override :meth:`call` to compare more than the
    value, e.g. the gradients a returned loss sends back."""

    label: str
    args: tuple
    kwargs: Mapping = field(default_factory=dict)

    def call(self, fn: Callable):
        """``fn`` on copies of the array and tensor arguments (it may not change the check's inputs)."""
        return fn(*map(_copy, self.args), **{k: _copy(v) for k, v in self.kwargs.items()})


def _copy(value):
    """A copy of an array, a tensor, or a list or tuple of them; anything else as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(map(_copy, value))
    return value.clone() if hasattr(value, "clone") and hasattr(value, "detach") else value


@dataclass(frozen=True)
class Typical:
    """A typical mistake: ``body``, the code a student would write in the function, and the
    ``hint`` the check gives when the student's outcome (value or exception) equals that wrong
    function's on a case where it differs from the reference."""

    body: str
    hint: str

    def source(self, signature: str) -> str:
        """The wrong function as the student's cell: ``signature`` (``def f(x):``) and the body."""
        return source(signature, self.body)


def source(signature: str, body: str) -> str:
    """A function's code from its ``def`` line and its body (indented here)."""
    return signature + "\n" + "".join(f"    {line}\n" for line in textwrap.dedent(body).strip().splitlines())


def _outcome(fn: Callable, case: Case, quiet: bool):
    """What ``fn`` gives on ``case``: its value, or the exception it raised (as an instance).
    ``quiet`` hides what it prints and warns (a wrong function's overflow is not the student's)."""
    try:
        with time_limit():
            if not quiet:
                return case.call(fn)
            with redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return case.call(fn)
    except TookTooLong as e:
        raise Mistake(str(e)) from None
    except Exception as e:  # noqa: BLE001 (an outcome like any other)
        return e


def _same(a, b, rtol: float, atol: float) -> bool:
    """Two outcomes agree: the same exception type and message, or values equal within tolerance
    (numbers, lists, arrays, tensors; tuples or lists of differently shaped ones element by element)."""
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        return type(a) is type(b) and str(a) == str(b)
    try:
        x, y = as_array("", a), as_array("", b)
    except (Mistake, ValueError, TypeError, RuntimeError):  # not numbers, ragged, tensors in a tuple: by parts
        if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
            return len(a) == len(b) and all(_same(p, q, rtol, atol) for p, q in zip(a, b))
        return a is b or (type(a) is type(b) and a == b)
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))


@dataclass(frozen=True)
class Exercise:
    """An exercise declared once (see the module's docstring).

    ``signature`` is the ``def`` line of the function the student writes, ``cases()`` builds fresh
    seeded inputs, ``reference`` is the right body (or function), ``typical`` are the mistakes
    with their hints, ``confirmation`` is said when right (or a function of the student's function
    that returns it). Bodies run with ``namespace``: the names the notebook has (``np``, ``lin``).
    A value that matches no mistake is compared by ``explain(where, got, expected, shape_hints,
    exercise)``, which raises :class:`Mistake` with a specific message (or returns: accepted after
    all); the default compares
    arrays (``result`` names the value, ``shape_hints`` maps a wrong shape to a hint, or is a
    function of the case returning that mapping). ``on_error`` maps an exception type the
    student's code may raise (a shape error), or a test of the exception, to a hint. The
    declaration is the check the notebook calls: ``check_gd_step = Exercise(...)``, then
    ``ex.check_gd_step(gd_step)``."""

    eid: str
    signature: str
    todo: str
    cases: Callable[[], Sequence[Case]]
    reference: str | Callable
    typical: Sequence[Typical]
    confirmation: str | Callable[[Callable], str]
    namespace: Mapping = field(default_factory=dict)
    result: str = "the result"
    shape_hints: Mapping | Callable[[Case], Mapping] = field(default_factory=dict)
    explain: Callable | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    quiet: bool = False  # hide what the student's function prints
    on_error: Mapping[type | Callable, str] = field(default_factory=dict)  # exception type or test -> hint

    @property
    def name(self) -> str:
        return self.signature.split("def ", 1)[1].split("(", 1)[0].strip()

    @property
    def solution(self) -> Callable:
        """The reference as a function: what a notebook runs until the student's answer is accepted."""
        return self.function(self.reference)

    def function(self, body: str | Callable) -> Callable:
        """``body`` as a function of this exercise's signature, defined in ``namespace``."""
        if callable(body):
            return body
        key = (self.eid, body)
        if key not in _COMPILED:
            scope = dict(self.namespace)
            exec(source(self.signature, body), scope)  # noqa: S102 - the course's own code
            _COMPILED[key] = scope[self.name]
        return _COMPILED[key]

    def diagnose(self, fn: Callable) -> str:
        """The confirmation, or :class:`Mistake` / :class:`NotAttempted` (see :func:`verdict`)."""
        if fn is None:
            raise NotAttempted
        for case in self.cases():
            got = _outcome(fn, case, self.quiet)
            if isinstance(got, BaseException) and not isinstance(got, Exception):
                raise got
            expected = case.call(self.function(self.reference))
            if not isinstance(got, BaseException):
                require(got)
                if _same(got, expected, self.rtol, self.atol):
                    continue
            for typical in self.typical:
                if _same(got, _outcome(self.function(typical.body), case, True), self.rtol, self.atol):
                    raise Mistake(typical.hint)
            if isinstance(got, BaseException):
                for kind, hint in self.on_error.items():
                    if isinstance(got, kind) if isinstance(kind, type) else kind(got):
                        raise Mistake(describe_error(got, hint))
                raise Mistake(describe_error(got))
            hints = self.shape_hints(case) if callable(self.shape_hints) else self.shape_hints
            where = f"{self.result} {case.label}".strip()
            (self.explain or _explain_array)(where, got, expected, hints, self)
        return self.confirmation(fn) if callable(self.confirmation) else self.confirmation

    def check(self, fn: Callable) -> None:
        """Print the verdict on the student's ``fn`` (never raises)."""
        print(verdict(self.eid, self.todo, self.diagnose, fn))

    def __call__(self, *args, **kwargs) -> None:
        """The declaration is the check: ``ex.check_gd_step(gd_step)`` prints the verdict."""
        return self.check(*args, **kwargs)


_COMPILED: dict[tuple[str, str], Callable] = {}


def parts(*names: str, missing: str = "", **shape_hints: Mapping) -> Callable:
    """An ``explain`` for a result that is a tuple of ``names``: ``missing`` (or "return the tuple
    (...)") unless it has one part per name, then each part compared with the reference's in
    turn, a 0-d part as a number (``shape_hints[name]``, else the exercise's, as in :func:`compare`).
    Parts that all agree (a list for an array, a tensor for a number) are accepted."""

    def explain(where: str, got, expected, hints: Mapping, exercise: Exercise) -> None:
        if not isinstance(got, (tuple, list)) or len(got) != len(names):
            kind = type(got).__name__ + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
            raise Mistake(missing or f"return the tuple ({', '.join(names)}), got {kind}.")
        for name, part, right in zip(names, got, expected):
            label = f"{name} {where}".strip()
            right = right.detach() if hasattr(right, "detach") else right  # a loss, without its graph
            if np.ndim(right) == 0:
                compare_scalar(label, part, float(right), rtol=exercise.rtol, atol=exercise.atol)
            else:
                compare(
                    label, part, right, rtol=exercise.rtol, atol=exercise.atol, shape_hints=shape_hints.get(name, hints)
                )

    return explain


def _explain_array(where: str, got, expected, shape_hints: Mapping, exercise: Exercise) -> None:
    """The default ``explain``: :func:`compare` says where and by how much (returning means the
    value is right after all, e.g. a list where an array was expected)."""
    compare(where, got, expected, rtol=exercise.rtol, atol=exercise.atol, shape_hints=shape_hints)


# ----------------------------------------------------------------------------- self-check questions


@dataclass(frozen=True)
class Quiz:
    """A self-check question: multiple choice when ``options`` is given, else numeric.

    ``answer`` is the right option's key (multiple choice) or the number (numeric, right
    within ``tolerance`` relative); ``explanations`` maps an option key to what to say when
    it is picked (the right one's says why it is right); ``wrong`` is said for any other
    wrong numeric answer.
    """

    question: str
    answer: object
    options: Mapping[str, str] = field(default_factory=dict)
    explanations: Mapping[str, str] = field(default_factory=dict)
    tolerance: float = 1e-3
    wrong: str = ""


def quiz_feedback(qid: str, q: Quiz, choice) -> str:
    """The feedback line for ``choice`` (an option key, or a number for a numeric quiz)."""
    if choice is None or choice == "":
        return f"[{qid}] {NOT_ATTEMPTED} Pick an answer."
    if q.options:
        key = str(choice).strip().lower()
        if key not in q.options:
            return f"[{qid}] {HINT} '{choice}' is not one of the options {', '.join(q.options)}."
        verdict = CORRECT if key == q.answer else HINT
        return f"[{qid}] {verdict} {_without(q.explanations.get(key, ''))}".rstrip()
    try:
        value = float(choice)
    except (TypeError, ValueError):
        return f"[{qid}] {HINT} the answer is a number, got {choice!r}."
    if abs(value - float(q.answer)) <= q.tolerance * max(1.0, abs(float(q.answer))):
        return f"[{qid}] {CORRECT} {_without(q.explanations.get('right', ''))}".rstrip()
    return f"[{qid}] {HINT} {_without(q.wrong) or 'not this value: work it out on paper, step by step.'}"


def _without(text: str) -> str:
    """``text`` without a verdict it repeats ("Not quite: Not quite: ..." says it twice)."""
    for word in (CORRECT, HINT, "Correct", "Not quite"):
        if text.lower().startswith(word.lower()):
            rest = text[len(word) :].lstrip(" :!.,-")
            return rest[:1].upper() + rest[1:]
    return text


def quiz(qid: str, q: Quiz, answer=None):
    """Show question ``qid``: with ``answer`` given, print its feedback; otherwise return a
    widget (radio buttons, or a number box and a *Check* button) whose feedback appears
    as soon as the student answers. The right answer is never displayed."""
    if answer is not None:
        print(quiz_feedback(qid, q, answer))
        return None
    import ipywidgets as widgets

    out = widgets.Output()
    title = widgets.HTML(f"<b>Self-check {qid}.</b> {q.question}")

    def show(choice) -> None:
        out.outputs = ()
        out.append_stdout(quiz_feedback(qid, q, choice) + "\n")

    if q.options:
        picker = widgets.RadioButtons(
            options=[(f"{k}) {v}", k) for k, v in q.options.items()], value=None, layout=widgets.Layout(width="auto")
        )
        picker.observe(lambda change: show(change["new"]), names="value")
        return widgets.VBox([title, picker, out])
    box = widgets.FloatText(description="answer")
    button = widgets.Button(description="Check")
    button.on_click(lambda _: show(box.value))
    return widgets.VBox([title, widgets.HBox([box, button]), out])


def quizzes_of(module: str) -> dict[str, Quiz]:
    """The self-check questions of ``course_utils.exercises.nbNN``, read from ``nbNN.toml`` next to
    it: one table per question id with ``question``, ``answer`` and the optional ``options``,
    ``explanations``, ``tolerance`` and ``wrong`` of :class:`Quiz`."""
    package, _, name = module.rpartition(".")
    data = tomllib.loads((resources.files(package) / f"{name}.toml").read_text(encoding="utf-8"))
    return {qid: Quiz(**fields) for qid, fields in data.items()}


def quizzes(registry: Mapping[str, Quiz]) -> Callable:
    """``quiz(qid, answer=None)`` over a notebook's ``QUIZZES`` registry (see :func:`quiz`)."""

    def quiz_of_notebook(qid: str, answer=None):
        if qid not in registry:
            raise KeyError(f"no self-check question {qid!r}; known: {', '.join(registry)}")
        return quiz(qid, registry[qid], answer)

    return quiz_of_notebook
