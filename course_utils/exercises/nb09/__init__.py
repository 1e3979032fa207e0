"""Exercises and self-check questions of notebook 09 (reinforcement learning): 09.1 reward_to_go,
09.5 value_iteration_sweep (one synchronous Bellman optimality backup on FrozenLake's model, and value iteration
with it), 09.2 q_update (in place: :class:`~course_utils.exercises.nb09.value_based._InPlace`), 09.6
epsilon_greedy (a check written as code: the rng it is given, then the action frequencies; its mistakes are whole
cells in ``STEPWISE``), 09.3 reinforce_loss (checked through its value and gradients:
:class:`~course_utils.exercises.nb09.policy_gradient._Backward`), 09.4 score_function_gradients. The declared ones
have their typical mistakes as the code a student would write; the questions are in ``nb09.toml``.

The values (09.5, 09.2) are in :mod:`~course_utils.exercises.nb09.value_based`, epsilon-greedy (09.6) in
:mod:`~course_utils.exercises.nb09.epsilon_greedy`, the policy gradients (09.1, 09.3, 09.4) in
:mod:`~course_utils.exercises.nb09.policy_gradient`, the notebook's names in
:mod:`~course_utils.exercises.nb09.common`; this package is what the notebook imports.
"""

from __future__ import annotations

from .. import accepted, notebook_quizzes
from .common import NOTEBOOK
from .epsilon_greedy import STEPWISE, check_epsilon_greedy
from .policy_gradient import check_reinforce_loss, check_reward_to_go, check_score_function_gradients
from .value_based import check_q_update, check_value_iteration_sweep

EXERCISES = [
    check_reward_to_go,
    check_value_iteration_sweep,
    check_q_update,
    check_reinforce_loss,
    check_score_function_gradients,
]

QUIZZES, quiz = notebook_quizzes(__name__)
