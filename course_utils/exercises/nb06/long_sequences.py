"""Notebook 06's remedies for long sequences: 06.4 clipping the gradient by its norm, 06.5 the LSTM update."""

from __future__ import annotations

import numpy as np

from .. import Case, Exercise, Mistake, Typical, compare
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 06.4 gradient clipping

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
    "06.4",
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
            "norm = sum((g ** 2).sum() for g in grads)\nreturn [g * min(1.0, max_norm / norm) for g in grads]",
            "you used the SQUARED norm (no square root): ||g|| = sqrt(sum of all the squared entries).",
        ),
        Typical(
            "return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]",
            "You clipped each array by its own norm: the norm is the global one, over all the arrays "
            "together (as torch's clip_grad_norm_ does), so all parameters are scaled alike.",
        ),
        Typical(
            "norm = np.linalg.norm(grads)\nreturn [g * min(1.0, max_norm / norm) for g in grads]",
            "np.linalg.norm(grads) cannot read a list of arrays of different shapes: the global norm is the square "
            "root of the sum of all the squared entries, np.sqrt(sum((g ** 2).sum() for g in grads)).",
        ),
        Typical(
            "norm = sum(np.linalg.norm(g) for g in grads)\nreturn [g * min(1.0, max_norm / norm) for g in grads]",
            "you added up the arrays' norms: the global norm is sqrt(||g_1||**2 + ||g_2||**2 + ...), the norm of all "
            "the entries together, which is smaller.",
        ),
        Typical(
            _NORM + "return [g * max(1.0, max_norm / norm) for g in grads]",
            "a gradient longer than max_norm came back unchanged: it must be scaled down by max_norm / norm < 1. "
            "The factor is min(1, max_norm / norm): did you write max for min, or compare the wrong way round?",
        ),
    ],
    confirmation="the gradient keeps its direction and its norm is at most max_norm. This is what "
    "nn.utils.clip_grad_norm_ does in every training.train_steps loop of this notebook.",
    namespace=NOTEBOOK,
    result="clip_by_norm(grads, 2.5)",
    explain=_explain_clip,
    rtol=1e-5,
)

# ----------------------------------------------------------------------------- 06.5 the LSTM update

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
    "06.5",
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
        Typical(
            _LSTM.replace("axis=1", "axis=0"),
            "you split z along axis 0, the batch: the four blocks i, f, g, o lie side by side along axis 1 "
            "(columns), z[:, :H], z[:, H:2H], ...",
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
        Typical(
            _LSTM.replace("sig(f) * c_prev + sig(i)", "f * c_prev + i").replace("sig(o) *", "o *"),
            "your gates are the raw pre-activations: squash i, f and o with a sigmoid, so that each is a fraction "
            "between 0 and 1 of what flows through it.",
        ),
        Typical(
            _LSTM.replace("sig(f) * c_prev + ", ""),
            "your new cell forgets the old one entirely: c = f * c_prev + i * g keeps the fraction f of c_prev (the "
            "long memory) and adds i * g.",
        ),
    ],
    confirmation="c is the conveyor belt: f decides what to keep, i * g what to write, and o how much of "
    "tanh(c) to show as h. recurrent.lstm_step (the reference below) does the same after computing z.",
    namespace=NOTEBOOK,
    shape_hints=lambda case: {case.args[0].shape: "c has one entry per hidden unit: (N, H)."},
    explain=_explain_lstm,
)
