"""Notebook 09's exploration: 09.6 epsilon-greedy, a check written as code, its mistakes in ``STEPWISE``."""

from __future__ import annotations

import copy
import random

import numpy as np
import torch

from ... import rl
from .. import Mistake, Typical, attempt, edited, exercise

# ----------------------------------------------------------------------------- 09.6 epsilon-greedy action selection

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

_ONE_TIE = (
    "the tie is never broken at random (a generator made inside your function with a fixed seed, "
    "np.random.default_rng(0), draws the same number at every call, and an argmax always picks the same one): "
    "break it with the rng you were given, rng.choice(np.flatnonzero(Q_row == Q_row.max()))."
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
    "09.6",
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
        for other in best[1:]:  # always the same tied action, not the first: a tie-break that never varies
            same = right.copy()
            same[best] = eps / A
            same[other] += 1 - eps
            if _fits(freq_ties, same, _DRAWS):
                raise Mistake(
                    f"{said}: your greedy choice between the tied actions {best[0]} and {other} is always action "
                    f"{other}, so {_ONE_TIE}"
                )
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
    return edited(_EPS_CELL, (old, new))


STEPWISE = {  # eid: (the name the student's cell defines, [Typical(the whole cell, its hint)])
    "09.6": (
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
            Typical(_eps("int(rng.choice(best))", "int(np.random.default_rng(0).choice(best))"), _ONE_TIE),
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
