"""Notebook 06's character model: 06.6 sampling with a temperature, a check written as code, and its ``STEPWISE``."""

from __future__ import annotations

import random
import warnings

import numpy as np
import torch

from ...layers import softmax
from .. import Mistake, NotAttempted, Typical, attempt, exercise, source

# ----------------------------------------------------------------------------- 06.6 temperature sampling

_ARGMAX = (
    "you always return the most likely index (the arg-max): that is only the limit "
    "temperature -> 0. Draw the index at random from p with rng.choice(len(p), p=p)."
)
_MULTIPLIED = (
    "you multiplied the logits by the temperature: divide them, softmax(logits / temperature); "
    "a high temperature must flatten the distribution."
)
_IGNORED = "the temperature changes nothing in your draws: divide the logits by it before the softmax."
_UNIFORM = "your draws are uniform: draw with the probabilities, rng.choice(len(p), p=p)."
_OVERFLOW = (
    "exp(1000 / T) overflows to inf and inf / inf is NaN. Divide by the temperature first, then subtract the largest "
    "of those values before exp, z = logits / temperature, exp(z - z.max()): softmax does not change when a constant "
    "is subtracted from every z."
)
_SAME = (
    "the draw is not random. A generator created inside your function (np.random.default_rng(0)) starts from the "
    "same state at every call: draw with the rng passed in."
)


def _index(k):
    """The student's draw as an index where it is one: an int, a one-element array or list, an integral float."""
    k = np.ravel(k)[0] if isinstance(k, (np.ndarray, list, tuple)) and np.size(k) == 1 else k
    return int(k) if isinstance(k, (float, np.floating)) and float(k).is_integer() else k


def _draws(fn, logits, temperature, n, seed):
    """``n`` draws of the student's sampler with one rng; the frequencies of the indices."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(logits))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(n):
            k = _index(attempt(fn, logits, temperature, rng))
            if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
                raise Mistake(
                    f"return one index (an int between 0 and V - 1), got {k!r}: draw it with rng.choice(len(p), p=p)."
                )
            if not 0 <= k < len(logits):
                raise Mistake(f"the index {k} is outside 0..{len(logits) - 1}.")
            counts[int(k)] += 1
    return counts / n


_GLOBAL = (
    "you drew with a global generator (np.random, random or torch), not with the rng argument: draw with "
    "rng.choice(len(p), p=p), so that the same rng gives the same text and no other random numbers change."
)
_OWN_RNG = (
    "two generators in the same state gave different draws: draw with the rng passed in, not with a generator "
    "of your own (np.random.default_rng() inside the function starts from a new random state every call)."
)


def _global_states():
    return np.random.get_state(), random.getstate(), torch.random.get_rng_state()


def _restore(states) -> None:
    np.random.set_state(states[0])
    random.setstate(states[1])
    torch.random.set_rng_state(states[2])


def _check_uses_rng(fn, logits) -> None:
    """The draws must come from ``rng``: the global generators untouched, and two generators in the same state
    give the same draws."""
    saved = _global_states()
    runs = [[attempt(fn, logits, 1.0, rng) for _ in range(30)] for rng in map(np.random.default_rng, (5, 5))]
    after = _global_states()
    untouched = (
        np.array_equal(after[0][1], saved[0][1])
        and after[0][2:] == saved[0][2:]
        and after[1] == saved[1]
        and torch.equal(after[2], saved[2])
    )
    if not untouched:
        raise Mistake(_GLOBAL)
    if [_index(k) for k in runs[0]] != [_index(k) for k in runs[1]]:
        raise Mistake(_OWN_RNG)


def _tv(p, q) -> float:
    return 0.5 * float(np.abs(p - q).sum())


@exercise(
    "06.6",
    todo="Write sample_with_temperature: p = softmax(logits / temperature) computed stably, "
    "then draw one index with rng.",
)
def check_sample_with_temperature(sample_with_temperature) -> str:
    """Check ``sample_with_temperature`` (see :func:`_check_sampler`); whatever the student's code does to the
    global random generators (np.random, random, torch) is undone."""
    saved = _global_states()
    try:
        return _check_sampler(sample_with_temperature)
    finally:
        _restore(saved)


def _check_sampler(sample_with_temperature) -> str:
    """Check ``sample_with_temperature(logits, temperature, rng) -> int``: logits (V,), one index drawn from
    softmax(logits / temperature) with ``rng`` (a NumPy Generator). The frequencies of 3000 draws at T = 0.5 and 2
    are compared with the right distribution (total-variation distance below 0.05); the draws must come from
    ``rng`` (global generators untouched, the same rng state gives the same draws); then logits near 1000 are tried."""
    logits = np.random.default_rng(64).normal(0, 1.5, 6)
    n, tol = 3000, 0.05
    for temperature in (0.5, 2.0):
        freq = _draws(sample_with_temperature, logits, temperature, n, seed=int(temperature * 10))
        p = softmax(logits / temperature)
        if freq[np.argmax(logits)] == 1.0:
            raise Mistake(_ARGMAX)
        if freq.max() == 1.0:
            raise Mistake(f"all {n} draws gave index {np.argmax(freq)}: {_SAME}")
        if _tv(freq, p) < tol:
            continue
        uniform = np.full(len(logits), 1 / len(logits))
        for q, text in [(softmax(logits * temperature), _MULTIPLIED), (softmax(logits), _IGNORED), (uniform, _UNIFORM)]:
            if _tv(freq, q) < tol:
                raise Mistake(f"at temperature {temperature}, {text}")
        raise Mistake(
            f"at temperature {temperature} the frequencies of {n} draws, {np.round(freq, 3)}, are far "
            f"from softmax(logits / temperature) = {np.round(p, 3)}."
        )
    _check_uses_rng(sample_with_temperature, logits)
    try:
        freq = _draws(sample_with_temperature, logits + 1000.0, 0.5, 500, seed=7)
    except (Mistake, NotAttempted):
        raise
    except Exception as e:  # typically rng.choice refusing NaN probabilities
        raise Mistake(f"with logits near 1000 your code fails ({type(e).__name__}: {e}): {_OVERFLOW}") from None
    if _tv(freq, softmax(logits / 0.5)) >= 2 * tol:
        raise Mistake(f"with logits near 1000 the draws are wrong: {_OVERFLOW}")
    return (
        "the draws follow softmax(logits / T), also for huge logits. text_tools.generate samples each character "
        "this way and feeds it back in."
    )


_SAMPLE = "def sample_with_temperature(logits, temperature, rng):"
_DRAW = "\nreturn rng.choice(len(p), p=p / p.sum())"
_STABLE = "z = logits / temperature\np = np.exp(z - z.max())"
STEPWISE = {  # the typical mistakes of the check written as code: the student's whole cell, and its hint
    "06.6": (
        "sample_with_temperature",
        [
            Typical(source(_SAMPLE, "z = logits * temperature\np = np.exp(z - z.max())" + _DRAW), _MULTIPLIED),
            Typical(source(_SAMPLE, "p = np.exp(logits - logits.max())" + _DRAW), _IGNORED),
            Typical(source(_SAMPLE, "return int(rng.integers(len(logits)))"), _UNIFORM),
            Typical(source(_SAMPLE, "p = np.exp(logits / temperature)" + _DRAW), _OVERFLOW),
            Typical(source(_SAMPLE, "return int(np.argmax(logits / temperature))"), _ARGMAX),
            Typical(source(_SAMPLE, _STABLE + "\nreturn int(np.random.choice(len(p), p=p / p.sum()))"), _GLOBAL),
            Typical(source(_SAMPLE, _STABLE + "\nrng = np.random.default_rng()" + _DRAW), _OWN_RNG),
            Typical(source(_SAMPLE, _STABLE + "\nrng = np.random.default_rng(0)" + _DRAW), _SAME),
        ],
    )
}
