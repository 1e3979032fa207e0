"""Notebook 09's values: 09.5 one sweep of value iteration on FrozenLake's model, 09.2 the Q-learning update."""

from __future__ import annotations

import copy

import numpy as np

from ... import rl
from .. import Case, Exercise, Mistake, Typical, edited
from .common import NOTEBOOK, explain_array

# ----------------------------------------------------------------------------- 09.5 one sweep of value iteration


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
    return edited(_SWEEP, (old, new))


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
    "09.5",
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
        Typical(
            _swept(
                "            expected += p * (r + (0.0 if done else gamma * V[s_next]))",
                "            if done:\n                continue\n            expected += p * (r + gamma * V[s_next])",
            ),
            "you skipped the terminal transitions altogether, their reward too: the goal's reward of 1 comes on a "
            "transition with done = True. Such an outcome is worth p * r; leave out only its gamma * V[s_next].",
        ),
        Typical(
            _swept("V_new[s] = max(values)", "V_new[s] = np.argmax(values)"),
            "you stored the index of the best action (argmax), a policy: V_new[s] is the best action's VALUE, "
            "max(values).",
        ),
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

# ----------------------------------------------------------------------------- 09.2 Q-learning update

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
    "09.2",
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
        Typical(
            "target = r if terminated else r + gamma * np.argmax(Q[s_next])\n" + _STEP,
            "np.argmax(Q[s_next]) is the INDEX of the best next action, not its value: bootstrap from the value, "
            "np.max(Q[s_next]).",
        ),
        Typical(
            "target = r if terminated else r + gamma * Q[s].max()\n" + _STEP,
            "you bootstrapped from the state you left, max(Q[s]): the target looks ahead to the state you "
            "arrived in, r + gamma * max(Q[s_next]).",
        ),
        Typical("Q = Q.copy()\ntarget = r if terminated else r + gamma * Q[s_next].max()\n" + _STEP, _COPIED),
    ],
    confirmation="Q[s, a] += alpha * (r + gamma * max Q[s_next] - Q[s, a]): the max makes it learn the greedy policy "
    "whatever the exploring behaviour, and only 'terminated' (not 'truncated') ends the bootstrap.",
    namespace=NOTEBOOK,
    result="Q",
    shape_hints={(): "return the whole table Q (S, A), updated in place."},
    explain=explain_array,
)
