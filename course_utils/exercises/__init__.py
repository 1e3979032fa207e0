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
and expect its hint, so a hint is never untested. Where the notebook later runs the answer on
``DEVICE`` (a GPU when there is one), a case :class:`OnTheDevice` runs it there too, on torch's
"meta" device standing in for the GPU: a tensor made on the CPU, or numpy on a tensor, is refused.

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
import importlib
import io
import re
import textwrap
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext, redirect_stdout
from dataclasses import dataclass, field

import numpy as np

from .. import grading, progress
from .cases import Case, LeavesInputs, OnTheDevice
from .running import (
    CHECK_LIMIT_S,
    CORRECT,
    HINT,
    NOT_ATTEMPTED,
    TIME_LIMIT_S,
    Mistake,
    NotAttempted,
    TookTooLong,
    describe_error,
    time_limit,
)
from .selfcheck import Quiz, quiz, quiz_feedback, quizzes, quizzes_of

__all__ = [
    "NOT_ATTEMPTED",
    "HINT",
    "CORRECT",
    "NotAttempted",
    "Mistake",
    "exercise",
    "attempt",
    "accepted",
    "verdict",
    "TIME_LIMIT_S",
    "CHECK_LIMIT_S",
    "TookTooLong",
    "time_limit",
    "describe_error",
    "require",
    "compare",
    "compare_scalar",
    "as_array",
    "Case",
    "LeavesInputs",
    "OnTheDevice",
    "Typical",
    "Exercise",
    "Loss",
    "differentiable_loss",
    "source",
    "edited",
    "flat",
    "parts",
    "Quiz",
    "quiz",
    "quiz_feedback",
    "quizzes",
    "quizzes_of",
    "notebook_quizzes",
]


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
            print(verdict(eid, todo, limited, *args, **kwargs))

        def limited(*args, **kwargs) -> str:  # a check written as code calls the student's code itself
            with time_limit(CHECK_LIMIT_S, "the check did not finish: your code did not return"):
                return check(*args, **kwargs)

        wrapper.eid = eid
        wrapper.diagnose = limited
        return wrapper

    return decorate


def verdict(eid: str, todo: str, check: Callable[..., str], *args, **kwargs) -> str:
    """Run ``check`` and return the one-line verdict that :func:`exercise` prints; the outcome goes to
    the student's practice record (:mod:`course_utils.progress`)."""
    outcome = "wrong"
    try:
        if any(a is None for a in args):
            raise NotAttempted
        confirmation = check(*args, **kwargs)
    except NotAttempted:
        outcome, line = "not-attempted", f"[{eid}] {NOT_ATTEMPTED} {todo}"
    except Mistake as m:
        name = m.name or _stepwise_name(eid, str(m))
        outcome, line = (f"mistake:{name}" if name else "wrong"), f"[{eid}] {HINT} {m}"
    except AssertionError as e:  # from course_utils.grading's comparisons
        line = f"[{eid}] {HINT} {e}"
    except Exception as e:  # the student's code raised: say what and where to look
        line = f"[{eid}] {HINT} {describe_error(e)}"
    else:
        outcome, line = "correct", f"[{eid}] {CORRECT} {confirmation}"
    progress.record(eid, outcome)
    return line


def _stepwise_name(eid: str, message: str) -> str:
    """The name of the typical mistake of a check written as code (``STEPWISE``) whose hint ``message`` holds."""
    try:
        module = importlib.import_module(f"{__name__}.nb{eid.split('.')[0]}")
    except ImportError:
        return ""
    typicals = getattr(module, "STEPWISE", {}).get(eid, (None, []))[1]
    return next((t.name for t in typicals if t.hint in message), "")


def notebook_quizzes(module: str) -> tuple[dict[str, Quiz], Callable]:
    """``QUIZZES, quiz`` of the notebook's package ``module`` (``course_utils.exercises.nbNN``): its self-check
    questions, read from ``nbNN.toml`` (:func:`quizzes_of`), and the ``quiz(qid, answer=None)`` that asks them."""
    registry = quizzes_of(module)
    return registry, quizzes(registry)


def accepted(check: Callable, *args, **kwargs) -> bool:
    """Whether ``check`` (a declared :class:`Exercise` or an ``@exercise`` check) says "Correct!"
    for these arguments; prints nothing. A notebook uses it after a whole-model exercise, so that
    *Run All* goes on with the reference while the student's cell is still the stub::

        loss_and_grads = student_version if ex.accepted(ex.check_loss, student_version) else ex.check_loss.solution
    """
    with redirect_stdout(io.StringIO()), progress.paused():
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
    expected = as_array("the expected value", expected)  # a reference's tensor may still carry its graph
    mistakes = [(as_array("a typical mistake", v), text) for v, text in mistakes]
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
class Typical:
    """A typical mistake: ``body``, the code a student would write in the function, and the
    ``hint`` the check gives when the student's outcome (value or exception) equals that wrong
    function's on a case where it differs from the reference."""

    body: str
    hint: str
    label: str = ""  # a short name for reports; by default the hint's first words

    @property
    def name(self) -> str:
        """The mistake's name in the practice record: ``label``, or the hint's first five words as a slug."""
        words = re.findall(r"[a-z0-9]+", (self.label or self.hint).lower())
        return "-".join(words[: 5 if not self.label else None])

    def source(self, signature: str) -> str:
        """The wrong function as the student's cell: ``signature`` (``def f(x):``) and the body."""
        return source(signature, self.body)


def source(signature: str, body: str) -> str:
    """A function's code from its ``def`` line and its body (indented here)."""
    return signature + "\n" + "".join(f"    {line}\n" for line in textwrap.dedent(body).strip().splitlines())


def edited(code: str, *edits: tuple[str, str]) -> str:
    """``code`` with the edits ``(old, new)`` a student makes: how a typical mistake is written from the
    reference's code. Each ``old`` must be there (a reference that changed fails loudly, not silently)."""
    for old, new in edits:
        if old not in code:
            raise ValueError(f"the edit's old text is not in the code: {old!r}")
        code = code.replace(old, new)
    return code


def flat(module) -> np.ndarray:
    """All of a torch module's parameters as one flat numpy array (a copy): compares two models at once."""
    return np.concatenate([p.detach().cpu().reshape(-1).numpy() for p in module.parameters()]).copy()


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
            if isinstance(got, Mistake) or (isinstance(got, BaseException) and not isinstance(got, Exception)):
                raise got  # a hint the check raised around the student's call (see Loss), or an interrupt
            expected = case.call(self.function(self.reference))
            if not isinstance(got, BaseException):
                require(got)
                if _same(got, expected, self.rtol, self.atol):
                    continue
            for typical in self.typical:
                if _same(got, _outcome(self.function(typical.body), case, True), self.rtol, self.atol):
                    raise Mistake(typical.hint, name=typical.name)
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


def differentiable_loss(name: str, loss):
    """``loss`` if the notebook can train with it: a one-number torch tensor attached to autograd (so that
    ``loss.backward()`` works). Otherwise a :class:`Mistake` that says what is wrong: a float from
    ``.item()``, one number per sample, or a value cut off from its inputs. ``None`` passes (not attempted)."""
    import torch  # only the exercises on losses need it

    if loss is None:
        return None
    if not isinstance(loss, torch.Tensor):
        raise Mistake(
            f"{name} should be a 0-d torch tensor (so that {name}.backward() works), got {type(loss).__name__}: "
            "do not call .item(), float() or numpy inside the loss."
        )
    if loss.numel() != 1:
        raise Mistake(f"{name} has shape {tuple(loss.shape)}: a loss is one number, so average over the batch.")
    if not loss.requires_grad:
        raise Mistake(
            f"{name} does not depend on its inputs through autograd: compute it with torch operations on the "
            "tensors passed in (no .detach(), no numpy, no torch.tensor(...) around a result)."
        )
    return loss


class Loss(Exercise):
    """An exercise whose answer is a loss the notebook then trains with: the student's result must pass
    :func:`differentiable_loss` before its value is compared (the right value as a float cannot train)."""

    def diagnose(self, fn):
        return super().diagnose(None if fn is None else lambda *args: differentiable_loss(self.name, fn(*args)))


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
