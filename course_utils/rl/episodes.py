"""CartPole-v1: the vectorised environment, evaluating a policy, and showing its episodes drawn from
the state with matplotlib (no ``env.render()``, no display server; notebook 09).
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Circle, Rectangle
from torch import nn

from ..diagrams import PALETTE


def make_cartpole_vec(n_envs: int) -> gym.vector.VectorEnv:
    """``n_envs`` CartPole-v1 copies stepped together in numpy (gymnasium's vector entry point):
    observations (n_envs, 4), actions (n_envs,) int64, episodes truncated at 500 steps."""
    return gym.make_vec("CartPole-v1", num_envs=n_envs, vectorization_mode="vector_entry_point")


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
