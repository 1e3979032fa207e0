"""Notebook 09's policy gradients: 09.1 reward-to-go, 09.3 the REINFORCE loss, 09.4 score-function gradients."""

from __future__ import annotations

import numpy as np
import torch

from .. import Case, Exercise, Mistake, Typical, compare
from .common import NOTEBOOK, explain_array

# ----------------------------------------------------------------------------- 09.1 reward-to-go

_BACKWARDS = "G = np.zeros(len(rewards))\nrunning = 0.0\nfor t in reversed(range(len(rewards))):\n"

check_reward_to_go = Exercise(
    "09.1",
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
            "you discounted rewards[k] by gamma**k, counted from the start of the episode; seen from step t "
            "the discount starts again: G[t] = sum over k >= t of gamma**(k - t) * rewards[k], so rewards[t] "
            "itself is not discounted.",
        ),
        Typical(
            _BACKWARDS + "    running = rewards[t] + running\n    G[t] = running\nreturn G",
            "you forgot the discount: multiply G[t + 1] by gamma.",
        ),
        Typical(
            _BACKWARDS + "    G[t] = gamma * running\n    running = rewards[t] + gamma * running\nreturn G",
            "your G[t] leaves out rewards[t] (it is the discounted return from step t + 1 on): "
            "G[t] = rewards[t] + gamma * G[t + 1].",
        ),
        Typical(
            "G, running = [], 0.0\nfor t in reversed(range(len(rewards))):\n"
            "    running = rewards[t] + gamma * running\n    G.append(running)\nreturn np.array(G)",
            "your G is in reverse order: appending while you loop backwards puts G[T - 1] first. Reverse the "
            "list at the end (G[::-1]), or write into G[t] directly.",
        ),
        Typical(
            "G = np.zeros(len(rewards))\nrunning = 0.0\nfor t in range(len(rewards) - 1, 0, -1):\n"
            "    running = rewards[t] + gamma * running\n    G[t] = running\nreturn G",
            "G[0] is never computed: range(T - 1, 0, -1) stops before t = 0 (the stop is excluded). Count down "
            "to 0 included, range(T - 1, -1, -1) or reversed(range(T)).",
        ),
    ],
    confirmation="G[t] = r[t] + gamma * G[t + 1], one backward pass: the same recursion as the Bellman equation, "
    "with the sampled future in place of the expected one.",
    namespace=NOTEBOOK,
    result="G",
    shape_hints=lambda case: {
        (len(case.args[0]) + 1,): "return one value per step, T values: drop the extra entry after the end."
    },
    explain=explain_array,
)


# ----------------------------------------------------------------------------- 09.3 REINFORCE loss


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
        zero = torch.zeros_like  # no gradient reached it: zeros, so that the outcome is compared, not "not attempted"
        return (
            loss.item(),
            zero(logits) if logits.grad is None else logits.grad,
            zero(baseline) if baseline.grad is None else baseline.grad,
        )


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
    "09.3",
    "def reinforce_loss(logits, actions, returns, baseline):",
    todo="Write reinforce_loss(logits, actions, returns, baseline): the scalar -mean(log pi(a_t | s_t) * (G_t - b_t)), "
    "with log pi from log_softmax and the advantage detached.",
    cases=_reinforce_cases,
    reference=_LOG_PI + f"return -(log_pi * {_DETACHED}).mean()",
    typical=[
        Typical(
            _LOG_PI + f"return (log_pi * {_DETACHED}).mean()",
            "your loss is exactly minus the right one (value and gradients): the optimiser MINIMISES it, so it must be "
            "-mean(log pi * (G - b)). Either the leading minus is missing or the advantage is written b - G: "
            "check both signs.",
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
        Typical(
            _LOG_PI + "return -(log_pi.detach() * (returns - baseline)).mean()",
            "you detached log pi, so the logits get no gradient at all (and the baseline gets one): detach the "
            "advantage instead, -(log_pi * (returns - baseline).detach()).mean().",
        ),
        Typical(
            _LOG_PI.replace("dim=1", "dim=0") + f"return -(log_pi * {_DETACHED}).mean()",
            "your log_softmax runs over dim 0, the batch: pi(a | s_t) is a distribution over the ACTIONS of each "
            "step, so normalise each row of the logits, torch.log_softmax(logits, dim=1).",
        ),
        Typical(
            f"log_pi = logits[torch.arange(len(actions)), actions]\nreturn -(log_pi * {_DETACHED}).mean()",
            "you used the raw logit of the action taken as log pi: the logits are not normalised; "
            "log pi(a | s) = torch.log_softmax(logits, dim=1)[arange(B), actions].",
        ),
        Typical(
            "log_pi = torch.log_softmax(logits, dim=1).gather(1, actions[:, None])\n"
            f"return -(log_pi * {_DETACHED}).mean()",
            "gather(1, actions[:, None]) gives log pi of shape (B, 1), and (B, 1) times the advantages (B,) "
            "broadcasts to a (B, B) table of every step's log pi times every step's advantage: squeeze it first, "
            ".gather(1, actions[:, None]).squeeze(1).",
        ),
    ],
    confirmation="the gradient of -mean(log pi(a|s) (G - b)) is the policy gradient estimate: actions that did better "
    "than the baseline become more likely, worse ones less likely.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_loss,
)

# ----------------------------------------------------------------------------- 09.4 the bandit's gradient estimates

_PI = "pi = np.exp(theta - theta.max())\npi = pi / pi.sum()\nonehot = np.eye(len(theta))[actions]\n"
_NOT_MEAN = "return one gradient per sample, an (n, K) array, not their mean."
_ROWS = "return (n, K): one row per sample (transpose)."


def _bandit_cases(K=4, n=6):
    rng = np.random.default_rng(804)
    return [Case("", (rng.normal(0, 1, K), rng.integers(0, K, n), rng.normal(6, 1, n), 5.0))]


check_score_function_gradients = Exercise(
    "09.4",
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
            "every row is exactly minus the right one: row i is (onehot(a_i) - softmax(theta)) * (r_i - b). One of "
            "the two differences is the wrong way round (softmax(theta) - onehot(a_i), or b - r_i): check both.",
        ),
        Typical(
            "onehot = np.eye(len(theta))[actions]\nreturn (onehot - theta) * (rewards - b)[:, None]",
            "subtract the probabilities softmax(theta), not the logits theta themselves.",
        ),
        Typical(
            _PI + "return onehot * (1 - pi) * (rewards - b)[:, None]",
            "you kept only the taken action's entry, 1 - pi[a_i]: log softmax(theta)[a] depends on every logit, "
            "and d/dtheta_j is -pi[j] for j != a. Row i is the whole vector onehot(a_i) - softmax(theta), times "
            "(r_i - b).",
        ),
        Typical(_PI + "return ((onehot - pi) * (rewards - b)[:, None]).mean(axis=0)", _NOT_MEAN),
        Typical(_PI + "return ((onehot - pi) * (rewards - b)[:, None]).T", _ROWS),
    ],
    confirmation="each row is an unbiased estimate of the gradient of the expected reward, whatever b is (the mean "
    "of onehot(a) - pi is zero); b only changes how much the estimates scatter.",
    namespace=NOTEBOOK,
    result="gradients",
    shape_hints=lambda case: {(len(case.args[0]),): _NOT_MEAN, (len(case.args[0]), len(case.args[1])): _ROWS},
    explain=explain_array,
)
