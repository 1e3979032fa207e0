"""A policy gradient on CartPole-v1: REINFORCE with a baseline, and the variance it cuts (notebook 09).

:func:`mlp` (policy and value networks), :func:`rollout` (a batch of whole episodes from a
vectorised environment), :func:`reward_to_go`, :func:`reinforce_loss`, :func:`reinforce_step`,
:func:`train_reinforce` (with a progress bar), :func:`fit_value` (the baseline V(s)),
:func:`gradient_samples` (per-episode gradient estimates, to measure their variance) and
:func:`score_function_gradients` (the estimate on a softmax bandit).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from .. import activations
from ..runtime import keeps_global_rng
from ..training import fit, progress_bar
from .episodes import evaluate_policy, greedy_policy, make_cartpole_vec


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
    G_t - V(s_t), standardised over the batch when ``normalize``: subtracting the batch mean is
    one more (constant) baseline; dividing by the batch standard deviation is no baseline, it
    multiplies the whole gradient estimate by one number and so only sets the step's size;
    4. one Adam step on :func:`reinforce_loss`. Returns ``{"loss", "value_loss", "mean_return"}``.
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
