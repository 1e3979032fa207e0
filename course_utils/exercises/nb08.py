"""Exercises and self-check questions of notebook 08 (reinforcement learning): 08.1 reward_to_go,
08.5 value_iteration_sweep (one synchronous Bellman optimality backup on FrozenLake's model, and value iteration
with it), 08.2 q_update (in place: :class:`_InPlace`), 08.6 epsilon_greedy (a check written as code: the rng it is
given, then the action frequencies; its mistakes are whole cells in ``STEPWISE``), 08.3 reinforce_loss (checked
through its value and gradients: :class:`_Backward`), 08.4 score_function_gradients. The declared ones have their
typical mistakes as the code a student would write; the questions are in ``nb08.toml``.
"""

from __future__ import annotations

import copy
import random

import numpy as np
import torch

from .. import rl
from . import Case, Exercise, Mistake, Typical, accepted, attempt, compare, exercise, quizzes, quizzes_of

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

# ----------------------------------------------------------------------------- 08.5 one sweep of value iteration


def _lake_model(slippery: bool) -> dict:
    """FrozenLake 4x4's model ``P[s][a] = [(prob, next_state, reward, done), ...]`` (a fresh copy)."""
    return copy.deepcopy(rl.make_frozen_lake(is_slippery=slippery).unwrapped.P)


class _Sweep(Case):
    """One sweep on ``(V, P, gamma)``: the outcome is the returned V_new (the model is the student's own copy)."""

    def call(self, fn):
        V, P, gamma = self.args
        return fn(V.copy(), copy.deepcopy(P), gamma)


class _Iterated(Case):
    """Value iteration with the sweep: from V = 0, sweep until nothing changes (at most 3000 sweeps); the outcome
    is the V reached, which for the reference is value iteration's fixed point V* (``rl.value_iteration``)."""

    def call(self, fn):
        P, gamma = copy.deepcopy(self.args[0]), self.args[1]
        V = np.zeros(len(P))
        for _ in range(3000):
            new = fn(V.copy(), P, gamma)
            if new is None:
                return None
            new = np.asarray(new.detach() if hasattr(new, "detach") else new, dtype=np.float64)
            if new.shape != V.shape or not np.all(np.isfinite(new)) or np.abs(new - V).max() < 1e-12:
                return new
            V = new
        return V


def _sweep_cases():
    V = np.random.default_rng(805).normal(0, 1, 16)  # nonzero on the holes and the goal too
    slippery, firm = _lake_model(True), _lake_model(False)
    return [
        _Sweep("after one sweep from a random V on the slippery lake (gamma = 0.9)", (V, slippery, 0.9)),
        _Sweep("after one sweep from a random V on the deterministic lake (gamma = 0.9)", (V, firm, 0.9)),
        _Iterated(
            "after iterating your sweep from V = 0 until it stops changing (value iteration on the slippery "
            "lake, gamma = 0.95), against value iteration's fixed point V*",
            (slippery, 0.95),
        ),
    ]


_SWEEP = """V_new = np.zeros(len(V))
for s in range(len(V)):
    values = []
    for a in P[s]:
        expected = 0.0
        for p, s_next, r, done in P[s][a]:
            expected += p * (r + (0.0 if done else gamma * V[s_next]))
        values.append(expected)
    V_new[s] = max(values)
return V_new"""


def _swept(old: str, new: str) -> str:
    """The reference sweep with ``old`` replaced by ``new`` (a typical mistake)."""
    assert old in _SWEEP, old
    return _SWEEP.replace(old, new)


_KEEP_V = (
    "your values are right, but the V you were given changed: return V_new as a new array and leave V as it is "
    "(the docstring promises it; the caller may still need the old values)."
)


_DICT = (
    "P is a dictionary, not an array: index it P[s][a] (P[s, a] looks for the key (s, a)); P[s][a] is the list "
    "of (prob, next_state, reward, done) outcomes."
)
_LIST = (
    "P[s][a] is a LIST of outcomes, one (prob, next_state, reward, done) tuple each (three on the slippery lake, "
    "one on the deterministic lake): loop over it, for p, s_next, r, done in P[s][a]."
)


class _SweepExercise(Exercise):
    """:class:`Exercise` plus the docstring's promise, checked once the values are right: V itself is not changed."""

    def diagnose(self, fn):
        confirmation = super().diagnose(fn)
        case = _sweep_cases()[0]
        V = case.args[0].copy()
        fn(V, copy.deepcopy(case.args[1]), case.args[2])
        if not np.array_equal(V, case.args[0]):
            raise Mistake(_KEEP_V)
        return confirmation


check_value_iteration_sweep = _SweepExercise(
    "08.5",
    "def value_iteration_sweep(V, P, gamma):",
    todo="Write value_iteration_sweep(V, P, gamma): a NEW array V_new with V_new[s] = max over a of the sum over "
    "(p, s_next, r, done) in P[s][a] of p * (r + gamma * V[s_next]), the gamma * V[s_next] term only when not done; "
    "every V_new[s] from the old V (synchronous).",
    cases=_sweep_cases,
    reference=_SWEEP,
    typical=[
        Typical(
            _swept("V_new[s] = max(values)", "V_new[s] = np.mean(values)"),
            "you averaged over the actions: that is the value of the policy that picks its actions uniformly at "
            "random. The optimality backup takes the MAX over the actions (the agent chooses) of the expected "
            "value over the outcomes.",
        ),
        Typical(
            _swept(
                "        expected = 0.0\n        for p, s_next, r, done in P[s][a]:\n"
                "            expected += p * (r + (0.0 if done else gamma * V[s_next]))\n"
                "        values.append(expected)\n    V_new[s] = max(values)",
                "        values.append(max(r + (0.0 if done else gamma * V[s_next]) for p, s_next, r, done in P[s][a]))"
                "\n    V_new[s] = np.mean(values)",
            ),
            "max and expectation are swapped: you took the best OUTCOME of each action and averaged over the "
            "actions. The agent chooses the action (max over a); the ice chooses the outcome (the expectation, "
            "the sum of p * (r + gamma * V[s_next]) over the outcomes).",
        ),
        Typical(
            _swept("(0.0 if done else gamma * V[s_next])", "gamma * V[s_next]"),
            "you bootstrapped from terminal transitions: when done is True the episode ends in s_next, so that "
            "outcome is worth p * r alone; add gamma * V[s_next] only when not done (the V you are given need not "
            "be 0 on the holes and the goal).",
        ),
        Typical(
            _swept("V_new = np.zeros(len(V))", "V_new = V"),
            "your sweep read values it had already updated in this same sweep (in place, Gauss-Seidel style): "
            "compute every V_new[s] from the OLD V only, into a new array (the synchronous backup the docstring "
            "asks for).",
        ),
        Typical(
            _swept("p * (r + (0.0 if done else gamma * V[s_next]))", "p * gamma * (r + (0.0 if done else V[s_next]))"),
            "you discounted the reward too: the reward comes now and only the next state's value is discounted, "
            "p * (r + gamma * V[s_next]), not p * gamma * (r + V[s_next]).",
        ),
        Typical(
            _swept(
                "expected += p * (r + (0.0 if done else gamma * V[s_next]))",
                "expected += r + (0.0 if done else gamma * V[s_next])",
            ),
            "you added up the outcomes without their probabilities: on the slippery lake each action has three "
            "outcomes with p = 1/3 each; weight each by its p, the sum of p * (r + gamma * V[s_next]).",
        ),
        Typical(
            _swept("V_new = np.zeros(len(V))", "Q = np.zeros((len(V), len(P[0])))")
            .replace("        values.append(expected)\n    V_new[s] = max(values)", "        Q[s, a] = expected")
            .replace("return V_new", "return Q"),
            "you returned the action values Q (S, A): V_new[s] is their max over the actions, one number per "
            "state, shape (S,).",
        ),
        Typical(_swept("return V_new", "V[:] = V_new\nreturn V"), _KEEP_V),
        Typical(_swept("in P[s][a]:", "in P[s, a]:"), _DICT),
        Typical(
            _swept(
                "        expected = 0.0\n        for p, s_next, r, done in P[s][a]:\n"
                "            expected += p * (r + (0.0 if done else gamma * V[s_next]))",
                "        p, s_next, r, done = P[s][a]\n"
                "        expected = p * (r + (0.0 if done else gamma * V[s_next]))",
            ),
            _LIST,
        ),
    ],
    confirmation="one synchronous Bellman optimality backup: V_new(s) = max_a sum p (r + gamma V(s')), with no future "
    "after a terminal transition. Repeated from any start it converges to V* (each sweep shrinks the largest "
    "error by at least the factor gamma); the notebook now runs value iteration with your sweep.",
    namespace=NOTEBOOK,
    result="V_new",
    shape_hints=lambda case: {(len(case.args[0]), 4): "return one value per state, the max over the actions: (S,)."},
    on_error={KeyError: _DICT, lambda e: isinstance(e, ValueError) and "unpack" in str(e): _LIST},
)

# ----------------------------------------------------------------------------- 08.2 Q-learning update

_STEP = "Q[s, a] += alpha * (target - Q[s, a])\nreturn Q"


_COPIED = (
    "you updated a copy of Q and returned it: the table you were given is unchanged. The docstring promises an "
    "update IN PLACE (Q[s, a] += ...) of the caller's table, which you then return."
)


class _InPlace(Case):
    """A transition whose outcome is the returned table; a returned copy that left the given table as it was is
    the mistake :data:`_COPIED` (the docstring promises an update in place)."""

    def call(self, fn):
        Q, *rest = self.args
        given = Q.copy()
        out = fn(given, *rest)
        if out is None and not np.array_equal(given, Q):
            raise Mistake("you updated Q in place but returned None: end with return Q.")
        if isinstance(out, np.ndarray) and out is not given and out.shape == Q.shape and np.array_equal(given, Q):
            if not np.array_equal(out, Q):
                raise Mistake(_COPIED)
        return out


def _q_cases():
    Q0 = np.random.default_rng(802).normal(0, 1, (6, 4))
    return [
        _InPlace(f"after {what}", (Q0, s, a, r, s_next, term, trunc, 0.3, 0.9))
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
        Typical("Q = Q.copy()\ntarget = r if terminated else r + gamma * Q[s_next].max()\n" + _STEP, _COPIED),
    ],
    confirmation="Q[s, a] += alpha * (r + gamma * max Q[s_next] - Q[s, a]): the max makes it learn the greedy policy "
    "whatever the exploring behaviour, and only 'terminated' (not 'truncated') ends the bootstrap.",
    namespace=NOTEBOOK,
    result="Q",
    shape_hints={(): "return the whole table Q (S, A), updated in place."},
    explain=_as_array,
)

# ----------------------------------------------------------------------------- 08.6 epsilon-greedy action selection

_UNIQUE = (np.array([0.1, 0.7, -0.3, 0.2]), 0.3)  # one best action (1): greedy with probability 1 - eps + eps/A
_TIES = (np.array([0.5, 0.9, 0.9, 0.1]), 0.2)  # actions 1 and 2 tie for the best
_DRAWS = 4000  # calls per statistic: a frequency's standard error is at most 0.008
_SAME = 200  # calls to see whether the rng given is the one drawn from

_GLOBAL = (
    "your function drew from a global random generator (np.random.*, Python's random or torch's): the check saw "
    "its state change. Draw every random number from the rng argument (rng.random(), rng.integers(A), "
    "rng.choice(...)), so that the caller's rng alone decides the action."
)
_UNUSED = (
    f"the rng you were given was never drawn from: over {_SAME} calls with epsilon = 0.5 its state did not change. "
    "Decide whether to explore with rng.random() and draw the actions with rng.integers / rng.choice; a generator "
    "made inside the function cannot be replayed by the caller."
)
_REPLAY = (
    "two runs from the same rng state gave different actions: some of your random draws do not come from rng. "
    "Every one must, so that the same rng state gives the same action."
)
_VALUE = (
    "you returned a Q-value, not an action: return the INDEX of the chosen action (np.argmax and np.flatnonzero "
    "give indices; max gives the value)."
)
_FLIPPED = (
    "you explore with probability 1 - epsilon and act greedily with probability epsilon: it is the other way "
    "round. Take a uniformly random action when rng.random() < epsilon."
)
_EXCLUDED = (
    "your random action is never the greedy one: exploring draws uniformly from ALL the actions, the greedy one "
    "included, so a unique greedy action is picked with probability 1 - epsilon + epsilon/A, each other with "
    "epsilon/A."
)
_ARGMIN = "you act on the SMALLEST Q-value: the greedy action maximises Q (argmax, not argmin)."
_NEVER = "you never explore: with probability epsilon take a uniformly random action, rng.integers(len(Q_row))."
_LAST = (
    "the last action is never picked: rng.integers(high) excludes high, so a random action is "
    "rng.integers(len(Q_row)) (or rng.integers(0, len(Q_row)))."
)
_FIRST = (
    "ties always go to the first of the best actions (np.argmax returns the first): break ties uniformly at "
    "random with rng.choice(np.flatnonzero(Q_row == Q_row.max()))."
)


def _unique_mistakes(A: int, greedy: int, worst: int, eps: float) -> list[tuple[np.ndarray, str]]:
    """The action probabilities that each mistake gives on a row with one best action, with its hint."""

    def explore(p_greedy_branch: float, over: list[int]) -> np.ndarray:
        probs = np.zeros(A)
        probs[over] += (1 - p_greedy_branch) / len(over)
        return probs

    everyone, others = list(range(A)), [a for a in range(A) if a != greedy]
    flipped, excluded, argmin, never, last = (
        explore(x, o)
        for x, o in [(eps, everyone), (1 - eps, others), (1 - eps, everyone), (1.0, everyone), (1 - eps, everyone[:-1])]
    )
    flipped[greedy] += eps
    excluded[greedy] += 1 - eps
    argmin[worst] += 1 - eps
    never[greedy] += 1.0
    last[greedy] += 1 - eps
    return [(flipped, _FLIPPED), (excluded, _EXCLUDED), (argmin, _ARGMIN), (never, _NEVER), (last, _LAST)]


def _as_action(a, Q_row: np.ndarray) -> int:
    """The student's return value as an action index in 0..A-1, or :class:`Mistake`."""
    if hasattr(a, "detach"):  # a torch tensor
        a = a.detach().cpu().numpy()
    if isinstance(a, np.ndarray) and a.ndim == 0:
        a = a.item()
    if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer, float, np.floating)):
        raise Mistake(f"return one action, an int in 0..{len(Q_row) - 1}, got {type(a).__name__} {a!r:.60}.")
    if isinstance(a, (float, np.floating)):
        if np.any(np.isclose(a, Q_row)):
            raise Mistake(f"got {float(a):g} for Q_row = {Q_row.tolist()}: {_VALUE}")
        raise Mistake(f"return an int action (an index into Q_row), got the float {float(a):g}.")
    if not 0 <= a < len(Q_row):
        raise Mistake(f"the action {int(a)} is not one of 0..{len(Q_row) - 1} (Q_row has {len(Q_row)} entries).")
    return int(a)


def _actions(fn, Q_row: np.ndarray, eps: float, rng: np.random.Generator, n: int) -> np.ndarray:
    """n actions of the student's ``fn`` on copies of ``Q_row``, all from ``rng``."""
    actions = []
    for _ in range(n):
        a = fn(Q_row.copy(), eps, rng)
        if a is None:
            raise Mistake(
                f"with Q_row = {Q_row.tolist()} and epsilon = {eps}, some calls returned None: every path through "
                "your function (exploring and greedy) must return an action."
            )
        actions.append(_as_action(a, Q_row))
    return np.array(actions)


def _said(Q_row: np.ndarray, eps: float, freq: np.ndarray) -> str:
    return (
        f"on Q_row = {Q_row.tolist()} with epsilon = {eps}, your {_DRAWS} actions have the frequencies "
        f"{freq.round(3).tolist()}"
    )


def _global_states():
    return np.random.get_state(), random.getstate(), torch.random.get_rng_state()


def _same_states(a, b) -> bool:
    (np_a, py_a, torch_a), (np_b, py_b, torch_b) = a, b
    return (
        np_a[0] == np_b[0]
        and np.array_equal(np_a[1], np_b[1])
        and np_a[2:] == np_b[2:]
        and py_a == py_b
        and torch.equal(torch_a, torch_b)
    )


def _frequencies(actions: np.ndarray, A: int) -> np.ndarray:
    return np.bincount(actions, minlength=A) / len(actions)


def _fits(freq: np.ndarray, probs: np.ndarray, n: int) -> bool:
    """Every frequency within 5 standard errors of its probability (exactly 0 or 1 where it is certain)."""
    return bool(np.all(np.abs(freq - probs) <= 5 * np.sqrt(probs * (1 - probs) / n) + 1e-12))


def _off(freq: np.ndarray, probs: np.ndarray, n: int) -> str:
    """The actions whose frequency is further from its probability than chance allows, in words."""
    bad = np.flatnonzero(np.abs(freq - probs) > 5 * np.sqrt(probs * (1 - probs) / n) + 1e-12)
    return ", ".join(f"action {a} {freq[a]:.3f} instead of {probs[a]:.3f}" for a in bad)


@exercise(
    "08.6",
    todo="Write epsilon_greedy(Q_row, epsilon, rng): with probability epsilon a uniformly random action of all A, "
    "otherwise a greedy one (ties broken at random); every random number from rng.",
)
def check_epsilon_greedy(epsilon_greedy) -> str:
    """``epsilon_greedy(Q_row, epsilon, rng) -> int``: first the rng it is given (the global generators untouched,
    the given one drawn from, the same state giving the same actions), then the action frequencies on a row with
    one best action and on a row with a tie. The global generators are put back as they were in any case."""
    saved = _global_states()
    try:
        return _diagnose_epsilon_greedy(epsilon_greedy, saved)
    finally:  # the notebook's own draws stay as they were, whatever the student's function drew
        np.random.set_state(saved[0])
        random.setstate(saved[1])
        torch.random.set_rng_state(saved[2])


def _diagnose_epsilon_greedy(epsilon_greedy, saved) -> str:
    Q_row, eps = _UNIQUE
    _as_action(attempt(epsilon_greedy, Q_row, eps, np.random.default_rng(0)), Q_row)  # None: not attempted
    rng = np.random.default_rng(86)
    start = copy.deepcopy(rng.bit_generator.state)
    first = _actions(epsilon_greedy, _TIES[0], 0.5, rng, _SAME)
    if not _same_states(saved, _global_states()):
        raise Mistake(_GLOBAL)
    if rng.bit_generator.state == start:
        raise Mistake(_UNUSED)
    if not np.array_equal(first, _actions(epsilon_greedy, _TIES[0], 0.5, np.random.default_rng(86), _SAME)):
        raise Mistake(_REPLAY)

    A, greedy, worst = len(Q_row), int(Q_row.argmax()), int(Q_row.argmin())
    right = np.full(A, eps / A)
    right[greedy] += 1 - eps
    freq = _frequencies(_actions(epsilon_greedy, Q_row, eps, np.random.default_rng(861), _DRAWS), A)
    said = _said(Q_row, eps, freq)
    if not _fits(freq, right, _DRAWS):
        for probs, hint in _unique_mistakes(A, greedy, worst, eps):
            if _fits(freq, probs, _DRAWS):
                raise Mistake(f"{said}: {hint}")
        raise Mistake(
            f"{said}; expected about {right.round(3).tolist()}: the greedy action {greedy} with probability "
            f"1 - epsilon + epsilon/A = {right[greedy]:.3f}, every other with epsilon/A = {eps / A:.3f}. Off by more "
            f"than chance: {_off(freq, right, _DRAWS)}."
        )

    Q_row, eps = _TIES
    best = np.flatnonzero(Q_row == Q_row.max())
    right = np.full(A, eps / A)
    right[best] += (1 - eps) / len(best)
    freq_ties = _frequencies(_actions(epsilon_greedy, Q_row, eps, np.random.default_rng(862), _DRAWS), A)
    said = _said(Q_row, eps, freq_ties)
    if not _fits(freq_ties, right, _DRAWS):
        first_best = right.copy()
        first_best[best] = eps / A
        first_best[best[0]] += 1 - eps
        if _fits(freq_ties, first_best, _DRAWS):
            raise Mistake(f"{said}: {_FIRST}")
        raise Mistake(
            f"{said}; expected about {right.round(3).tolist()}: actions {best[0]} and {best[1]} tie for the best, "
            f"so each is the greedy choice half the time ({right[best[0]]:.3f} with exploring). Off by more than "
            f"chance: {_off(freq_ties, right, _DRAWS)}."
        )
    return (
        f"greedy {freq[greedy]:.1%} of the time (1 - epsilon + epsilon/A = {1 - _UNIQUE[1] + _UNIQUE[1] / A:.1%}), "
        "ties shared, "
        "and every draw from the rng you were given: the same seed replays the same choices. rl.epsilon_greedy is "
        "the same function; Q-learning below explores with it."
    )


check_epsilon_greedy.solution = rl.epsilon_greedy

_EPS_CELL = """def epsilon_greedy(Q_row, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(Q_row)))
    best = np.flatnonzero(Q_row == Q_row.max())
    return int(rng.choice(best))
"""


def _eps(old: str, new: str) -> str:
    """The reference cell with ``old`` replaced by ``new`` (a typical mistake)."""
    assert old in _EPS_CELL, old
    return _EPS_CELL.replace(old, new)


STEPWISE = {  # eid: (the name the student's cell defines, [Typical(the whole cell, its hint)])
    "08.6": (
        "epsilon_greedy",
        [
            Typical(
                "def epsilon_greedy(Q_row, epsilon, rng):\n    if np.random.random() < epsilon:\n"
                "        return int(np.random.randint(len(Q_row)))\n"
                "    return int(np.random.choice(np.flatnonzero(Q_row == Q_row.max())))\n",
                _GLOBAL,
            ),
            Typical(_eps("    if rng.random()", "    rng = np.random.default_rng()\n    if rng.random()"), _UNUSED),
            Typical(_eps("int(rng.choice(best))", "int(np.random.default_rng().choice(best))"), _REPLAY),
            Typical(_eps("return int(rng.choice(best))", "return Q_row.max()"), _VALUE),
            Typical(_eps("rng.random() < epsilon", "rng.random() > epsilon"), _FLIPPED),
            Typical(
                _eps(
                    "    if rng.random() < epsilon:\n        return int(rng.integers(len(Q_row)))\n"
                    "    best = np.flatnonzero(Q_row == Q_row.max())\n    return int(rng.choice(best))\n",
                    "    greedy = int(rng.choice(np.flatnonzero(Q_row == Q_row.max())))\n"
                    "    if rng.random() < epsilon:\n"
                    "        return int(rng.choice([a for a in range(len(Q_row)) if a != greedy]))\n"
                    "    return greedy\n",
                ),
                _EXCLUDED,
            ),
            Typical(_eps("Q_row == Q_row.max()", "Q_row == Q_row.min()"), _ARGMIN),
            Typical(_eps("    if rng.random() < epsilon:\n        return int(rng.integers(len(Q_row)))\n", ""), _NEVER),
            Typical(_eps("rng.integers(len(Q_row))", "rng.integers(0, len(Q_row) - 1)"), _LAST),
            Typical(
                _eps(
                    "    best = np.flatnonzero(Q_row == Q_row.max())\n    return int(rng.choice(best))",
                    "    return int(np.argmax(Q_row))",
                ),
                _FIRST,
            ),
        ],
    )
}

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
            "every row is exactly minus the right one: row i is (onehot(a_i) - softmax(theta)) * (r_i - b). One of "
            "the two differences is the wrong way round (softmax(theta) - onehot(a_i), or b - r_i): check both.",
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

EXERCISES = [
    check_reward_to_go,
    check_value_iteration_sweep,
    check_q_update,
    check_reinforce_loss,
    check_score_function_gradients,
]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
__all__ = ["NOTEBOOK", "EXERCISES", "STEPWISE", "QUIZZES", "quiz", "accepted"] + [
    name for name in dir() if name.startswith("check_")
]
