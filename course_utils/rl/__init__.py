"""Reinforcement learning with gymnasium (notebook 09): tabular methods and a policy gradient.

Everything runs offline: gymnasium's toy-text (FrozenLake) and classic-control (CartPole)
environments need no download and, as used here, no display.

* tabular: :func:`tabular_model` reads FrozenLake's transition table, :func:`value_iteration`
  solves it exactly, :func:`q_update` / :func:`epsilon_greedy` / :func:`q_learning` learn it
  from experience, :func:`plot_grid_policy` draws a policy as arrows;
* policy gradient on CartPole-v1: :func:`mlp` (policy and value networks), :func:`rollout`
  (a batch of whole episodes from a vectorised environment), :func:`reward_to_go`,
  :func:`reinforce_loss`, :func:`reinforce_step`, :func:`train_reinforce` (with a progress bar),
  :func:`gradient_samples` (per-episode gradient estimates, to measure their variance);
* evaluation and display: :func:`evaluate_policy`, :func:`greedy_policy`, :func:`random_policy`,
  :func:`record_episode`, :func:`draw_cartpole` and :func:`render_episodes` (the explorer's
  picture, drawn from the state with matplotlib: no ``env.render()``, no display server);
* :func:`score_function_gradients`: the policy-gradient estimate on a softmax bandit.

The package gathers three modules under one name (``rl.q_learning``, ``rl.train_reinforce``):
:mod:`.tabular`, :mod:`.reinforce` and :mod:`.episodes` (the environment, evaluation and drawing).
"""

from .episodes import (
    draw_cartpole,
    evaluate_policy,
    greedy_policy,
    make_cartpole_vec,
    random_policy,
    record_episode,
    render_episodes,
)
from .reinforce import (
    Batch,
    ReinforceHistory,
    fit_value,
    gradient_samples,
    mlp,
    reinforce_loss,
    reinforce_step,
    reward_to_go,
    rollout,
    score_function_gradients,
    source,
    train_reinforce,
)
from .tabular import (
    ARROWS,
    epsilon_greedy,
    make_frozen_lake,
    optimal_actions,
    plot_grid_policy,
    q_learning,
    q_update,
    run_greedy_tabular,
    tabular_model,
    value_iteration,
)

__all__ = [
    "ARROWS",
    "make_frozen_lake",
    "tabular_model",
    "value_iteration",
    "optimal_actions",
    "q_update",
    "epsilon_greedy",
    "q_learning",
    "run_greedy_tabular",
    "plot_grid_policy",
    "make_cartpole_vec",
    "mlp",
    "Batch",
    "rollout",
    "reward_to_go",
    "reinforce_loss",
    "reinforce_step",
    "ReinforceHistory",
    "train_reinforce",
    "greedy_policy",
    "random_policy",
    "evaluate_policy",
    "record_episode",
    "draw_cartpole",
    "render_episodes",
    "gradient_samples",
    "score_function_gradients",
    "source",
    "fit_value",
]
