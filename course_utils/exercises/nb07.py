"""Exercises and self-check questions of notebook 07 (autoencoders and GANs).

* 07.1 ``pca_code_and_reconstruction``: PCA as the linear autoencoder, code and reconstruction;
* 07.2 ``DigitAutoencoder`` and ``train_step``: the autoencoder as an ``nn.Module`` and its training step;
* 07.3 ``optimal_discriminator``: D*(x) = p_data(x) / (p_data(x) + p_g(x)) from given densities;
* 07.4 ``gan_losses``: the discriminator loss and the non-saturating generator loss from logits;
* 07.5 ``one_gan_step``: one round of the game with two optimisers (detach, zero_grad, step);
* 07.6 ``count_modes``: samples near each mode of the ring and the number of covered modes.

07.1, 07.3, 07.4 and 07.6 are declared once (:class:`~course_utils.exercises.Exercise`): fresh seeded
inputs, the reference, and each typical mistake as the code a student would write, with its hint (07.4's
losses must also be differentiable 0-d tensors). 07.2 and 07.5 are checked step by step: 07.2 the model's
shapes, hidden layers, nonlinearity and output range, then one training step on a copy with left-over
gradients, then a short training run against the reference's; 07.5 where D's backward pass reached, then the
parameters after the round. Their typical mistakes are whole cells in :data:`STEPWISE`, and the check
reproduces each one to recognise it. The self-check questions are in ``nb07.toml``.
"""

from __future__ import annotations

import copy
import functools
import io
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import keeps_global_rng
from . import (
    Case,
    Exercise,
    Mistake,
    NotAttempted,
    Typical,
    accepted,
    attempt,
    compare,
    compare_scalar,
    exercise,
    parts,
    quizzes,
    quizzes_of,
)

__all__ = [
    "EXERCISES",
    "STEPWISE",
    "accepted",
    "check_pca_code_and_reconstruction",
    "check_autoencoder",
    "check_optimal_discriminator",
    "check_gan_losses",
    "check_one_gan_step",
    "check_count_modes",
    "quiz",
    "QUIZZES",
]

NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "F": F}  # what the notebook has imported when the student's cell runs


def _edited(code: str, *edits: tuple[str, str]) -> str:
    """``code`` with the edits ``(old, new)`` a student makes (each ``old`` must be there)."""
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    return code


# ----------------------------------------------------------------------------- 07.1 PCA


def _pca_cases():
    """Data X (n, d) with a non-zero mean, its mean mu (d,) and top-k directions W (d, k)."""
    cases = []
    for seed, n, d, k in [(7, 40, 6, 2), (8, 25, 5, 3)]:
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.uniform(1.0, 3.0, size=d)
        mu = X.mean(axis=0)
        W = np.linalg.svd(X - mu, full_matrices=False)[2][:k].T  # (d, k), orthonormal columns
        cases.append(Case(f"(N = {n}, k = {k})", (X, mu, W)))
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
_SIGMOID = (
    "Your decoder's outputs all lie in (0, 1), as after a sigmoid: the inputs here are centred, with negative "
    "pixels too, which a sigmoid can never reproduce. Leave the decoder's last Linear layer without an activation."
)
_RELU_OUT = (
    "Your decoder's outputs are never negative, as after a ReLU on the last layer: centred inputs have negative "
    "entries, which it clips to 0. Leave the decoder's last Linear layer without an activation."
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
_SUM = (
    "Your loss is the SUM of the squared errors, B * 64 times the mean: use the mean squared error, "
    "F.mse_loss(x_hat, x), so that the step size does not depend on the batch size."
)
_AE_MISTAKES = [  # the solution's cell as a student edits it: the check reproduces each to recognise it
    Typical(
        _edited(_AE, (_ENCODER, _ENCODER.replace(" nn.ReLU(),", "")), (_DECODER, _DECODER.replace(" nn.ReLU(),", ""))),
        _LINEAR,
    ),
    Typical(_edited(_AE, (_ENCODER, "nn.Linear(n_in, n_code)"), (_DECODER, "nn.Linear(n_code, n_in)")), _NO_HIDDEN),
    Typical(
        _edited(
            _AE,
            (_ENCODER, "nn.Sequential(nn.Linear(n_in, n_code), nn.ReLU(), nn.Linear(n_code, n_hidden))"),
            (_DECODER, "nn.Sequential(nn.Linear(n_hidden, n_code), nn.ReLU(), nn.Linear(n_code, n_in))"),
        ),
        _BOTTLENECK,
    ),
    Typical(_edited(_AE, (_DECODER, _DECODER[:-1] + ", nn.Sigmoid())")), _SIGMOID),
    Typical(_edited(_AE, (_DECODER, _DECODER[:-1] + ", nn.ReLU())")), _RELU_OUT),
    Typical(_edited(_AE, ("x_hat = model(x)", "x_hat = model.encode(x)")), _CODE_LOSS),
    Typical(_edited(_AE, ("    optimizer.zero_grad()\n", "")), _NO_ZERO),
    Typical(
        _edited(_AE, ("    optimizer.zero_grad()\n", ""), ("step()\n", "step()\n    optimizer.zero_grad()\n")),
        _ZERO_LATE,
    ),
    Typical(
        _edited(_AE, ("    loss.backward()\n    optimizer.step()\n", "    optimizer.step()\n    loss.backward()\n")),
        _STEP_FIRST,
    ),
    Typical(_edited(_AE, ("F.mse_loss(x_hat, x)", "((x_hat - x) ** 2).sum()")), _SUM),
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
    from ..datasets import digits_tensors

    X = digits_tensors().X_train.reshape(-1, 64)[:n]
    return X - X.mean(dim=0)


@keeps_global_rng
def _build(model_class, seed: int = 0):
    torch.manual_seed(seed)
    return model_class()


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
    (the loss it returns, the parameters after it, whether gradients are left), or the exception it raises."""
    model = copy.deepcopy(model)
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    try:
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # mse_loss warns before it raises on mismatched shapes
            loss = step(model, x.clone(), opt)
    except Exception as e:  # noqa: BLE001 - an outcome like any other
        return e
    left = any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    return loss, _flat(model), left


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
    """Checks the class (a 2-unit code, hidden layers, nonlinear, an unclipped output) and ``train_step(model, x,
    optimizer) -> loss`` (one step on a copy with left-over gradients, compared with the reference's step and
    each typical mistake's), then both together: the reconstruction error after 100 Adam steps on centred digits
    within 1.3 times the reference's. ``train_step`` defaults to the one defined in the class's cell."""
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
        raise got
    loss, params, left = got
    if np.allclose(params, _flat(model)):
        raise Mistake(_STEP_FIRST)
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


# ----------------------------------------------------------------------------- 07.3 optimal D


def _densities_cases():
    rng = np.random.default_rng(11)
    p_data, p_g = np.exp(rng.normal(size=50)), np.exp(rng.normal(size=50))
    p_g[:5] = p_data[:5]  # where the two densities agree
    return [Case("", (p_data, p_g))]


check_optimal_discriminator = Exercise(
    "07.3",
    "def optimal_discriminator(p_data, p_g):",
    todo="Write optimal_discriminator(p_data, p_g): the best D for these two densities.",
    cases=_densities_cases,
    reference="return p_data / (p_data + p_g)",
    typical=[
        Typical(
            "return p_g / (p_data + p_g)",
            "That is the probability of 'fake', 1 - D*: D outputs the "
            "probability that x is REAL, so p_data goes in the numerator.",
        ),
        Typical(
            "return p_data / p_g",
            "The ratio p_data / p_g is a likelihood ratio in [0, inf), not a probability: "
            "divide by the sum p_data + p_g.",
        ),
    ],
    confirmation="D* = p_data / (p_data + p_g) is 1/2 exactly where p_g = p_data: at the game's equilibrium the "
    "best discriminator can only guess.",
    namespace=NOTEBOOK,
    result="D*",
)

# ----------------------------------------------------------------------------- 07.4 the two losses


def _logits_cases():
    gen = torch.Generator().manual_seed(3)
    d_real = (2 + 2 * torch.randn(32, 1, generator=gen, dtype=torch.float64)).requires_grad_()
    d_fake = (-1 + 3 * torch.randn(32, 1, generator=gen, dtype=torch.float64)).requires_grad_()
    return [Case("", (d_real, d_fake))]


def _differentiable(out):
    """The student's ``(d_loss, g_loss)``, each checked to be a differentiable 0-d tensor first (a float from
    .item() has the right value but no .backward())."""
    if isinstance(out, (tuple, list)) and len(out) == 2 and all(loss is not None for loss in out):
        for name, loss in zip(("d_loss", "g_loss"), out):
            if not isinstance(loss, torch.Tensor):
                raise Mistake(
                    f"`{name}` should be a 0-d torch tensor (so that {name}.backward() works), got "
                    f"{type(loss).__name__}: do not call .item() or convert to numpy inside the loss."
                )
            if loss.numel() != 1:
                raise Mistake(f"`{name}` has shape {tuple(loss.shape)}: average over the batch to get one number.")
            if not loss.requires_grad:
                raise Mistake(
                    f"`{name}` does not depend on the logits through autograd: compute it with torch "
                    "operations on the logits passed in (no .detach(), no numpy)."
                )
    return out


class _Losses(Exercise):
    """07.4: the losses must be differentiable tensors before their values count (see :func:`_differentiable`)."""

    def diagnose(self, fn):
        return super().diagnose(None if fn is None else lambda *logits: _differentiable(fn(*logits)))


_BCE = "F.binary_cross_entropy_with_logits"
_LOSSES = (
    f"d_loss = {_BCE}(d_real, torch.ones_like(d_real)) + {_BCE}(d_fake, torch.zeros_like(d_fake))\n"
    f"g_loss = {_BCE}(d_fake, torch.ones_like(d_fake))\nreturn d_loss, g_loss"
)
_DOUBLE = "applied the sigmoid and then binary_cross_entropy_with_logits, which applies it again: pass the raw logits."

check_gan_losses = _Losses(
    "07.4",
    "def gan_losses(d_real, d_fake):",
    todo="Write gan_losses(d_real, d_fake): the D loss and the non-saturating G loss.",
    cases=_logits_cases,
    reference=_LOSSES,
    typical=[
        Typical(
            _edited(_LOSSES, ("ones_like(d_real", "zeros_like(d_real"), ("zeros_like(d_fake", "ones_like(d_fake")),
            "The labels are swapped: D must say 1 (real) on the real batch and 0 (fake) on the fakes.",
        ),
        Typical("d_real, d_fake = torch.sigmoid(d_real), torch.sigmoid(d_fake)\n" + _LOSSES, "You " + _DOUBLE),
        Typical(
            "logits = torch.cat([d_real, d_fake])\n"
            "labels = torch.cat([torch.ones_like(d_real), torch.zeros_like(d_fake)])\n"
            + _edited(_LOSSES, (_LOSSES.split("\n")[0], f"d_loss = {_BCE}(logits, labels)")),
            "This is half the D loss: add the two batch means -mean log D(x) - mean log(1 - D(x~)) "
            "(BCE on the concatenated batch averages them).",
        ),
        Typical(
            _edited(
                _LOSSES, (f"{_BCE}(d_fake, torch.ones_like(d_fake))", "torch.log(1 - torch.sigmoid(d_fake)).mean()")
            ),
            "This is the saturating minimax loss log(1 - D(G(z))): its gradient vanishes while D wins. "
            "Use the non-saturating -log D(G(z)), i.e. BCE of the fake logits with label 1.",
        ),
        Typical(
            _edited(_LOSSES, ("(d_fake, torch.ones", "(d_fake, torch.zeros")),
            "BCE with label 0 is D's goal on the fakes: the generator wants D to call its fakes real, so use label 1.",
        ),
        Typical(
            _edited(_LOSSES, ("(d_fake, torch.ones", "(torch.sigmoid(d_fake), torch.ones")), "In g_loss you " + _DOUBLE
        ),
        Typical(
            _edited(_LOSSES, (_BCE, "F.binary_cross_entropy")),
            "F.binary_cross_entropy expects probabilities, but D outputs logits: use "
            "F.binary_cross_entropy_with_logits on the logits (it applies the sigmoid itself, stably).",
        ),
    ],
    confirmation="D's loss is logistic regression, real vs fake; G's non-saturating loss -log D(G(z)) is "
    "steepest exactly when D rejects its fakes, so G keeps learning while it is losing.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("d_loss", "g_loss", missing="Return the two losses (d_loss, g_loss), two 0-d tensors."),
)

# ----------------------------------------------------------------------------- 07.5 one round (step by step)

_ROUND = """def one_gan_step(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    d_real, d_fake = D(real), D(fake.detach())
    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
              + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    d_on_fake = D(fake)
    g_loss = F.binary_cross_entropy_with_logits(d_on_fake, torch.ones_like(d_on_fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
"""
_TWICE = (
    "backward ran twice through G's graph: D's loss must use the DETACHED fakes, D(fake.detach()), so that "
    "d_loss.backward() stops at the fakes and G's graph is still there for the generator step."
)
_STALE = (
    "G's loss used logits of D computed before opt_D.step(), which changed D's weights in place: compute "
    "d_on_fake = D(fake) after the discriminator step."
)
_LEAK = (
    "D's loss reached G's parameters: use D(fake.detach()) in the discriminator loss; the D step must not "
    "compute (or accumulate) gradients for G."
)
_NO_D_STEP = "opt_D.step() was never called: the discriminator must take its step first."
_PAIR = "return the two losses as a tuple (d_loss.item(), g_loss.item())."
_ROUND_MISTAKES = [  # the solution's cell as a student edits it: the check reproduces each to recognise it
    Typical(_edited(_ROUND, ("D(fake.detach())", "D(fake)")), _TWICE),
    Typical(
        _edited(_ROUND, ("D(fake.detach())", "D(fake)"), ("d_loss.backward()", "d_loss.backward(retain_graph=True)")),
        _LEAK,
    ),
    Typical(
        _edited(_ROUND, ("    d_on_fake = D(fake)\n", ""), ("detach())\n", "detach())\n    d_on_fake = D(fake)\n")),
        _STALE,
    ),
    Typical(_edited(_ROUND, ("    opt_D.step()\n", "")), _NO_D_STEP),
    Typical(
        _edited(_ROUND, ("    opt_D.zero_grad()\n", ""), ("    opt_G.zero_grad()\n", "")),
        "D's old gradients were still there: call opt_D.zero_grad() before d_loss.backward().",
    ),
    Typical(
        _edited(_ROUND, ("ones_like(d_real", "zeros_like(d_real"), ("zeros_like(d_fake", "ones_like(d_fake")),
        "D's labels are swapped: 1 for the real batch, 0 for the fakes.",
    ),
    Typical(
        _edited(_ROUND, ("d_loss = (", "d_loss = 0.5 * (")),
        "D's loss is halved: add the two batch means (real with label 1, fakes with label 0) instead of "
        "averaging them.",
    ),
    Typical(
        _edited(_ROUND, ("    opt_G.zero_grad()\n", "")),
        "G's old gradients were still there: call opt_G.zero_grad() before g_loss.backward().",
    ),
    Typical(
        _edited(
            _ROUND, (f"{_BCE}(d_on_fake, torch.ones_like(d_on_fake))", "torch.log(1 - torch.sigmoid(d_on_fake)).mean()")
        ),
        "G descended the saturating log(1 - D(G(z))); use the non-saturating loss: BCE of D(fake) with label 1.",
    ),
    Typical(
        _edited(_ROUND, ("ones_like(d_on_fake", "zeros_like(d_on_fake")),
        "G's loss uses label 0, which trains G to look fake: the generator wants D(G(z)) = 1.",
    ),
    Typical(_edited(_ROUND, ("), g_loss.item()", ") + g_loss.item()")), _PAIR),
]
STEPWISE["07.5"] = ("one_gan_step", _ROUND_MISTAKES)


@keeps_global_rng
def _game(seed: int = 5):
    """A tiny generator R^3 -> R^2 and discriminator R^2 -> logit (float64), the same for every call,
    their SGD optimisers, and left-over gradients of an earlier round (0.5) in every parameter."""
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    for p in [*G.parameters(), *D.parameters()]:
        p.grad = torch.full_like(p, 0.5)
    return G, D, torch.optim.SGD(G.parameters(), lr=0.5), torch.optim.SGD(D.parameters(), lr=0.5)


def _flat(module: nn.Module) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()]).numpy().copy()


def _round(cell: str, real, z):
    """D's and G's parameters and the losses after the round of the ``one_gan_step`` that ``cell`` defines,
    on a fresh game; ``None`` if it raises (that mistake is recognised by its error)."""
    scope = dict(NOTEBOOK)
    exec(cell, scope)  # noqa: S102 - the course's own code
    G, D, opt_G, opt_D = _game()
    try:
        losses = scope["one_gan_step"](G, D, opt_G, opt_D, real.clone(), z.clone())
    except RuntimeError:
        return None
    return _flat(D), _flat(G), losses


def _new_grad(p) -> bool:
    """``p`` has a gradient other than the left-over one of :func:`_game`."""
    return p.grad is not None and p.grad.abs().sum() > 0 and not torch.equal(p.grad, torch.full_like(p, 0.5))


@exercise("07.5", todo="Write one_gan_step(G, D, opt_G, opt_D, real, z): a D step, then a G step.")
def check_one_gan_step(one_gan_step) -> str:
    """Checks ``one_gan_step(G, D, opt_G, opt_D, real (B, 2), z (B, 3)) -> (d_loss, g_loss)`` floats,
    on a tiny G and D with SGD: where D's backward pass reached, then the parameters after the round."""
    gen = torch.Generator().manual_seed(8)
    real = 1.5 + 0.3 * torch.randn(16, 2, generator=gen, dtype=torch.float64)
    z = torch.randn(16, 3, generator=gen, dtype=torch.float64)
    G, D, opt_G, opt_D = _game()
    leaked = []  # at D's step: did D's loss put gradients into G's parameters?
    opt_D.register_step_pre_hook(lambda *_: leaked.append(any(map(_new_grad, G.parameters()))))
    try:
        losses = attempt(one_gan_step, G, D, opt_G, opt_D, real.clone(), z.clone())
    except RuntimeError as e:
        for words, hint in [("second time", _TWICE), ("inplace operation", _STALE)]:
            if words in str(e):
                raise Mistake(hint) from None
        raise
    if any(leaked):
        raise Mistake(_LEAK)
    if not leaked:
        raise Mistake(_NO_D_STEP)
    (d_ref, g_ref, (d_loss, g_loss)), *rounds = [
        _round(c, real, z) for c in [_ROUND, *(t.body for t in _ROUND_MISTAKES)]
    ]
    found = [(r, t.hint) for r, t in zip(rounds, _ROUND_MISTAKES) if r is not None]
    compare("D's parameters after the round", _flat(D), d_ref, mistakes=[(r[0], hint) for r, hint in found])
    compare("G's parameters after the round", _flat(G), g_ref, mistakes=[(r[1], hint) for r, hint in found])
    if not isinstance(losses, tuple) or len(losses) != 2:
        raise Mistake(_PAIR)
    compare_scalar("d_loss", losses[0], d_loss)
    compare_scalar("g_loss", losses[1], g_loss)
    return (
        "one round: D learns on a detached fake batch, then G learns through D; each optimiser is "
        "zeroed before its backward pass, which is exactly course_utils.generative.gan_step."
    )


# ----------------------------------------------------------------------------- 07.6 mode counting


def _ring_cases():
    """Samples (n, 2) of a half-collapsed generator on the 8-mode ring, centres (8, 2) and the radius."""
    rng = np.random.default_rng(4)
    angles = 2 * np.pi * np.arange(8) / 8
    centers = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    per_mode = [300, 250, 10, 0, 200, 40, 150, 70]
    near = [c + 0.04 * rng.normal(size=(k, 2)) for c, k in zip(centers, per_mode)]
    far = rng.uniform(-0.8, 0.8, size=(200, 2))  # in the middle of the ring, far from every centre
    samples = np.concatenate(near + [far])
    return [Case("", (samples[rng.permutation(len(samples))], centers, 0.15))]


_NEAREST = """dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
nearest = dist.argmin(axis=1)
near = dist.min(axis=1) <= radius
counts = np.bincount(nearest[near], minlength=len(centers))
"""
_FAIR = "0.5 * len(samples) / len(centers)"

check_count_modes = Exercise(
    "07.6",
    "def count_modes(samples, centers, radius):",
    todo="Write count_modes(samples, centers, radius): samples near each centre, modes covered.",
    cases=_ring_cases,
    reference=_NEAREST + f"return counts, int((counts >= {_FAIR}).sum())",
    typical=[
        Typical(
            _edited(_NEAREST, ("nearest[near]", "nearest")) + f"return counts, int((counts >= {_FAIR}).sum())",
            "You counted every sample at its nearest "
            "centre, even far ones: only samples within `radius` of a centre are near it.",
        ),
        Typical(
            _NEAREST + f"counts = counts > 0\nreturn counts, int((counts >= {_FAIR}).sum())",
            "Counts should be the NUMBER of near samples per mode, not whether it has any.",
        ),
        Typical(
            _NEAREST + "return counts, int((counts > 0).sum())",
            "A mode with a handful of samples is not covered: it needs at least half its "
            "fair share, 0.5 * n / K near samples.",
        ),
        Typical(
            _NEAREST + "return counts, int((counts >= 0.5 * counts.sum() / len(centers)).sum())",
            "The fair share is n / K with n = ALL samples, also those near no mode.",
        ),
        Typical(_NEAREST + "return counts", "return a tuple (counts, n_covered)."),
    ],
    confirmation="4 of the 8 modes hold nearly all the near samples while 4 are starved: the counts reveal mode "
    "collapse even when a scatter plot looks fine.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("counts", "n_covered", missing="return a tuple (counts, n_covered)."),
)

EXERCISES = [check_pca_code_and_reconstruction, check_optimal_discriminator, check_gan_losses, check_count_modes]

QUIZZES = quizzes_of(__name__)
quiz = quizzes(QUIZZES)
