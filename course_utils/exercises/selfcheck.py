"""Self-check questions: data in ``nbNN.toml``, shown with immediate feedback.

Part of :mod:`course_utils.exercises` (which re-exports everything here).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from .running import CORRECT, HINT, NOT_ATTEMPTED


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
        print(_recorded(qid, quiz_feedback(qid, q, answer)))
        return None
    import ipywidgets as widgets

    out = widgets.Output()
    title = widgets.HTML(f"<b>Self-check {qid}.</b> {q.question}")

    def show(choice) -> None:
        out.outputs = ()
        out.append_stdout(_recorded(qid, quiz_feedback(qid, q, choice)) + "\n")

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


def _recorded(qid: str, feedback: str) -> str:
    """``feedback``, its outcome appended to the student's practice record (:mod:`course_utils.progress`)."""
    from .. import progress

    verdict = feedback.split("] ", 1)[1]
    outcome = (
        "correct" if verdict.startswith(CORRECT) else "not-attempted" if verdict.startswith(NOT_ATTEMPTED) else "wrong"
    )
    progress.record(qid, outcome)
    return feedback


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
