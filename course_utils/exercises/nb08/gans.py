"""Notebook 08's GANs: 08.1 the optimal D, 08.2 the two losses, 08.3 one round (step by step), 08.4 mode counting.

08.3 is the whole training step: the notebook's ring GAN plays the student's ``one_gan_step`` once the check
accepts it, and ``check_one_gan_step.solution`` (:func:`course_utils.generative.gan_round`) until then."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...generative import gan_round
from ...runtime import keeps_global_rng
from .. import (
    Case,
    Exercise,
    LeavesInputs,
    Mistake,
    OnTheDevice,
    Typical,
    attempt,
    compare,
    compare_scalar,
    differentiable_loss,
    edited,
    exercise,
    flat,
    parts,
)
from .common import NOTEBOOK

# ----------------------------------------------------------------------------- 08.1 optimal D


def _densities_cases():
    rng = np.random.default_rng(11)
    p_data, p_g = np.exp(rng.normal(size=50)), np.exp(rng.normal(size=50))
    p_g[:5] = p_data[:5]  # where the two densities agree
    return [
        LeavesInputs(
            "",
            (p_data, p_g),
            names=("p_data", "p_g"),
            how="p_data /= ...",
            instead="Return a new array, p_data / (p_data + p_g).",
        )
    ]


check_optimal_discriminator = Exercise(
    "08.1",
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
        Typical(
            "return p_data / p_data + p_g",
            "Mind the parentheses: p_data / p_data + p_g is 1 + p_g; write p_data / (p_data + p_g).",
        ),
        Typical(
            "return p_data / (p_data + p_g) > 0.5",
            "D* is a probability, not a decision: return p_data / (p_data + p_g) itself, without comparing it "
            "with 1/2.",
        ),
    ],
    confirmation="D* = p_data / (p_data + p_g) is 1/2 exactly where p_g = p_data: at the game's equilibrium the "
    "best discriminator can only guess.",
    namespace=NOTEBOOK,
    result="D*",
)

# ----------------------------------------------------------------------------- 08.2 the two losses


def _logits_cases():
    gen = torch.Generator().manual_seed(3)
    d_real = (2 + 2 * torch.randn(32, 1, generator=gen, dtype=torch.float64)).requires_grad_()
    d_fake = (-1 + 3 * torch.randn(32, 1, generator=gen, dtype=torch.float64)).requires_grad_()
    return [Case("", (d_real, d_fake)), OnTheDevice.like(Case("", (d_real, d_fake)))]


def _differentiable(out, d_real, d_fake, reference):
    """The student's ``(d_loss, g_loss)``, each checked to be a differentiable 0-d tensor first (a float from
    .item() has the right value but no .backward()); then, where both values are the ``reference``'s, each checked
    to send gradients back to the logits it is made of: d_loss to ``d_real`` and ``d_fake``, g_loss to ``d_fake``
    (a loss of detached logits has the right value, but D or G would learn nothing from that term)."""
    if isinstance(out, (tuple, list)) and len(out) == 2 and all(loss is not None for loss in out):
        for name, loss in zip(("d_loss", "g_loss"), out):
            differentiable_loss(name, loss)
        right = reference(d_real.detach(), d_fake.detach())
        if not all(np.isclose(float(a.detach()), float(b), rtol=1e-6, atol=1e-8) for a, b in zip(out, right)):
            return out  # a wrong value: the comparison says how
        for name, loss, logits in [("d_loss", out[0], d_real), ("d_loss", out[0], d_fake), ("g_loss", out[1], d_fake)]:
            (grad,) = torch.autograd.grad(loss, [logits], retain_graph=True, allow_unused=True)
            if grad is None or not torch.any(grad != 0):
                which = "real" if logits is d_real else "fake"
                raise Mistake(
                    f"{name} has the right value, but no gradient reaches the logits on the {which} batch: you "
                    f"detached them, so {'D' if name == 'd_loss' else 'G'} learns nothing from that term. {_CUT}"
                )
    return out


_CUT = "Detach the generator's samples before D sees them (D(fake.detach()) in a round), never D's logits."


class _Losses(Exercise):
    """08.2: the losses must be differentiable tensors before their values count (see :func:`_differentiable`)."""

    def diagnose(self, fn):
        return super().diagnose(
            None if fn is None else lambda *logits: _differentiable(fn(*logits), *logits, self.solution)
        )


_BCE = "F.binary_cross_entropy_with_logits"
_LOSSES = (
    f"d_loss = {_BCE}(d_real, torch.ones_like(d_real)) + {_BCE}(d_fake, torch.zeros_like(d_fake))\n"
    f"g_loss = {_BCE}(d_fake, torch.ones_like(d_fake))\nreturn d_loss, g_loss"
)
_DOUBLE = "applied the sigmoid and then binary_cross_entropy_with_logits, which applies it again: pass the raw logits."

check_gan_losses = _Losses(
    "08.2",
    "def gan_losses(d_real, d_fake):",
    todo="Write gan_losses(d_real, d_fake): the D loss and the non-saturating G loss.",
    cases=_logits_cases,
    reference=_LOSSES,
    typical=[
        Typical(
            edited(_LOSSES, ("ones_like(d_real", "zeros_like(d_real"), ("zeros_like(d_fake", "ones_like(d_fake")),
            "The labels are swapped: D must say 1 (real) on the real batch and 0 (fake) on the fakes.",
        ),
        Typical("d_real, d_fake = torch.sigmoid(d_real), torch.sigmoid(d_fake)\n" + _LOSSES, "You " + _DOUBLE),
        Typical(
            "logits = torch.cat([d_real, d_fake])\n"
            "labels = torch.cat([torch.ones_like(d_real), torch.zeros_like(d_fake)])\n"
            + edited(_LOSSES, (_LOSSES.split("\n")[0], f"d_loss = {_BCE}(logits, labels)")),
            "This is half the D loss: add the two batch means -mean log D(x) - mean log(1 - D(x~)) "
            "(BCE on the concatenated batch averages them).",
        ),
        Typical(
            edited(
                _LOSSES, (f"{_BCE}(d_fake, torch.ones_like(d_fake))", "torch.log(1 - torch.sigmoid(d_fake)).mean()")
            ),
            "This is the saturating minimax loss log(1 - D(G(z))): its gradient vanishes while D wins. "
            "Use the non-saturating -log D(G(z)), i.e. BCE of the fake logits with label 1.",
        ),
        Typical(
            edited(_LOSSES, ("(d_fake, torch.ones", "(d_fake, torch.zeros")),
            "BCE with label 0 is D's goal on the fakes: the generator wants D to call its fakes real, so use label 1.",
        ),
        Typical(
            edited(_LOSSES, ("(d_fake, torch.ones", "(torch.sigmoid(d_fake), torch.ones")), "In g_loss you " + _DOUBLE
        ),
        Typical(
            edited(_LOSSES, (_BCE, "F.binary_cross_entropy")),
            "F.binary_cross_entropy expects probabilities, but D outputs logits: use "
            "F.binary_cross_entropy_with_logits on the logits (it applies the sigmoid itself, stably).",
        ),
        Typical(
            _LOSSES.replace("return d_loss, g_loss", "return d_loss, -d_loss"),
            "Your g_loss is minus D's loss, the minimax game's: its gradient on the fakes vanishes while D wins. "
            "Use the non-saturating loss, BCE of the fake logits with label 1.",
        ),
    ],
    confirmation="D's loss is logistic regression, real vs fake; G's non-saturating loss -log D(G(z)) is "
    "steepest exactly when D rejects its fakes, so G keeps learning while it is losing.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("d_loss", "g_loss", missing="Return the two losses (d_loss, g_loss), two 0-d tensors."),
)

# ----------------------------------------------------------------------------- 08.3 one round (step by step)

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
_ORDER = (
    "You stepped G before D: a round is first the discriminator's step on the detached fakes, then the "
    "generator's step through the updated D."
)
_ZERO_D_LATE = (
    "opt_D.step() found no gradients: opt_D.zero_grad() ran between d_loss.backward() and opt_D.step() and cleared "
    "them. Zero first, then backward, then step."
)
_ZERO_G_LATE = (
    "opt_G.step() found no gradients: opt_G.zero_grad() ran between g_loss.backward() and opt_G.step() and cleared "
    "them. Zero first, then backward, then step."
)
_NO_G_STEP = "opt_G.step() was never called: after g_loss.backward(), the generator takes its step."
_G_CUT = (
    "No gradient reached G's parameters: the generator's loss must flow back through D(fake) into G, so use "
    "fake = G(z) without .detach() in the generator's step (detach only in D's loss)."
)
_PAIR = "return the two losses as a tuple (d_loss.item(), g_loss.item())."
_D_STEP = _ROUND[_ROUND.index("    d_real, d_fake") : _ROUND.index("    d_on_fake")]
_G_FIRST = edited(_ROUND, (_D_STEP, ""), ("    return", _D_STEP + "    return"))  # G's step, then D's
_ROUND_MISTAKES = [  # the solution's cell as a student edits it: the check reproduces each to recognise it
    Typical(edited(_ROUND, ("D(fake.detach())", "D(fake)")), _TWICE),
    Typical(
        edited(_ROUND, ("D(fake.detach())", "D(fake)"), ("d_loss.backward()", "d_loss.backward(retain_graph=True)")),
        _LEAK,
    ),
    Typical(
        edited(_ROUND, ("    d_on_fake = D(fake)\n", ""), ("detach())\n", "detach())\n    d_on_fake = D(fake)\n")),
        _STALE,
    ),
    Typical(edited(_ROUND, ("    opt_D.step()\n", "")), _NO_D_STEP),
    Typical(edited(_ROUND, ("    d_on_fake = D(fake)\n", "    d_on_fake = D(fake.detach())\n")), _G_CUT),
    Typical(
        edited(
            _ROUND, ("    opt_D.zero_grad()\n    d_loss.backward()\n", "    d_loss.backward()\n    opt_D.zero_grad()\n")
        ),
        _ZERO_D_LATE,
    ),
    Typical(_G_FIRST, _ORDER),
    Typical(edited(_ROUND, ("    opt_G.step()\n", "")), _NO_G_STEP),
    Typical(
        edited(_ROUND, ("    opt_D.zero_grad()\n", ""), ("    opt_G.zero_grad()\n", "")),
        "D's old gradients were still there: call opt_D.zero_grad() before d_loss.backward().",
    ),
    Typical(
        edited(_ROUND, ("ones_like(d_real", "zeros_like(d_real"), ("zeros_like(d_fake", "ones_like(d_fake")),
        "D's labels are swapped: 1 for the real batch, 0 for the fakes.",
    ),
    Typical(
        edited(_ROUND, ("d_loss = (", "d_loss = 0.5 * (")),
        "D's loss is halved: add the two batch means (real with label 1, fakes with label 0) instead of "
        "averaging them.",
    ),
    Typical(
        edited(_ROUND, ("    opt_G.zero_grad()\n", "")),
        "G's old gradients were still there: call opt_G.zero_grad() before g_loss.backward().",
    ),
    Typical(
        edited(
            _ROUND, (f"{_BCE}(d_on_fake, torch.ones_like(d_on_fake))", "torch.log(1 - torch.sigmoid(d_on_fake)).mean()")
        ),
        "G descended the saturating log(1 - D(G(z))); use the non-saturating loss: BCE of D(fake) with label 1.",
    ),
    Typical(
        edited(_ROUND, ("ones_like(d_on_fake", "zeros_like(d_on_fake")),
        "G's loss uses label 0, which trains G to look fake: the generator wants D(G(z)) = 1.",
    ),
    Typical(edited(_ROUND, ("), g_loss.item()", ") + g_loss.item()")), _PAIR),
]
STEPWISE = {"08.3": ("one_gan_step", _ROUND_MISTAKES)}


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
    return flat(D), flat(G), losses


def _new_grad(p) -> bool:
    """``p`` has a gradient other than the left-over one of :func:`_game`."""
    return p.grad is not None and p.grad.abs().sum() > 0 and not torch.equal(p.grad, torch.full_like(p, 0.5))


def _on_the_device(one_gan_step, real, z) -> None:
    """The round once more as the ring GAN plays it, on DEVICE: a fresh game on torch's meta device (see
    :class:`OnTheDevice`), where labels made on the CPU (torch.ones(len(real), 1)) fail as on a GPU."""
    G, D, real, z = OnTheDevice.like(Case("", (*_game()[:2], real, z))).args
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.5), torch.optim.SGD(D.parameters(), lr=0.5)
    OnTheDevice("", (G, D, opt_G, opt_D, real, z)).call(one_gan_step)


@exercise("08.3", todo="Write one_gan_step(G, D, opt_G, opt_D, real, z): a D step, then a G step.")
def check_one_gan_step(one_gan_step) -> str:
    """Checks ``one_gan_step(G, D, opt_G, opt_D, real (B, 2), z (B, 3)) -> (d_loss, g_loss)`` floats,
    on a tiny G and D with SGD: the order of the two steps, where D's backward pass reached, whether each
    optimiser found this round's gradients at its step and G's backward pass reached G, then the parameters
    after the round."""
    gen = torch.Generator().manual_seed(8)
    real = 1.5 + 0.3 * torch.randn(16, 2, generator=gen, dtype=torch.float64)
    z = torch.randn(16, 3, generator=gen, dtype=torch.float64)
    G, D, opt_G, opt_D = _game()
    leaked = []  # at D's step: did D's loss put gradients into G's parameters?
    steps = []  # ("D" or "G", whether the optimiser's parameters had gradients of this round) at each step
    reached_g = []  # a gradient was computed for one of G's parameters
    opt_D.register_step_pre_hook(lambda *_: leaked.append(any(map(_new_grad, G.parameters()))))
    for name, opt, net in [("D", opt_D, D), ("G", opt_G, G)]:
        opt.register_step_pre_hook(
            lambda *_, name=name, net=net: steps.append((name, any(map(_new_grad, net.parameters()))))
        )
    for p in G.parameters():
        p.register_hook(lambda grad: reached_g.append(True))
    try:
        losses = attempt(one_gan_step, G, D, opt_G, opt_D, real.clone(), z.clone())
    except RuntimeError as e:
        for words, hint in [("second time", _TWICE), ("inplace operation", _STALE if leaked else _NO_D_STEP)]:
            if words in str(e):
                raise Mistake(hint) from None
        raise
    order = [name for name, _ in steps]
    if "D" in order and "G" in order and order.index("G") < order.index("D"):
        raise Mistake(_ORDER)
    if any(leaked):
        raise Mistake(_LEAK)
    if not leaked:
        raise Mistake(_NO_D_STEP)
    if not any(had for name, had in steps if name == "D"):
        raise Mistake(_ZERO_D_LATE)
    if "G" not in order:
        raise Mistake(_NO_G_STEP)
    if not reached_g:
        raise Mistake(_G_CUT)
    if not any(had for name, had in steps if name == "G"):
        raise Mistake(_ZERO_G_LATE)
    (d_ref, g_ref, (d_loss, g_loss)), *rounds = [
        _round(c, real, z) for c in [_ROUND, *(t.body for t in _ROUND_MISTAKES)]
    ]
    found = [(r, t.hint) for r, t in zip(rounds, _ROUND_MISTAKES) if r is not None]
    compare("D's parameters after the round", flat(D), d_ref, mistakes=[(r[0], hint) for r, hint in found])
    compare("G's parameters after the round", flat(G), g_ref, mistakes=[(r[1], hint) for r, hint in found])
    if not isinstance(losses, (tuple, list)) or len(losses) != 2:
        raise Mistake(_PAIR)
    compare_scalar("d_loss", losses[0], d_loss)
    compare_scalar("g_loss", losses[1], g_loss)
    _on_the_device(one_gan_step, real, z)
    return (
        "one round: D learns on a detached fake batch, then G learns through D; each optimiser is "
        "zeroed before its backward pass, which is exactly course_utils.generative.gan_step. The ring GAN below "
        "now trains with your round."
    )


check_one_gan_step.solution = gan_round  # the reference round, what the ring GAN plays until the student's is accepted


# ----------------------------------------------------------------------------- 08.4 mode counting


def _ring_cases():
    """Samples (n, 2) of a half-collapsed generator on the 8-mode ring, centres (8, 2) and the radius; then a 6-mode
    ring of radius 3 whose last mode is empty, with one mode between half and all of its fair share and a few samples
    just outside ``radius`` (within sqrt(radius)) of a centre."""
    rng = np.random.default_rng(4)
    cases = []
    for label, k, ring, per_mode, n_between, n_far in [
        ("", 8, 2.0, [300, 250, 10, 0, 200, 40, 150, 70], 0, 200),
        ("(6 modes, the last one empty)", 6, 3.0, [120, 0, 90, 45, 60, 0], 10, 100),
    ]:
        angles = 2 * np.pi * np.arange(k) / k
        centers = ring * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        near = [c + 0.04 * rng.normal(size=(m, 2)) for c, m in zip(centers, per_mode)]
        turn = rng.uniform(0, 2 * np.pi, size=n_between)  # 0.2 to 0.35 from the first centre
        between = centers[0] + rng.uniform(0.2, 0.35, size=(n_between, 1)) * np.stack([np.cos(turn), np.sin(turn)], 1)
        far = rng.uniform(-0.8, 0.8, size=(n_far, 2))  # in the middle of the ring, far from every centre
        samples = np.concatenate(near + [between, far])
        cases.append(Case(label, (samples[rng.permutation(len(samples))], centers, 0.15)))
    return cases


_NEAREST = """dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
nearest = dist.argmin(axis=1)
near = dist.min(axis=1) <= radius
counts = np.bincount(nearest[near], minlength=len(centers))
"""
_FAIR = "0.5 * len(samples) / len(centers)"

check_count_modes = Exercise(
    "08.4",
    "def count_modes(samples, centers, radius):",
    todo="Write count_modes(samples, centers, radius): samples near each centre, modes covered.",
    cases=_ring_cases,
    reference=_NEAREST + f"return counts, int((counts >= {_FAIR}).sum())",
    typical=[
        Typical(
            edited(_NEAREST, ("nearest[near]", "nearest")) + f"return counts, int((counts >= {_FAIR}).sum())",
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
        Typical(
            edited(_NEAREST, ("dist.argmin(axis=1)", "dist.argmin(axis=0)"))
            + f"return counts, int((counts >= {_FAIR}).sum())",
            "dist is (n, K): argmin over axis 0 gives, for each centre, its nearest SAMPLE; each sample's "
            "nearest centre is the argmin over the centres, axis=1.",
        ),
        Typical(
            edited(_NEAREST, (", minlength=len(centers)", "")) + f"return counts, int((counts >= {_FAIR}).sum())",
            "np.bincount stops at the largest index it sees: when the last modes have no near sample, your counts "
            "is too short. Pass minlength=len(centers), one count per mode.",
        ),
        Typical(
            edited(_NEAREST, ("dist = np.linalg.norm(", "dist = np.sum(("), (", axis=2)", ") ** 2, axis=2)"))
            + f"return counts, int((counts >= {_FAIR}).sum())",
            "You compared SQUARED distances with radius: a sample is near when its distance, the square root of "
            "the sum of squares, is at most radius (or compare the squares with radius ** 2).",
        ),
        Typical(
            _NEAREST + "return counts, int((counts >= len(samples) / len(centers)).sum())",
            "You asked for the whole fair share: a mode is covered with HALF of it, at least 0.5 * n / K near samples.",
        ),
    ],
    confirmation="4 of the 8 modes hold nearly all the near samples while 4 are starved: the counts reveal mode "
    "collapse even when a scatter plot looks fine.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("counts", "n_covered", missing="return a tuple (counts, n_covered)."),
)
