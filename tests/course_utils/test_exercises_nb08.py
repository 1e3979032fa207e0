"""Notebook 08's exercise checks: the stub, a right answer and every typical mistake."""

import numpy as np
import pytest
import torch

from course_utils import rl
from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED
from course_utils.exercises import nb08 as ex

CASES = {  # exercise id: (check, right answer, name of the student's function)
    "08.1": (ex.check_reward_to_go, rl.reward_to_go, "reward_to_go"),
    "08.2": (ex.check_q_update, rl.q_update, "q_update"),
    "08.3": (ex.check_reinforce_loss, rl.reinforce_loss, "reinforce_loss"),
    "08.4": (ex.check_score_function_gradients, rl.score_function_gradients, "score_function_gradients"),
}


def _output(capsys, check, fn):
    assert check(fn) is None
    return capsys.readouterr().out


def test_every_exercise_has_a_case_and_mistakes():
    assert set(CASES) == set(ex.MISTAKES)
    assert all(len(m) >= 2 for m in ex.MISTAKES.values())


@pytest.mark.parametrize("eid", CASES)
def test_stub_is_not_attempted(capsys, eid):
    check, _, _ = CASES[eid]
    assert _output(capsys, check, lambda *args: None).startswith(f"[{eid}] {NOT_ATTEMPTED}")
    assert NOT_ATTEMPTED in _output(capsys, check, None)


@pytest.mark.parametrize("eid", CASES)
def test_right_answer_confirms(capsys, eid):
    check, right, _ = CASES[eid]
    assert _output(capsys, check, right).startswith(f"[{eid}] {CORRECT}")


@pytest.mark.parametrize("eid, k", [(eid, k) for eid, ms in ex.MISTAKES.items() for k in range(len(ms))])
def test_typical_mistake_gets_its_hint(capsys, eid, k):
    check, _, name = CASES[eid]
    code, hint = ex.MISTAKES[eid][k]
    namespace = {"np": np, "torch": torch, "rl": rl}
    exec(code, namespace)
    out = _output(capsys, check, namespace[name])
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_other_mistakes_get_specific_hints(capsys):
    assert "includes rewards[t] itself" in _output(
        capsys, ex.check_reward_to_go, lambda r, g: g * np.r_[rl.reward_to_go(r, g)[1:], 0.0]
    )

    def undiscounted(Q, s, a, r, s_next, terminated, truncated, alpha, gamma):
        return rl.q_update(Q, s, a, r, s_next, terminated, truncated, alpha, 1.0)

    assert "discount the next state's value" in _output(capsys, ex.check_q_update, undiscounted)

    def summed(logits, actions, returns, baseline):
        return rl.reinforce_loss(logits, actions, returns, baseline) * len(actions)

    assert "not the sum" in _output(capsys, ex.check_reinforce_loss, summed)

    def as_float(logits, actions, returns, baseline):
        return rl.reinforce_loss(logits, actions, returns, baseline).item()

    assert "torch tensor" in _output(capsys, ex.check_reinforce_loss, as_float)

    def flipped(theta, actions, rewards, b):
        return -rl.score_function_gradients(theta, actions, rewards, b)

    assert "sign is flipped" in _output(capsys, ex.check_score_function_gradients, flipped)
    assert HINT in _output(capsys, ex.check_reward_to_go, lambda r, g: np.ones(len(r)))


@pytest.mark.parametrize("qid", ex.QUIZZES)
def test_quizzes_confirm_the_right_answer_only(capsys, qid):
    q = ex.QUIZZES[qid]
    ex.quiz(qid, q.answer)
    assert CORRECT in capsys.readouterr().out
    wrong = next(k for k in q.options if k != q.answer) if q.options else 3.0
    ex.quiz(qid, wrong)
    assert HINT in capsys.readouterr().out
    assert all(k in q.explanations for k in q.options)


def test_quiz_answers_are_right():
    assert ex.QUIZZES["08.q2"].answer == pytest.approx(rl.reward_to_go([1.0, 1.0, 1.0], 0.9)[0])
