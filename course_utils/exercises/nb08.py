"""Exercises and self-check questions of notebook 08 (reinforcement learning): 08.1 reward_to_go, 08.2 q_update,
08.3 reinforce_loss (checked through its value and gradients: :class:`_Backward`), 08.4 score_function_gradients,
each declared once with its typical mistakes as the code a student would write; the questions are in ``nb08.toml``.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import rl
from . import Case, Exercise, Mistake, Typical, compare, quizzes, quizzes_of

NOTEBOOK = {"np": np, "torch": torch, "rl": rl}  # what the notebook has imported when the student's cell runs


def _as_array(where, got, expected, shape_hints, exercise):
    """Explain an answer that matches no mistake, accepting a list or a tensor of the right numbers."""
    compare(where, got, expected, rtol=exercise.rtol, atol=exercise.atol, shape_hints=shape_hints)


# ----------------------------------------------------------------------------- 08.1 reward-to-go

_BACKWARDS = "G = np.zeros(len(rewards))\nrunning = 0.0\nfor t in reversed(range(len(rewards))):\n"

check_reward_to_go = Exercise(
    "08.1",
    "def reward_to_go(rewards, gamma):",
    todo="Write reward_to_go(rewards, gamma): G[t] = rewards[t] + gamma * G[t + 1], "
    "computed backwards from the last step (G after the end is 0).",
    cases=lambda: [
        Case(f"for gamma = {gamma}", (rng.integers(-2, 4, T).astype(float), gamma))
        for rng in [np.random.default_rng(801)]
        for T, gamma in [(7, 0.9), (5, 0.5)]
    ],
    reference=_BACKWARDS + "    running = rewards[t] + gamma * running\n    G[t] = running\nreturn G",
    typical=[
        Typical(
            "G = np.zeros(len(rewards))\nrunning = 0.0\nfor t in range(len(rewards)):\n"
            "    running += gamma**t * rewards[t]\n    G[t] = running\nreturn G",
            "G[t] sums the rewards from t to the END, not from the start up to t: "
            "loop backwards, G[t] = rewards[t] + gamma * G[t + 1].",
        ),
        Typical(
            "T = len(rewards)\nreturn np.full(T, sum(gamma**k * rewards[k] for k in range(T)))",
            "every G[t] is the return of the whole episode: the reward-to-go starts "
            "at t and ignores the rewards before t.",
        ),
        Typical(
            "T = len(rewards)\nreturn np.array([sum(gamma**k * rewards[k] for k in range(t, T)) for t in range(T)])",
            "the discount restarts at every t: G[t] = sum over k >= t of gamma**(k - t) * rewards[k], "
            "so rewards[t] itself is not discounted.",
        ),
        Typical(
            _BACKWARDS + "    running = rewards[t] + running\n    G[t] = running\nreturn G",
            "you forgot the discount: multiply G[t + 1] by gamma.",
        ),
        Typical(
            _BACKWARDS + "    G[t] = gamma * running\n    running = rewards[t] + gamma * running\nreturn G",
            "G[t] includes rewards[t] itself: G[t] = rewards[t] + gamma * G[t + 1].",
        ),
    ],
    confirmation="G[t] = r[t] + gamma * G[t + 1], one backward pass: the same recursion as the Bellman equation, "
    "with the sampled future in place of the expected one.",
    namespace=NOTEBOOK,
    result="G",
    shape_hints=lambda case: {
        (len(case.args[0]) + 1,): "return one value per step, T values: drop the extra entry after the end."
    },
    explain=_as_array,
)

# ----------------------------------------------------------------------------- 08.2 Q-learning update

_STEP = "Q[s, a] += alpha * (target - Q[s, a])\nreturn Q"


def _q_cases():
    Q0 = np.random.default_rng(802).normal(0, 1, (6, 4))
    return [
        Case(f"after {what}", (Q0, s, a, r, s_next, term, trunc, 0.3, 0.9))
        for s, a, r, s_next, term, trunc, what in [
            (1, 2, 0.5, 3, False, False, "an ordinary step"),
            (4, 0, 1.0, 5, True, False, "a terminated step"),
            (2, 3, -1.0, 0, False, True, "a truncated step (time limit)"),
        ]
    ]


check_q_update = Exercise(
    "08.2",
    "def q_update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma):",
    todo="Write q_update(Q, s, a, r, s_next, terminated, truncated, alpha, gamma): move Q[s, a] a step alpha "
    "towards r + gamma * max(Q[s_next]) (just r if terminated), in place, and return Q.",
    cases=_q_cases,
    reference="target = r if terminated else r + gamma * Q[s_next].max()\n" + _STEP,
    typical=[
        Typical(
            "target = r if terminated else r + gamma * Q[s_next, a]\n" + _STEP,
            "Q-learning bootstraps from the BEST next action, max(Q[s_next]), not from Q[s_next, a].",
        ),
        Typical(
            "target = r if terminated else r + gamma * Q[s_next].mean()\n" + _STEP,
            "use max(Q[s_next]) (the greedy next action), not the mean over actions.",
        ),
        Typical(
            "Q[s, a] = r if terminated else r + gamma * Q[s_next].max()\nreturn Q",
            "move Q[s, a] only a step alpha towards the target: Q[s, a] += alpha * (target - Q[s, a]).",
        ),
        Typical(
            "target = r + gamma * Q[s_next].max()\n" + _STEP,
            "when the episode terminated, s_next has no future: the target is just r.",
        ),
        Typical(
            "target = r if terminated else r + Q[s_next].max()\n" + _STEP,
            "discount the next state's value: r + gamma * max(Q[s_next]).",
        ),
        Typical(
            "done = terminated or truncated\ntarget = r if done else r + gamma * Q[s_next].max()\n" + _STEP,
            "only a TERMINATED episode has no future; a truncated one was merely cut by the time limit, "
            "so keep bootstrapping: target = r + gamma * max(Q[s_next]).",
        ),
        Typical("target = r\n" + _STEP, "an ordinary step bootstraps: target = r + gamma * max(Q[s_next])."),
    ],
    confirmation="Q[s, a] += alpha * (r + gamma * max Q[s_next] - Q[s, a]): the max makes it learn the greedy policy "
    "whatever the exploring behaviour, and only 'terminated' (not 'truncated') ends the bootstrap.",
    namespace=NOTEBOOK,
    result="Q",
    shape_hints={(): "return the whole table Q (S, A), updated in place."},
    explain=_as_array,
)

# ----------------------------------------------------------------------------- 08.3 REINFORCE loss


class _Backward(Case):
    """A batch whose outcome is the loss's value and its gradients with respect to the logits and the
    baseline (zero when it gets none): what the optimiser sees, so a missing detach shows."""

    def call(self, fn):
        logits, actions, returns, baseline = (a.clone() for a in self.args)
        loss = fn(logits.requires_grad_(), actions, returns, baseline.requires_grad_())
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
        return loss.item(), logits.grad, torch.zeros_like(baseline) if baseline.grad is None else baseline.grad


def _reinforce_cases():
    gen = torch.Generator().manual_seed(803)
    logits, actions = torch.randn(8, 3, generator=gen, dtype=torch.float64), torch.randint(0, 3, (8,), generator=gen)
    returns, baseline = (torch.rand(8, generator=gen, dtype=torch.float64) * 10 for _ in range(2))
    return [_Backward("on a batch of 8", (logits, actions, returns, baseline))]


_DETACH = (
    "the baseline receives a gradient from the policy loss: detach the advantage, "
    "(returns - baseline).detach(), so this loss trains the policy only."
)


def _explain_loss(where, got, expected, shape_hints, exercise):
    (value, grad, baseline_grad), (right, right_grad, _) = got, expected
    compare(f"d loss / d logits ({where})", grad, right_grad, rtol=exercise.rtol, atol=exercise.atol)
    if baseline_grad.abs().max() > 0:
        raise Mistake(_DETACH)
    raise Mistake(f"the gradient is right but the value {value:.6f} is not -mean(log pi * advantage) = {right:.6f}.")


_LOG_PI = "log_pi = torch.log_softmax(logits, dim=1)[torch.arange(len(actions)), actions]\n"
_DETACHED = "(returns - baseline).detach()"

check_reinforce_loss = Exercise(
    "08.3",
    "def reinforce_loss(logits, actions, returns, baseline):",
    todo="Write reinforce_loss(logits, actions, returns, baseline): the scalar -mean(log pi(a_t | s_t) * (G_t - b_t)), "
    "with log pi from log_softmax and the advantage detached.",
    cases=_reinforce_cases,
    reference=_LOG_PI + f"return -(log_pi * {_DETACHED}).mean()",
    typical=[
        Typical(
            _LOG_PI + f"return (log_pi * {_DETACHED}).mean()",
            "the sign is flipped: the optimiser MINIMISES the loss, so it is minus the mean of log pi * advantage.",
        ),
        Typical(
            _LOG_PI + "return -(log_pi * returns).mean()",
            "subtract the baseline: weight log pi by the advantage G_t - b_t, not by G_t.",
        ),
        Typical(
            "pi = torch.softmax(logits, dim=1)[torch.arange(len(actions)), actions]\n"
            f"return -(pi * {_DETACHED}).mean()",
            "use the LOG-probability log pi(a_t | s_t) (torch.log_softmax), not the probability itself.",
        ),
        Typical(
            _LOG_PI + f"return -(log_pi * {_DETACHED}).sum()",
            "average over the batch (mean), not the sum: the step size should not grow with the batch.",
        ),
        Typical(
            f"return -(torch.log_softmax(logits, dim=1) * {_DETACHED}[:, None]).mean()",
            "pick the log-probability of the action TAKEN at each step, log_pi[arange(B), actions], not all actions.",
        ),
        Typical(_LOG_PI + "return -(log_pi * (returns - baseline)).mean()", _DETACH),
    ],
    confirmation="the gradient of -mean(log pi(a|s) (G - b)) is the policy gradient estimate: actions that did better "
    "than the baseline become more likely, worse ones less likely.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_loss,
)

# ----------------------------------------------------------------------------- 08.4 the bandit's gradient estimates

_PI = "pi = np.exp(theta - theta.max())\npi = pi / pi.sum()\nonehot = np.eye(len(theta))[actions]\n"
_NOT_MEAN = "return one gradient per sample, an (n, K) array, not their mean."
_ROWS = "return (n, K): one row per sample (transpose)."


def _bandit_cases(K=4, n=6):
    rng = np.random.default_rng(804)
    return [Case("", (rng.normal(0, 1, K), rng.integers(0, K, n), rng.normal(6, 1, n), 5.0))]


check_score_function_gradients = Exercise(
    "08.4",
    "def score_function_gradients(theta, actions, rewards, b):",
    todo="Write score_function_gradients(theta, actions, rewards, b): an (n, K) array whose "
    "row i is (onehot(actions[i]) - softmax(theta)) * (rewards[i] - b).",
    cases=_bandit_cases,
    reference=_PI + "return (onehot - pi) * (rewards - b)[:, None]",
    typical=[
        Typical(
            "onehot = np.eye(len(theta))[actions]\nreturn onehot * (rewards - b)[:, None]",
            "the gradient of log softmax(theta)[a] is onehot(a) - softmax(theta): "
            "do not forget to subtract the probabilities.",
        ),
        Typical(
            _PI + "return (onehot - pi) * rewards[:, None]",
            "subtract the baseline: multiply by (r_i - b), not by r_i.",
        ),
        Typical(
            _PI + "return (onehot - pi) * (b - rewards)[:, None]",
            "the sign is flipped: it is (r_i - b), reward minus baseline.",
        ),
        Typical(
            "onehot = np.eye(len(theta))[actions]\nreturn (onehot - theta) * (rewards - b)[:, None]",
            "subtract the probabilities softmax(theta), not the logits theta themselves.",
        ),
        Typical(_PI + "return ((onehot - pi) * (rewards - b)[:, None]).mean(axis=0)", _NOT_MEAN),
        Typical(_PI + "return ((onehot - pi) * (rewards - b)[:, None]).T", _ROWS),
    ],
    confirmation="each row is an unbiased estimate of the gradient of the expected reward, whatever b is (the mean "
    "of onehot(a) - pi is zero); b only changes how much the estimates scatter.",
    namespace=NOTEBOOK,
    result="gradients",
    shape_hints=lambda case: {(len(case.args[0]),): _NOT_MEAN, (len(case.args[0]), len(case.args[1])): _ROWS},
    explain=_as_array,
)

EXERCISES = [check_reward_to_go, check_q_update, check_reinforce_loss, check_score_function_gradients]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
__all__ = ["NOTEBOOK", "EXERCISES", "QUIZZES", "quiz"] + [name for name in dir() if name.startswith("check_")]
