"""Exercises and self-check questions of notebook 06 (recurrent networks).

* 06.1 ``rnn_step``: one step of the vanilla recurrent cell;
* 06.2 ``clip_by_norm``: gradient clipping by the global norm;
* 06.3 ``lstm_update``: the LSTM's gates, cell update and new state from the pre-activations;
* 06.4 ``sample_with_temperature``: draw the next character from softmax(logits / T).

Every check builds fresh seeded inputs, computes the reference here and recognises the
typical mistakes by computing what they give.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..layers import sigmoid, softmax
from . import Mistake, NotAttempted, Quiz, attempt, compare, exercise, quizzes

__all__ = [
    "check_rnn_step",
    "check_clip_by_norm",
    "check_lstm_update",
    "check_sample_with_temperature",
    "quiz",
    "QUIZZES",
    "MISTAKES",
]


# ----------------------------------------------------------------------------- 06.1 the recurrent cell


def _rnn_case(seed: int, I: int = 3, H: int = 4):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=I),
        rng.normal(size=H),
        rng.normal(0, 0.7, (H, I)),
        rng.normal(0, 0.7, (H, H)),
        rng.normal(0, 0.3, H),
    )


@exercise("06.1", todo="Write rnn_step: h_t = tanh(W_x @ x_t + W_h @ h_prev + b) for one time step.")
def check_rnn_step(rnn_step) -> str:
    """Check ``rnn_step(x, h_prev, W_x, W_h, b) -> h`` with x (I,), h_prev (H,), W_x (H, I),
    W_h (H, H), b (H,) and h (H,), on two random cases with I != H."""
    for seed in (6, 61):
        x, h_prev, W_x, W_h, b = _rnn_case(seed)
        try:
            h = attempt(rnn_step, x, h_prev, W_x, W_h, b)
        except ValueError as e:
            raise Mistake(
                f"the shapes do not fit ({e}). W_x is (H, I) = {W_x.shape} and x is (I,) = {x.shape}: "
                "W_x @ x gives the H numbers, one per hidden unit (x @ W_x does not fit when I != H). "
                "Likewise W_h @ h_prev."
            ) from None
        pre = W_x @ x + W_h @ h_prev + b
        compare(
            "h",
            h,
            np.tanh(pre),
            mistakes=[
                (
                    np.tanh(W_x @ x + b),
                    "You left out the previous state: add W_h @ h_prev. It is the only way "
                    "information from earlier steps reaches h_t.",
                ),
                (
                    sigmoid(pre),
                    "You used a sigmoid: the vanilla cell squashes with tanh, which is centred on 0 "
                    "and lets the state go negative.",
                ),
                (
                    np.maximum(pre, 0),
                    "You used a ReLU: this cell uses tanh (a ReLU cell is what the summing RNN of section 3 uses).",
                ),
                (
                    np.tanh(W_x @ x + W_h.T @ h_prev + b),
                    "W_h is transposed: h_prev @ W_h computes W_h.T @ h_prev. "
                    "Row j of W_h holds the weights into unit j, so write "
                    "W_h @ h_prev.",
                ),
                (np.tanh(W_x @ x + W_h @ h_prev), "You forgot the bias b."),
                (pre, "You forgot the tanh: h_t = tanh(W_x x_t + W_h h_(t-1) + b)."),
            ],
            shape_hints={(): "return the new state, an array of H numbers."},
        )
    return (
        "one step of the cell is right. Applied T times with the same W_x, W_h, b, it is the whole RNN; "
        "recurrent.rnn_forward below is exactly this loop."
    )


# ----------------------------------------------------------------------------- 06.2 gradient clipping


def _grads(seed: int, scale: float):
    rng = np.random.default_rng(seed)
    return [scale * rng.normal(size=(3, 4)), scale * rng.normal(size=5), scale * rng.normal(size=(2, 2))]


def _global(grads, c):
    norm = np.sqrt(sum(float((g**2).sum()) for g in grads))
    return [g * min(1.0, c / norm) for g in grads]


def _flat(grads):
    return np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads])


@exercise(
    "06.2", todo="Write clip_by_norm: rescale all the gradients together when their global norm exceeds max_norm."
)
def check_clip_by_norm(clip_by_norm) -> str:
    """Check ``clip_by_norm(grads, max_norm) -> list`` where grads is a list of arrays of any
    shapes (one per parameter) and the result lists arrays of the same shapes. Two cases:
    a long gradient (it must be rescaled to norm max_norm) and a short one (left alone)."""
    cases = [
        ("a long gradient (global norm > max_norm)", _grads(6, 3.0), 2.5),
        ("a short gradient (global norm < max_norm)", _grads(60, 0.1), 2.5),
    ]
    for where, grads, c in cases:
        out = attempt(clip_by_norm, [g.copy() for g in grads], c)
        if not isinstance(out, (list, tuple)) or len(out) != len(grads):
            raise Mistake(
                f"return a list with one array per parameter ({len(grads)} here), got "
                f"{type(out).__name__}{'' if not hasattr(out, '__len__') else f' of length {len(out)}'}."
            )
        for k, (o, g) in enumerate(zip(out, grads)):
            if np.shape(o) != g.shape:
                raise Mistake(
                    f"array {k} of the result has shape {np.shape(o)}, expected {g.shape}: "
                    "each clipped gradient keeps its parameter's shape."
                )
        norm = np.sqrt(sum(float((g**2).sum()) for g in grads))
        compare(
            f"clip_by_norm(grads, {c}) on {where}, flattened",
            _flat(out),
            _flat(_global(grads, c)),
            rtol=1e-5,
            mistakes=[
                (
                    _flat([np.clip(g, -c, c) for g in grads]),
                    "You clipped each entry to [-max_norm, max_norm]: that changes the gradient's direction. "
                    "Multiply all arrays by the same factor max_norm / norm instead.",
                ),
                (
                    _flat([g * c / norm for g in grads]),
                    "You rescaled a gradient that was already short enough: rescale only when the norm "
                    "exceeds max_norm (the factor is min(1, max_norm / norm)).",
                ),
                (
                    _flat([g / norm for g in grads]),
                    "You divided by the norm but did not multiply by max_norm: the clipped gradient should "
                    "have norm max_norm, not 1.",
                ),
                (
                    _flat([g * min(1.0, c / np.linalg.norm(g)) for g in grads]),
                    "You clipped each array by its own norm: the norm is the global one, over all the arrays "
                    "together (as torch's clip_grad_norm_ does), so all parameters are scaled alike.",
                ),
            ],
        )
    return (
        "the gradient keeps its direction and its norm is at most max_norm. This is what "
        "nn.utils.clip_grad_norm_ does in every training.train_steps loop of this notebook."
    )


# ----------------------------------------------------------------------------- 06.3 the LSTM update


def _lstm(z, c_prev, order="ifgo", act_g=np.tanh, tanh_h=True, input_gate=True):
    H = c_prev.shape[-1]
    blocks = dict(zip(order, (z[:, k * H : (k + 1) * H] for k in range(4))))
    i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
    g = act_g(blocks["g"])
    c = f * c_prev + (i * g if input_gate else g)
    return (o * np.tanh(c) if tanh_h else o * c), c


@exercise(
    "06.3",
    todo="Write lstm_update: split z into the four gates (order i, f, g, o), then "
    "c = f * c_prev + i * g and h = o * tanh(c).",
)
def check_lstm_update(lstm_update) -> str:
    """Check ``lstm_update(z, c_prev) -> (h, c)`` with the pre-activations z (N, 4H) stacked
    in PyTorch's order [i | f | g | o] and c_prev, h, c of shape (N, H)."""
    rng = np.random.default_rng(63)
    N, H = 3, 5
    z, c_prev = rng.normal(0, 1.5, (N, 4 * H)), rng.normal(size=(N, H))
    out = attempt(lstm_update, z, c_prev)
    if not isinstance(out, tuple) or len(out) != 2:
        raise Mistake("return the pair (h, c): the new hidden state and the new cell, each of shape (N, H).")
    h, c = out
    h_ref, c_ref = _lstm(z, c_prev)
    if (
        np.shape(h) == np.shape(c) == c_ref.shape
        and np.allclose(np.asarray(h, dtype=float), c_ref)
        and np.allclose(np.asarray(c, dtype=float), h_ref)
    ):
        raise Mistake("you returned (c, h): return (h, c), the order torch's LSTMCell uses.")
    swapped_if = _lstm(z, c_prev, order="figo")
    textbook = _lstm(z, c_prev, order="ifog")
    compare(
        "c",
        c,
        c_ref,
        mistakes=[
            (
                textbook[1],
                "You read the blocks in the order i, f, o, g: PyTorch stacks them i, f, g, o "
                "(z[:, 2H:3H] is the candidate g, z[:, 3H:] the output gate).",
            ),
            (
                swapped_if[1],
                "You swapped the input and forget gates: the first block (z[:, :H]) is i, "
                "the second (z[:, H:2H]) is f.",
            ),
            (
                _lstm(z, c_prev, act_g=sigmoid)[1],
                "The candidate g uses tanh, not the sigmoid: it is the content "
                "to write, and must be able to be negative. Only i, f, o are "
                "gates (sigmoids).",
            ),
            (_lstm(z, c_prev, input_gate=False)[1], "You added g without the input gate: c = f * c_prev + i * g."),
        ],
        shape_hints={(N, 4 * H): "c has one entry per hidden unit: (N, H)."},
    )
    compare(
        "h",
        h,
        h_ref,
        mistakes=[
            (_lstm(z, c_prev, tanh_h=False)[0], "You forgot the tanh on the cell: h = o * tanh(c)."),
            (np.tanh(c_ref), "You forgot the output gate: h = o * tanh(c)."),
            (sigmoid(z[:, 3 * H :]) * np.tanh(c_prev), "H uses the NEW cell: h = o * tanh(c), not tanh(c_prev)."),
        ],
    )
    return (
        "c is the conveyor belt: f decides what to keep, i * g what to write, and o how much of "
        "tanh(c) to show as h. recurrent.lstm_step (the reference below) does the same after computing z."
    )


# ----------------------------------------------------------------------------- 06.4 temperature sampling


def _draws(fn, logits, temperature, n, seed):
    """``n`` draws of the student's sampler with one rng; the frequencies of the indices."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(logits))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(n):
            k = attempt(fn, logits, temperature, rng)
            if isinstance(k, (np.ndarray, list, tuple)) and np.size(k) == 1:
                k = np.ravel(k)[0]
            if isinstance(k, (float, np.floating)) and float(k).is_integer():
                k = int(k)
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
    """Check ``sample_with_temperature(logits, temperature, rng) -> int``: logits (V,), one
    index drawn from softmax(logits / temperature) with ``rng`` (a NumPy Generator). The
    frequencies of 3000 draws at temperatures 0.5 and 2 are compared with the right
    distribution (total-variation distance below 0.05), then logits near 1000 are tried."""
    logits = np.random.default_rng(64).normal(0, 1.5, 6)
    n, tol = 3000, 0.05
    for temperature in (0.5, 2.0):
        freq = _draws(sample_with_temperature, logits, temperature, n, seed=int(temperature * 10))
        p = softmax(logits / temperature)
        if freq[np.argmax(logits)] == 1.0:
            raise Mistake(
                "you always return the most likely index (the arg-max): that is only the limit "
                "temperature -> 0. Draw the index at random from p with rng.choice(len(p), p=p)."
            )
        if _tv(freq, p) < tol:
            continue
        wrong = [
            (
                softmax(logits * temperature),
                "you multiplied the logits by the temperature: divide them, "
                "softmax(logits / temperature); a high temperature must "
                "flatten the distribution.",
            ),
            (
                softmax(logits),
                "the temperature changes nothing in your draws: divide the logits by it before the softmax.",
            ),
            (
                np.full(len(logits), 1 / len(logits)),
                "your draws are uniform: draw with the probabilities, rng.choice(len(p), p=p).",
            ),
        ]
        for q, text in wrong:
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
        raise Mistake(
            f"with logits near 1000 your code fails ({type(e).__name__}: {e}): exp(1000 / T) overflows "
            "to inf and inf / inf is NaN. Subtract the largest logit before exp: softmax does not "
            "change when a constant is subtracted from every logit."
        ) from None
    if _tv(freq, softmax(logits / 0.5)) >= 2 * tol:
        raise Mistake(
            "with logits near 1000 the draws are wrong: exp overflows. Subtract the largest logit "
            "before exp (softmax does not change when a constant is subtracted from every logit)."
        )
    return (
        "the draws follow softmax(logits / T), also for huge logits. text_tools.generate samples each character "
        "this way and feeds it back in."
    )


# ----------------------------------------------------------------------------- self-check questions

QUIZZES = {
    "06.q1": Quiz(
        question="A one-unit ReLU RNN h_t = max(0, w_x x_t + w_h h_(t-1)), h_0 = 0, answers v h_T. Which weights "
        "(w_x, w_h, v) make it output exactly the sum of any sequence of non-negative numbers?",
        options={"a": "(1, 0, 1)", "b": "(1, 1, 1)", "c": "(0, 1, 1)", "d": "(1, 1, T), T the length"},
        answer="b",
        explanations={
            "a": "with w_h = 0 the state forgets everything but the last input: it answers x_T.",
            "b": "h_t = h_(t-1) + x_t is the running sum, and the ReLU never cuts it since everything is "
            ">= 0; no weight depends on the length, so it works for any T.",
            "c": "with w_x = 0 no input ever enters the state: it stays 0.",
            "d": "the state already holds the sum; multiplying by T gives T times the sum (and a weight "
            "cannot depend on the length anyway).",
        },
    ),
    "06.q2": Quiz(
        question="How many parameters does nn.LSTM(input_size=10, hidden_size=20) have? (torch keeps two bias "
        "vectors per gate block, b_ih and b_hh.)",
        answer=2560.0,
        tolerance=0.0,
        explanations={
            "right": "4 blocks (i, f, g, o) x (20 x 10 input weights + 20 x 20 recurrent weights + "
            "2 x 20 biases) = 4 x 640. A vanilla nn.RNN(10, 20) has one block: 640."
        },
        wrong="count one gate block first: an H x I input matrix, an H x H recurrent matrix and two bias "
        "vectors of H; then count the blocks of an LSTM. You can check with count_parameters.",
    ),
    "06.q3": Quiz(
        question="Suppose the forget gate stays at f = sigmoid(1) = 0.73 at every step (a forget-gate bias of 1 "
        "and nothing else). On the direct path along the cell, what factor multiplies the gradient "
        "from c_50 back to c_0?",
        options={
            "a": "about 0.73",
            "b": "about 1e-7",
            "c": "exactly 1: the cell line has no weight matrix",
            "d": "about 36 (0.73 x 50)",
        },
        answer="b",
        explanations={
            "a": "that is one step; the factors of 50 steps multiply.",
            "b": "0.73^50 = 1.6e-7: the path vanishes like an RNN's. With a bias of 5, f = 0.993 and "
            "0.993^50 = 0.71, which is why the memory task uses 5.",
            "c": "no weight matrix, but each step multiplies by f_t: the Jacobian is diag(f_t), not the identity.",
            "d": "the factors multiply, they do not add.",
        },
    ),
}
quiz = quizzes(QUIZZES)


# ----------------------------------------------------------------------------- typical mistakes (tested)

_RNN = """import numpy as np


def rnn_step(x, h_prev, W_x, W_h, b):
    return {}
"""
_CLIP = """import numpy as np


def clip_by_norm(grads, max_norm):
    norm = np.sqrt(sum((g ** 2).sum() for g in grads))
    return {}
"""
_LSTM = """import numpy as np


def lstm_update(z, c_prev):
    H = c_prev.shape[1]
    i, f, {} = (z[:, k * H:(k + 1) * H] for k in range(4))
    sig = lambda a: 1 / (1 + np.exp(-a))
    c = sig(f) * c_prev + sig(i) * {}
    return {}, c
"""
_SAMPLE = """import numpy as np


def sample_with_temperature(logits, temperature, rng):
{}
"""

MISTAKES = {
    "06.1": [
        (_RNN.format("np.tanh(W_x @ x + b)"), "previous state"),
        (_RNN.format("1 / (1 + np.exp(-(W_x @ x + W_h @ h_prev + b)))"), "sigmoid"),
        (_RNN.format("np.tanh(W_x @ x + h_prev @ W_h + b)"), "transposed"),
        (_RNN.format("np.tanh(x @ W_x + h_prev @ W_h + b)"), "shapes do not fit"),
    ],
    "06.2": [
        (_CLIP.format("[np.clip(g, -max_norm, max_norm) for g in grads]"), "direction"),
        (_CLIP.format("[g * max_norm / norm for g in grads]"), "already short enough"),
        (_CLIP.format("[g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]"), "global"),
    ],
    "06.3": [
        (_LSTM.format("o, g", "np.tanh(g)", "sig(o) * np.tanh(c)"), "order i, f, o, g"),
        (_LSTM.format("g, o", "sig(g)", "sig(o) * np.tanh(c)"), "not the sigmoid"),
        (_LSTM.format("g, o", "np.tanh(g)", "sig(o) * c"), "tanh on the cell"),
    ],
    "06.4": [
        (
            _SAMPLE.format(
                "    z = logits * temperature\n    p = np.exp(z - z.max())\n"
                "    return rng.choice(len(p), p=p / p.sum())"
            ),
            "multiplied",
        ),
        (
            _SAMPLE.format("    p = np.exp(logits / temperature)\n    return rng.choice(len(p), p=p / p.sum())"),
            "overflow",
        ),
        (_SAMPLE.format("    return int(np.argmax(logits / temperature))"), "arg-max"),
    ],
}
