"""Notebook 03's whole model: 03.6 the network's loss and gradients (see the package; 03.7 is in ``gradcheck``)."""

from __future__ import annotations

import numpy as np

from ... import layers
from .. import (
    HINT,
    Case,
    Exercise,
    Mistake,
    Typical,
    accepted,
    compare,
    compare_scalar,
    edited,
    verdict,
)
from .common import NOTEBOOK
from .pieces import check_affine_backward, check_softmax_cross_entropy

# ----------------------------------------------------------------------------- 03.6 the whole network

PARAMS = ("W1", "b1", "W2", "b2")


def two_layer_loss_and_grads(params, X, y):
    """The reference network of section 6: affine -> ReLU -> affine -> mean softmax cross-entropy, built from
    ``course_utils.layers``; returns ``(loss, grads)`` with ``grads`` a dict shaped like ``params``. What the
    notebook trains with until the student's 03.6 is accepted (``check_loss_and_grads.solution``)."""
    z, c1 = layers.affine_forward(X, params["W1"], params["b1"])
    h, c2 = layers.relu_forward(z)
    scores, c3 = layers.affine_forward(h, params["W2"], params["b2"])
    loss, dscores = layers.softmax_cross_entropy(scores, y)
    dh, dW2, db2 = layers.affine_backward(dscores, c3)
    _, dW1, db1 = layers.affine_backward(layers.relu_backward(dh, c2), c1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def autograd_loss_and_grads(params, X, y):
    """The same network in torch (float64), differentiated by autograd: what 03.6 is checked against."""
    import torch
    import torch.nn.functional as F

    t = {k: torch.tensor(np.asarray(params[k], dtype=np.float64), requires_grad=True) for k in PARAMS}
    scores = torch.relu(torch.tensor(np.asarray(X, dtype=np.float64)) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    loss = F.cross_entropy(scores, torch.tensor(np.asarray(y), dtype=torch.int64))
    loss.backward()
    return loss.item(), {k: t[k].grad.numpy() for k in PARAMS}


class _Model(Case):
    """``args``: (params, X, y). The outcome: (loss, grads['W1'], grads['b1'], grads['W2'], grads['b2']), after
    checking that params came back unchanged and that grads is a dict with the keys of params."""

    def call(self, fn):
        params, X, y = self.args
        given = {k: v.copy() for k, v in params.items()}
        out = fn(given, X.copy(), y.copy())
        if out is None:
            return None
        changed = [k for k in PARAMS if not np.array_equal(np.asarray(given[k], dtype=np.float64), params[k])]
        if changed:
            raise Mistake(
                f"loss_and_grads changed params[{changed[0]!r}]: it only computes the loss and the gradients; "
                "the training loop makes the step."
            )
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            raise Mistake("return a tuple (loss, grads), with grads a dict with the keys of params: W1, b1, W2, b2.")
        loss, grads = out
        missing = [k for k in PARAMS if k not in grads]
        if missing:
            raise Mistake(
                f"grads has no {', '.join(repr(k) for k in missing)}: one gradient per parameter, "
                "under the same key as in params."
            )
        return (loss, *(grads[k] for k in PARAMS))


def _model_cases():
    rng = np.random.default_rng(306)
    D, H, C = 3, 5, 4  # all different, so that a transpose shows as a wrong shape
    params = {
        "W1": rng.standard_normal((D, H)),
        "b1": 0.1 * rng.standard_normal(H),
        "W2": rng.standard_normal((H, C)),
        "b2": 0.1 * rng.standard_normal(C),
    }
    cases = []
    for n, label in [(7, "on a batch of 7"), (11, "on a batch of 11")]:
        X, y = rng.standard_normal((n, D)), rng.integers(0, C, n)
        cases.append(_Model(label, (params, X, y)))
    return cases


_LOSS = "loss, dscores = softmax_cross_entropy(scores, y)"


def _inline_loss(axis: int = 1, dscores: str = "(p - np.eye(p.shape[1])[y]) / len(y)") -> str:
    """The loss and dscores written out in numpy instead of calling softmax_cross_entropy."""
    keep = ", keepdims=True" if axis == 1 else ""
    return (
        f"e = np.exp(scores - scores.max(axis={axis}{keep}))\np = e / e.sum(axis={axis}{keep})\n"
        f"loss = -np.log(p[np.arange(len(y)), y]).mean()\ndscores = {dscores}"
    )


def _net(
    loss: str = _LOSS,
    back2: str = "dh, dW2, db2 = affine_backward(dscores, (h, W2))",
    relu: str = "dz = dh * (z > 0)",
    cache1: str = "(X, W1)",
) -> str:
    """The body of loss_and_grads with these lines (by default the right ones)."""
    return (
        'W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]\n'
        "z = X @ W1 + b1\nh = np.maximum(z, 0)\nscores = h @ W2 + b2\n"
        f"{loss}\n{back2}\n{relu}\n_, dW1, db1 = affine_backward(dz, {cache1})\n"
        'return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}'
    )


NO_MASK = _net(relu="dz = dh")  # the notebook's broken network for 03.7's interpretation


def _explain_model(where, got, expected, shape_hints, exercise):
    """Which parts are right and which are wrong, and from that where the error sits; then by how much."""
    names = ["loss", *(f"grads[{k!r}]" for k in PARAMS)]
    right, wrong, detail = [], [], ""
    for name, part, ref in zip(names, got, expected):
        try:
            if name == "loss":
                compare_scalar(name, part, float(ref), rtol=exercise.rtol, atol=exercise.atol)
            else:
                compare(name, part, ref, rtol=exercise.rtol, atol=exercise.atol)
            right.append(name)
        except Mistake as m:
            wrong.append(name)
            detail = detail or str(m)
    if not wrong:
        return
    if "loss" in wrong:
        where_to_look = (
            "the loss is wrong, so look at the forward pass: relu(X @ W1 + b1) @ W2 + b2, then the mean cross-entropy."
        )
    elif {"grads['W2']", "grads['b2']"} & set(wrong):
        where_to_look = (
            "the loss is right; the output layer's gradients are not: look at dscores and the second affine backward."
        )
    else:
        where_to_look = (
            "the loss and the output layer's gradients are right, so dscores is: the error is on the way back "
            "through the ReLU or the first affine layer."
        )
    raise Mistake(f"{where} {', '.join(wrong)} wrong, {', '.join(right) or 'nothing'} right: {where_to_look} {detail}")


class _WholeModel(Exercise):
    @property
    def solution(self):
        """The numpy reference (autograd is what it is checked against; numpy is what trains fast)."""
        return two_layer_loss_and_grads

    def check(self, fn, affine_backward=None, softmax_cross_entropy=None) -> None:
        """The verdict; on a hint, a note on each of the student's own pieces that its check does not accept yet."""
        out = verdict(self.eid, self.todo, self.diagnose, fn)
        if out.startswith(f"[{self.eid}] {HINT}"):
            for name, piece, check in [
                ("affine_backward", affine_backward, check_affine_backward),
                (
                    "softmax_cross_entropy",
                    softmax_cross_entropy,
                    check_softmax_cross_entropy,
                ),
            ]:
                if piece is not None and not accepted(check, piece):
                    out += (
                        f" Note: your {name} ({check.eid}) is not accepted by its check yet; if loss_and_grads "
                        f"calls it, fix it first (or call layers.{name} meanwhile)."
                    )
        print(out)


check_loss_and_grads = _WholeModel(
    "03.6",
    "def loss_and_grads(params, X, y):",
    todo="Write loss_and_grads(params, X, y): the forward pass relu(X @ W1 + b1) @ W2 + b2, the mean softmax "
    "cross-entropy, and the backward pass; return (loss, grads) with grads a dict with the keys of params.",
    cases=_model_cases,
    reference=autograd_loss_and_grads,
    typical=[
        Typical(
            NO_MASK,
            "the ReLU mask is missing: the gradient passes the ReLU only where its input was positive, "
            "dz = dh * (z > 0).",
        ),
        Typical(
            _net(relu="dz = dh * h"),
            "you multiplied dh by the ReLU's output h; its derivative is the 0/1 mask of the active units: "
            "dz = dh * (z > 0).",
        ),
        Typical(
            _net(relu="dz = dh * (dh > 0)"),
            "the mask comes from the forward pass (which units were active, z > 0), not from the sign of the "
            "gradient dh.",
        ),
        Typical(
            edited(NO_MASK, ("h = np.maximum(z, 0)", "h = z")),
            "there is no ReLU: with h = z the two affine layers make one linear map. Apply h = np.maximum(z, 0) "
            "in the forward pass, and its mask dz = dh * (z > 0) on the way back.",
        ),
        Typical(
            _net(back2="dh, dW2, db2 = affine_backward(dscores, (z, W2))"),
            "the output layer's input was h = relu(z), not z: its backward needs the cache (h, W2), so that "
            "dW2 = h.T @ dscores.",
        ),
        Typical(
            _net(cache1="(h, W1)"),
            "the first layer's input is X: its backward needs the cache (X, W1), not (h, W1); dW1 came out "
            "with the wrong shape.",
        ),
        Typical(
            _net(loss=_inline_loss(axis=0)),
            "softmax normalises each row (one sample's C scores): take the max and the sum over axis=1 with "
            "keepdims=True, not over axis=0.",
        ),
        Typical(
            _net(loss=_inline_loss(dscores="p / len(y)")),
            "subtract the one-hot of the labels: dscores = (p - onehot(y)) / N.",
        ),
        Typical(
            _net(loss=_inline_loss(dscores="p - np.eye(p.shape[1])[y]")),
            "every gradient is N times too large: the loss is the mean over the N samples, so dscores = "
            "(p - onehot(y)) / N.",
        ),
        Typical(
            _net(back2="dh, dW2, db2 = dscores @ W2, h.T @ dscores, dscores.sum(axis=0)"),
            "dscores @ W2 does not fit: W2 is (H, C), and the gradient goes back through its transpose, "
            "dh = dscores @ W2.T.",
        ),
        Typical(
            _net(back2="dh, dW2, db2 = dscores @ W2.T, h.T @ dscores, dscores.sum(axis=1)"),
            "db2 has one entry per class: sum dscores over the N rows (axis=0), not over axis=1.",
        ),
    ],
    confirmation="the same loss and gradients as torch's autograd in float64. Backprop is the layers' backward "
    "passes called in reverse order, each handing its dx to the layer before.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_model,
    quiet=True,  # a wrong softmax may overflow: the hint says what is wrong, numpy's warning would be noise
)
