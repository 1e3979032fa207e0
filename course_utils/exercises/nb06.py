"""Exercises and self-check questions of notebook 06 (recurrent networks).

* 06.1 ``rnn_step``: one step of the vanilla recurrent cell;
* 06.2 ``clip_by_norm``: gradient clipping by the global norm;
* 06.3 ``lstm_update``: the LSTM's gates, cell update and new state from the pre-activations;
* 06.4 ``sample_with_temperature``: draw the next character from softmax(logits / T).

06.1 to 06.3 are declared once (:class:`~course_utils.exercises.Exercise`), each typical mistake as the code
a student would write, with its hint. 06.4 judges a random sampler by the frequencies of its draws: its check
is code, its typical mistakes are in ``STEPWISE``. The self-check questions are in ``nb06.toml``.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..layers import softmax
from . import Case, Exercise, Mistake, NotAttempted, Typical, attempt, compare, exercise, quizzes, quizzes_of, source

NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "F": F}  # what the notebook has imported when the student's cell runs

# ----------------------------------------------------------------------------- 06.1 the recurrent cell

_RNN_SHAPES = (
    "the shapes do not fit. W_x is (H, I) = (4, 3) and x is (I,) = (3,): W_x @ x gives the H numbers, "
    "one per hidden unit (x @ W_x does not fit when I != H). Likewise W_h @ h_prev."
)


def _rnn_args(rng: np.random.Generator):
    """x (I,), h_prev (H,), W_x (H, I), W_h (H, H), b (H,) with I = 3 != H = 4."""
    x, h_prev = rng.normal(size=3), rng.normal(size=4)
    return x, h_prev, rng.normal(0, 0.7, (4, 3)), rng.normal(0, 0.7, (4, 4)), rng.normal(0, 0.3, 4)


check_rnn_step = Exercise(
    "06.1",
    "def rnn_step(x, h_prev, W_x, W_h, b):",
    todo="Write rnn_step: h_t = tanh(W_x @ x_t + W_h @ h_prev + b) for one time step.",
    cases=lambda: [Case(f"(case {k})", _rnn_args(np.random.default_rng(seed))) for k, seed in [(1, 6), (2, 61)]],
    reference="return np.tanh(W_x @ x + W_h @ h_prev + b)",
    typical=[
        Typical(
            "return np.tanh(W_x @ x + b)",
            "You left out the previous state: add W_h @ h_prev. It is the only way "
            "information from earlier steps reaches h_t.",
        ),
        Typical(
            "return 1 / (1 + np.exp(-(W_x @ x + W_h @ h_prev + b)))",
            "You used a sigmoid: the vanilla cell squashes with tanh, which is centred on 0 "
            "and lets the state go negative.",
        ),
        Typical(
            "return np.maximum(W_x @ x + W_h @ h_prev + b, 0)",
            "You used a ReLU: this cell uses tanh (a ReLU cell is what the summing RNN of section 3 uses).",
        ),
        Typical(
            "return np.tanh(W_x @ x + h_prev @ W_h + b)",
            "W_h is transposed: h_prev @ W_h computes W_h.T @ h_prev. Row j of W_h holds the weights "
            "into unit j, so write W_h @ h_prev.",
        ),
        Typical("return np.tanh(W_x @ x + W_h @ h_prev)", "You forgot the bias b."),
        Typical("return W_x @ x + W_h @ h_prev + b", "You forgot the tanh: h_t = tanh(W_x x_t + W_h h_(t-1) + b)."),
        Typical("return np.tanh(x @ W_x + h_prev @ W_h + b)", "NumPy raised an error: " + _RNN_SHAPES),
    ],
    confirmation="one step of the cell is right. Applied T times with the same W_x, W_h, b, it is the whole RNN; "
    "recurrent.rnn_forward below is exactly this loop.",
    namespace=NOTEBOOK,
    result="h",
    shape_hints={(): "return the new state, an array of H numbers."},
    on_error={ValueError: _RNN_SHAPES},
)

# ----------------------------------------------------------------------------- 06.2 gradient clipping

_NORM = "norm = np.sqrt(sum((g ** 2).sum() for g in grads))\n"


def _normal(seed: int, scale: float, *shapes) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [scale * rng.normal(size=s) for s in shapes]


def _explain_clip(where, got, expected, shape_hints, exercise):
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        length = f" of length {len(got)}" if hasattr(got, "__len__") else ""
        raise Mistake(
            f"return a list with one array per parameter ({len(expected)} here), got {type(got).__name__}{length}."
        )
    for k, (o, e) in enumerate(zip(got, expected)):
        if np.shape(o) != e.shape:
            raise Mistake(
                f"array {k} of the result has shape {np.shape(o)}, expected {e.shape}: "
                "each clipped gradient keeps its parameter's shape."
            )
    flat = lambda grads: np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads])  # noqa: E731
    compare(f"{where}, flattened", flat(got), flat(expected), rtol=exercise.rtol)


check_clip_by_norm = Exercise(
    "06.2",
    "def clip_by_norm(grads, max_norm):",
    todo="Write clip_by_norm: rescale all the gradients together when their global norm exceeds max_norm.",
    cases=lambda: [
        Case("on a long gradient (global norm > max_norm)", (_normal(6, 3.0, (3, 4), 5, (2, 2)), 2.5)),
        Case("on a short gradient (global norm < max_norm)", (_normal(60, 0.1, (3, 4), 5, (2, 2)), 2.5)),
    ],
    reference=_NORM + "return [g * min(1.0, max_norm / norm) for g in grads]",
    typical=[
        Typical(
            "return [np.clip(g, -max_norm, max_norm) for g in grads]",
            "You clipped each entry to [-max_norm, max_norm]: that changes the gradient's direction. "
            "Multiply all arrays by the same factor max_norm / norm instead.",
        ),
        Typical(
            _NORM + "return [g * max_norm / norm for g in grads]",
            "You rescaled a gradient that was already short enough: rescale only when the norm "
            "exceeds max_norm (the factor is min(1, max_norm / norm)).",
        ),
        Typical(
            _NORM + "return [g / norm for g in grads]",
            "You divided by the norm but did not multiply by max_norm: the clipped gradient should "
            "have norm max_norm, not 1.",
        ),
        Typical(
            "return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]",
            "You clipped each array by its own norm: the norm is the global one, over all the arrays "
            "together (as torch's clip_grad_norm_ does), so all parameters are scaled alike.",
        ),
    ],
    confirmation="the gradient keeps its direction and its norm is at most max_norm. This is what "
    "nn.utils.clip_grad_norm_ does in every training.train_steps loop of this notebook.",
    namespace=NOTEBOOK,
    result="clip_by_norm(grads, 2.5)",
    explain=_explain_clip,
    rtol=1e-5,
)

# ----------------------------------------------------------------------------- 06.3 the LSTM update

_LSTM = """sig = lambda a: 1 / (1 + np.exp(-a))
i, f, g, o = np.split(z, 4, axis=1)
c = sig(f) * c_prev + sig(i) * np.tanh(g)
return sig(o) * np.tanh(c), c"""


def _explain_lstm(where, got, expected, shape_hints, exercise):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake("return the pair (h, c): the new hidden state and the new cell, each of shape (N, H).")
    compare("c", got[1], expected[1], shape_hints=shape_hints)
    compare("h", got[0], expected[0])


check_lstm_update = Exercise(
    "06.3",
    "def lstm_update(z, c_prev):",
    todo="Write lstm_update: split z into the four gates (order i, f, g, o), then "
    "c = f * c_prev + i * g and h = o * tanh(c).",
    cases=lambda: [Case("", tuple(_normal(63, 1.5, (3, 4 * 5), (3, 5))))],
    reference=_LSTM,
    typical=[
        Typical(
            _LSTM.replace("i, f, g, o =", "i, f, o, g ="),
            "You read the blocks in the order i, f, o, g: PyTorch stacks them i, f, g, o "
            "(z[:, 2H:3H] is the candidate g, z[:, 3H:] the output gate).",
        ),
        Typical(
            _LSTM.replace("i, f, g, o =", "f, i, g, o ="),
            "You swapped the input and forget gates: the first block (z[:, :H]) is i, the second (z[:, H:2H]) is f.",
        ),
        Typical(
            _LSTM.replace("np.tanh(g)", "sig(g)"),
            "The candidate g uses tanh, not the sigmoid: it is the content to write, and must be able "
            "to be negative. Only i, f, o are gates (sigmoids).",
        ),
        Typical(_LSTM.replace("sig(i) * ", ""), "You added g without the input gate: c = f * c_prev + i * g."),
        Typical(_LSTM.replace("np.tanh(c),", "c,"), "You forgot the tanh on the cell: h = o * tanh(c)."),
        Typical(_LSTM.replace("sig(o) * ", ""), "You forgot the output gate: h = o * tanh(c)."),
        Typical(
            _LSTM.replace("np.tanh(c),", "np.tanh(c_prev),"),
            "H uses the NEW cell: h = o * tanh(c), not tanh(c_prev).",
        ),
        Typical(
            _LSTM.replace("sig(o) * np.tanh(c), c", "c, sig(o) * np.tanh(c)"),
            "you returned (c, h): return (h, c), the order torch's LSTMCell uses.",
        ),
    ],
    confirmation="c is the conveyor belt: f decides what to keep, i * g what to write, and o how much of "
    "tanh(c) to show as h. recurrent.lstm_step (the reference below) does the same after computing z.",
    namespace=NOTEBOOK,
    shape_hints=lambda case: {case.args[0].shape: "c has one entry per hidden unit: (N, H)."},
    explain=_explain_lstm,
)

# ----------------------------------------------------------------------------- 06.4 temperature sampling

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
    "exp(1000 / T) overflows to inf and inf / inf is NaN. Subtract the largest logit before exp: "
    "softmax does not change when a constant is subtracted from every logit."
)


def _draws(fn, logits, temperature, n, seed):
    """``n`` draws of the student's sampler with one rng; the frequencies of the indices."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(logits))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(n):
            k = attempt(fn, logits, temperature, rng)
            k = np.ravel(k)[0] if isinstance(k, (np.ndarray, list, tuple)) and np.size(k) == 1 else k
            k = int(k) if isinstance(k, (float, np.floating)) and float(k).is_integer() else k
            if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
                raise Mistake(
                    f"return one index (an int between 0 and V - 1), got {k!r}: draw it with rng.choice(len(p), p=p)."
                )
            if not 0 <= k < len(logits):
                raise Mistake(f"the index {k} is outside 0..{len(logits) - 1}.")
            counts[int(k)] += 1
    return counts / n


def _tv(p, q) -> float:
    return 0.5 * float(np.abs(p - q).sum())


@exercise(
    "06.4",
    todo="Write sample_with_temperature: p = softmax(logits / temperature) computed stably, "
    "then draw one index with rng.",
)
def check_sample_with_temperature(sample_with_temperature) -> str:
    """Check ``sample_with_temperature(logits, temperature, rng) -> int``: logits (V,), one index drawn from
    softmax(logits / temperature) with ``rng`` (a NumPy Generator). The frequencies of 3000 draws at T = 0.5 and 2
    are compared with the right distribution (total-variation distance below 0.05), then logits near 1000 are tried."""
    logits = np.random.default_rng(64).normal(0, 1.5, 6)
    n, tol = 3000, 0.05
    for temperature in (0.5, 2.0):
        freq = _draws(sample_with_temperature, logits, temperature, n, seed=int(temperature * 10))
        p = softmax(logits / temperature)
        if freq[np.argmax(logits)] == 1.0:
            raise Mistake(_ARGMAX)
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
STEPWISE = {  # the typical mistakes of the check written as code: the student's whole cell, and its hint
    "06.4": (
        "sample_with_temperature",
        [
            Typical(source(_SAMPLE, "z = logits * temperature\np = np.exp(z - z.max())" + _DRAW), _MULTIPLIED),
            Typical(source(_SAMPLE, "p = np.exp(logits - logits.max())" + _DRAW), _IGNORED),
            Typical(source(_SAMPLE, "return int(rng.integers(len(logits)))"), _UNIFORM),
            Typical(source(_SAMPLE, "p = np.exp(logits / temperature)" + _DRAW), _OVERFLOW),
            Typical(source(_SAMPLE, "return int(np.argmax(logits / temperature))"), _ARGMAX),
        ],
    )
}

EXERCISES = [check_rnn_step, check_clip_by_norm, check_lstm_update]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
