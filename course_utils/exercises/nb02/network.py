"""Notebook 02's 2-2-1 network: 02.3 collapse of linear layers, 02.4 its forward pass, 02.5 the derivatives."""

from __future__ import annotations

import numpy as np

from .. import Case, Exercise, Typical, parts
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 02.3 collapse of linear layers

check_collapse = Exercise(
    "02.3",
    "def collapse(W1, b1, W2, b2):",
    todo="Write `collapse`: return the A and c of the single linear layer, then run the cell below again.",
    cases=lambda: [Case("", tuple(np.random.default_rng(3).standard_normal(s) for s in ((3, 4), (4,), (4, 3), (3,))))],
    reference="return W1 @ W2, b1 @ W2 + b2",
    typical=[
        Typical(
            "return W2 @ W1, b1 @ W2 + b2",
            "You multiplied in the wrong order: X goes through W1 first, so A = W1 @ W2 (shape (d, k)).",
        ),
        Typical(
            "return W2.T @ W1.T, b1 @ W2 + b2",
            "A is transposed: with X of shape (N, d), A must be (d, k) = W1 @ W2.",
        ),
        Typical(
            "return W1 @ W2, b2",
            "c misses the first layer's bias: b1 also passes through the second layer, so it arrives as b1 @ W2.",
        ),
        Typical("return W1 @ W2, b1 @ W2", "c misses the second layer's own bias b2."),
        Typical(
            "return W1 @ W2, b1 + b2",
            "b1 + b2 adds a hidden-layer bias to an output bias: b1 first passes through the second layer, "
            "c = b1 @ W2 + b2.",
        ),
        Typical(
            "return W1 * W2, b1 @ W2 + b2",
            "W1 * W2 multiplies entry by entry: stacking layers is the matrix product, A = W1 @ W2.",
        ),
    ],
    confirmation="Any stack of linear layers is one linear layer, A = W1 W2 and c = b1 W2 + b2: "
    "depth adds nothing until a nonlinearity sits between the layers.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("A", "c", c={None: "c is one bias per output, shape (k,)."}),
)

# ----------------------------------------------------------------------------- 02.4 forward pass of the 2-2-1 net


def _forward_cases():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1.5, 1.5, (10, 2))
    return [Case("", (X, *(rng.standard_normal(s) for s in ((2, 2), (2,), (2, 1), (1,)))))]


_H = "h = np.tanh(X @ W1 + b1)\n"
_P = "return h, 1 / (1 + np.exp(-(h @ W2 + b2)))[:, 0]"
_FLAT_P = "p should be flat, one probability per point, shape (N,): take [:, 0]."

check_forward_221 = Exercise(
    "02.4",
    "def forward_221(X, W1, b1, W2, b2):",
    todo="Write `forward_221`: the hidden layer with tanh, the output with a sigmoid, then run the cell below again.",
    cases=_forward_cases,
    reference=_H + _P,
    typical=[
        Typical(
            "h = X @ W1 + b1\n" + _P,
            "h has no activation: without tanh the network is linear again (section 5) and cannot solve XOR.",
        ),
        Typical(
            "h = np.tanh(X @ W1.T + b1)\n" + _P,
            "You used W1 transposed (X @ W1.T is torch's nn.Linear layout, "
            "weight of shape (out, in)); here W1 is (in, out): X @ W1.",
        ),
        Typical(
            "h = 1 / (1 + np.exp(-(X @ W1 + b1)))\n" + _P,
            "The hidden layer of this network uses tanh, not the sigmoid.",
        ),
        Typical(
            _H + "return h, (h @ W2 + b2)[:, 0]",
            "p is the output's logit: squash it with the sigmoid, p = 1 / (1 + exp(-(h W2 + b2))), to get P(y = 1).",
        ),
        Typical(
            _H + "return h, np.tanh(h @ W2 + b2)[:, 0]",
            "The output uses tanh, which can be negative: a probability needs the sigmoid.",
        ),
        Typical(_H + _P.replace("[:, 0]", ""), _FLAT_P),
        Typical(
            _H + _P.replace("np.exp(-(h @ W2 + b2))", "np.exp(h @ W2 + b2)"),
            "Your sigmoid lost its minus sign: 1 / (1 + exp(s)) is 1 - sigmoid(s), P(y = 0). "
            "Use p = 1 / (1 + np.exp(-(h @ W2 + b2))).",
        ),
        Typical(
            _H + _P.replace("(h @ W2", "(X @ W2"),
            "p skips the hidden layer: you computed it from X. The output unit reads the hidden units, "
            "p = sigmoid(h W2 + b2).",
        ),
    ],
    confirmation="The hidden layer h = tanh(X W1 + b1) is the hidden space of section 6, where the output unit "
    "is just a line; the sigmoid turns that line's score into P(y = 1).",
    namespace=NOTEBOOK,
    result="",
    explain=parts("h", "p", p={(10, 1): _FLAT_P}),  # the case has N = 10 points
)

# ----------------------------------------------------------------------------- 02.5 activation derivatives

_S = "s = 1 / (1 + np.exp(-x))\n"
_D_SIGMOID, _D_TANH = "s * (1 - s)", "1 - np.tanh(x) ** 2"
_ON_X = (
    "You applied the table's formula to x itself: f(x) in the table means the activation's "
    "output, so compute f = {} first, then {}."
)

check_sigmoid_tanh_derivatives = Exercise(
    "02.5",
    "def sigmoid_tanh_derivatives(x):",
    todo="Write `sigmoid_tanh_derivatives` from the table, then run the cell below again.",
    cases=lambda: [Case("", (np.random.default_rng(5).uniform(-4, 4, 20),))],
    reference=f"{_S}return {_D_SIGMOID}, {_D_TANH}",
    typical=[
        Typical(
            "return x * (1 - x), 1 - x ** 2", _ON_X.format("sigmoid(x) and f = tanh(x)", "f * (1 - f) and 1 - f**2")
        ),
        Typical(f"return x * (1 - x), {_D_TANH}", _ON_X.format("sigmoid(x)", "f * (1 - f)")),
        Typical(f"{_S}return {_D_SIGMOID}, 1 - x ** 2", _ON_X.format("tanh(x)", "1 - f**2")),
        Typical(f"{_S}return s, {_D_TANH}", "That is the sigmoid itself, not its derivative f(x)(1 - f(x))."),
        Typical(f"{_S}return s * (1 + s), {_D_TANH}", "Sign slip: the derivative is f(x)(1 - f(x))."),
        Typical(
            f"{_S}return {_D_SIGMOID}, 1 - np.tanh(x)",
            "You forgot the square: the derivative of tanh is 1 - tanh(x)**2.",
        ),
        Typical(f"{_S}return {_D_SIGMOID}, np.tanh(x)", "That is tanh itself, not its derivative 1 - tanh(x)**2."),
        Typical(
            f"{_S}return {_D_TANH}, {_D_SIGMOID}",
            "Your two results are swapped: return (d_sigmoid, d_tanh), the sigmoid's derivative first.",
        ),
        Typical(
            f"{_S}return {_D_SIGMOID}, (1 - np.tanh(x)) ** 2",
            "Your square is outside the parentheses: the derivative of tanh is 1 - tanh(x)**2, not (1 - tanh(x))**2.",
        ),
    ],
    confirmation="Both derivatives are written with the function's own output (sigma(1 - sigma), 1 - tanh^2), "
    "so backpropagation can reuse the values saved in the forward pass (notebook 03).",
    namespace=NOTEBOOK,
    result="",
    explain=parts("d_sigmoid", "d_tanh"),
)
