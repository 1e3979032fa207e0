"""Reinforcement learning with gymnasium (notebook 08): tabular methods and a policy gradient.

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
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Circle, Rectangle
from torch import nn

from . import activations
from .diagrams import PALETTE
from .runtime import keeps_global_rng
from .training import fit, progress_bar

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

# FrozenLake's actions: 0 left, 1 down, 2 right, 3 up.
ARROWS = {0: "\u2190", 1: "\u2193", 2: "\u2192", 3: "\u2191"}


# ----------------------------------------------------------------------------- tabular methods


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


# ----------------------------------------------------------------------------- policy gradient on CartPole


def make_cartpole_vec(n_envs: int) -> gym.vector.VectorEnv:
    """``n_envs`` CartPole-v1 copies stepped together in numpy (gymnasium's vector entry point):
    observations (n_envs, 4), actions (n_envs,) int64, episodes truncated at 500 steps."""
    return gym.make_vec("CartPole-v1", num_envs=n_envs, vectorization_mode="vector_entry_point")


def mlp(n_in: int = 4, n_out: int = 2, hidden: int = 32) -> nn.Sequential:
    """A one-hidden-layer tanh network ``n_in -> hidden -> n_out`` (:func:`course_utils.activations.mlp`):
    the policy, observations (B, n_in) -> logits of the ``n_out`` actions (B, n_out), or, with
    ``n_out=1``, the value baseline V(s) (B, 1)."""
    return activations.mlp((n_in, hidden, n_out), "tanh")


@dataclass
class Batch:
    """Whole episodes from a vectorised environment, time-major (T = the longest episode).

    ``obs`` (T, N, 4) float32, ``actions`` (T, N) int64, ``rewards`` (T, N) float32 (0 after an
    episode ended), ``mask`` (T, N) bool (True while the episode was running).
    """

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """(N,) the length of each episode, which for CartPole is also its return."""
        return self.mask.sum(axis=0)


def rollout(
    env: gym.vector.VectorEnv,
    policy: nn.Module,
    rng: np.random.Generator,
    device: torch.device | str = "cpu",
    greedy: bool = False,
) -> Batch:
    """Play one episode in each of the ``env.num_envs`` copies with ``policy`` (no gradient).

    Actions are sampled from softmax(logits) with ``rng`` (or the arg-max when ``greedy``).
    After an episode ends its copy keeps stepping (gymnasium resets it on the next step) but
    those steps are masked out; the batch ends when every episode has ended.
    """
    n = env.num_envs
    obs, _ = env.reset(seed=int(rng.integers(2**31)))
    alive = np.ones(n, dtype=bool)
    O, A, R, M = [], [], [], []
    while alive.any():
        with torch.no_grad():
            logits = policy(torch.as_tensor(obs, device=device))
        if greedy:
            a = logits.argmax(dim=1).cpu().numpy()
        else:
            cdf = torch.softmax(logits.double(), dim=1).cumsum(dim=1).cpu().numpy()  # (N, A)
            a = (rng.random(n)[:, None] > cdf[:, :-1]).sum(axis=1)
        a = a.astype(np.int64)
        O.append(obs)
        A.append(a)
        M.append(alive.copy())
        obs, r, terminated, truncated, _ = env.step(a)
        R.append(np.where(alive, r, 0.0).astype(np.float32))
        alive &= ~(terminated | truncated)
    return Batch(np.stack(O).astype(np.float32), np.stack(A), np.stack(R), np.stack(M))


def reward_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Discounted reward-to-go ``G_t = r_t + gamma * G_{t+1}`` (``G_T = 0``) along axis 0.

    ``rewards`` (T,) or (T, N) (time-major, one column per episode); returns the same shape.
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    G = np.zeros_like(rewards)
    running = np.zeros_like(rewards[0]) if rewards.ndim > 1 else 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        G[t] = running
    return G


def reinforce_loss(
    logits: torch.Tensor, actions: torch.Tensor, returns: torch.Tensor, baseline: torch.Tensor
) -> torch.Tensor:
    """The REINFORCE surrogate loss with a baseline, whose gradient is the policy gradient.

    ``logits`` (B, A) of the policy at B visited states, ``actions`` (B,) int64 taken there,
    ``returns`` (B,) reward-to-go G_t, ``baseline`` (B,) b(s_t) (e.g. V(s_t)). Returns the scalar
    ``-mean(log pi(a_t | s_t) * (G_t - b(s_t)))``; the advantage is detached so that this loss
    trains the policy only.
    """
    log_pi = torch.log_softmax(logits, dim=1).gather(1, actions[:, None]).squeeze(1)  # (B,)
    advantage = (returns - baseline).detach()
    return -(log_pi * advantage).mean()


def reinforce_step(
    policy: nn.Module,
    value: nn.Module,
    opt_policy: torch.optim.Optimizer,
    opt_value: torch.optim.Optimizer,
    batch: Batch,
    gamma: float = 0.99,
    normalize: bool = True,
    device: torch.device | str = "cpu",
) -> dict:
    """One REINFORCE-with-baseline update from a :class:`Batch` of whole episodes.

    1. reward-to-go G_t of every visited step; 2. baseline b = V(s_t) from the value network,
    which is then fitted to G_t by one Adam step on the squared error; 3. advantage
    G_t - V(s_t), scaled to mean 0 and std 1 when ``normalize`` (a constant shift and scale:
    the gradient's direction in expectation is unchanged, its size becomes steady); 4. one Adam
    step on :func:`reinforce_loss`. Returns ``{"loss", "value_loss", "mean_return"}``.
    """
    keep = torch.as_tensor(batch.mask.reshape(-1), device=device)
    obs = torch.as_tensor(batch.obs.reshape(-1, batch.obs.shape[-1]), device=device)[keep]  # (B, 4)
    actions = torch.as_tensor(batch.actions.reshape(-1), device=device)[keep]  # (B,)
    G = torch.as_tensor(reward_to_go(batch.rewards, gamma).reshape(-1), dtype=torch.float32, device=device)[
        keep
    ]  # (B,)
    v = value(obs).squeeze(1)  # (B,)
    value_loss = ((v - G) ** 2).mean()
    opt_value.zero_grad()
    value_loss.backward()
    opt_value.step()
    advantage = G - v.detach()  # G_t - b(s_t), (B,)
    if normalize:
        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
    loss = reinforce_loss(policy(obs), actions, advantage, torch.zeros_like(advantage))
    opt_policy.zero_grad()
    loss.backward()
    opt_policy.step()
    return {"loss": loss.item(), "value_loss": value_loss.item(), "mean_return": float(batch.lengths.mean())}


@dataclass
class ReinforceHistory:
    """Per-iteration record of :func:`train_reinforce`: ``mean_return`` of the batch's (sampled)
    episodes, ``loss`` and ``value_loss``; ``evals`` holds ``(iteration, greedy mean return)``
    of the periodic greedy evaluations; ``seconds`` the wall time; ``solved_at`` the iteration
    at which the greedy evaluation first reached the target (None if never)."""

    mean_return: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    value_loss: list = field(default_factory=list)
    evals: list = field(default_factory=list)
    seconds: float = 0.0
    solved_at: int | None = None


@keeps_global_rng
def train_reinforce(
    seed: int = 0,
    *,
    n_envs: int = 16,
    iterations: int = 200,
    hidden: int = 32,
    lr: float = 1e-2,
    value_lr: float = 1e-2,
    gamma: float = 0.99,
    normalize: bool = True,
    target: float = 490.0,
    eval_every: int = 5,
    eval_episodes: int = 20,
    device: torch.device | str = "cpu",
    progress: bool = True,
    desc: str = "REINFORCE",
) -> tuple[nn.Module, nn.Module, ReinforceHistory]:
    """Train a CartPole-v1 policy by REINFORCE with a learned value baseline.

    Each iteration plays ``n_envs`` whole episodes (:func:`rollout`) and makes one
    :func:`reinforce_step`. Every ``eval_every`` iterations whose batch averaged at least
    0.8 * ``target``, the greedy policy plays ``eval_episodes`` episodes (seeds separate from the
    final evaluation's); training stops once their mean reaches ``target``. Returns
    ``(policy, value, history)``: ``policy`` maps observations (B, 4) to logits (B, 2), ``value``
    maps them to (B, 1).
    """
    import time

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    policy, value = mlp(4, 2, hidden).to(device), mlp(4, 1, hidden).to(device)
    opt_policy = torch.optim.Adam(policy.parameters(), lr=lr)
    opt_value = torch.optim.Adam(value.parameters(), lr=value_lr)
    env = make_cartpole_vec(n_envs)
    history = ReinforceHistory()
    start = time.perf_counter()
    bar = progress_bar(range(int(iterations)), desc=desc, unit="it", progress=progress)
    for it in bar:
        stats = reinforce_step(
            policy,
            value,
            opt_policy,
            opt_value,
            rollout(env, policy, rng, device),
            gamma=gamma,
            normalize=normalize,
            device=device,
        )
        history.mean_return.append(stats["mean_return"])
        history.loss.append(stats["loss"])
        history.value_loss.append(stats["value_loss"])
        bar.set_postfix(mean_return=f"{stats['mean_return']:.0f}")
        if (it + 1) % eval_every == 0 and stats["mean_return"] >= 0.8 * target:
            score = evaluate_policy(greedy_policy(policy, device), eval_episodes, seed=10_000 + seed + it).mean()
            history.evals.append((it + 1, float(score)))
            if score >= target:
                history.solved_at = it + 1
                break
    bar.close()
    env.close()
    history.seconds = time.perf_counter() - start
    return policy.eval(), value.eval(), history


# ----------------------------------------------------------------------------- evaluation and display


def greedy_policy(policy: nn.Module, device: torch.device | str = "cpu") -> Callable[[np.ndarray], np.ndarray]:
    """The greedy policy of a network: observations (N, 4) -> arg-max actions (N,) int64."""

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = policy(torch.as_tensor(np.asarray(obs, dtype=np.float32), device=device))
        return logits.argmax(dim=-1).cpu().numpy().astype(np.int64)

    return act


def random_policy(seed: int = 0, n_actions: int = 2) -> Callable[[np.ndarray], np.ndarray]:
    """A uniformly random policy: observations (N, 4) -> actions (N,) int64 (seeded)."""
    rng = np.random.default_rng(seed)

    def act(obs: np.ndarray) -> np.ndarray:
        return rng.integers(n_actions, size=len(obs)).astype(np.int64)

    return act


def evaluate_policy(act: Callable[[np.ndarray], np.ndarray], n_episodes: int = 20, seed: int = 0) -> np.ndarray:
    """Play ``n_episodes`` CartPole-v1 episodes (in parallel, seeded) with ``act`` (observations
    (N, 4) -> actions (N,)); returns each episode's undiscounted return, shape (n_episodes,)."""
    env = make_cartpole_vec(n_episodes)
    obs, _ = env.reset(seed=seed)
    alive, total = np.ones(n_episodes, dtype=bool), np.zeros(n_episodes)
    while alive.any():
        obs, r, terminated, truncated, _ = env.step(act(obs))
        total += np.where(alive, r, 0.0)
        alive &= ~(terminated | truncated)
    env.close()
    return total


def record_episode(act: Callable[[np.ndarray], np.ndarray], seed: int = 0) -> dict:
    """Play one CartPole-v1 episode with a single (non-vectorised) environment.

    ``act`` maps observations (N, 4) to actions (N,) (it is called with N = 1). Returns
    ``{"states": (T + 1, 4) [x, x_dot, theta, theta_dot] from the reset to the last state,
    "actions": (T,), "rewards": (T,), "terminated": bool, "truncated": bool}``.
    """
    env = gym.make("CartPole-v1")
    obs, _ = env.reset(seed=seed)
    states, actions, rewards = [obs], [], []
    terminated = truncated = False
    while not (terminated or truncated):
        a = int(act(obs[None])[0])
        obs, r, terminated, truncated, _ = env.step(a)
        states.append(obs)
        actions.append(a)
        rewards.append(float(r))
    env.close()
    return {
        "states": np.array(states),
        "actions": np.array(actions),
        "rewards": np.array(rewards),
        "terminated": bool(terminated),
        "truncated": bool(truncated),
    }


X_LIMIT, THETA_LIMIT, POLE_LENGTH = 2.4, 12 * 2 * np.pi / 360, 1.0  # CartPole-v1's limits; pole = 2 * 0.5 m


def draw_cartpole(state, *, ax=None, title: str = "Cart-pole", action: int | None = None):
    """Draw a CartPole state ``[x, x_dot, theta, theta_dot]`` (4,) with matplotlib.

    The track spans the allowed positions |x| <= 2.4 (dashed limits); the pole (1 m) leans by
    ``theta`` from the vertical (positive = to the right); it turns vermillion beyond the
    12-degree limit. ``action`` (0 push left, 1 push right) is drawn as an arrow on the cart.
    Returns the Figure.
    """
    x, _, theta, _ = (float(v) for v in state)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.0, 2.6))
    fig = ax.figure
    ax.plot([-X_LIMIT - 0.4, X_LIMIT + 0.4], [0, 0], color="gray", lw=1)
    for edge in (-X_LIMIT, X_LIMIT):
        ax.axvline(edge, color="gray", ls="--", lw=1)
    cart_w, cart_h = 0.5, 0.3
    ax.add_patch(Rectangle((x - cart_w / 2, 0.0), cart_w, cart_h, facecolor=PALETTE["blue"], edgecolor="black"))
    pivot = (x, cart_h)
    tip = (x + POLE_LENGTH * np.sin(theta), cart_h + POLE_LENGTH * np.cos(theta))
    fallen = abs(theta) > THETA_LIMIT or abs(x) > X_LIMIT
    ax.plot(
        [pivot[0], tip[0]],
        [pivot[1], tip[1]],
        lw=5,
        solid_capstyle="round",
        color=PALETTE["vermillion"] if fallen else PALETTE["orange"],
        label="pole",
    )
    ax.add_patch(Circle(pivot, 0.04, color="black"))
    if action is not None:
        d = 0.35 if int(action) == 1 else -0.35
        ax.annotate(
            "",
            xy=(x + d + np.sign(d) * cart_w / 2, cart_h / 2),
            xytext=(x + np.sign(d) * cart_w / 2, cart_h / 2),
            arrowprops=dict(arrowstyle="-|>", color=PALETTE["green"], lw=2),
        )
    ax.set(
        xlim=(-X_LIMIT - 0.5, X_LIMIT + 0.5),
        ylim=(-0.2, 1.45),
        title=title,
        xlabel="cart position x (m)",
        ylabel="height (m)",
    )
    ax.set_aspect("equal")
    ax.grid(False)
    return fig


def render_episodes(episodes: dict, t: int = 0):
    """The explorer's picture: one panel per recorded episode (name -> :func:`record_episode`
    result), each showing its state at time step ``t`` (or its last state, once it has ended).

    Returns the Figure; ``fig.alt_text`` describes it and ``fig.shown_steps`` (name -> step
    drawn) says which state each panel shows.
    """
    if not episodes:
        raise ValueError("episodes is empty: pass name -> record_episode(...)")
    if t < 0:
        raise ValueError(f"t must be >= 0, got {t}")
    fig, axes = plt.subplots(1, len(episodes), figsize=(5.2 * len(episodes), 2.9), squeeze=False)
    fig.shown_steps, parts = {}, []
    for ax, (name, ep) in zip(axes[0], episodes.items()):
        T = len(ep["actions"])
        k = min(int(t), T)
        state = ep["states"][k]
        fig.shown_steps[name] = k
        if k < T:
            status = f"step {k} of {T}"
        else:
            status = f"{'fell' if ep['terminated'] else 'time limit'} after {T} steps"
        draw_cartpole(
            state,
            ax=ax,
            action=ep["actions"][k] if k < T else None,
            title=f"{name}: {status}\nangle {np.degrees(state[2]):+.1f}\u00b0, x = {state[0]:+.2f} m",
        )
        parts.append(f"{name}: {status}, pole angle {np.degrees(state[2]):+.1f} degrees, cart at {state[0]:+.2f} m")
    fig.suptitle(f"CartPole-v1 at time step {int(t)} (0.02 s per step)")
    fig.tight_layout()
    fig.alt_text = "Cart and pole drawn from the state. " + "; ".join(parts) + "."
    return fig


# ----------------------------------------------------------------------------- gradient variance


def gradient_samples(policy: nn.Module, batch: Batch, baseline: np.ndarray | None, gamma: float = 0.99) -> np.ndarray:
    """One policy-gradient estimate per episode of ``batch``: for episode i,
    ``g_i = sum_t grad log pi(a_t | s_t) * (G_t - b_t)`` flattened over all policy parameters.

    ``baseline`` (T, N) values b_t (e.g. V(s_t)) or None for b = 0. Returns (N, n_params).
    The mean over episodes estimates the gradient; their spread is its variance.
    """
    device = next(policy.parameters()).device
    G = reward_to_go(batch.rewards, gamma)
    adv = G - (0.0 if baseline is None else baseline)
    rows = []
    for i in range(batch.obs.shape[1]):
        m = batch.mask[:, i]
        obs = torch.as_tensor(batch.obs[m, i], device=device)
        acts = torch.as_tensor(batch.actions[m, i], device=device)
        a_i = torch.as_tensor(adv[m, i], dtype=torch.float32, device=device)
        log_pi = torch.log_softmax(policy(obs), dim=1).gather(1, acts[:, None]).squeeze(1)
        grads = torch.autograd.grad((log_pi * a_i).sum(), list(policy.parameters()))
        rows.append(torch.cat([g.reshape(-1) for g in grads]).cpu().numpy())
    return np.stack(rows)


def score_function_gradients(theta: np.ndarray, actions: np.ndarray, rewards: np.ndarray, b: float) -> np.ndarray:
    """Per-sample policy-gradient estimates on a K-armed bandit with policy softmax(theta).

    ``theta`` (K,), ``actions`` (n,) int, ``rewards`` (n,), baseline ``b``. Returns (n, K):
    row i is ``grad_theta log pi(a_i) * (r_i - b) = (onehot(a_i) - softmax(theta)) * (r_i - b)``.
    """
    pi = np.exp(theta - theta.max())
    pi /= pi.sum()
    onehot = np.eye(len(theta))[actions]
    return (onehot - pi) * (np.asarray(rewards, dtype=float) - b)[:, None]


def source(fn: Callable) -> str:
    """The source code of ``fn`` (to show a library function's algorithm in the notebook)."""
    return inspect.getsource(fn)


@keeps_global_rng
def fit_value(
    policy_batch: Batch,
    gamma: float = 0.99,
    hidden: int = 32,
    steps: int = 300,
    lr: float = 1e-2,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> nn.Module:
    """A fresh value network V(s) (4 -> ``hidden`` -> 1) fitted by ``steps`` full-batch Adam steps to the
    reward-to-go of the episodes in ``policy_batch`` (least squares, with :func:`course_utils.training.fit`).
    Returns it in eval mode: observations (B, 4) -> values (B, 1)."""
    torch.manual_seed(seed)
    value = mlp(4, 1, hidden).to(device)
    keep = policy_batch.mask.reshape(-1)
    obs = torch.as_tensor(policy_batch.obs.reshape(-1, 4)[keep], device=device)  # (B, 4)
    G = torch.as_tensor(
        reward_to_go(policy_batch.rewards, gamma).reshape(-1)[keep], dtype=torch.float32, device=device
    )  # (B,)
    fit(
        value,
        [(obs, G)],
        epochs=steps,
        optimizer=torch.optim.Adam(value.parameters(), lr=lr),
        loss_fn=lambda v, target: ((v.squeeze(1) - target) ** 2).mean(),
        metric=None,
        device=device,
        progress=False,
        unit="step",
    )
    return value.eval()
