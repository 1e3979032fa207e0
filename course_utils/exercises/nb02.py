"""Exercises and self-check questions of notebook 02 (perceptron and XOR).

* 02.1 ``perceptron_epoch(X, y, w, b, lr)``: one epoch of Rosenblatt's rule;
* 02.2 ``xor_by_hand(X)``: XOR from three step neurons (hidden OR and NAND, output AND);
* 02.3 ``collapse(W1, b1, W2, b2)``: the one linear layer equal to two stacked ones;
* 02.4 ``forward_221(X, W1, b1, W2, b2)``: the forward pass of the 2-2-1 tanh network;
* 02.5 ``sigmoid_tanh_derivatives(x)``: two rows of deck 002's activation table.

Every check builds fresh seeded inputs, computes the reference and what each typical
mistake would return on them, and compares (see :mod:`course_utils.exercises`).
"""

from __future__ import annotations

import numpy as np

from ..layers import sigmoid
from . import Mistake, Quiz, as_array, attempt, compare, compare_scalar, exercise, quizzes

__all__ = [
    "check_perceptron_epoch",
    "check_xor_by_hand",
    "check_collapse",
    "check_forward_221",
    "check_sigmoid_tanh_derivatives",
    "MISTAKES",
    "QUIZZES",
    "quiz",
]


def _unpack(value, names: tuple[str, ...]) -> tuple:
    """The student's return value as a tuple of ``len(names)`` items, or a :class:`Mistake`."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise Mistake(
            f"return the tuple ({', '.join(names)}), got {type(value).__name__}"
            + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
            + "."
        )
    return tuple(value)


# ----------------------------------------------------------------------------- 02.1 perceptron epoch


def perceptron_epoch_variant(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float = 1.0, variant: str = "right"
) -> tuple[np.ndarray, float, int]:
    """One epoch of the perceptron rule, right (``variant="right"``) or with a typical mistake.

    X (N, d), y (N,) in {0, 1}, w (d,), b scalar -> (w (d,), b, number of updates). Variants:
    ``all`` updates on every example, ``no_bias`` never changes b, ``labels01`` uses y in {0, 1}
    as the sign, ``sign`` subtracts the update, ``strict`` tests ``< 0``, ``batch`` judges every
    example with the weights from the start of the epoch, ``no_lr`` ignores ``lr``.
    """
    s = y.astype(float) if variant == "labels01" else 2.0 * y - 1.0
    w, b, updates = np.array(w, dtype=float), float(b), 0
    w_start, b_start = w.copy(), b
    step = -lr if variant == "sign" else (1.0 if variant == "no_lr" else lr)
    for x_i, s_i in zip(X, s):
        score = s_i * (x_i @ (w_start if variant == "batch" else w) + (b_start if variant == "batch" else b))
        wrong = score < 0 if variant == "strict" else score <= 0
        if wrong or variant == "all":
            w = w + step * s_i * x_i
            if variant != "no_bias":
                b = b + step * s_i
            updates += 1
    return w, b, updates


_EPOCH_HINTS = {
    "all": "You updated on every example. Rosenblatt's rule changes w and b only when the example is "
    "misclassified, s_i (w . x_i + b) <= 0; correctly classified examples leave them alone.",
    "no_bias": "w moved but b never did: the bias is learned too, b <- b + lr * s_i on every mistake.",
    "labels01": "You used the labels y in {0, 1} as they are. The rule needs the signs s = 2y - 1 in "
    "{-1, +1}; with y = 0 a class-0 example never pushes w away.",
    "sign": "The update has the wrong sign: a mistake on x_i must move w towards s_i x_i, "
    "w <- w + lr * s_i * x_i (and b <- b + lr * s_i), not away from it.",
    "strict": "You test s_i (w . x_i + b) < 0. A point exactly on the boundary counts as a mistake "
    "(from w = 0, b = 0 every point is on it, and < 0 would never update): use <= 0.",
    "batch": "You judged all the examples with the weights from the start of the epoch and then applied "
    "the updates. The rule is online: update right after each mistake, so the next example is "
    "judged with the new w and b.",
    "no_lr": "The step ignores the learning rate: the update is lr * s_i * x_i (and lr * s_i for b).",
}


@exercise(
    "02.1",
    todo="Write `perceptron_epoch`: visit the examples in order and update w and b "
    "on each misclassified one, then run the cell below again.",
)
def check_perceptron_epoch(perceptron_epoch) -> str:
    """Check ``perceptron_epoch(X, y, w, b, lr)`` -> ``(w (d,), b, updates)`` on two seeded cases:
    from random weights with lr = 0.5, then from zero weights with lr = 1 (X (12, 3), y (12,) in {0, 1})."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 3))
    y = np.r_[np.zeros(6, dtype=np.int64), np.ones(6, dtype=np.int64)][rng.permutation(12)]
    cases = [
        ("from random weights, lr = 0.5", rng.standard_normal(3), 0.7, 0.5),
        ("from w = 0, b = 0, lr = 1", np.zeros(3), 0.0, 1.0),
    ]  # from zero every point is on the boundary
    for where, w0, b0, lr in cases:
        w, b, updates = _unpack(attempt(perceptron_epoch, X, y, w0, b0, lr), ("w", "b", "mistakes"))
        w_ok, b_ok, n_ok = perceptron_epoch_variant(X, y, w0, b0, lr)
        w, b = as_array("w", w), as_array("b", b)
        if w.shape != w_ok.shape:
            raise Mistake(f"`w` has shape {w.shape}, expected {w_ok.shape}: keep w a flat vector of d weights.")
        if b.size != 1:
            raise Mistake(f"`b` should be a single number, got shape {b.shape}: the bias is one scalar.")
        mistakes = [
            (np.r_[w_bad, b_bad], hint)
            for variant, hint in _EPOCH_HINTS.items()
            for w_bad, b_bad, _ in [perceptron_epoch_variant(X, y, w0, b0, lr, variant)]
        ]
        compare(f"(w, b) {where}", np.r_[w, b.ravel()], np.r_[w_ok, b_ok], mistakes=mistakes)
        compare_scalar(
            f"mistakes {where}",
            updates,
            n_ok,
            mistakes=[(len(X), "You counted every example; count only the ones that caused an update.")],
        )
    return (
        "This is one epoch of Rosenblatt's rule. Repeat epochs until one makes no mistake: on linearly "
        "separable data that happens after at most (R/gamma)^2 updates from w = 0 (this is the loop "
        "inside lin.train_perceptron)."
    )


# ----------------------------------------------------------------------------- 02.2 XOR from OR and NAND


def _jittered_corners(rng: np.random.Generator, repeats: int = 6, jitter: float = 0.2):
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    base = np.tile(corners, (repeats, 1))
    return base, base + rng.uniform(-jitter, jitter, base.shape)


@exercise(
    "02.2",
    todo="Write `xor_by_hand` with three step neurons (pick their weights and biases), then run the cell below again.",
)
def check_xor_by_hand(xor_by_hand) -> str:
    """Check ``xor_by_hand(X)`` -> ``(h (N, 2), out (N,))`` on the four corners of the unit square, then on
    24 corners moved by up to 0.2 in each coordinate (seeded), where the answer must not change."""
    corners, jittered = _jittered_corners(np.random.default_rng(0))
    X = corners[:4]
    h, out = _unpack(attempt(xor_by_hand, X), ("h", "out"))
    h = as_array("h", h)
    if h.shape != (4, 2):
        raise Mistake(
            f"`h` has shape {h.shape}, expected (4, 2) for the four corners: the two hidden units "
            "side by side, h = np.c_[h_or, h_nand]."
        )
    a, c = X[:, 0] > 0.5, X[:, 1] > 0.5
    OR, AND, XOR = (a | c).astype(float), (a & c).astype(float), (a ^ c).astype(float)
    NAND = 1.0 - AND
    compare(
        "h[:, 0] (the OR unit)",
        h[:, 0],
        OR,
        mistakes=[
            (AND, "Your first hidden unit computes AND: OR fires as soon as one input is on, so lower its threshold."),
            (NAND, "The hidden units are swapped: return h = [OR, NAND] in that order."),
        ],
    )
    compare(
        "h[:, 1] (the NAND unit)",
        h[:, 1],
        NAND,
        mistakes=[
            (AND, "Your second hidden unit computes AND, not NAND (NOT AND): negate its weights and its bias."),
            (OR, "The hidden units are swapped or both compute OR: the second one is NAND."),
        ],
    )
    compare(
        "out",
        out,
        XOR,
        mistakes=[
            (
                np.ones(4),
                "Your output unit ORs the hidden units (OR or NAND is always true). "
                "XOR = OR AND NAND: the output fires only when both hidden units are on.",
            ),
            (1.0 - XOR, "Your output is inverted (XNOR): it should fire when exactly one input is on."),
            (OR, "Your output follows the OR unit alone: it must AND the two hidden units."),
        ],
        shape_hints={
            (4, 1): "out should be flat, shape (N,): take the neuron's output [:, 0] or give "
            "the output neuron a weight vector of shape (2,)."
        },
    )
    # Right on the exact corners; now points near them must get the same answer.
    h_near, out_near = _unpack(attempt(xor_by_hand, jittered), ("h", "out"))
    a, c = corners[:, 0] > 0.5, corners[:, 1] > 0.5
    want_h, want_out = np.c_[a | c, ~(a & c)].astype(float), (a ^ c).astype(float)
    h_near, out_near = as_array("h", h_near), as_array("out", out_near)
    if not (
        h_near.shape == want_h.shape
        and out_near.shape == want_out.shape
        and np.array_equal(h_near, want_h)
        and np.array_equal(out_near, want_out)
    ):
        raise Mistake(
            "Right on the exact corners, but wrong on points within 0.2 of them: a boundary passes "
            "exactly through a corner (step(0) = 1, so that corner sits on the boundary and a tiny "
            "nudge flips it). Put each threshold halfway between the points it separates, e.g. "
            "x1 + x2 = 0.5 for OR and x1 + x2 = 1.5 for NAND."
        )
    return (
        "Two lines (OR and NAND) map the four corners to a hidden space where one more line (AND) "
        "separates XOR, with every boundary well away from the points: this is the 2-2-1 network of "
        "section 6 with weights picked by hand."
    )


# ----------------------------------------------------------------------------- 02.3 collapse of linear layers


@exercise(
    "02.3", todo="Write `collapse`: return the A and c of the single linear layer, then run the cell below again."
)
def check_collapse(collapse) -> str:
    """Check ``collapse(W1 (3, 4), b1 (4,), W2 (4, 3), b2 (3,))`` -> ``(A (3, 3), c (3,))`` on seeded
    random weights (then (X W1 + b1) W2 + b2 = X A + c for every X)."""
    rng = np.random.default_rng(3)
    W1, b1, W2, b2 = (rng.standard_normal(s) for s in ((3, 4), (4,), (4, 3), (3,)))
    A, c = _unpack(attempt(collapse, W1, b1, W2, b2), ("A", "c"))
    compare(
        "A",
        A,
        W1 @ W2,
        mistakes=[
            (W2 @ W1, "You multiplied in the wrong order: X goes through W1 first, so A = W1 @ W2 (shape (d, k))."),
            ((W1 @ W2).T, "A is transposed: with X of shape (N, d), A must be (d, k) = W1 @ W2."),
        ],
    )
    compare(
        "c",
        c,
        b1 @ W2 + b2,
        mistakes=[
            (b2, "c misses the first layer's bias: b1 also passes through the second layer, so it arrives as b1 @ W2."),
            (b1 @ W2, "c misses the second layer's own bias b2."),
        ],
        shape_hints={None: "c is one bias per output, shape (k,)."},
    )
    return (
        "Any stack of linear layers is one linear layer, A = W1 W2 and c = b1 W2 + b2: "
        "depth adds nothing until a nonlinearity sits between the layers."
    )


# ----------------------------------------------------------------------------- 02.4 forward pass of the 2-2-1 net


@exercise(
    "02.4",
    todo="Write `forward_221`: the hidden layer with tanh, the output with a sigmoid, then run the cell below again.",
)
def check_forward_221(forward_221) -> str:
    """Check ``forward_221(X (N, 2), W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,))`` -> ``(h (N, 2), p (N,))``
    on seeded random weights and 10 random points."""
    rng = np.random.default_rng(4)
    X = rng.uniform(-1.5, 1.5, (10, 2))
    W1, b1, W2, b2 = (rng.standard_normal(s) for s in ((2, 2), (2,), (2, 1), (1,)))
    h, p = _unpack(attempt(forward_221, X, W1, b1, W2, b2), ("h", "p"))
    h_ok = np.tanh(X @ W1 + b1)
    compare(
        "h",
        h,
        h_ok,
        mistakes=[
            (
                X @ W1 + b1,
                "h has no activation: without tanh the network is linear again (section 5) and cannot solve XOR.",
            ),
            (
                np.tanh(X @ W1.T + b1),
                "You used W1 transposed (X @ W1.T is torch's nn.Linear layout, "
                "weight of shape (out, in)); here W1 is (in, out): X @ W1.",
            ),
            (sigmoid(X @ W1 + b1), "The hidden layer of this network uses tanh, not the sigmoid."),
        ],
    )
    p_ok = sigmoid(h_ok @ W2 + b2)[:, 0]
    compare(
        "p",
        p,
        p_ok,
        mistakes=[
            (
                (h_ok @ W2 + b2)[:, 0],
                "p is the output's logit: squash it with the sigmoid, "
                "p = 1 / (1 + exp(-(h W2 + b2))), to get P(y = 1).",
            ),
            (
                np.tanh(h_ok @ W2 + b2)[:, 0],
                "The output uses tanh, which can be negative: a probability needs the sigmoid.",
            ),
        ],
        shape_hints={(len(X), 1): "p should be flat, one probability per point, shape (N,): take [:, 0]."},
    )
    return (
        "The hidden layer h = tanh(X W1 + b1) is the hidden space of section 6, where the output unit "
        "is just a line; the sigmoid turns that line's score into P(y = 1)."
    )


# ----------------------------------------------------------------------------- 02.5 activation derivatives


@exercise("02.5", todo="Write `sigmoid_tanh_derivatives` from the table, then run the cell below again.")
def check_sigmoid_tanh_derivatives(sigmoid_tanh_derivatives) -> str:
    """Check ``sigmoid_tanh_derivatives(x (N,))`` -> ``(d_sigmoid (N,), d_tanh (N,))`` on 20 seeded
    points in [-4, 4] against the exact derivatives."""
    x = np.random.default_rng(5).uniform(-4, 4, 20)
    d_sigmoid, d_tanh = _unpack(attempt(sigmoid_tanh_derivatives, x), ("d_sigmoid", "d_tanh"))
    s, t = sigmoid(x), np.tanh(x)
    input_hint = (
        "You applied the table's formula to x itself: f(x) in the table means the activation's "
        "output, so compute f = {} first, then {}."
    )
    compare(
        "d_sigmoid",
        d_sigmoid,
        s * (1 - s),
        mistakes=[
            (x * (1 - x), input_hint.format("sigmoid(x)", "f * (1 - f)")),
            (s, "That is the sigmoid itself, not its derivative f(x)(1 - f(x))."),
            (s * (1 + s), "Sign slip: the derivative is f(x)(1 - f(x))."),
        ],
    )
    compare(
        "d_tanh",
        d_tanh,
        1 - t**2,
        mistakes=[
            (1 - x**2, input_hint.format("tanh(x)", "1 - f**2")),
            (1 - t, "You forgot the square: the derivative of tanh is 1 - tanh(x)**2."),
            (t, "That is tanh itself, not its derivative 1 - tanh(x)**2."),
        ],
    )
    return (
        "Both derivatives are written with the function's own output (sigma(1 - sigma), 1 - tanh^2), "
        "so backpropagation can reuse the values saved in the forward pass (notebook 03)."
    )


# ----------------------------------------------------------------------------- typical mistakes (tests use them)

MISTAKES = {
    "02.1": [
        (
            """def perceptron_epoch(X, y, w, b, lr=1.0):
    s = 2 * y - 1
    w, b, mistakes = w.astype(float), float(b), 0
    for x_i, s_i in zip(X, s):
        w = w + lr * s_i * x_i
        b = b + lr * s_i
        mistakes += 1
    return w, b, mistakes
""",
            "only when the example is misclassified",
        ),
        (
            """def perceptron_epoch(X, y, w, b, lr=1.0):
    s = 2 * y - 1
    w, b, mistakes = w.astype(float), float(b), 0
    for x_i, s_i in zip(X, s):
        if s_i * (x_i @ w + b) <= 0:
            w = w + lr * s_i * x_i
            mistakes += 1
    return w, b, mistakes
""",
            "the bias is learned too",
        ),
        (
            """def perceptron_epoch(X, y, w, b, lr=1.0):
    w, b, mistakes = w.astype(float), float(b), 0
    for x_i, y_i in zip(X, y):
        if y_i * (x_i @ w + b) <= 0:
            w = w + lr * y_i * x_i
            b = b + lr * y_i
            mistakes += 1
    return w, b, mistakes
""",
            "s = 2y - 1",
        ),
        (
            """def perceptron_epoch(X, y, w, b, lr=1.0):
    s = 2 * y - 1
    w, b, mistakes = w.astype(float), float(b), 0
    for x_i, s_i in zip(X, s):
        if s_i * (x_i @ w + b) <= 0:
            w = w - lr * s_i * x_i
            b = b - lr * s_i
            mistakes += 1
    return w, b, mistakes
""",
            "wrong sign",
        ),
        (
            """def perceptron_epoch(X, y, w, b, lr=1.0):
    s = 2 * y - 1
    w, b, mistakes = w.astype(float), float(b), 0
    for x_i, s_i in zip(X, s):
        if s_i * (x_i @ w + b) < 0:
            w = w + lr * s_i * x_i
            b = b + lr * s_i
            mistakes += 1
    return w, b, mistakes
""",
            "use <= 0",
        ),
        (
            """def perceptron_epoch(X, y, w, b, lr=1.0):
    s = 2 * y - 1
    wrong = s * (X @ w + b) <= 0
    w = w + lr * (s[wrong, None] * X[wrong]).sum(axis=0)
    b = b + lr * s[wrong].sum()
    return w, b, int(wrong.sum())
""",
            "The rule is online",
        ),
    ],
    "02.2": [
        (
            """def xor_by_hand(X):
    h = np.c_[neuron(X, [1, 1], -0.5), neuron(X, [1, 1], -1.5)]
    return h, neuron(h, [1, 1], -1.5)
""",
            "computes AND, not NAND",
        ),
        (
            """def xor_by_hand(X):
    h = np.c_[neuron(X, [1, 1], -1), neuron(X, [-1, -1], 1.5)]
    return h, neuron(h, [1, 1], -1.5)
""",
            "exactly through a corner",
        ),
        (
            """def xor_by_hand(X):
    h = np.c_[neuron(X, [1, 1], -0.5), neuron(X, [-1, -1], 1.5)]
    return h, neuron(h, [1, 1], -0.5)
""",
            "Your output unit ORs",
        ),
    ],
    "02.3": [
        (
            """def collapse(W1, b1, W2, b2):
    return W2 @ W1, b1 @ W2 + b2
""",
            "wrong order",
        ),
        (
            """def collapse(W1, b1, W2, b2):
    return W1 @ W2, b2
""",
            "misses the first layer's bias",
        ),
        (
            """def collapse(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2
""",
            "second layer's own bias",
        ),
    ],
    "02.4": [
        (
            """def forward_221(X, W1, b1, W2, b2):
    h = X @ W1 + b1
    return h, 1 / (1 + np.exp(-(h @ W2 + b2)))[:, 0]
""",
            "h has no activation",
        ),
        (
            """def forward_221(X, W1, b1, W2, b2):
    h = np.tanh(X @ W1.T + b1)
    return h, 1 / (1 + np.exp(-(h @ W2 + b2)))[:, 0]
""",
            "W1 transposed",
        ),
        (
            """def forward_221(X, W1, b1, W2, b2):
    h = np.tanh(X @ W1 + b1)
    return h, (h @ W2 + b2)[:, 0]
""",
            "squash it with the sigmoid",
        ),
        (
            """def forward_221(X, W1, b1, W2, b2):
    h = np.tanh(X @ W1 + b1)
    return h, 1 / (1 + np.exp(-(h @ W2 + b2)))
""",
            "take [:, 0]",
        ),
    ],
    "02.5": [
        (
            """def sigmoid_tanh_derivatives(x):
    return x * (1 - x), 1 - x ** 2
""",
            "applied the table's formula to x itself",
        ),
        (
            """def sigmoid_tanh_derivatives(x):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s), 1 - np.tanh(x)
""",
            "forgot the square",
        ),
    ],
}


# ----------------------------------------------------------------------------- self-check questions

QUIZZES = {
    "02.q1": Quiz(
        question="In the 2-2-1 network, replace tanh by the identity f(z) = z. What is the best accuracy "
        "it can reach on the four XOR points?",
        options={
            "a": "100 %: two hidden units are enough for XOR",
            "b": "75 %",
            "c": "50 %: no better than guessing",
            "d": "100 %, but only with 3 or more hidden units",
        },
        answer="b",
        explanations={
            "a": "Without a nonlinearity the two layers collapse into one linear layer (section 5), "
            "and no line classifies all four XOR points (section 4).",
            "b": "The network is X A + c, a single line, and the best line gets 3 of the 4 points.",
            "c": "A line does better than guessing, e.g. 'x1 + x2 >= 0.5' gets three of the four "
            "points right. But can any line get all four?",
            "d": "Width does not help, any number of linear hidden units still collapses to one linear layer.",
        },
    ),
    "02.q2": Quiz(
        question="How many parameters (weights and biases together) has a fully connected 2-3-1 network "
        "(2 inputs, 3 hidden units, 1 output)?",
        answer=13.0,
        tolerance=1e-9,
        explanations={
            "right": "The hidden layer has 2 x 3 weights + 3 biases = 9, the output "
            "3 x 1 + 1 = 4. In general a layer with n inputs and m outputs has (n + 1) m."
        },
        wrong="Count layer by layer: a layer with n inputs and m outputs has n x m weights and m biases.",
    ),
    "02.q3": Quiz(
        question="One hidden layer of ReLU units, then a linear output unit thresholded at 0. What is the "
        "smallest number of hidden units for which the region classified as 'inner class' can be "
        "a bounded patch around the origin, as the inner ring of `circles` needs?",
        answer=3.0,
        tolerance=1e-9,
        explanations={
            "right": "The output is linear on each piece that the units' kink lines cut "
            "out of the plane. With one or two lines every piece is unbounded, and there is "
            "always a direction in which the output stays constant or keeps growing, so a "
            "positive patch reaches out to infinity. Three lines can close one: "
            "1 - relu(a1.x) - relu(a2.x) - relu(a3.x) with unit vectors a1, a2, a3 at 120 "
            "degrees is positive only on a bounded patch around the origin (a hexagon). "
            "Try `circles` with 'relu' and 2, then 3 units in the playground."
        },
        wrong="Each ReLU unit contributes one straight line (its kink). What is the fewest lines that can "
        "enclose a patch?",
    ),
}

quiz = quizzes(QUIZZES)
