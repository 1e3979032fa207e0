"""Exercises and self-check questions of notebook 08 (reinforcement learning).

Each check builds its own seeded inputs, runs the student's function and compares it with the
reference in :mod:`course_utils.rl`; typical mistakes are recognised by computing what the
mistaken code returns. ``MISTAKES`` lists, for every exercise, mistaken student cells and a piece
of the hint each must get (the notebook test runs them); ``QUIZZES`` holds the self-checks.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import rl
from ..layers import softmax
from . import Mistake, Quiz, attempt, compare, exercise, quizzes

__all__ = [
    "check_reward_to_go",
    "check_q_update",
    "check_reinforce_loss",
    "check_score_function_gradients",
    "quiz",
    "QUIZZES",
    "MISTAKES",
]


# ----------------------------------------------------------------------------- 08.1 reward-to-go


@exercise(
    "08.1",
    todo="Write reward_to_go(rewards, gamma): G[t] = rewards[t] + gamma * G[t + 1], "
    "computed backwards from the last step (G after the end is 0).",
)
def check_reward_to_go(reward_to_go) -> str:
    """``reward_to_go(rewards (T,), gamma) -> G (T,)`` on a random episode of T = 7 steps."""
    rng = np.random.default_rng(801)
    rewards, gamma = rng.integers(-2, 4, 7).astype(float), 0.9
    G = attempt(reward_to_go, rewards, gamma)
    T, t = len(rewards), np.arange(len(rewards))
    expected = rl.reward_to_go(rewards, gamma)
    discount = gamma**t
    compare(
        "G",
        G,
        expected,
        mistakes=[
            (
                np.cumsum(rewards * discount),
                "G[t] sums the rewards from t to the END, not from the start up to t: "
                "loop backwards, G[t] = rewards[t] + gamma * G[t + 1].",
            ),
            (
                np.full(T, expected[0]),
                "every G[t] is the return of the whole episode: the reward-to-go starts "
                "at t and ignores the rewards before t.",
            ),
            (
                np.cumsum((rewards * discount)[::-1])[::-1],
                "the discount restarts at every t: G[t] = sum over "
                "k >= t of gamma**(k - t) * rewards[k], so rewards[t] "
                "itself is not discounted.",
            ),
            (rl.reward_to_go(rewards, 1.0), "you forgot the discount: multiply G[t + 1] by gamma."),
            (
                gamma * np.r_[expected[1:], 0.0],
                "G[t] includes rewards[t] itself: G[t] = rewards[t] + gamma * G[t + 1].",
            ),
        ],
        shape_hints={(T + 1,): "return one value per step, T values: drop the extra entry after the end."},
    )
    return (
        "G[t] = r[t] + gamma * G[t + 1], one backward pass: the same recursion as the Bellman equation, "
        "with the sampled future in place of the expected one."
    )


# ----------------------------------------------------------------------------- 08.2 Q-learning update


@exercise(
    "08.2",
    todo="Write q_update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma): move "
    "Q[s, a] a step alpha towards r + gamma * max(Q[s_next]) (just r if terminated), "
    "in place, and return Q.",
)
def check_q_update(q_update) -> str:
    """``q_update(Q (S, A), s, a, r, s_next, terminated, truncated, alpha, gamma) -> Q (S, A)``
    on a random table, for an ordinary step, a terminated step and a truncated one."""
    rng = np.random.default_rng(802)
    Q0 = rng.normal(0, 1, (6, 4))
    alpha, gamma = 0.3, 0.9
    cases = [
        (1, 2, 0.5, 3, False, False, "an ordinary step"),
        (4, 0, 1.0, 5, True, False, "a terminated step"),
        (2, 3, -1.0, 0, False, True, "a truncated step (time limit)"),
    ]
    for s, a, r, s_next, term, trunc, what in cases:
        Q = attempt(q_update, Q0.copy(), s, a, r, s_next, term, trunc, alpha, gamma)
        if not hasattr(Q, "shape"):
            raise Mistake("return the whole table Q (S, A), updated in place.")
        expected = rl.q_update(Q0.copy(), s, a, r, s_next, term, trunc, alpha, gamma)

        def with_target(target):
            out = Q0.copy()
            out[s, a] += alpha * (target - out[s, a])  # noqa: B023 - used at once, in this iteration
            return out

        boot = r + gamma * Q0[s_next].max()
        replaced = Q0.copy()
        replaced[s, a] = r if term else boot
        mistakes = [
            (
                with_target(r + gamma * Q0[s_next, a]),
                "Q-learning bootstraps from the BEST next action, max(Q[s_next]), not from Q[s_next, a].",
            ),
            (
                with_target(r + gamma * Q0[s_next].mean()),
                "use max(Q[s_next]) (the greedy next action), not the mean over actions.",
            ),
            (replaced, "move Q[s, a] only a step alpha towards the target: Q[s, a] += alpha * (target - Q[s, a])."),
        ]
        if term:
            mistakes.append(
                (with_target(boot), "when the episode terminated, s_next has no future: the target is just r.")
            )
        else:
            mistakes.append(
                (with_target(r + Q0[s_next].max()), "discount the next state's value: r + gamma * max(Q[s_next]).")
            )
            mistakes.append(
                (
                    with_target(r),
                    "only a TERMINATED episode has no future; a truncated one was merely "
                    "cut by the time limit, so keep bootstrapping: target = r + gamma * "
                    "max(Q[s_next])."
                    if trunc
                    else "an ordinary step bootstraps: target = r + gamma * max(Q[s_next]).",
                )
            )
        compare(f"Q after {what}", Q, expected, mistakes=mistakes)
    return (
        "Q[s, a] += alpha * (r + gamma * max Q[s_next] - Q[s, a]): the max makes it learn the greedy policy "
        "whatever the exploring behaviour, and only 'terminated' (not 'truncated') ends the bootstrap."
    )


# ----------------------------------------------------------------------------- 08.3 REINFORCE loss


@exercise(
    "08.3",
    todo="Write reinforce_loss(logits, actions, returns, baseline): the scalar "
    "-mean(log pi(a_t | s_t) * (G_t - b_t)), with log pi from log_softmax and the "
    "advantage detached.",
)
def check_reinforce_loss(reinforce_loss) -> str:
    """``reinforce_loss(logits (B, A), actions (B,), returns (B,), baseline (B,)) -> scalar tensor``;
    its value and its gradient with respect to the logits (and the baseline, which must get none)."""
    gen = torch.Generator().manual_seed(803)
    B, A = 8, 3
    logits0 = torch.randn(B, A, generator=gen, dtype=torch.float64)
    actions = torch.randint(0, A, (B,), generator=gen)
    returns = torch.rand(B, generator=gen, dtype=torch.float64) * 10
    baseline0 = torch.rand(B, generator=gen, dtype=torch.float64) * 10

    def run(fn):
        logits = logits0.clone().requires_grad_(True)
        baseline = baseline0.clone().requires_grad_(True)
        loss = fn(logits, actions.clone(), returns.clone(), baseline)
        if loss is None:
            return None
        if not torch.is_tensor(loss):
            raise Mistake(f"return a torch tensor (so that .backward() works), got {type(loss).__name__}.")
        if loss.numel() != 1:
            raise Mistake(f"the loss must be one number, got shape {tuple(loss.shape)}: take the mean over the batch.")
        if not loss.requires_grad:
            raise Mistake(
                "the loss has no gradient: compute it from `logits` with torch operations "
                "(no .item(), .numpy() or torch.no_grad())."
            )
        loss.backward()
        return (
            loss.detach().item(),
            logits.grad.numpy().copy(),
            (None if baseline.grad is None else baseline.grad.numpy().copy()),
        )

    got = run(lambda *args: attempt(reinforce_loss, *args))
    value, grad, baseline_grad = got
    ref_value, ref_grad, _ = run(rl.reinforce_loss)
    log_pi = torch.log_softmax(logits0, 1)
    idx = torch.arange(B)
    adv = returns - baseline0

    def grad_of(f):
        return run(f)[1]

    mistakes = [
        (
            grad_of(lambda l, a, G, b: (torch.log_softmax(l, 1)[torch.arange(len(a)), a] * (G - b).detach()).mean()),
            "the sign is flipped: the optimiser MINIMISES the loss, so it is minus the mean of log pi * advantage.",
        ),
        (
            grad_of(lambda l, a, G, b: -(torch.log_softmax(l, 1)[torch.arange(len(a)), a] * G).mean()),
            "subtract the baseline: weight log pi by the advantage G_t - b_t, not by G_t.",
        ),
        (
            grad_of(lambda l, a, G, b: -(torch.softmax(l, 1)[torch.arange(len(a)), a] * (G - b).detach()).mean()),
            "use the LOG-probability log pi(a_t | s_t) (torch.log_softmax), not the probability itself.",
        ),
        (
            grad_of(lambda l, a, G, b: -(torch.log_softmax(l, 1)[torch.arange(len(a)), a] * (G - b).detach()).sum()),
            "average over the batch (mean), not the sum: the step size should not grow with the batch.",
        ),
        (
            grad_of(lambda l, a, G, b: -(torch.log_softmax(l, 1) * (G - b).detach()[:, None]).mean()),
            "pick the log-probability of the action TAKEN at each step, log_pi[arange(B), actions], not all actions.",
        ),
    ]
    compare("d loss / d logits", grad, ref_grad, mistakes=mistakes, rtol=1e-6)
    if baseline_grad is not None and np.abs(baseline_grad).max() > 0:
        raise Mistake(
            "the baseline receives a gradient from the policy loss: detach the advantage, "
            "(returns - baseline).detach(), so this loss trains the policy only."
        )
    expected_value = float(-(log_pi[idx, actions] * adv).mean())
    if abs(value - expected_value) > 1e-6 * max(1.0, abs(expected_value)):
        raise Mistake(
            f"the gradient is right but the value {value:.6f} is not -mean(log pi * advantage) = {expected_value:.6f}."
        )
    assert abs(ref_value - expected_value) < 1e-9
    return (
        "the gradient of -mean(log pi(a|s) (G - b)) is the policy gradient estimate: actions that did better "
        "than the baseline become more likely, worse ones less likely."
    )


# ----------------------------------------------------------------------------- 08.4 the bandit's gradient estimates


@exercise(
    "08.4",
    todo="Write score_function_gradients(theta, actions, rewards, b): an (n, K) array whose "
    "row i is (onehot(actions[i]) - softmax(theta)) * (rewards[i] - b).",
)
def check_score_function_gradients(score_function_gradients) -> str:
    """``score_function_gradients(theta (K,), actions (n,), rewards (n,), b) -> (n, K)``."""
    rng = np.random.default_rng(804)
    K, n, b = 4, 6, 5.0
    theta = rng.normal(0, 1, K)
    actions = rng.integers(0, K, n)
    rewards = rng.normal(6, 1, n)
    got = attempt(score_function_gradients, theta, actions, rewards, b)
    expected = rl.score_function_gradients(theta, actions, rewards, b)
    pi = softmax(theta)
    onehot = np.eye(K)[actions]
    compare(
        "gradients",
        got,
        expected,
        mistakes=[
            (
                onehot * (rewards - b)[:, None],
                "the gradient of log softmax(theta)[a] is onehot(a) - softmax(theta): "
                "do not forget to subtract the probabilities.",
            ),
            ((onehot - pi) * rewards[:, None], "subtract the baseline: multiply by (r_i - b), not by r_i."),
            ((onehot - pi) * (b - rewards)[:, None], "the sign is flipped: it is (r_i - b), reward minus baseline."),
            (
                (onehot - theta) * (rewards - b)[:, None],
                "subtract the probabilities softmax(theta), not the logits theta themselves.",
            ),
        ],
        shape_hints={
            (K,): "return one gradient per sample, an (n, K) array, not their mean.",
            (K, n): "return (n, K): one row per sample (transpose).",
        },
    )
    return (
        "each row is an unbiased estimate of the gradient of the expected reward, whatever b is (the mean of "
        "onehot(a) - pi is zero); b only changes how much the estimates scatter."
    )


# ----------------------------------------------------------------------------- self-check questions

QUIZZES = {
    "08.q1": Quiz(
        question="A CartPole-v1 episode reaches step 500 with the pole still upright, and env.step returns "
        "truncated=True, terminated=False. For the value of the last state reached, what should a "
        "Q-learning or value target use?",
        options={
            "a": "0, because the episode is over",
            "b": "the bootstrap gamma * V(s_next), because the state still has a future",
            "c": "the reward of the last step only, with no discount",
            "d": "nothing: throw the episode away",
        },
        answer="b",
        explanations={
            "a": "that is right for terminated=True (a real terminal state). Here the time limit cut the episode: "
            "the pole was fine and would have collected more reward.",
            "b": "truncation is a property of our experiment, not of the state: s_next has a future, so keep "
            "bootstrapping from its estimated value. Only terminated means 'no future'.",
            "c": "the last reward is part of the target, but dropping the future says the state is worthless, "
            "which teaches the agent that surviving long is bad.",
            "d": "the episode holds 500 useful transitions; only its last target needs care.",
        },
    ),
    "08.q2": Quiz(
        question="An episode gives rewards 1, 1, 1 and ends (terminated). With gamma = 0.9, what is the return "
        "G_0 from the first step?",
        answer=2.71,
        explanations={
            "right": "G_0 = 1 + 0.9 * 1 + 0.81 * 1 = 2.71; computed backwards: G_2 = 1, G_1 = 1.9, G_0 = 2.71."
        },
        wrong="add the rewards discounted by gamma**k, k = 0, 1, 2: the first reward is not discounted.",
    ),
    "08.q3": Quiz(
        question="Subtracting a baseline b(s) from the return in the policy gradient...",
        options={
            "a": "biases the gradient, so it only works with a learning-rate correction",
            "b": "leaves its expectation unchanged and can shrink its variance",
            "c": "is needed because returns are always positive",
            "d": "makes the policy deterministic",
        },
        answer="b",
        explanations={
            "a": "E[grad log pi(a|s) b(s)] = b(s) * sum_a grad pi(a|s) = b(s) * grad 1 = 0: no bias at all.",
            "b": "the baseline term has mean zero (the probabilities sum to one), so the expectation stays; a "
            "good b, close to the return, cancels most of the scatter. Section 4 measures it.",
            "c": "it helps most then (without it every action taken looks good), but it is not what makes it valid: "
            "any b(s) that does not depend on the action keeps the gradient unbiased.",
            "d": "the baseline changes only the size and spread of the updates, not the form of the policy.",
        },
    ),
    "08.q4": Quiz(
        question="In AlphaGo, which network answers 'how likely is the player to move to win from this position?'",
        options={
            "a": "the policy network",
            "b": "the value network",
            "c": "the tree search",
            "d": "none: AlphaGo plays every game to the end",
        },
        answer="b",
        explanations={
            "a": "the policy network proposes the next move: a distribution over the board's points.",
            "b": "the value network maps a position to the probability of winning (decks 003/004), like our "
            "CartPole value baseline V(s) predicts the return.",
            "c": "the tree search USES both networks: the policy to pick which moves to explore, the value to "
            "judge the positions it reaches.",
            "d": "with about 10^170 positions (deck 001) that is hopeless; the value network replaces most of "
            "those roll-outs.",
        },
    ),
}

quiz = quizzes(QUIZZES)


# ----------------------------------------------------------------------------- typical mistakes (tested)

MISTAKES = {
    "08.1": [
        (
            """def reward_to_go(rewards, gamma):
    G = np.zeros(len(rewards))
    running = 0.0
    for t in range(len(rewards)):
        running += gamma**t * rewards[t]
        G[t] = running
    return G
""",
            "not from the start up to t",
        ),
        (
            """def reward_to_go(rewards, gamma):
    G = np.zeros(len(rewards))
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + running
        G[t] = running
    return G
""",
            "you forgot the discount",
        ),
        (
            """def reward_to_go(rewards, gamma):
    T = len(rewards)
    total = sum(gamma**k * rewards[k] for k in range(T))
    return np.full(T, total)
""",
            "the reward-to-go starts at t",
        ),
    ],
    "08.2": [
        (
            """def q_update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma):
    done = terminated or truncated
    target = r if done else r + gamma * Q[s_next].max()
    Q[s, a] += alpha * (target - Q[s, a])
    return Q
""",
            "a truncated one was merely cut by the time limit",
        ),
        (
            """def q_update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma):
    target = r + gamma * Q[s_next].max()
    Q[s, a] += alpha * (target - Q[s, a])
    return Q
""",
            "the target is just r",
        ),
        (
            """def q_update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma):
    target = r if terminated else r + gamma * Q[s_next, a]
    Q[s, a] += alpha * (target - Q[s, a])
    return Q
""",
            "from the BEST next action",
        ),
        (
            """def q_update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma):
    Q[s, a] = r if terminated else r + gamma * Q[s_next].max()
    return Q
""",
            "only a step alpha towards the target",
        ),
    ],
    "08.3": [
        (
            """def reinforce_loss(logits, actions, returns, baseline):
    log_pi = torch.log_softmax(logits, dim=1)[torch.arange(len(actions)), actions]
    return (log_pi * (returns - baseline).detach()).mean()
""",
            "the sign is flipped",
        ),
        (
            """def reinforce_loss(logits, actions, returns, baseline):
    log_pi = torch.log_softmax(logits, dim=1)[torch.arange(len(actions)), actions]
    return -(log_pi * returns).mean()
""",
            "subtract the baseline",
        ),
        (
            """def reinforce_loss(logits, actions, returns, baseline):
    log_pi = torch.log_softmax(logits, dim=1)[torch.arange(len(actions)), actions]
    return -(log_pi * (returns - baseline)).mean()
""",
            "detach the advantage",
        ),
        (
            """def reinforce_loss(logits, actions, returns, baseline):
    pi = torch.softmax(logits, dim=1)[torch.arange(len(actions)), actions]
    return -(pi * (returns - baseline).detach()).mean()
""",
            "use the LOG-probability",
        ),
    ],
    "08.4": [
        (
            """def score_function_gradients(theta, actions, rewards, b):
    onehot = np.eye(len(theta))[actions]
    return onehot * (rewards - b)[:, None]
""",
            "do not forget to subtract the probabilities",
        ),
        (
            """def score_function_gradients(theta, actions, rewards, b):
    pi = np.exp(theta - theta.max())
    pi /= pi.sum()
    onehot = np.eye(len(theta))[actions]
    return (onehot - pi) * rewards[:, None]
""",
            "multiply by (r_i - b), not by r_i",
        ),
        (
            """def score_function_gradients(theta, actions, rewards, b):
    pi = np.exp(theta - theta.max())
    pi /= pi.sum()
    onehot = np.eye(len(theta))[actions]
    return ((onehot - pi) * (rewards - b)[:, None]).mean(axis=0)
""",
            "not their mean",
        ),
    ],
}
