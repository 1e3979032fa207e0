"""Notebook 07's autoencoders: 07.1 PCA as the linear autoencoder and 07.2 the autoencoder, checked step by step."""

from __future__ import annotations

import copy
import functools
import io
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout

import numpy as np
import torch
from torch import nn

from ...runtime import keeps_global_rng
from .. import (
    Exercise,
    LeavesInputs,
    Mistake,
    NotAttempted,
    Typical,
    compare,
    compare_scalar,
    edited,
    exercise,
    flat,
    parts,
)
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 07.1 PCA


_IN_PLACE = "Compute new arrays, Z = (X - mu) @ W, and leave the arguments as they are."


def _pca_cases():
    """Data X (n, d) with a non-zero mean, its mean mu (d,) and top-k directions W (d, k)."""
    cases = []
    for seed, n, d, k in [(7, 40, 6, 2), (8, 25, 5, 3)]:
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.uniform(1.0, 3.0, size=d)
        mu = X.mean(axis=0)
        W = np.linalg.svd(X - mu, full_matrices=False)[2][:k].T  # (d, k), orthonormal columns
        cases.append(
            LeavesInputs(f"(N = {n}, k = {k})", (X, mu, W), names=("X", "mu", "W"), how="X -= mu", instead=_IN_PLACE)
        )
    return cases


_CODE_SHAPE = "Z is (N, k): one row of k code numbers per sample, i.e. (X - mu) @ W, not W.T @ (X - mu).T."

check_pca_code_and_reconstruction = Exercise(
    "07.1",
    "def pca_code_and_reconstruction(X, mu, W):",
    todo="Write pca_code_and_reconstruction(X, mu, W): centre, project onto W, map back.",
    cases=_pca_cases,
    reference="Z = (X - mu) @ W\nreturn Z, mu + Z @ W.T",
    typical=[
        Typical(
            "Z = X @ W\nreturn Z, mu + Z @ W.T",
            "You projected X without centring it: the code is z = W^T (x - mu), subtract the mean mu first.",
        ),
        Typical("Z = (X - mu) @ W\nreturn Z, Z @ W.T", "You forgot to add the mean back: x_hat = mu + W z."),
        Typical(
            "Z = (X - mu) @ W\nreturn Z, mu + X @ W @ W.T",
            "Reconstruct from the centred code: x_hat = mu + W W^T (x - mu).",
        ),
        Typical("Z = W.T @ (X - mu).T\nreturn Z, mu + (W @ Z).T", _CODE_SHAPE),
        Typical(
            "Z = (X - mu) @ W\nreturn mu + Z @ W.T, Z",
            "You returned the reconstructions first: the stub returns (Z, X_hat), the codes first.",
        ),
    ],
    confirmation="z = W^T (x - mu) and x_hat = mu + W z are one linear encoder and one linear decoder: PCA is "
    "the best such 2-number code, the baseline the nonlinear autoencoder has to beat.",
    namespace=NOTEBOOK,
    result="",
    shape_hints=lambda case: {(case.args[2].shape[1], len(case.args[0])): _CODE_SHAPE},
    explain=parts("Z", "X_hat", missing="Return the two arrays (Z, X_hat): the codes and the reconstructions."),
)

# ----------------------------------------------------------------------------- 07.2 the autoencoder (step by step)

_AE = '''class DigitAutoencoder(nn.Module):
    """x (B, n_in) -> code z (B, n_code) -> reconstruction x_hat (B, n_in)."""

    def __init__(self, n_in=64, n_hidden=128, n_code=2):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_code))
        self.decoder = nn.Sequential(nn.Linear(n_code, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_in))

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x))


def train_step(model, x, optimizer):
    optimizer.zero_grad()
    x_hat = model(x)
    loss = F.mse_loss(x_hat, x)
    loss.backward()
    optimizer.step()
    return loss.item()
'''
_ENCODER = "nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_code))"
_DECODER = "nn.Sequential(nn.Linear(n_code, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_in))"
_LINEAR = (
    "Your network is linear: without a nonlinearity after the hidden layer, f(a + b) = f(a) + f(b) - f(0), and "
    "a chain of linear layers is one linear map of rank 2, i.e. PCA at best. Put nn.ReLU() after each hidden "
    "Linear layer."
)
_NO_HIDDEN = (
    "The stub asks for a hidden layer on each side: the encoder n_in -> n_hidden -> n_code and the decoder "
    "n_code -> n_hidden -> n_in (two Linear layers each, with a nonlinearity between them)."
)
_BOTTLENECK = (
    "The code must have n_code = 2 numbers per sample: the encoder ends in nn.Linear(n_hidden, n_code) and the "
    "decoder starts with nn.Linear(n_code, n_hidden)."
)
_N_CODE = (
    "Your code width is fixed at 2: built with n_code = 16 (the notebook does, in section 2), your model still "
    "encodes to 2 numbers or decodes from 2. Use the argument n_code in both nn.Linear(n_hidden, n_code) and "
    "nn.Linear(n_code, n_hidden), not the number 2."
)
_SIGMOID = (
    "Your decoder's outputs all lie in (0, 1), as after a sigmoid: the inputs here are centred, with negative "
    "pixels too, which a sigmoid can never reproduce. Leave the decoder's last Linear layer without an activation."
)
_RELU_OUT = (
    "Your decoder's outputs are never negative, as after a ReLU on the last layer: centred inputs have negative "
    "entries, which it clips to 0. Leave the decoder's last Linear layer without an activation."
)
_SIZES = (
    "Your layer sizes are fixed numbers: built as DigitAutoencoder(n_in=10, n_hidden=32), your model does not map "
    "10 inputs through 32 hidden units back to 10. Use the arguments n_in and n_hidden in the nn.Linear layers, "
    "not the numbers 64 and 128."
)
_OUT_ACTIVATION = (
    "Your decoder ends in an activation, which squashes every reconstruction into its range: end the decoder with "
    "its last nn.Linear layer, without an activation, as the stub says."
)
_CODE_ACTIVATION = (
    "Your encoder ends in an activation, which clips or squashes the code (a ReLU there sets code numbers to 0, and "
    "a 2-number code cannot spare them): end the encoder with nn.Linear(n_hidden, n_code), without an activation."
)
_CODE_LOSS = (
    "The loss compares the code with the input: the MSE is between the RECONSTRUCTION model(x) (B, 64) and the "
    "input x (B, 64), not the code z (B, 2)."
)
_NO_ZERO = (
    "Gradients left over from before were added to this step's: call optimizer.zero_grad() first, before "
    "loss.backward()."
)
_ZERO_LATE = (
    "You clear the gradients only after the step, so gradients already stored when train_step starts are "
    "added to this step's: call optimizer.zero_grad() at the start, before loss.backward()."
)
_STEP_FIRST = (
    "The parameters did not change: optimizer.step() uses the gradients that loss.backward() stores, so call "
    "it after loss.backward()."
)
_NO_STEP = (
    "The parameters did not change: optimizer.step() was never called. After loss.backward(), call "
    "optimizer.step() to update the weights."
)
_ZERO_BETWEEN = (
    "The parameters did not change: optimizer.zero_grad() ran between loss.backward() and optimizer.step() and "
    "cleared the gradients the step needs. Clear them at the start of train_step, before loss.backward()."
)
_NO_GRAPH = (
    "the loss has no graph to backpropagate through: it was computed under torch.no_grad() or from a .detach()ed "
    "output. Compute x_hat = model(x) and the loss with autograd on, so that the gradients reach the weights."
)
_SUM = (
    "Your loss is the SUM of the squared errors, B * 64 times the mean: use the mean squared error, "
    "F.mse_loss(x_hat, x), so that the step size does not depend on the batch size."
)
_AE_MISTAKES = [  # the solution's cell as a student edits it: the check reproduces each to recognise it
    Typical(
        edited(_AE, (_ENCODER, _ENCODER.replace(" nn.ReLU(),", "")), (_DECODER, _DECODER.replace(" nn.ReLU(),", ""))),
        _LINEAR,
    ),
    Typical(edited(_AE, (_ENCODER, "nn.Linear(n_in, n_code)"), (_DECODER, "nn.Linear(n_code, n_in)")), _NO_HIDDEN),
    Typical(
        edited(
            _AE,
            (_ENCODER, "nn.Sequential(nn.Linear(n_in, n_code), nn.ReLU(), nn.Linear(n_code, n_hidden))"),
            (_DECODER, "nn.Sequential(nn.Linear(n_hidden, n_code), nn.ReLU(), nn.Linear(n_code, n_in))"),
        ),
        _BOTTLENECK,
    ),
    Typical(
        edited(_AE, (_ENCODER, _ENCODER.replace("n_code))", "2))")), (_DECODER, _DECODER.replace("(n_code,", "(2,"))),
        _N_CODE,
    ),
    Typical(edited(_AE, (_DECODER, _DECODER[:-1] + ", nn.Sigmoid())")), _SIGMOID),
    Typical(edited(_AE, (_DECODER, _DECODER[:-1] + ", nn.ReLU())")), _RELU_OUT),
    Typical(edited(_AE, (_DECODER, _DECODER[:-1] + ", nn.Tanh())")), _OUT_ACTIVATION),
    Typical(edited(_AE, (_ENCODER, _ENCODER[:-1] + ", nn.ReLU())")), _CODE_ACTIVATION),
    Typical(
        edited(
            _AE,
            (_ENCODER, "nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, n_code))"),
            (_DECODER, "nn.Sequential(nn.Linear(n_code, 128), nn.ReLU(), nn.Linear(128, 64))"),
        ),
        _SIZES,
    ),
    Typical(edited(_AE, ("x_hat = model(x)", "x_hat = model.encode(x)")), _CODE_LOSS),
    Typical(edited(_AE, ("    optimizer.zero_grad()\n", "")), _NO_ZERO),
    Typical(
        edited(_AE, ("    optimizer.zero_grad()\n", ""), ("step()\n", "step()\n    optimizer.zero_grad()\n")),
        _ZERO_LATE,
    ),
    Typical(
        edited(
            _AE,
            ("    optimizer.zero_grad()\n", ""),
            ("loss.backward()\n", "loss.backward()\n    optimizer.zero_grad()\n"),
        ),
        _ZERO_BETWEEN,
    ),
    Typical(
        edited(_AE, ("    loss.backward()\n    optimizer.step()\n", "    optimizer.step()\n    loss.backward()\n")),
        _STEP_FIRST,
    ),
    Typical(edited(_AE, ("F.mse_loss(x_hat, x)", "((x_hat - x) ** 2).sum()")), _SUM),
]
STEPWISE = {"07.2": ("DigitAutoencoder", _AE_MISTAKES)}


def _cell(code: str) -> tuple[type, Callable]:
    """The class and the training step that ``code`` (the student's cell) defines."""
    scope = dict(NOTEBOOK)
    exec(code, scope)  # noqa: S102 - the course's own code
    return scope["DigitAutoencoder"], scope["train_step"]


_REFERENCE = _cell(_AE)


def _centred_digits(n: int = 256) -> torch.Tensor:
    """(n, 64) training digits minus their mean: pixels of either sign."""
    from ...datasets import digits_tensors

    X = digits_tensors().X_train.reshape(-1, 64)[:n]
    return X - X.mean(dim=0)


@keeps_global_rng
def _build(model_class, seed: int = 0, **sizes):
    torch.manual_seed(seed)
    return model_class(**sizes)


def _honours_n_code(model_class, x: torch.Tensor, n_code: int = 16) -> bool:
    """Built with ``n_code``, the model encodes x to (B, n_code) codes and decodes such codes to (B, 64)."""
    try:
        wide = _build(model_class, n_code=n_code)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z = wide.encode(x)
            return tuple(z.shape) == (len(x), n_code) and tuple(wide.decode(z).shape) == tuple(x.shape)
    except Exception:  # noqa: BLE001 - a shape error is the answer "no"
        return False


def _honours_sizes(model_class) -> bool:
    """Built with n_in = 10 and n_hidden = 32, the model maps (B, 10) inputs to (B, 10) and has a layer of 32 units."""
    try:
        small = _build(model_class, n_in=10, n_hidden=32)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = small(torch.zeros(4, 10))
        widths = {m.out_features for m in small.modules() if isinstance(m, nn.Linear)}
        return tuple(out.shape) == (4, 10) and 32 in widths
    except Exception:  # noqa: BLE001 - a shape error is the answer "no"
        return False


def _affine(f, x: torch.Tensor) -> bool:
    """``f`` is affine on these inputs, scaled up and flipped too (so that every ReLU switches somewhere):
    f(a + b) = f(a) + f(b) - f(0)."""
    x = torch.cat([x, -x, 4 * x, -4 * x])
    a, b = x, x.roll(1, dims=0)
    with torch.no_grad():
        lhs, rhs = f(a + b), f(a) + f(b) - f(torch.zeros_like(a))
    return bool(torch.allclose(lhs, rhs, rtol=1e-4, atol=1e-5))


def _n_linear(module) -> int:
    return sum(isinstance(m, nn.Linear) for m in module.modules()) if isinstance(module, nn.Module) else 0


def _step_outcome(step, model: nn.Module, x: torch.Tensor):
    """What ``step`` does to a copy of ``model`` (with left-over gradients 0.5) and an SGD optimiser:
    (the loss it returns, the parameters after it, whether gradients are left, whether optimizer.step() ran), or the
    exception it raises."""
    model = copy.deepcopy(model)
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    stepped = []
    opt.register_step_pre_hook(lambda *_: stepped.append(True))
    try:
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # mse_loss warns before it raises on mismatched shapes
            loss = step(model, x.clone(), opt)
    except Exception as e:  # noqa: BLE001 - an outcome like any other
        return e
    left = any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    return loss, flat(model), left, bool(stepped)


@keeps_global_rng
def _trained_error(model_class, step, X: torch.Tensor, steps: int = 100) -> float:
    """Reconstruction MSE on ``X`` after ``steps`` full-batch Adam steps (lr 0.01) from seed 0."""
    model = _build(model_class)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    with redirect_stdout(io.StringIO()):
        for _ in range(steps):
            step(model, X, opt)
    with torch.no_grad():
        return float(((model(X) - X) ** 2).mean())


_REFERENCE_ERROR: dict[str, float] = {}


def _one_thread(fn):
    """Run ``fn`` with one torch thread (then the caller's number again): the check's tiny networks are fastest so,
    also where the notebook's ``set_cpu_threads(1)`` has not run (a test)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper


@exercise("07.2", todo="Write DigitAutoencoder's encoder and decoder and train_step(model, x, optimizer).")
@_one_thread
def check_autoencoder(DigitAutoencoder, train_step=None) -> str:
    """Checks the class (a 2-unit code, hidden layers, layer sizes that follow n_code, n_in and n_hidden, nonlinear,
    an encoder and a decoder that end in a Linear layer, an unclipped output) and ``train_step(model, x, optimizer)
    -> loss`` (one step on a copy with left-over gradients, compared with the reference's step and each typical
    mistake's), then both together: the reconstruction error after 100 Adam steps on centred digits within 1.3 times
    the reference's. ``train_step`` defaults to the one defined in the class's cell."""
    if train_step is None:
        train_step = getattr(DigitAutoencoder.__init__, "__globals__", {}).get("train_step")
    X = _centred_digits()
    model = _build(DigitAutoencoder)
    if getattr(model, "encoder", None) is None or getattr(model, "decoder", None) is None:
        outcome = None if train_step is None else _step_outcome(train_step, _build(_REFERENCE[0]), X[:32])
        if outcome is None or (not isinstance(outcome, Exception) and outcome[0] is None):
            raise NotAttempted
        raise Mistake("train_step runs, but self.encoder and self.decoder are still None: build them in __init__.")
    x = X[:32]
    with torch.no_grad():
        z, x_hat = model.encode(x), model(x)
    if tuple(z.shape) != (32, 2):
        raise Mistake(f"encode(x) has shape {tuple(z.shape)} for x of shape (32, 64). {_BOTTLENECK}")
    if tuple(x_hat.shape) != (32, 64):
        raise Mistake(
            f"model(x) has shape {tuple(x_hat.shape)}, expected (32, 64): the decoder must end in n_in = 64 outputs."
        )
    if _n_linear(model.encoder) < 2 or _n_linear(model.decoder) < 2:
        raise Mistake(_NO_HIDDEN)
    if not _honours_n_code(DigitAutoencoder, x):
        raise Mistake(_N_CODE)
    if not _honours_sizes(DigitAutoencoder):
        raise Mistake(_SIZES)
    for part, f, inputs in [
        ("encoder", model.encode, x),
        ("decoder", model.decode, 2 * torch.randn(32, 2, generator=torch.Generator().manual_seed(2))),
    ]:
        if _affine(f, inputs):
            raise Mistake(
                _LINEAR
                if _affine(model, x)
                else f"Your {part} is linear, f(a + b) = f(a) + f(b) - f(0): put a nonlinearity such as nn.ReLU() "
                f"after its hidden layer; with a linear {part} the autoencoder is little better than PCA."
            )
    with torch.no_grad():
        out = model.decode(4 * torch.randn(256, 2, generator=torch.Generator().manual_seed(1)))
    if out.min() >= 0:
        raise Mistake(_SIGMOID if out.max() <= 1 and out.min() > 0 else _RELU_OUT)
    for part, hint in [(model.decoder, _OUT_ACTIVATION), (model.encoder, _CODE_ACTIVATION)]:
        last = part[-1] if isinstance(part, nn.Sequential) and len(part) else None
        if type(last).__module__ == nn.ReLU.__module__:  # an activation class of torch.nn
            raise Mistake(f"{hint} (Yours ends in nn.{type(last).__name__}.)")
    if train_step is None:
        raise Mistake("Define train_step(model, x, optimizer) in the same cell, after the class.")
    got = _step_outcome(train_step, model, x)
    expected = _step_outcome(_REFERENCE[1], model, x)
    if not isinstance(got, Exception) and got[0] is None:
        raise Mistake("Your DigitAutoencoder looks right; now write train_step: it still returns None.")
    found = [(_step_outcome(_cell(t.body)[1], model, x), t.hint) for t in _AE_MISTAKES]
    if isinstance(got, Exception):
        for outcome, hint in found:
            if isinstance(outcome, Exception) and type(outcome) is type(got) and str(outcome) == str(got):
                raise Mistake(hint)
        if "does not require grad" in str(got):
            raise Mistake(_NO_GRAPH)
        raise got
    loss, params, left, stepped = got
    if np.allclose(params, flat(model)):
        raise Mistake(_NO_STEP if not stepped else _STEP_FIRST if left else _ZERO_BETWEEN)
    mistakes = [(o[1], hint) for o, hint in found if not isinstance(o, Exception)]
    if not np.allclose(params, expected[1], rtol=1e-5, atol=1e-6):
        late = [o for o, hint in found if hint == _ZERO_LATE][0]
        if np.allclose(params, late[1], rtol=1e-5, atol=1e-6) and not left:
            raise Mistake(_ZERO_LATE)
        compare(
            "the parameters after one train_step",
            params,
            expected[1],
            rtol=1e-5,
            atol=1e-6,
            mistakes=[m for m in mistakes if m[1] != _ZERO_LATE],
        )
    compare_scalar(
        "the loss train_step returns",
        loss,
        float(expected[0]),
        rtol=1e-5,
        mistakes=[(float(o[0]), hint) for o, hint in found if not isinstance(o, Exception) and hint == _SUM],
    )
    if "error" not in _REFERENCE_ERROR:
        _REFERENCE_ERROR["error"] = _trained_error(*_REFERENCE, X)
    error, reference = _trained_error(DigitAutoencoder, train_step, X), _REFERENCE_ERROR["error"]
    if not error <= 1.3 * reference:
        raise Mistake(
            f"after 100 Adam steps on 256 centred digits your autoencoder's reconstruction MSE is {error:.4f}, the "
            f"reference's {reference:.4f} (64 -> 128 -> 2 -> 128 -> 64 with ReLUs): more than 1.3 times as high. "
            "A wider hidden layer (n_hidden = 128) or ReLU rather than a saturating nonlinearity may help."
        )
    return (
        f"after 100 Adam steps your autoencoder reconstructs 256 centred digits with MSE {error:.4f} (reference "
        f"{reference:.4f}). The notebook trains your DigitAutoencoder with your train_step from here on."
    )


check_autoencoder.solution = _REFERENCE  # (the class, the training step): what the notebook runs until accepted
