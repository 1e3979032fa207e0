"""Generative models: the GAN training step and loop, mode counting, latent interpolation; the VAE's pieces.

The GAN (Goodfellow et al. 2014) is a two-player game between a generator G,
which maps noise z ~ N(0, I) to samples, and a discriminator D, which outputs
the logit of "this sample is real":

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))]

:func:`gan_step` makes one move of each player (:func:`gan_round` with the noise given); :func:`train_gan` repeats it
with the course's progress bar (:func:`course_utils.training.progress_bar`) and keeps
snapshots of the generator's samples. (The alternating two-player steps are not the
one-model loop of :func:`course_utils.training.fit`, so the GAN keeps its own loop.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .runtime import device as default_device
from .training import progress_bar


def sample_latent(
    n: int, latent_dim: int, device: torch.device | str | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """n latent vectors z ~ N(0, I): (n, latent_dim) float32 on ``device``."""
    if n < 1 or latent_dim < 1:
        raise ValueError(f"need n >= 1 and latent_dim >= 1, got {n}, {latent_dim}")
    z = torch.randn(n, latent_dim, generator=generator)
    return z.to(device if device is not None else default_device())


def gan_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    latent_dim: int,
    real_label: float = 1.0,
    pack: int = 1,
) -> tuple[float, float]:
    """One round of the minimax game: a discriminator step, then a generator step.

    Draws the noise z ~ N(0, I), (B, latent_dim), from torch's global generator and plays
    :func:`gan_round` with it.

    Discriminator: minimise BCE(D(real), real_label) + BCE(D(G(z)), 0), i.e. maximise
    log D(x) + log(1 - D(G(z))). ``real_label`` < 1 is one-sided label smoothing.
    Generator: the "non-saturating" form of the game, minimise BCE(D(G(z)), 1) =
    -log D(G(z)), which has the same fixed point as minimising log(1 - D(G(z)))
    but gives strong gradients while D still wins easily.

    With ``pack`` = m > 1 (PacGAN, Lin et al. 2018) the discriminator judges m
    samples at once, concatenated: a generator that repeats itself makes packs
    that look nothing like packs of real data, so mode collapse is penalised.

    Args:
        G: maps (B, latent_dim) to samples shaped like ``real``.
        D: maps samples (B, ...) to logits (B, 1); with packing, (B / m, m * features) to (B / m, 1).
        real: (B, ...) a batch of real data on the models' device; B divisible by ``pack``.

    Returns:
        (d_loss, g_loss) as floats.
    """
    _check_round(len(real), real_label, pack)
    z = torch.randn(len(real), latent_dim).to(real.device)  # drawn on the CPU: a GPU sees the noise the CPU does
    return gan_round(G, D, opt_G, opt_D, real, z, real_label=real_label, pack=pack)


def _check_round(b: int, real_label: float, pack: int) -> None:
    if not 0.5 < real_label <= 1.0:
        raise ValueError(f"real_label must be in (0.5, 1], got {real_label!r}")
    if int(pack) != pack or pack < 1 or b % pack:
        raise ValueError(f"pack must be a positive integer dividing the batch size {b}, got {pack!r}")


def gan_round(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    real_label: float = 1.0,
    pack: int = 1,
) -> tuple[float, float]:
    """The round of :func:`gan_step` with the noise given: ``z`` (B, latent_dim), one vector per fake.

    With its defaults it has the signature of notebook 08's exercise ``one_gan_step(G, D, opt_G, opt_D,
    real, z)`` and gives the same result; it only skips computing D's weight gradients in the generator's
    step (they are never used), which saves time.

    Returns:
        (d_loss, g_loss) as floats.
    """
    b = len(real)
    _check_round(b, real_label, pack)
    if len(z) != b:
        raise ValueError(f"need one latent vector per real sample, got {len(z)} for {b}")
    packed = lambda x: x.reshape(b // pack, -1) if pack > 1 else x  # noqa: E731
    fake = G(z)
    d_real, d_fake = D(packed(real)), D(packed(fake.detach()))
    d_loss = F.binary_cross_entropy_with_logits(
        d_real, torch.full_like(d_real, real_label)
    ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    opt_D.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_D.step()
    frozen = [p for p in D.parameters() if p.requires_grad]
    for p in frozen:  # G's step needs gradients through D, not for D's weights: skip computing those
        p.requires_grad_(False)
    try:
        d_on_fake = D(packed(fake))
        g_loss = F.binary_cross_entropy_with_logits(d_on_fake, torch.ones_like(d_on_fake))
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
    finally:
        for p in frozen:
            p.requires_grad_(True)
    return d_loss.item(), g_loss.item()


@dataclass
class GANHistory:
    """What :func:`train_gan` records: losses per step and generator samples at chosen steps.

    snapshots: step -> (n_snapshot, ...) CPU tensor of samples from a fixed latent batch.
    """

    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    snapshots: dict = field(default_factory=dict)


def train_gan(
    G: nn.Module,
    D: nn.Module,
    data: torch.Tensor,
    *,
    latent_dim: int,
    steps: int,
    batch_size: int = 128,
    lr: float = 2e-3,
    betas: tuple = (0.5, 0.999),
    real_label: float = 1.0,
    pack: int = 1,
    snapshot_at: Sequence[int] = (),
    n_snapshot: int = 512,
    device: torch.device | str | None = None,
    seed: int = 0,
    progress: bool = True,
    desc: str = "GAN",
    step: Callable | None = None,
) -> GANHistory:
    """Train a GAN with Adam for ``steps`` rounds of :func:`gan_step` on minibatches of ``data``.

    Both learning rates decay linearly to 0 over the run, which settles the game.

    Args:
        G, D: generator (B, latent_dim) -> (B, ...) and discriminator (B, ...) -> (B, 1).
        data: (N, ...) real examples; minibatches of ``batch_size`` are drawn with replacement.
        real_label, pack: passed to :func:`gan_step`.
        step: a function ``step(G, D, opt_G, opt_D, real, z) -> (d_loss, g_loss)`` that plays one round with
            the noise ``z`` (B, latent_dim) given (e.g. the student's ``one_gan_step`` of notebook 08, or
            :func:`gan_round`), used instead of :func:`gan_step`; the noise is drawn exactly as
            :func:`gan_step` draws it, so ``step=gan_round`` gives the same run. Needs ``pack=1`` and
            ``real_label=1.0`` (packing and label smoothing are :func:`gan_step`'s).
        snapshot_at: steps (0 = before training, ``steps`` = the end) at which to record
            G's output for one fixed latent batch of ``n_snapshot`` vectors.
        seed: seeds the minibatch sampler and the snapshot latents.

    Returns:
        A :class:`GANHistory`.
    """
    if int(steps) != steps or steps < 1 or batch_size < 1:
        raise ValueError(f"need steps >= 1 and batch_size >= 1, got {steps}, {batch_size}")
    if any(not 0 <= s <= steps for s in snapshot_at):
        raise ValueError(f"snapshot steps must lie in [0, {steps}], got {list(snapshot_at)}")
    if step is not None and (pack != 1 or real_label != 1.0):
        raise ValueError(
            f"a step function plays plain rounds: need pack=1 and real_label=1.0, got {pack}, {real_label}"
        )
    device = torch.device(device) if device is not None else default_device()
    G.to(device)
    D.to(device)
    data = data.to(device)
    gen = torch.Generator().manual_seed(seed)
    z_fixed = sample_latent(n_snapshot, latent_dim, device, generator=gen)
    opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    decay = lambda step: 1.0 - step / steps  # noqa: E731
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_G, opt_D)]
    history = GANHistory()
    wanted = set(int(s) for s in snapshot_at)

    def snapshot(k):
        if k in wanted:
            G.eval()
            with torch.no_grad():
                history.snapshots[k] = G(z_fixed).cpu()
            G.train()

    snapshot(0)
    bar = progress_bar(range(1, int(steps) + 1), desc=desc, unit="step", progress=progress, mininterval=0.5)
    for k in bar:
        idx = torch.randint(0, len(data), (batch_size,), generator=gen).to(device)
        if step is None:
            d_loss, g_loss = gan_step(G, D, opt_G, opt_D, data[idx], latent_dim, real_label, pack)
        else:  # the same noise gan_step would draw
            z = torch.randn(batch_size, latent_dim).to(device)  # the CPU's stream, as in gan_round
            d_loss, g_loss = (float(loss) for loss in step(G, D, opt_G, opt_D, data[idx], z))
        history.d_loss.append(d_loss)
        history.g_loss.append(g_loss)
        for s in scheds:
            s.step()
        snapshot(k)
        if k % 100 == 0:
            bar.set_postfix({"D loss": f"{d_loss:.3f}", "G loss": f"{g_loss:.3f}"}, refresh=False)
    bar.close()
    return history


@dataclass(frozen=True)
class Coverage:
    """Result of :func:`mode_coverage`.

    n_covered: modes that got at least ``min_share`` of their fair share of samples.
    counts: (n_modes,) samples within ``radius`` of each centre.
    high_quality: fraction of all samples within ``radius`` of some centre.
    """

    n_covered: int
    counts: np.ndarray
    high_quality: float


def mode_coverage(samples, centers, radius: float, min_share: float = 0.5) -> Coverage:
    """How many modes of a mixture a generator's samples cover.

    A sample is "near" mode k when it lies within ``radius`` of centre k. With n
    samples and K modes, each mode's fair share is n / K; mode k is covered when
    it receives at least ``min_share * n / K`` near samples. A collapsed generator
    piles its samples on a few modes and leaves the others with almost none.

    Args:
        samples: (n, d) generated points (array or tensor).
        centers: (K, d) mode centres.
        radius: distance that counts as "near" (e.g. 3 standard deviations).
        min_share: fraction of the fair share a mode needs, in (0, 1].
    """
    x = np.asarray(samples.detach().cpu() if hasattr(samples, "detach") else samples, dtype=float)
    c = np.asarray(centers, dtype=float)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1] or len(x) == 0:
        raise ValueError(f"need samples (n, d) and centers (K, d), got {x.shape} and {c.shape}")
    if radius <= 0 or not 0 < min_share <= 1:
        raise ValueError(f"need radius > 0 and min_share in (0, 1], got {radius}, {min_share}")
    dist = np.linalg.norm(x[:, None, :] - c[None, :, :], axis=2)  # (n, K)
    nearest = dist.argmin(axis=1)
    near = dist[np.arange(len(x)), nearest] <= radius
    counts = np.bincount(nearest[near], minlength=len(c))
    n_covered = int((counts >= min_share * len(x) / len(c)).sum())
    return Coverage(n_covered, counts, float(near.mean()))


def interpolate_latents(z0: torch.Tensor, z1: torch.Tensor, t, method: str = "linear") -> torch.Tensor:
    """Points on the path from latent vector z0 (t = 0) to z1 (t = 1).

    Args:
        z0, z1: (latent_dim,) tensors.
        t: a number or a sequence of numbers in [0, 1] (or a tensor of them, on any device).
        method: ``"linear"``, z = (1 - t) z0 + t z1; or ``"slerp"``, along the great
            circle, which keeps the norm typical of Gaussian latents.

    Returns:
        (len(t), latent_dim) tensor (one row for a scalar t).
    """
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError(f"z0 and z1 must be equal 1-D shapes, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    if not isinstance(t, torch.Tensor):  # a number or a sequence of numbers; a tensor may be on any device
        t = np.asarray(t, dtype=float)
    ts = torch.as_tensor(t, dtype=z0.dtype, device=z0.device).reshape(-1, 1)
    if ((ts < 0) | (ts > 1)).any():
        raise ValueError(f"t must lie in [0, 1], got {t!r}")
    if method == "linear":
        return (1 - ts) * z0 + ts * z1
    if method == "slerp":
        cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
        omega = torch.arccos(cos.clamp(-1 + 1e-7, 1 - 1e-7))
        so = torch.sin(omega)
        return (torch.sin((1 - ts) * omega) * z0 + torch.sin(ts * omega) * z1) / so
    raise ValueError(f"method must be 'linear' or 'slerp', got {method!r}")


# ------------------------------------------------------------------------- the variational autoencoder (notebook 07)
#
# The encoder of a VAE outputs, per sample, the mean mu and the log-variance logvar = log sigma^2 of a diagonal
# Gaussian q(z | x) = N(mu, diag sigma^2) over the code; the prior is p(z) = N(0, I). The loss per batch is the
# reconstruction term plus beta times KL(q(z | x) || p(z)), each summed over its dimensions and averaged over the
# batch.


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A draw z ~ N(mu, diag exp(logvar)) written as z = mu + exp(logvar / 2) * eps, eps ~ N(0, I).

    The randomness is an input (eps), so z is a differentiable function of mu and logvar.

    Args:
        mu, logvar: (B, d) means and log-variances.
        generator: draws eps (torch's global generator when None).

    Returns:
        (B, d) codes.
    """
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
    return mu + torch.exp(logvar / 2) * eps


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2), in closed form.

    Args:
        mu, logvar: (B, d) means and log-variances (logvar = log sigma^2).

    Returns:
        A 0-d tensor: the sum over the d code dimensions, averaged over the B samples.
    """
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1).mean()


def kl_monte_carlo(
    mu: torch.Tensor, logvar: torch.Tensor, n_samples: int = 1000, generator: torch.Generator | None = None
) -> tuple[float, float]:
    """A Monte Carlo estimate of the quantity :func:`kl_to_standard_normal` computes, and its standard error.

    For each of the B rows, ``n_samples`` codes z ~ q = N(mu, diag sigma^2) are drawn and log q(z) - log p(z) with
    p = N(0, I) is averaged (the definition KL(q || p) = E_q[log q(z) - log p(z)]); the B estimates are averaged.

    Args:
        mu, logvar: (B, d) means and log-variances.
        n_samples: draws per row (>= 2).
        generator: draws the codes (torch's global generator when None).

    Returns:
        (estimate, standard error of the estimate) as floats.
    """
    if int(n_samples) != n_samples or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    mu, logvar = mu.detach().double().cpu(), logvar.detach().double().cpu()
    eps = torch.randn((int(n_samples), *mu.shape), generator=generator, dtype=torch.float64)  # (S, B, d)
    z = mu + torch.exp(logvar / 2) * eps
    log_q = -0.5 * (eps**2 + logvar + np.log(2 * np.pi)).sum(dim=-1)  # (S, B): (z - mu) / sigma = eps
    log_p = -0.5 * (z**2 + np.log(2 * np.pi)).sum(dim=-1)
    terms = (log_q - log_p).mean(dim=1)  # (S,): each draw's estimate of the batch mean
    return float(terms.mean()), float(terms.std() / np.sqrt(len(terms)))


def vae_loss(
    x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float = 1.0
) -> torch.Tensor:
    """The VAE's loss on a batch: reconstruction + beta * KL, each summed over its dimensions, averaged over the batch.

    The reconstruction term is the binary cross-entropy between the pixels x in [0, 1] and the decoder's logits
    (a Bernoulli decoder, as Kingma & Welling's for MNIST); the KL term is :func:`kl_to_standard_normal`.

    Args:
        x: (B, D) inputs in [0, 1].  logits: (B, D) the decoder's outputs before the sigmoid.
        mu, logvar: (B, d) the encoder's means and log-variances.  beta: the KL weight (>= 0).

    Returns:
        A 0-d tensor (differentiable).
    """
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    return reconstruction + beta * kl_to_standard_normal(mu, logvar)


class DigitVAE(nn.Module):
    """A small VAE: x (B, n_in) -> hidden (B, n_hidden) -> mu, logvar (B, n_code) -> z -> logits (B, n_in).

    ``sample`` draws z from mu and logvar (default :func:`reparameterize`; a notebook passes the student's).
    ``forward`` returns (logits, mu, logvar); ``decode`` returns logits, ``generate`` pixel values in (0, 1).
    """

    def __init__(self, n_in: int = 64, n_hidden: int = 128, n_code: int = 2, sample=None):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU())
        self.to_mu = nn.Linear(n_hidden, n_code)
        self.to_logvar = nn.Linear(n_hidden, n_code)
        self.decoder = nn.Sequential(nn.Linear(n_code, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_in))
        self.sample = sample or reparameterize

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.hidden(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        return self.decode(self.sample(mu, logvar)), mu, logvar


def vae_step(
    model: nn.Module, x: torch.Tensor, optimizer: torch.optim.Optimizer, beta: float = 1.0, loss_fn: Callable = vae_loss
) -> float:
    """One gradient step of a VAE on a batch x (B, D): ``loss_fn(x, *model(x), beta)``, backpropagated, stepped.

    ``model(x)`` returns (logits, mu, logvar), as :class:`DigitVAE`'s does; ``loss_fn`` has :func:`vae_loss`'s
    signature (notebook 07 passes the student's). Returns the loss as a float.
    """
    logits, mu, logvar = model(x)
    loss = loss_fn(x, logits, mu, logvar, beta)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_autoencoder(
    model: nn.Module,
    X: torch.Tensor,
    step: Callable,
    *,
    epochs: int,
    lr: float = 5e-3,
    batch_size: int = 64,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[nn.Module, list[float]]:
    """Train ``model`` to reconstruct the rows of X, the loop of notebook 07's autoencoder and VAE.

    Each of the ``epochs`` passes goes once through X in minibatches of ``batch_size`` (reshuffled every epoch by
    a generator seeded with ``seed``) and calls ``step(model, xb, optimizer)``, which does one gradient step and
    returns the batch's loss (notebook 07's ``train_step`` for the autoencoder, :func:`vae_step` for a VAE). The
    optimiser is Adam with a one-cycle schedule over the epochs (peak ``lr``), stepped once per epoch. The
    model's initial weights are the caller's: seed before building it.

    Args:
        X: (N, D) training inputs; they are also the targets.

    Returns:
        (the model on ``device``, in eval mode; the mean training loss of each epoch).
    """
    from .datasets import tensor_loader

    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=int(epochs))
    loader = tensor_loader(X, X, batch_size=batch_size, seed=seed)
    losses = []
    for _ in range(int(epochs)):
        model.train()
        batch_losses = [float(step(model, xb.to(device), opt)) for xb, _ in loader]
        schedule.step()
        losses.append(float(np.mean(batch_losses)))
    return model.eval(), losses


def _rows(a) -> np.ndarray:
    x = np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=float)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"need a non-empty (n, D) array, got shape {x.shape}")
    return x


def nearest_distance(samples, data) -> float:
    """The mean, over the samples, of the Euclidean distance from a sample to its nearest row of ``data``.

    Args:
        samples: (n, D) generated points; data: (m, D) real ones (arrays or tensors).
    """
    s, x = _rows(samples), _rows(data)
    if s.shape[1] != x.shape[1]:
        raise ValueError(f"samples and data need the same width, got {s.shape} and {x.shape}")
    d2 = (s**2).sum(1)[:, None] + (x**2).sum(1)[None, :] - 2 * s @ x.T
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0)).mean())


def two_sample_accuracy(samples, data, folds: int = 5) -> float:
    """A classifier two-sample test: how well a logistic regression tells the samples from the real data.

    The rows of ``samples`` (label 0) and ``data`` (label 1) are pooled; the result is the logistic regression's
    accuracy on held-out rows, averaged over ``folds`` stratified folds (deterministic). About 0.5 means the two
    sets cannot be told apart by a linear function of the pixels (with equal set sizes); 1 means every sample
    gives itself away.

    Args:
        samples: (n, D) generated points; data: (m, D) real ones (arrays or tensors), n, m >= ``folds``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    s, x = _rows(samples), _rows(data)
    if s.shape[1] != x.shape[1] or min(len(s), len(x)) < folds or folds < 2:
        raise ValueError(f"need (n, D) and (m, D) with n, m >= folds >= 2, got {s.shape}, {x.shape}, {folds}")
    X = np.concatenate([s, x])
    y = np.r_[np.zeros(len(s)), np.ones(len(x))]
    return float(cross_val_score(LogisticRegression(max_iter=2000), X, y, cv=folds).mean())
