"""Exercises and self-check questions of notebook 07 (autoencoders and GANs).

* 07.1 ``pca_code_and_reconstruction``: PCA as the linear autoencoder, code and reconstruction;
* 07.2 ``optimal_discriminator``: D*(x) = p_data(x) / (p_data(x) + p_g(x)) from given densities;
* 07.3 ``gan_losses``: the discriminator loss and the non-saturating generator loss from logits;
* 07.4 ``one_gan_step``: one round of the game with two optimisers (detach, zero_grad, step);
* 07.5 ``count_modes``: samples near each mode of the ring and the number of covered modes.

Each check builds fresh, seeded inputs, so a hard-coded answer does not pass, and recognises the
typical mistakes listed in :data:`MISTAKES` by computing what the mistaken code returns.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..runtime import keeps_global_rng
from . import Mistake, Quiz, attempt, compare, compare_scalar, exercise, quizzes, require

__all__ = [
    "check_pca_code_and_reconstruction",
    "check_optimal_discriminator",
    "check_gan_losses",
    "check_one_gan_step",
    "check_count_modes",
    "quiz",
    "QUIZZES",
    "MISTAKES",
]


# ----------------------------------------------------------------------------- 07.1 PCA


def _pca_case(seed: int = 7, n: int = 40, d: int = 6, k: int = 2):
    """Data X (n, d) with a non-zero mean, its mean mu (d,) and top-k directions W (d, k)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.uniform(1.0, 3.0, size=d)
    mu = X.mean(axis=0)
    W = np.linalg.svd(X - mu, full_matrices=False)[2][:k].T  # (d, k), orthonormal columns
    return X, mu, W


@exercise("07.1", todo="Write pca_code_and_reconstruction(X, mu, W): centre, project onto W, map back.")
def check_pca_code_and_reconstruction(pca_code_and_reconstruction) -> str:
    """Checks ``pca_code_and_reconstruction(X (N, D), mu (D,), W (D, k)) -> (Z (N, k), X_hat (N, D))``."""
    X, mu, W = _pca_case()
    Z, X_hat = require(attempt(pca_code_and_reconstruction, X, mu, W))
    Z_ref = (X - mu) @ W
    compare(
        "Z",
        Z,
        Z_ref,
        shape_hints={
            (W.shape[1], len(X)): "Z is (N, k): one row of k code numbers "
            "per sample, i.e. (X - mu) @ W, not W.T @ (X - mu).T."
        },
        mistakes=[
            (X @ W, "You projected X without centring it: the code is z = W^T (x - mu), subtract the mean mu first.")
        ],
    )
    compare(
        "X_hat",
        X_hat,
        mu + Z_ref @ W.T,
        mistakes=[
            (Z_ref @ W.T, "You forgot to add the mean back: x_hat = mu + W z."),
            (mu + X @ W @ W.T, "Reconstruct from the centred code: x_hat = mu + W W^T (x - mu)."),
        ],
    )
    return (
        "z = W^T (x - mu) and x_hat = mu + W z are one linear encoder and one linear decoder: PCA is "
        "the best such 2-number code, the baseline the nonlinear autoencoder has to beat."
    )


# ----------------------------------------------------------------------------- 07.2 optimal D


@exercise("07.2", todo="Write optimal_discriminator(p_data, p_g): the best D for these two densities.")
def check_optimal_discriminator(optimal_discriminator) -> str:
    """Checks ``optimal_discriminator(p_data (n,), p_g (n,)) -> D* (n,)`` on positive densities."""
    rng = np.random.default_rng(11)
    p_data, p_g = np.exp(rng.normal(size=50)), np.exp(rng.normal(size=50))
    p_g[:5] = p_data[:5]  # where the two densities agree
    got = attempt(optimal_discriminator, p_data, p_g)
    compare(
        "D*",
        got,
        p_data / (p_data + p_g),
        mistakes=[
            (
                p_g / (p_data + p_g),
                "That is the probability of 'fake', 1 - D*: D outputs the "
                "probability that x is REAL, so p_data goes in the numerator.",
            ),
            (
                p_data / p_g,
                "The ratio p_data / p_g is a likelihood ratio in [0, inf), not a probability: "
                "divide by the sum p_data + p_g.",
            ),
        ],
    )
    return (
        "D* = p_data / (p_data + p_g) is 1/2 exactly where p_g = p_data: at the game's equilibrium the "
        "best discriminator can only guess."
    )


# ----------------------------------------------------------------------------- 07.3 the two losses


def _bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(label)))


def _gan_losses_ref(d_real, d_fake, *, swap=False, double_sigmoid=False, halve=False):
    """The D loss (with the typical mistakes as options) from logits."""
    a, b = (torch.sigmoid(d_real), torch.sigmoid(d_fake)) if double_sigmoid else (d_real, d_fake)
    real_label, fake_label = (0, 1) if swap else (1, 0)
    d_loss = _bce(a, real_label) + _bce(b, fake_label)
    return d_loss / 2 if halve else d_loss


def _value(name: str, loss) -> float:
    """The student's loss as a number; it must be a differentiable 0-d tensor."""
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
    return float(loss.detach())


@exercise("07.3", todo="Write gan_losses(d_real, d_fake): the D loss and the non-saturating G loss.")
def check_gan_losses(gan_losses) -> str:
    """Checks ``gan_losses(d_real (B, 1), d_fake (B, 1)) -> (d_loss, g_loss)``, both 0-d tensors."""
    gen = torch.Generator().manual_seed(3)
    d_real = (2 + 2 * torch.randn(32, 1, generator=gen, dtype=torch.float64)).requires_grad_()
    d_fake = (-1 + 3 * torch.randn(32, 1, generator=gen, dtype=torch.float64)).requires_grad_()
    try:
        d_loss, g_loss = require(attempt(gan_losses, d_real, d_fake))
    except RuntimeError as e:
        if "between 0 and 1" in str(e):
            raise Mistake(
                "F.binary_cross_entropy expects probabilities, but D outputs logits: use "
                "F.binary_cross_entropy_with_logits on the logits (it applies the sigmoid "
                "itself, stably)."
            ) from None
        raise
    with torch.no_grad():
        d_ref = _gan_losses_ref(d_real, d_fake)
        g_ref = _bce(d_fake, 1)
        d_mistakes = [
            (
                _gan_losses_ref(d_real, d_fake, swap=True),
                "The labels are swapped: D must say 1 (real) on the real batch and 0 (fake) on the fakes.",
            ),
            (
                _gan_losses_ref(d_real, d_fake, double_sigmoid=True),
                "You applied the sigmoid and then "
                "binary_cross_entropy_with_logits, which applies it again: pass the raw logits.",
            ),
            (
                _gan_losses_ref(d_real, d_fake, halve=True),
                "This is half the D loss: add the two batch means "
                "-mean log D(x) - mean log(1 - D(x~)) (BCE on the concatenated batch averages them).",
            ),
        ]
        g_mistakes = [
            (
                torch.log1p(-torch.sigmoid(d_fake)).mean(),
                "This is the saturating minimax loss "
                "log(1 - D(G(z))): its gradient vanishes while D wins. Use the non-saturating -log D(G(z)), "
                "i.e. BCE of the fake logits with label 1.",
            ),
            (
                _bce(d_fake, 0),
                "BCE with label 0 is D's goal on the fakes: the generator wants D to call its "
                "fakes real, so use label 1.",
            ),
            (
                _bce(torch.sigmoid(d_fake), 1),
                "You applied the sigmoid and then binary_cross_entropy_with_logits, "
                "which applies it again: pass the raw logits.",
            ),
        ]
    compare_scalar("d_loss", _value("d_loss", d_loss), float(d_ref), mistakes=[(float(v), t) for v, t in d_mistakes])
    compare_scalar("g_loss", _value("g_loss", g_loss), float(g_ref), mistakes=[(float(v), t) for v, t in g_mistakes])
    return (
        "D's loss is logistic regression, real vs fake; G's non-saturating loss -log D(G(z)) is "
        "steepest exactly when D rejects its fakes, so G keeps learning while it is losing."
    )


# ----------------------------------------------------------------------------- 07.4 one round


@keeps_global_rng
def _players(seed: int = 5):
    """A tiny generator R^3 -> R^2 and discriminator R^2 -> logit (float64), the same for every call."""
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    return G, D


def _flat(module: nn.Module) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()]).numpy().copy()


def _with_old_grads(*modules):
    """Fill every parameter's .grad with 0.5: left-over gradients of an earlier round."""
    for m in modules:
        for p in m.parameters():
            p.grad = torch.full_like(p, 0.5)


def _reference_round(real, z, *, zero_d=True, zero_g=True, swap=False, halve=False, g_loss="non-saturating"):
    """Parameters of (D, G) after one round, optionally with a typical mistake."""
    G, D = _players()
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.5), torch.optim.SGD(D.parameters(), lr=0.5)
    _with_old_grads(G, D)
    fake = G(z)
    d_loss = _gan_losses_ref(D(real), D(fake.detach()), swap=swap, halve=halve)
    if zero_d:
        opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    logits = D(fake)
    loss = {
        "non-saturating": _bce(logits, 1),
        "saturating": torch.log1p(-torch.sigmoid(logits)).mean(),
        "label 0": _bce(logits, 0),
    }[g_loss]
    if zero_g:
        opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return _flat(D), _flat(G), float(d_loss.detach()), float(loss.detach())


@exercise("07.4", todo="Write one_gan_step(G, D, opt_G, opt_D, real, z): a D step, then a G step.")
def check_one_gan_step(one_gan_step) -> str:
    """Checks ``one_gan_step(G, D, opt_G, opt_D, real (B, 2), z (B, 3)) -> (d_loss, g_loss)`` floats,
    on a tiny G and D with SGD, by the parameters after the round."""
    gen = torch.Generator().manual_seed(8)
    real = 1.5 + 0.3 * torch.randn(16, 2, generator=gen, dtype=torch.float64)
    z = torch.randn(16, 3, generator=gen, dtype=torch.float64)
    G, D = _players()
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.5), torch.optim.SGD(D.parameters(), lr=0.5)
    _with_old_grads(G, D)
    leaked = []  # at D's step: did D's loss put gradients into G's parameters?
    old = [torch.full_like(p, 0.5) for p in G.parameters()]
    opt_D.register_step_pre_hook(
        lambda *_: leaked.append(
            any(
                p.grad is not None and p.grad.abs().sum() > 0 and not torch.equal(p.grad, o)
                for p, o in zip(G.parameters(), old)
            )
        )
    )
    try:
        losses = require(attempt(one_gan_step, G, D, opt_G, opt_D, real.clone(), z.clone()))
    except RuntimeError as e:
        if "second time" in str(e):
            raise Mistake(
                "backward ran twice through G's graph: D's loss must use the DETACHED fakes, "
                "D(fake.detach()), so that d_loss.backward() stops at the fakes and G's graph is "
                "still there for the generator step."
            ) from None
        if "inplace operation" in str(e):
            raise Mistake(
                "G's loss used logits of D computed before opt_D.step(), which changed D's weights in "
                "place: compute d_on_fake = D(fake) after the discriminator step."
            ) from None
        raise
    if any(leaked):
        raise Mistake(
            "D's loss reached G's parameters: use D(fake.detach()) in the discriminator loss; the "
            "D step must not compute (or accumulate) gradients for G."
        )
    if not leaked:
        raise Mistake("opt_D.step() was never called: the discriminator must take its step first.")
    d_ref, g_ref, d_loss_ref, g_loss_ref = _reference_round(real, z)
    compare(
        "D's parameters after the round",
        _flat(D),
        d_ref,
        mistakes=[
            (
                _reference_round(real, z, zero_d=False)[0],
                "D's old gradients were still there: call opt_D.zero_grad() before d_loss.backward().",
            ),
            (_reference_round(real, z, swap=True)[0], "D's labels are swapped: 1 for the real batch, 0 for the fakes."),
            (
                _reference_round(real, z, halve=True)[0],
                "D's loss is halved: add the two batch means "
                "(real with label 1, fakes with label 0) instead of averaging them.",
            ),
        ],
    )
    compare(
        "G's parameters after the round",
        _flat(G),
        g_ref,
        mistakes=[
            (
                _reference_round(real, z, zero_g=False)[1],
                "G's old gradients were still there: call opt_G.zero_grad() before g_loss.backward().",
            ),
            (
                _reference_round(real, z, g_loss="saturating")[1],
                "G descended the saturating log(1 - D(G(z))); "
                "use the non-saturating loss: BCE of D(fake) with label 1.",
            ),
            (
                _reference_round(real, z, g_loss="label 0")[1],
                "G's loss uses label 0, which trains G to look fake: the generator wants D(G(z)) = 1.",
            ),
        ],
    )
    if not isinstance(losses, tuple) or len(losses) != 2:
        raise Mistake("return the two losses as a tuple (d_loss.item(), g_loss.item()).")
    compare_scalar("d_loss", losses[0], d_loss_ref)
    compare_scalar("g_loss", losses[1], g_loss_ref)
    return (
        "one round: D learns on a detached fake batch, then G learns through D; each optimiser is "
        "zeroed before its backward pass, which is exactly course_utils.generative.gan_step."
    )


# ----------------------------------------------------------------------------- 07.5 mode counting


def _ring_case(seed: int = 4):
    """Samples (n, 2) of a half-collapsed generator on the 8-mode ring, centres (8, 2) and the radius."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(8) / 8
    centers = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    per_mode = [300, 250, 10, 0, 200, 40, 150, 70]
    near = [c + 0.04 * rng.normal(size=(k, 2)) for c, k in zip(centers, per_mode)]
    far = rng.uniform(-0.8, 0.8, size=(200, 2))  # in the middle of the ring, far from every centre
    samples = np.concatenate(near + [far])
    return samples[rng.permutation(len(samples))], centers, 0.15


def _count(samples, centers, radius, *, use_radius=True):
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    keep = dist[np.arange(len(samples)), nearest] <= radius if use_radius else np.ones(len(samples), bool)
    return np.bincount(nearest[keep], minlength=len(centers))


@exercise("07.5", todo="Write count_modes(samples, centers, radius): samples near each centre, modes covered.")
def check_count_modes(count_modes) -> str:
    """Checks ``count_modes(samples (n, 2), centers (K, 2), radius) -> (counts (K,), n_covered)``."""
    samples, centers, radius = _ring_case()
    out = attempt(count_modes, samples, centers, radius)
    if not isinstance(out, tuple) or len(out) != 2:
        raise Mistake("return a tuple (counts, n_covered).")
    counts, n_covered = out
    ref = _count(samples, centers, radius)
    compare(
        "counts",
        counts,
        ref,
        mistakes=[
            (
                _count(samples, centers, radius, use_radius=False),
                "You counted every sample at its nearest "
                "centre, even far ones: only samples within `radius` of a centre are near it.",
            ),
            ((ref > 0).astype(float), "Counts should be the NUMBER of near samples per mode, not whether it has any."),
        ],
    )
    fair = len(samples) / len(centers)
    compare_scalar(
        "n_covered",
        n_covered,
        int((ref >= 0.5 * fair).sum()),
        mistakes=[
            (
                int((ref > 0).sum()),
                "A mode with a handful of samples is not covered: it needs at least half its "
                "fair share, 0.5 * n / K near samples.",
            ),
            (
                int((ref >= 0.5 * ref.sum() / len(centers)).sum()),
                "The fair share is n / K with n = ALL samples, also those near no mode.",
            ),
        ],
    )
    return (
        "4 of the 8 modes hold nearly all the near samples while 4 are starved: the counts reveal mode "
        "collapse even when a scatter plot looks fine."
    )


# ----------------------------------------------------------------------------- self-checks

QUIZZES = {
    "07.q1": Quiz(
        question="Remove every nonlinearity from the autoencoder (all layers linear, same 2-unit "
        "bottleneck) and train it on the same mean squared error. Its best possible test "
        "reconstruction error is then...",
        options={
            "a": "lower than PCA-2's: six trained layers can do more than one projection",
            "b": "the same as PCA-2's: a chain of linear maps is one linear map of rank at most 2",
            "c": "always higher than PCA-2's: gradient descent cannot find PCA's directions",
            "d": "zero: with enough layers any data can be reconstructed",
        },
        answer="b",
        explanations={
            "a": "Not quite: stacked linear layers multiply into ONE matrix, and through the 2-unit "
            "bottleneck its rank is at most 2; PCA already is the best rank-2 linear code.",
            "b": "A linear autoencoder is a rank-2 linear map, and PCA-2 is the best one for squared "
            "error; it can match PCA (it finds PCA's subspace) but not beat it. Only the "
            "nonlinearities let our autoencoder do better.",
            "c": "Not quite: trained well, a linear autoencoder recovers the subspace PCA finds "
            "(Baldi & Hornik, 1989); it just cannot beat it.",
            "d": "Not quite: every reconstruction is squeezed through 2 numbers, so a 64-pixel "
            "digit cannot be rebuilt exactly.",
        },
    ),
    "07.q2": Quiz(
        question="At some point x the data are three times as likely as the generator's samples: "
        "p_data(x) = 3 p_g(x). What does the optimal discriminator D*(x) output there?",
        answer=0.75,
        explanations={
            "right": "D*(x) = 3 p_g / (3 p_g + p_g) = 3/4: of the samples landing near x, three in four are real."
        },
        wrong="plug p_data = 3 p_g into D* = p_data / (p_data + p_g); p_g cancels.",
        tolerance=1e-2,
    ),
    "07.q3": Quiz(
        question="Training a GAN, you see the discriminator's loss stay near 2 log 2 ≈ 1.39 all along. "
        "What does that tell you about the generator?",
        options={
            "a": "It has reached p_g = p_data: the losses are at their equilibrium values",
            "b": "Little: the losses of a game do not measure sample quality or diversity, so look at "
            "the samples (mode counts, a judge classifier)",
            "c": "The discriminator is broken and should be re-initialised",
            "d": "Training diverged: a useful loss must go to zero",
        },
        answer="b",
        explanations={
            "a": "Not quite: D's loss also stays near 2 log 2 when both players chase each other, "
            "e.g. around a ring of modes; it is necessary, not sufficient, for equilibrium.",
            "b": "Right: the game's losses hover where neither player is far ahead, whatever the "
            "samples look like, which is why this notebook counts modes and asks a CNN judge.",
            "c": "Not quite: a D loss near 2 log 2 is what a healthy game looks like too.",
            "d": "Not quite: in a game neither loss goes to zero; at equilibrium D outputs 1/2.",
        },
    ),
    "07.q4": Quiz(
        question="z0 and z1 are independent samples of N(0, I) in 16 dimensions, so each has norm about "
        "sqrt(16) = 4. About what norm does the linear midpoint (z0 + z1) / 2 have? "
        "(two decimals)",
        answer=float(np.sqrt(8.0)),
        explanations={
            "right": "(z0 + z1)/2 is N(0, I/2): each coordinate has variance 1/2, so the norm is "
            "about sqrt(16/2) = 2.83, atypically short for the generator; slerp keeps it "
            "near 4."
        },
        wrong="each coordinate of (z0 + z1)/2 is a sum of two independent N(0, 1) halves: what is its variance?",
        tolerance=2e-2,
    ),
}
quiz = quizzes(QUIZZES)


# ----------------------------------------------------------------------------- typical mistakes

_IMPORTS = "import numpy as np\nimport torch\nimport torch.nn.functional as F\n\n\n"

MISTAKES = {
    "07.1": [
        (
            _IMPORTS + "def pca_code_and_reconstruction(X, mu, W):\n    Z = X @ W\n    return Z, mu + Z @ W.T\n",
            "without centring",
        ),
        (
            _IMPORTS + "def pca_code_and_reconstruction(X, mu, W):\n    Z = (X - mu) @ W\n    return Z, Z @ W.T\n",
            "add the mean back",
        ),
    ],
    "07.2": [
        ("def optimal_discriminator(p_data, p_g):\n    return p_g / (p_data + p_g)\n", "probability that x is REAL"),
        ("def optimal_discriminator(p_data, p_g):\n    return p_data / p_g\n", "likelihood ratio"),
    ],
    "07.3": [
        (
            _IMPORTS + "def gan_losses(d_real, d_fake):\n"
            "    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))\n"
            "              + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))\n"
            "    g_loss = torch.log(1 - torch.sigmoid(d_fake)).mean()\n"
            "    return d_loss, g_loss\n",
            "saturating minimax loss",
        ),
        (
            _IMPORTS + "def gan_losses(d_real, d_fake):\n"
            "    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.zeros_like(d_real))\n"
            "              + F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake)))\n"
            "    g_loss = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))\n"
            "    return d_loss, g_loss\n",
            "labels are swapped",
        ),
        (
            _IMPORTS + "def gan_losses(d_real, d_fake):\n"
            "    p_real, p_fake = torch.sigmoid(d_real), torch.sigmoid(d_fake)\n"
            "    d_loss = (F.binary_cross_entropy_with_logits(p_real, torch.ones_like(p_real))\n"
            "              + F.binary_cross_entropy_with_logits(p_fake, torch.zeros_like(p_fake)))\n"
            "    g_loss = F.binary_cross_entropy_with_logits(p_fake, torch.ones_like(p_fake))\n"
            "    return d_loss, g_loss\n",
            "applies it again",
        ),
        (
            _IMPORTS + "def gan_losses(d_real, d_fake):\n"
            "    d_loss = (F.binary_cross_entropy(d_real, torch.ones_like(d_real))\n"
            "              + F.binary_cross_entropy(d_fake, torch.zeros_like(d_fake)))\n"
            "    g_loss = F.binary_cross_entropy(d_fake, torch.ones_like(d_fake))\n"
            "    return d_loss, g_loss\n",
            "expects probabilities",
        ),
    ],
    "07.4": [
        (
            _IMPORTS + "def one_gan_step(G, D, opt_G, opt_D, real, z):\n"
            "    fake = G(z)\n"
            "    d_real, d_fake = D(real), D(fake)\n"
            "    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))\n"
            "              + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))\n"
            "    opt_D.zero_grad()\n    d_loss.backward()\n    opt_D.step()\n"
            "    d_on_fake = D(fake)\n"
            "    g_loss = F.binary_cross_entropy_with_logits(d_on_fake, torch.ones_like(d_on_fake))\n"
            "    opt_G.zero_grad()\n    g_loss.backward()\n    opt_G.step()\n"
            "    return d_loss.item(), g_loss.item()\n",
            "DETACHED fakes",
        ),
        (
            _IMPORTS + "def one_gan_step(G, D, opt_G, opt_D, real, z):\n"
            "    fake = G(z)\n"
            "    d_real, d_fake = D(real), D(fake.detach())\n"
            "    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))\n"
            "              + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))\n"
            "    d_loss.backward()\n    opt_D.step()\n"
            "    d_on_fake = D(fake)\n"
            "    g_loss = F.binary_cross_entropy_with_logits(d_on_fake, torch.ones_like(d_on_fake))\n"
            "    g_loss.backward()\n    opt_G.step()\n"
            "    return d_loss.item(), g_loss.item()\n",
            "opt_D.zero_grad()",
        ),
        (
            _IMPORTS + "def one_gan_step(G, D, opt_G, opt_D, real, z):\n"
            "    fake = G(z)\n"
            "    d_real, d_fake = D(real), D(fake.detach())\n"
            "    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))\n"
            "              + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))\n"
            "    opt_D.zero_grad()\n    d_loss.backward()\n    opt_D.step()\n"
            "    g_loss = torch.log(1 - torch.sigmoid(D(fake))).mean()\n"
            "    opt_G.zero_grad()\n    g_loss.backward()\n    opt_G.step()\n"
            "    return d_loss.item(), g_loss.item()\n",
            "saturating log(1 - D(G(z)))",
        ),
        (
            _IMPORTS + "def one_gan_step(G, D, opt_G, opt_D, real, z):\n"
            "    fake = G(z)\n"
            "    d_real, d_fake, d_on_fake = D(real), D(fake.detach()), D(fake)\n"
            "    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))\n"
            "              + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))\n"
            "    opt_D.zero_grad()\n    d_loss.backward()\n    opt_D.step()\n"
            "    g_loss = F.binary_cross_entropy_with_logits(d_on_fake, torch.ones_like(d_on_fake))\n"
            "    opt_G.zero_grad()\n    g_loss.backward()\n    opt_G.step()\n"
            "    return d_loss.item(), g_loss.item()\n",
            "after the discriminator step",
        ),
    ],
    "07.5": [
        (
            _IMPORTS + "def count_modes(samples, centers, radius):\n"
            "    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)\n"
            "    counts = np.bincount(dist.argmin(axis=1), minlength=len(centers))\n"
            "    return counts, int((counts >= 0.5 * len(samples) / len(centers)).sum())\n",
            "even far ones",
        ),
        (
            _IMPORTS + "def count_modes(samples, centers, radius):\n"
            "    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)\n"
            "    nearest = dist.argmin(axis=1)\n"
            "    near = dist.min(axis=1) <= radius\n"
            "    counts = np.bincount(nearest[near], minlength=len(centers))\n"
            "    return counts, int((counts > 0).sum())\n",
            "half its fair share",
        ),
    ],
}
