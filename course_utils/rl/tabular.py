"""Tabular reinforcement learning on FrozenLake: the exact solution and Q-learning (notebook 09).

:func:`tabular_model` reads FrozenLake's transition table, :func:`value_iteration` solves it exactly,
:func:`q_update` / :func:`epsilon_greedy` / :func:`q_learning` learn it from experience,
:func:`plot_grid_policy` draws a policy as arrows.
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..diagrams import PALETTE

# FrozenLake's actions: 0 left, 1 down, 2 right, 3 up.
ARROWS = {0: "\u2190", 1: "\u2193", 2: "\u2192", 3: "\u2191"}


def make_frozen_lake(is_slippery: bool = False, map_name: str = "4x4") -> gym.Env:
    """``gym.make("FrozenLake-v1", ...)``: states 0..S-1 (row-major cells), 4 actions."""
    return gym.make("FrozenLake-v1", is_slippery=is_slippery, map_name=map_name)


def tabular_model(env: gym.Env) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The known model of a toy-text environment, read from ``env.unwrapped.P``.

    Returns ``(P, R, terminal)``: ``P`` (S, A, S) transition probabilities p(s' | s, a);
    ``R`` (S, A) expected immediate reward; ``terminal`` (S,) bool, the states in which an
    episode ends (entering them sets ``terminated``), whose value is 0.
    """
    table = env.unwrapped.P
    S, A = env.observation_space.n, env.action_space.n
    P, R, terminal = np.zeros((S, A, S)), np.zeros((S, A)), np.zeros(S, dtype=bool)
    for s in range(S):
        for a in range(A):
            for p, s_next, r, done in table[s][a]:
                P[s, a, s_next] += p
                R[s, a] += p * r
                if done:
                    terminal[s_next] = True
    return P, R, terminal


def value_iteration(
    P: np.ndarray, R: np.ndarray, terminal: np.ndarray, gamma: float = 0.95, tol: float = 1e-12, max_iter: int = 10_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the Bellman optimality equation by repeated backups.

    ``V(s) <- max_a [R(s, a) + gamma * sum_s' P(s, a, s') V(s')]``, with ``V = 0`` on terminal states,
    until the largest change is below ``tol``. ``P`` (S, A, S), ``R`` (S, A), ``terminal`` (S,).
    Returns ``(V, Q, policy)``: ``V`` (S,), ``Q`` (S, A), ``policy`` (S,) int, a greedy action.
    """
    V = np.zeros(P.shape[0])
    for _ in range(max_iter):
        Q = R + gamma * P @ np.where(terminal, 0.0, V)  # (S, A)
        V_new = np.where(terminal, 0.0, Q.max(axis=1))
        converged = np.abs(V_new - V).max() < tol
        V = V_new
        if converged:
            break
    Q = R + gamma * P @ np.where(terminal, 0.0, V)
    Q[terminal] = 0.0
    return V, Q, Q.argmax(axis=1)


def optimal_actions(Q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """(S, A) bool: the actions within ``tol`` of the best in each state (ties are all optimal)."""
    return Q >= Q.max(axis=1, keepdims=True) - tol


def q_update(
    Q: np.ndarray, s: int, a: int, r: float, s_next: int, terminated: bool, truncated: bool, alpha: float, gamma: float
) -> np.ndarray:
    """One Q-learning (Bellman) update of ``Q`` (S, A), in place; returns ``Q``.

    ``target = r + gamma * max_a' Q[s_next, a']``, or just ``r`` when the episode *terminated*
    (s_next has no future). A *truncated* episode (a time limit) still bootstraps: s_next has a
    future, we merely stopped watching. ``Q[s, a] += alpha * (target - Q[s, a])``.
    """
    target = r if terminated else r + gamma * Q[s_next].max()
    Q[s, a] += alpha * (target - Q[s, a])
    return Q


def epsilon_greedy(Q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """With probability ``epsilon`` a uniformly random action, otherwise a greedy one of
    ``Q_row`` (A,), ties broken at random (so an all-zero row does not always pick action 0)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(Q_row)))
    best = np.flatnonzero(Q_row == Q_row.max())
    return int(rng.choice(best))


def q_learning(
    env: gym.Env,
    episodes: int = 4000,
    alpha: float = 0.5,
    gamma: float = 0.95,
    epsilon: float = 0.5,
    seed: int = 0,
    update: Callable = q_update,
) -> tuple[np.ndarray, np.ndarray]:
    """Tabular Q-learning with epsilon-greedy exploration on a discrete environment.

    Each episode: ``reset``, then act epsilon-greedily, ``step``, apply ``update`` (default
    :func:`q_update`) until ``terminated`` or ``truncated``. Returns ``(Q, returns)``:
    ``Q`` (S, A) and ``returns`` (episodes,), the undiscounted reward of each episode.
    """
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    returns = np.zeros(episodes)
    s, _ = env.reset(seed=seed)
    for episode in range(episodes):
        if episode:
            s, _ = env.reset()
        done = False
        while not done:
            a = epsilon_greedy(Q[s], epsilon, rng)
            s_next, r, terminated, truncated, _ = env.step(a)
            Q = update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma)
            returns[episode] += r
            s, done = s_next, terminated or truncated
    return Q, returns


def run_greedy_tabular(env: gym.Env, policy: np.ndarray, seed: int = 0) -> tuple[list[int], float]:
    """Play one episode with the table ``policy`` (S,); returns ``(visited states, total reward)``."""
    s, _ = env.reset(seed=seed)
    states, total, done = [int(s)], 0.0, False
    while not done:
        s, r, terminated, truncated, _ = env.step(int(policy[s]))
        states.append(int(s))
        total += float(r)
        done = terminated or truncated
    return states, total


def plot_grid_policy(
    desc, policy: np.ndarray, V: np.ndarray | None = None, *, title: str, mark: np.ndarray | None = None, ax=None
):
    """Draw a grid-world policy as arrows on its map.

    ``desc`` (rows, cols) the map letters (S start, F frozen, H hole, G goal); ``policy`` (S,)
    actions; ``V`` (S,) values shown as the cell shade; ``mark`` (S,) bool cells outlined in
    vermillion (e.g. disagreements). Returns the Figure.
    """
    desc = np.asarray(desc).astype(str)
    rows, cols = desc.shape
    if ax is None:
        fig, ax = plt.subplots(figsize=(3.6, 3.6))
    fig = ax.figure
    shade = np.zeros((rows, cols)) if V is None else np.asarray(V, dtype=float).reshape(rows, cols)
    ax.imshow(shade, cmap="Blues", vmin=0, vmax=max(1.0, shade.max()))
    for s in range(rows * cols):
        r, c = divmod(s, cols)
        letter = desc[r, c]
        if letter in "HG":
            ax.text(
                c,
                r,
                "hole" if letter == "H" else "goal",
                ha="center",
                va="center",
                fontsize=8,
                color=PALETTE["vermillion"] if letter == "H" else PALETTE["green"],
                fontweight="bold",
            )
            continue
        ax.text(c, r, ARROWS[int(policy[s])], ha="center", va="center", fontsize=16)
        if letter == "S":
            ax.text(c - 0.42, r - 0.3, "start", fontsize=6)
        if mark is not None and mark[s]:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5, edgecolor=PALETTE["vermillion"]))
    ax.set(title=title, xticks=range(cols), yticks=range(rows), xlabel="column", ylabel="row")
    ax.grid(False)
    return fig
