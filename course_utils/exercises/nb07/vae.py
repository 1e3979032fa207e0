"""Notebook 07's variational autoencoder: 07.3 the reparameterisation, 07.4 the closed-form KL, 07.5 the VAE loss."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import Case, Exercise, Loss, Mistake, OnTheDevice, Typical, compare, compare_scalar
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 07.3 the reparameterisation

_GLOBAL_SEED, _GENERATOR_SEED = 11, 5


@dataclass(frozen=True)
class _DrawCase(Case):
    """mu, logvar (B, d) and a generator seeded ``seed``, made afresh for every call (the student's, the
    reference's and each mistake's), with torch's global generator seeded too, inside a fork (put back after).
    The outcome is (z, dL/dmu, dL/dlogvar, generator used, global generator used, z attached to a graph) with
    L = sum(w * z)."""

    seed: int = _GENERATOR_SEED

    def call(self, fn):
        mu, logvar = (a.detach().clone().requires_grad_(True) for a in self.args)
        with torch.random.fork_rng():
            torch.manual_seed(_GLOBAL_SEED)
            before = torch.random.get_rng_state()
            generator = torch.Generator().manual_seed(self.seed)
            try:
                z = fn(mu, logvar, generator)
            except RuntimeError as e:
                if "in-place operation" in str(e):  # mu.add_(...), mu += ...: on the encoder's mu it would go through
                    raise Mistake(_IN_PLACE) from None
                raise
            if z is None:
                return None
            used_global = not torch.equal(before, torch.random.get_rng_state())
        used_generator = not torch.equal(generator.get_state(), torch.Generator().manual_seed(self.seed).get_state())
        if not isinstance(z, torch.Tensor):
            raise Mistake(
                f"reparameterize should return z alone, one tensor of mu's shape {tuple(mu.shape)}; it returned a "
                f"{type(z).__name__}."
            )
        grads = [torch.zeros_like(mu), torch.zeros_like(logvar)]
        if z.requires_grad and z.shape == mu.shape:
            w = torch.linspace(-1.0, 2.0, z.numel()).reshape(z.shape)
            found = torch.autograd.grad((w * z).sum(), [mu, logvar], allow_unused=True)
            grads = [g if g is not None else torch.zeros_like(a) for g, a in zip(found, (mu, logvar))]
        return z.detach(), grads[0], grads[1], float(used_generator), float(used_global), float(z.requires_grad)


def _draw_cases():
    cases = []
    for seed, b, d in [(3, 6, 2), (4, 5, 3)]:
        rng = np.random.default_rng(seed)
        mu = torch.tensor(rng.normal(0, 1.5, (b, d)), dtype=torch.float32)
        logvar = torch.tensor(rng.uniform(-2.5, 1.0, (b, d)), dtype=torch.float32)
        cases.append(_DrawCase(f"(B = {b}, d = {d})", (mu, logvar), seed=seed))
    return [
        *cases,
        OnTheDevice.like(Case("(B = 5, d = 3, no generator, as the VAE calls it)", cases[1].args), _ON_THE_CPU),
    ]


_STD_IS_LOGVAR = (
    "You used logvar itself as the standard deviation: logvar = log sigma^2 can be negative. The standard "
    "deviation is sigma = exp(logvar / 2)."
)
_VARIANCE = (
    "You scaled eps by exp(logvar) = sigma^2, the variance: the noise must be scaled by the standard deviation "
    "sigma = exp(logvar / 2) = sqrt(sigma^2)."
)
_IN_PLACE = (
    "You changed mu in place (mu.add_(...) or mu += ...): z must be a new tensor, or the encoder's mu becomes z and "
    "the KL term sees the sample instead of the mean. Write z = mu + torch.exp(logvar / 2) * eps."
)
_NO_MU = "Your z is centred at 0: add the mean, z = mu + sigma * eps."
_GLOBAL_RNG = (
    "You drew eps from torch's global generator (torch.randn_like(mu) or torch.randn without generator=): draw it "
    "with the generator passed in, torch.randn(mu.shape, generator=generator), so that the same generator gives "
    "the same z and no other random numbers change."
)
_NO_GRAD = (
    "Your z has the right values but no gradient reaches mu and logvar: torch.normal(mu, sigma) samples without a "
    "path back to its arguments. That is the point of the trick: draw eps ~ N(0, I) with torch.randn(mu.shape, "
    "generator=generator) and compute z = mu + exp(logvar / 2) * eps, a differentiable function of mu and logvar."
)
_DETACHED = (
    "Your z has the right values but is detached from mu and logvar (no gradient flows back): compute "
    "z = mu + exp(logvar / 2) * eps with tensor operations, without .detach(), .item(), numpy or torch.no_grad()."
)


def _explain_draw(where, got, expected, hints, exercise) -> None:
    """Says which of z, its gradients and the generator's use is wrong."""
    if not isinstance(got, tuple):
        raise Mistake(f"return z as a tensor of the shape of mu, got {type(got).__name__}.")
    z, g_mu, g_logvar, used_generator, used_global, attached = got
    if used_global and not used_generator:
        raise Mistake(_GLOBAL_RNG)
    if not used_generator:
        raise Mistake(
            "the generator passed in was not used (nor torch's global one): draw eps with it, "
            "torch.randn(mu.shape, generator=generator), not with a generator of your own."
        )
    compare(f"z {where}", z, expected[0], rtol=1e-5, atol=1e-6)
    if not torch.any(g_mu != 0) and not torch.any(g_logvar != 0):
        raise Mistake(_NO_GRAD if attached else _DETACHED)
    compare(f"the gradient of z with respect to mu {where}", g_mu, expected[1], rtol=1e-5, atol=1e-6)
    compare(f"the gradient of z with respect to logvar {where}", g_logvar, expected[2], rtol=1e-5, atol=1e-6)
    if used_global:
        raise Mistake(
            "your z is right, but the function also drew from torch's global generator: draw only with "
            "the generator passed in."
        )


_ON_THE_CPU = (
    "torch.randn(mu.shape, ...) makes eps on the CPU (a torch.Generator draws its numbers there), beside mu and "
    "logvar on the GPU. Move the noise to mu's device: torch.randn(mu.shape, generator=generator).to(mu.device)."
)
_REPARAM = "eps = torch.randn(mu.shape, generator=generator).to(mu.device)\nreturn mu + torch.exp(logvar / 2) * eps"

check_reparameterize = Exercise(
    "07.3",
    "def reparameterize(mu, logvar, generator=None):",
    todo="Write reparameterize(mu, logvar, generator): eps ~ N(0, I) drawn with the generator, then "
    "z = mu + exp(logvar / 2) * eps.",
    cases=_draw_cases,
    reference=_REPARAM,
    typical=[
        Typical(_REPARAM.replace("torch.exp(logvar / 2)", "logvar"), _STD_IS_LOGVAR),
        Typical(_REPARAM.replace("torch.exp(logvar / 2)", "torch.exp(logvar)"), _VARIANCE),
        Typical(
            _REPARAM.replace("torch.exp(logvar / 2)", "torch.exp(logvar) / 2"),
            "You halved the variance, exp(logvar) / 2: the standard deviation is exp(logvar / 2), the exponential "
            "of HALF the log-variance, i.e. sqrt(sigma^2).",
        ),
        Typical(
            _REPARAM.replace("torch.exp(logvar / 2)", "torch.sqrt(logvar)"),
            "torch.sqrt(logvar) is NaN wherever logvar < 0: logvar is the LOG of the variance, so the standard "
            "deviation is sigma = exp(logvar / 2).",
        ),
        Typical(_REPARAM.replace(".to(mu.device)", ""), _ON_THE_CPU),
        Typical(_REPARAM.replace("return mu + ", "return "), _NO_MU),
        Typical("eps = torch.randn_like(mu)\nreturn mu + torch.exp(logvar / 2) * eps", _GLOBAL_RNG),
        Typical("return torch.normal(mu, torch.exp(logvar / 2), generator=generator)", _NO_GRAD),
        Typical(
            _REPARAM.replace("torch.randn(", "torch.rand("),
            "Your eps is uniform on [0, 1) (torch.rand): the trick needs standard normal noise, eps ~ N(0, I), "
            "which is torch.randn (with the n).",
        ),
        Typical(
            _REPARAM.replace("torch.randn(mu.shape,", "torch.randn(mu.shape[1],"),
            "You drew one eps of d numbers and broadcast it over the batch, so every sample gets the same noise: "
            "draw eps with mu's whole shape (B, d), torch.randn(mu.shape, generator=generator).",
        ),
        Typical(
            _REPARAM.replace(
                "return mu + torch.exp(logvar / 2) * eps", "return (mu + torch.exp(logvar / 2) * eps).detach()"
            ),
            _DETACHED,
        ),
    ],
    confirmation="z = mu + sigma * eps is a draw from N(mu, sigma^2) in which the randomness is an input: "
    "dz/dmu = 1 and dz/dlogvar = sigma * eps / 2, so backpropagation reaches the encoder through the sample. "
    "The notebook's VAE samples its codes with your function from here on.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_draw,
)

# ----------------------------------------------------------------------------- 07.4 the closed-form KL


def _kl_cases():
    cases = []
    for seed, b, d in [(21, 8, 2), (22, 5, 4)]:
        rng = np.random.default_rng(seed)
        mu = torch.tensor(rng.normal(0, 1.2, (b, d)), dtype=torch.float32)
        logvar = torch.tensor(rng.uniform(-2.0, 1.0, (b, d)), dtype=torch.float32)
        cases.append(Case(f"(B = {b}, d = {d})", (mu, logvar)))
    return [*cases, OnTheDevice.like(cases[0])]


_TERMS = "(mu ** 2 + torch.exp(logvar) - 1 - logvar)"
_KL = f"return 0.5 * {_TERMS}.sum(dim=1).mean()"


def _explain_kl(where, got, expected, hints, exercise) -> None:
    compare_scalar(f"the KL {where}", got, float(expected), rtol=1e-5, atol=1e-6)


check_kl_to_standard_normal = Exercise(
    "07.4",
    "def kl_to_standard_normal(mu, logvar):",
    todo="Write kl_to_standard_normal(mu, logvar): 1/2 sum over the code dimensions of "
    "(mu^2 + sigma^2 - 1 - log sigma^2), averaged over the batch.",
    cases=_kl_cases,
    reference=_KL,
    typical=[
        Typical(f"return {_TERMS}.sum(dim=1).mean()", "You forgot the factor 1/2 in front of the sum."),
        Typical(
            _KL.replace("0.5 *", "-0.5 *"),
            "Your KL is negative: a KL divergence is never below 0. The sign inside is mu^2 + sigma^2 - 1 - log "
            "sigma^2, with + for mu^2 and sigma^2.",
        ),
        Typical(
            _KL.replace("torch.exp(logvar)", "logvar"),
            "You used logvar where the variance goes: sigma^2 = exp(logvar), and log sigma^2 is logvar itself.",
        ),
        Typical(
            f"return 0.5 * {_TERMS}.mean()",
            "You averaged over the code dimensions too: the KL of a d-dimensional Gaussian with diagonal covariance "
            "is the SUM of d one-dimensional KLs; average only over the batch (dim=0).",
        ),
        Typical(
            f"return 0.5 * {_TERMS}.sum()",
            "You summed over the batch as well: the stub asks for the mean over the B samples of each sample's KL "
            "(sum over dim=1, then mean).",
        ),
        Typical(
            _KL.replace("mu ** 2", "mu"),
            "The mean enters squared: mu^2 (the squared distance of the code's centre from 0), not mu, which can be "
            "negative.",
        ),
        Typical(
            _KL.replace(" - 1 - logvar", " - 1 + logvar"),
            "The log-variance enters with a minus sign: the terms are mu^2 + sigma^2 - 1 - log sigma^2 (written "
            "as -1/2 (1 + logvar - mu^2 - exp(logvar)), every sign flips).",
        ),
        Typical(
            _KL.replace("sum(dim=1)", "sum(dim=0)"),
            "You summed over the batch (dim=0) and averaged over the code dimensions: a sample's KL is the sum over "
            "its d code dimensions (dim=1), and the loss is the mean of those over the batch.",
        ),
        Typical(
            _KL.replace(" - 1 - logvar", " - logvar"),
            "You left out the -1: without it the KL of N(0, I) to itself is d/2 instead of 0.",
        ),
    ],
    confirmation="1/2 sum(mu^2 + sigma^2 - 1 - log sigma^2) is 0 exactly when mu = 0 and sigma = 1: the KL term pulls "
    "every code's Gaussian towards the prior N(0, I). The notebook uses your function from here on, and checks it "
    "against a Monte Carlo estimate below.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_kl,
)

# ----------------------------------------------------------------------------- 07.5 the VAE loss


def _loss_cases():
    cases = []
    for seed, b, beta in [(31, 6, 1.0), (32, 4, 0.5)]:
        rng = np.random.default_rng(seed)
        x = torch.tensor(rng.uniform(0, 1, (b, 10)), dtype=torch.float32)
        # what the network outputs, attached to autograd (the loss must stay differentiable)
        logits = torch.tensor(rng.normal(0, 2, (b, 10)), dtype=torch.float32).requires_grad_()
        mu = torch.tensor(rng.normal(0, 1, (b, 3)), dtype=torch.float32).requires_grad_()
        logvar = torch.tensor(rng.uniform(-2, 1, (b, 3)), dtype=torch.float32).requires_grad_()
        cases.append(Case(f"(B = {b}, beta = {beta})", (x, logits, mu, logvar, beta)))
    return [*cases, OnTheDevice.like(cases[0])]


_RECON = 'F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)'
_KL_TERM = "0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum(dim=1).mean()"
_LOSS = f"reconstruction = {_RECON}\nkl = {_KL_TERM}\nreturn reconstruction + beta * kl"


def _explain_loss(where, got, expected, hints, exercise) -> None:
    compare_scalar(f"the loss {where}", float(got.detach()), float(expected.detach()), rtol=1e-5, atol=1e-5)


check_vae_loss = Loss(
    "07.5",
    "def vae_loss(x, logits, mu, logvar, beta=1.0):",
    todo="Write vae_loss: the binary cross-entropy between x and the logits, summed over the pixels and averaged "
    "over the batch, plus beta times the KL.",
    cases=_loss_cases,
    reference=_LOSS,
    typical=[
        Typical(
            _LOSS.replace("return reconstruction + beta * kl", "return reconstruction + kl"),
            "Your loss does not change with beta: multiply the KL term by beta.",
        ),
        Typical(
            _LOSS.replace("return reconstruction + beta * kl", "return beta * reconstruction + kl"),
            "You weighted the reconstruction by beta: beta multiplies the KL term, reconstruction + beta * KL.",
        ),
        Typical(
            _LOSS.replace(_RECON, "F.binary_cross_entropy_with_logits(logits, x)"),
            "Your reconstruction term is the mean over the pixels too, D times too small against the KL (D, the "
            "number of pixels: 64 for the digits): sum the cross-entropy over the pixels and average over the batch "
            '(reduction="sum", then / len(x)).',
        ),
        Typical(
            _LOSS.replace(_RECON, 'F.binary_cross_entropy(logits, x, reduction="sum") / len(x)'),
            "F.binary_cross_entropy expects probabilities, and the decoder gives logits: use "
            "F.binary_cross_entropy_with_logits (or apply torch.sigmoid first).",
        ),
        Typical(
            _LOSS.replace("return reconstruction + beta * kl", "return reconstruction - beta * kl"),
            "You subtracted the KL: the loss is the negative ELBO, reconstruction + beta * KL; minimising it must "
            "pull the codes towards N(0, I), not away from it.",
        ),
        Typical(
            _LOSS.replace(_RECON, 'F.binary_cross_entropy_with_logits(logits, x, reduction="sum")'),
            "Your reconstruction term is summed over the batch too, B times too large against the KL (which is a "
            "mean over the batch): divide the sum by len(x), the batch size.",
        ),
        Typical(
            _LOSS.replace(_RECON, 'F.binary_cross_entropy_with_logits(x, logits, reduction="sum") / len(x)'),
            "You swapped the arguments of the cross-entropy: torch takes (input, target), the logits first and the "
            'pixels second, F.binary_cross_entropy_with_logits(logits, x, reduction="sum").',
        ),
        Typical(
            _LOSS.replace(_KL_TERM, _KL_TERM.replace(".sum(dim=1).mean()", ".sum()")),
            "Your KL term is summed over the batch, B times too large against the reconstruction: sum each "
            "sample's KL over the code and average over the batch, .sum(dim=1).mean().",
        ),
        Typical(
            _LOSS.replace(
                _RECON, 'F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="sum") / len(x)'
            ),
            "You applied torch.sigmoid and then binary_cross_entropy_with_logits, which applies it again: pass the "
            "raw logits.",
        ),
        Typical(
            _LOSS.replace(_RECON, "((torch.sigmoid(logits) - x) ** 2).sum(dim=1).mean()"),
            "Your reconstruction term is the squared error: the stub's (a Bernoulli decoder's) is the binary "
            'cross-entropy, F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x).',
        ),
    ],
    confirmation="reconstruction + beta * KL is the negative ELBO (for beta = 1): a bound on -log p(x) that the "
    "VAE minimises. The notebook trains its VAE with your loss from here on.",
    namespace=NOTEBOOK,
    result="",
    explain=_explain_loss,
)
