"""Every declared exercise of every notebook (``EXERCISES`` of ``course_utils.exercises.nbNN``)
and every self-check question: the stub, the reference, an error in the student's code, and
each typical mistake, typed in as the student's cell, getting its own hint.

What is particular to one notebook (a claim a confirmation makes, a check written as code) is
tested in ``test_exercises_nbNN.py``."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, Exercise

EXERCISES_DIR = Path(__file__).resolve().parents[2] / "course_utils" / "exercises"
NUMBERS = sorted({p.stem[2:4] for p in EXERCISES_DIR.glob("nb[0-9][0-9]*") if p.suffix in ("", ".py")})
MODULES = [importlib.import_module(f"course_utils.exercises.nb{n}") for n in NUMBERS]
DECLARED = [(module, ex) for module in MODULES for ex in getattr(module, "EXERCISES", [])]
TYPICAL = [(module, ex, k) for module, ex in DECLARED for k in range(len(ex.typical))]
QUIZZES = [(module, qid) for module in MODULES for qid in module.QUIZZES]
# checks written as code (a step-by-step diagnosis): STEPWISE = {eid: (name the cell defines, [Typical
# whose body is the whole cell])}, checked by the module's check function whose .eid is eid
STEPWISE = [
    (module, eid, name, typical)
    for module in MODULES
    for eid, (name, typicals) in getattr(module, "STEPWISE", {}).items()
    for typical in typicals
]


def stub(*args, **kwargs):
    return None  # YOUR CODE HERE


@pytest.mark.parametrize("module, ex", DECLARED, ids=[ex.eid for _, ex in DECLARED])
def test_stub_reference_and_a_raising_answer(module, ex: Exercise, capsys):
    assert any(getattr(module, n) is ex for n in dir(module) if n.startswith("check_")), "no check_ name"
    for answer in (stub, None):
        ex.check(answer)
        assert capsys.readouterr().out.startswith(f"[{ex.eid}] {NOT_ATTEMPTED}")
    ex.check(ex.function(ex.reference))
    out = capsys.readouterr().out
    assert out.startswith(f"[{ex.eid}] {CORRECT}"), out
    ex.check(lambda *a, **k: 1 / 0)  # the student's code raises: a hint, never an exception
    out = capsys.readouterr().out
    assert out.startswith(f"[{ex.eid}] {HINT}") and "ZeroDivisionError" in out, out


@pytest.mark.parametrize("module, ex", DECLARED, ids=[ex.eid for _, ex in DECLARED])
def test_every_exercise_has_two_typical_mistakes_with_distinct_hints(module, ex: Exercise):
    hints = [t.hint for t in ex.typical]
    assert len(hints) >= 2 and len(set(hints)) == len(hints), hints
    assert not [(a, b) for a in hints for b in hints if a != b and a in b], "a hint inside another cannot be told apart"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a wrong answer may overflow: the student's own warning
@pytest.mark.parametrize("module, ex, k", TYPICAL, ids=[f"{ex.eid}-{k}" for _, ex, k in TYPICAL])
def test_typical_mistake_typed_in_gets_its_own_hint(module, ex: Exercise, k: int, capsys):
    typical = ex.typical[k]
    namespace = dict(ex.namespace)  # what the notebook has imported
    exec(typical.source(ex.signature), namespace)  # noqa: S102 - the mistake is the course's own code
    ex.check(namespace[ex.name])
    out = capsys.readouterr().out
    assert out.startswith(f"[{ex.eid}] {HINT}") and typical.hint in out, f"{typical.body}\n-> {out}"
    assert_no_other_hint(out, typical, ex.typical)


def assert_no_other_hint(out: str, typical, typicals) -> None:
    """The hint names the mistake made: no other typical mistake's hint of the exercise is in ``out``."""
    others = [t.hint for t in typicals if t is not typical]
    assert not [hint for hint in others if hint in out], f"{typical.body}\n-> {out}"


@pytest.mark.parametrize("module, qid", QUIZZES, ids=[qid for _, qid in QUIZZES])
def test_quiz_right_and_wrong_answers(module, qid, capsys):
    q = module.QUIZZES[qid]
    assert qid.startswith(module.__name__[-2:] + ".q")
    if q.options:
        assert q.answer in q.options and set(q.explanations) <= set(q.options)
        for key in q.options:
            module.quiz(qid, answer=key)
            assert capsys.readouterr().out.startswith(f"[{qid}] {CORRECT if key == q.answer else HINT}")
    else:
        module.quiz(qid, answer=float(q.answer))
        assert CORRECT in capsys.readouterr().out
        module.quiz(qid, answer=float(q.answer) * 1.5 + 1)
        assert HINT in capsys.readouterr().out
    assert module.quiz(qid) is not None  # the widget


def test_every_notebook_has_its_questions_as_data():
    for module in MODULES:
        assert len(module.QUIZZES) >= 2, module.__name__
    assert DECLARED, "no declared exercise"


def check_of(module, eid: str):
    (check,) = [f for n, f in vars(module).items() if n.startswith("check_") and getattr(f, "eid", None) == eid]
    return check


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    "module, eid, name, typical", STEPWISE, ids=[f"{eid}-{k}" for k, (_, eid, _, _) in enumerate(STEPWISE)]
)
def test_stepwise_check_gives_each_typical_mistake_its_hint(module, eid, name, typical, capsys):
    namespace = dict(module.NOTEBOOK)
    exec(typical.body, namespace)  # noqa: S102 - the mistake is the course's own code
    check_of(module, eid)(namespace[name])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {HINT}") and typical.hint in out, f"{typical.body}\n-> {out}"
    assert_no_other_hint(out, typical, module.STEPWISE[eid][1])


def test_every_stepwise_check_has_two_typical_mistakes():
    for module in MODULES:
        for eid, (_, typicals) in getattr(module, "STEPWISE", {}).items():
            assert len(typicals) >= 2, eid
            hints = [t.hint for t in typicals]
            assert not [(a, b) for a in hints for b in hints if a != b and a in b], eid
            check_of(module, eid)
