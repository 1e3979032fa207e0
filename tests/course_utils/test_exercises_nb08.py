"""Notebook 08's exercises beyond their declarations (test_exercises_declared.py): other right answers are accepted,
hard-coded and malformed answers get their hints, and the claims the self-checks make are true."""

import numpy as np
import pytest
import torch

from course_utils import rl
from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb08 as ex


def _taken(logits, actions, returns, baseline):  # the loss of each step, not yet averaged
    return -(torch.log_softmax(logits, 1)[torch.arange(len(actions)), actions] * (returns - baseline).detach())


@pytest.mark.parametrize(
    "check, answer, said",
    [
        (ex.check_reward_to_go, lambda r, g: list(rl.reward_to_go(r, g)), CORRECT),  # a list of the right numbers
        (ex.check_reinforce_loss, rl.reinforce_loss, CORRECT),  # .gather instead of indexing
        (ex.check_score_function_gradients, lambda *a: torch.tensor(rl.score_function_gradients(*a)), CORRECT),
        (ex.check_reward_to_go, lambda r, g: np.ones(len(r)), HINT),  # hard-coded
        (ex.check_reward_to_go, lambda r, g: np.r_[rl.reward_to_go(r, g), 0.0], "drop the extra entry after the end"),
        (ex.check_q_update, lambda *args: 0.5, "return the whole table Q (S, A), updated in place."),
        (ex.check_reinforce_loss, lambda *a: rl.reinforce_loss(*a).item(), "return a torch tensor (so that .backward"),
        (ex.check_reinforce_loss, _taken, "the loss must be one number, got shape (8,): take the mean over the batch"),
        (ex.check_reinforce_loss, lambda *a: rl.reinforce_loss(*a).detach(), "the loss has no gradient"),
        (ex.check_reinforce_loss, lambda *a: rl.reinforce_loss(*a) + 1.0, "the gradient is right but the value"),
        (ex.check_reinforce_loss, lambda *a: 2 * rl.reinforce_loss(*a), "`d loss / d logits (on a batch of 8)`"),
    ],
)
def test_other_answers(capsys, check, answer, said):
    check(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"[{check.eid}] {CORRECT if said == CORRECT else HINT}") and said in out, out


def test_the_self_checks_claims():
    # 08.q2: rewards 1, 1, 1 with gamma = 0.9 give G_0 = 2.71
    assert ex.QUIZZES["08.q2"].answer == pytest.approx(rl.reward_to_go([1.0, 1.0, 1.0], 0.9)[0])
    # 08.q3 and 08.4's confirmation: onehot(a) - pi has mean zero under pi, so a baseline adds no bias
    theta = np.array([0.3, -1.2, 2.0, 0.0])
    rows = rl.score_function_gradients(theta, np.arange(4), np.full(4, 7.0), 0.0)
    np.testing.assert_allclose(np.exp(theta) / np.exp(theta).sum() @ rows, 0.0, atol=1e-12)
    assert ex.QUIZZES["08.q3"].answer == "b"
