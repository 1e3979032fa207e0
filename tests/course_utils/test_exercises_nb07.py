"""Notebook 07's exercises beyond their declarations (tested in test_exercises_declared.py): what the
checks accept or refuse besides the typical mistakes, and the claims the confirmations make."""

import pytest
import torch

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, accepted, edited
from course_utils.exercises import nb07 as ex
from course_utils.exercises.nb07 import autoencoders


def test_pca_wrong_and_right_answers(capsys):
    ex.check_pca_code_and_reconstruction(lambda X, mu, W: (W.T @ (X - mu).T, X))  # transposed codes
    ex.check_pca_code_and_reconstruction(lambda X, mu, W: [((X - mu) @ W).tolist(), mu + (X - mu) @ W @ W.T])
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and HINT in out[0] and "Z is (N, k)" in out[0] and CORRECT in out[1], out


# ----------------------------------------------------------------------------- 07.2 the whole autoencoder


def _ae_cell(*edits):
    """The class and train_step of 07.2's solution cell with the edits (old, new) a student makes."""
    return autoencoders._cell(edited(autoencoders._AE, *edits))


_STEP = "    optimizer.zero_grad()\n    x_hat = model(x)\n    loss = F.mse_loss(x_hat, x)\n"


@pytest.mark.parametrize(
    "edits",
    [
        [("F.mse_loss(x_hat, x)", "nn.MSELoss()(x_hat, x)")],
        [("F.mse_loss(x_hat, x)", "F.mse_loss(x, x_hat)")],  # the arguments swapped: the same number
        [("F.mse_loss(x_hat, x)", "((x_hat - x) ** 2).mean()")],
        [("return loss.item()", "return loss")],  # the tensor, still attached to the graph
        [("optimizer.zero_grad()", "model.zero_grad()")],
        [("optimizer.zero_grad()", "optimizer.zero_grad(set_to_none=False)")],
        [(_STEP, "    optimizer.zero_grad()\n    loss = F.mse_loss(model.decode(model.encode(x)), x)\n")],
        [("nn.ReLU()", "nn.LeakyReLU(0.1)")],  # another nonlinearity
        [  # two hidden layers on each side
            (
                "nn.Linear(n_in, n_hidden), nn.ReLU(),",
                "nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, 64), nn.ReLU(),",
            ),
            ("nn.Linear(n_hidden, n_code))", "nn.Linear(64, n_code))"),
            (
                "nn.Linear(n_code, n_hidden), nn.ReLU(),",
                "nn.Linear(n_code, 64), nn.ReLU(), nn.Linear(64, n_hidden), nn.ReLU(),",
            ),
        ],
    ],
)
def test_autoencoder_accepts_equivalent_answers(edits, capsys):
    model_class, step = _ae_cell(*edits)
    ex.check_autoencoder(model_class, step)
    out = capsys.readouterr().out
    assert out.startswith(f"[07.2] {CORRECT}"), out
    assert accepted(ex.check_autoencoder, model_class, step)


def test_autoencoder_stub_partial_answers_and_other_mistakes(capsys):
    scope = dict(ex.NOTEBOOK)
    stub = (
        autoencoders._AE.replace(autoencoders._ENCODER, "None")
        .replace(autoencoders._DECODER, "None")
        .replace("    optimizer.zero_grad()\n", "")
    )
    stub = stub[: stub.index("def train_step")] + "def train_step(model, x, optimizer):\n    return None\n"
    exec(stub, scope)  # noqa: S102
    reference_class, reference_step = ex.check_autoencoder.solution
    before = torch.random.get_rng_state()
    ex.check_autoencoder(scope["DigitAutoencoder"], scope["train_step"])  # the notebook's stub
    ex.check_autoencoder(reference_class, scope["train_step"])  # the model written, the step not yet
    ex.check_autoencoder(scope["DigitAutoencoder"], reference_step)  # the step written, the model not yet
    ex.check_autoencoder(*_ae_cell(("nn.Linear(n_in, n_hidden), nn.ReLU(),", "nn.Linear(n_in, n_hidden),")))
    ex.check_autoencoder(*_ae_cell(("    optimizer.step()\n", "")))  # never steps
    ex.check_autoencoder(*_ae_cell(("n_hidden=128", "n_hidden=2")))  # far too narrow to learn in 100 steps
    ex.check_autoencoder(*_ae_cell(("return loss.item()", "return F.mse_loss(x_hat, x, reduction='none')")))
    out = capsys.readouterr().out.splitlines()
    assert torch.equal(before, torch.random.get_rng_state())  # the check leaves the global generator alone
    assert out[0].startswith(f"[07.2] {NOT_ATTEMPTED}"), out[0]
    assert all(line.startswith(f"[07.2] {HINT}") for line in out[1:]), out
    assert "train_step: it still returns None" in out[1] and "self.encoder and self.decoder are still None" in out[2]
    assert "Your encoder is linear" in out[3] and autoencoders._NO_STEP in out[4]
    assert "more than 1.3 times as high" in out[5] and "single number" in out[6]
    assert not accepted(ex.check_autoencoder, scope["DigitAutoencoder"], scope["train_step"])


def test_autoencoder_must_follow_n_code(capsys):
    """Section 2 builds DigitAutoencoder(n_code=16): a code width fixed at 2 on either side is refused, by name."""
    enc = ("nn.Linear(n_hidden, n_code))", "nn.Linear(n_hidden, 2))")
    dec = ("nn.Linear(n_code, n_hidden)", "nn.Linear(2, n_hidden)")
    for edits in ([enc], [dec], [enc, dec]):
        ex.check_autoencoder(*_ae_cell(*edits))
        out = capsys.readouterr().out
        assert out.startswith(f"[07.2] {HINT}") and autoencoders._N_CODE in out, (edits, out)
    model_class, _ = ex.check_autoencoder.solution
    wide = model_class(n_code=16)
    assert wide.encode(torch.zeros(3, 64)).shape == (3, 16)


def test_autoencoder_typical_mistakes_through_the_notebooks_call(capsys):
    """The notebook passes the class and train_step (the declared test passes the class alone)."""
    for typical in ex.STEPWISE["07.2"][1]:
        ex.check_autoencoder(*autoencoders._cell(typical.body))
        assert typical.hint in capsys.readouterr().out, typical.body


# ----------------------------------------------------------------------------- 07.3-07.5 the VAE's pieces


def _as(exercise, body):
    return exercise.function(body)


# answers the checks of 07.3-07.5 accept besides their references: (check, body)
_EQUIVALENT = [
    (
        ex.check_reparameterize,
        "return mu + torch.exp(0.5 * logvar) * torch.randn(*mu.shape, generator=generator).to(mu)",
    ),
    (
        ex.check_reparameterize,
        "eps = torch.normal(0.0, 1.0, size=mu.shape, generator=generator, device=mu.device)\n"
        "return mu + torch.sqrt(torch.exp(logvar)) * eps",
    ),
    (
        ex.check_reparameterize,
        "eps = torch.empty_like(mu).normal_(generator=generator)\nreturn logvar.mul(0.5).exp() * eps + mu",
    ),
    (ex.check_kl_to_standard_normal, "return (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(1).mean()"),
    (
        ex.check_kl_to_standard_normal,
        "return -0.5 * torch.mean(torch.sum(1 + logvar - mu ** 2 - logvar.exp(), dim=1))",
    ),
    (
        ex.check_kl_to_standard_normal,
        "return float(0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum() / len(mu))",
    ),
    (
        ex.check_vae_loss,
        "p = torch.sigmoid(logits)\nrec = F.binary_cross_entropy(p, x, reduction='sum') / x.shape[0]\n"
        "return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1).mean()",
    ),
    (
        ex.check_vae_loss,
        "rec = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(dim=1).mean()\n"
        "kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp(), dim=1).mean()\nreturn rec + beta * kl",
    ),
]


@pytest.mark.parametrize(
    "body",
    [
        "return mu + torch.exp(0.5 * logvar) * torch.randn(*mu.shape, generator=generator)",
        "return mu + torch.exp(logvar / 2) * torch.normal(0.0, 1.0, size=mu.shape, generator=generator)",
        "return mu + torch.exp(logvar / 2) * torch.randn(mu.shape, generator=generator, device='cpu')",
    ],
)
def test_noise_made_on_the_cpu_is_refused_since_the_vae_trains_on_device(body, capsys):
    """The notebook trains its VAE with the student's function on DEVICE (a GPU when there is one): noise made on
    the CPU beside a mu on the GPU fails there, though z is right on the CPU. Fed as the notebook feeds it."""
    ex.check_reparameterize(_as(ex.check_reparameterize, body))
    out = capsys.readouterr().out
    assert out.startswith("[07.3] Not quite: Your answer is right on the CPU, but it fails where the notebook runs it")
    assert "torch.randn(mu.shape, generator=generator).to(mu.device)" in out


@pytest.mark.parametrize("check, body", _EQUIVALENT, ids=[f"{c.eid}-{i}" for i, (c, _) in enumerate(_EQUIVALENT)])
def test_the_vae_pieces_accept_equivalent_answers(check, body, capsys):
    check(_as(check, body))
    assert capsys.readouterr().out.startswith(f"[{check.eid}] {CORRECT}")


def test_reparameterize_own_generator_and_extra_global_draws(capsys):
    before = torch.random.get_rng_state()
    ex.check_reparameterize(
        _as(
            ex.check_reparameterize,
            "g = torch.Generator().manual_seed(0)\n"
            "return mu + torch.exp(logvar / 2) * torch.randn(mu.shape, generator=g)",
        )
    )
    ex.check_reparameterize(
        _as(
            ex.check_reparameterize,
            "torch.rand(1)\nreturn mu + torch.exp(logvar / 2) * torch.randn(mu.shape, generator=generator)",
        )
    )
    out = capsys.readouterr().out.splitlines()
    assert torch.equal(before, torch.random.get_rng_state())
    assert HINT in out[0] and "generator passed in" in out[0], out[0]
    assert HINT in out[1] and "also drew from torch's global generator" in out[1], out[1]


@pytest.mark.parametrize(
    "body, hint",
    [
        (
            "rec = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(1).mean()\n"
            "kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1).mean()\nreturn (rec + beta * kl).item()",
            "got float",
        ),  # the right value, but the notebook's VAE could not train with it
        (
            "rec = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(1)\n"
            "return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1)",
            "has shape (6,)",
        ),
        (
            "rec = F.binary_cross_entropy_with_logits(logits.detach(), x, reduction='sum') / len(x)\n"
            "return rec + beta * 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1).mean().detach()",
            "through autograd",
        ),
    ],
)
def test_vae_loss_must_be_a_loss_the_vae_can_train_with(body, hint, capsys):
    ex.check_vae_loss(_as(ex.check_vae_loss, body))
    out = capsys.readouterr()
    assert out.out.startswith(f"[07.5] {HINT}") and hint in out.out, out.out
    assert not out.err, out.err


def test_reparameterize_returning_z_and_eps_is_told_to_return_z_alone(capsys):
    body = "eps = torch.randn(mu.shape, generator=generator)\nreturn mu + torch.exp(logvar / 2) * eps, eps"
    ex.check_reparameterize(_as(ex.check_reparameterize, body))
    out = capsys.readouterr()
    assert out.out.startswith(f"[07.3] {HINT}") and "return z alone" in out.out and "tuple" in out.out, out.out
    assert not out.err, out.err


def test_pca_changing_the_callers_data_in_place_is_refused(capsys):
    """The stub returns new arrays: X -= mu gives the right values but changes the caller's data."""
    for body in ("X -= mu\nZ = X @ W\nreturn Z, mu + Z @ W.T", "X[:] = X - mu\nreturn X @ W, mu + X @ W @ W.T"):
        ex.check_pca_code_and_reconstruction(_as(ex.check_pca_code_and_reconstruction, body))
        out = capsys.readouterr().out
        assert out.startswith(f"[07.1] {HINT}") and "changed its argument X in place" in out, out


def test_autoencoder_loss_without_a_graph_is_named(capsys):
    """A forward pass under torch.no_grad() (or a detached output) is told so, not shown torch's error."""
    for edits in (
        [("    x_hat = model(x)\n", "    with torch.no_grad():\n        x_hat = model(x)\n")],
        [("F.mse_loss(x_hat, x)", "F.mse_loss(x_hat.detach(), x)")],
    ):
        ex.check_autoencoder(*_ae_cell(*edits))
        out = capsys.readouterr().out
        assert out.startswith(f"[07.2] {HINT}") and autoencoders._NO_GRAPH in out, out


def test_autoencoder_ending_in_an_activation_or_ignoring_n_in_n_hidden_is_refused(capsys):
    """The stub's decoder ends in a Linear layer and its sizes follow the arguments: a Tanh output (inside the
    centred data's range, so the range test lets it through) and sizes 64 and 128 written as numbers are refused."""
    dec, enc = autoencoders._DECODER, autoencoders._ENCODER
    ex.check_autoencoder(*_ae_cell((dec, dec[:-1] + ", nn.Tanh())")))
    ex.check_autoencoder(*_ae_cell((dec, dec[:-1] + ", nn.Hardtanh())")))
    ex.check_autoencoder(
        *_ae_cell((enc, enc.replace("n_in, n_hidden", "64, n_hidden")), (dec, dec.replace("n_in)", "64)")))
    )
    out = capsys.readouterr().out.splitlines()
    assert autoencoders._OUT_ACTIVATION in out[0] and "nn.Tanh" in out[0], out[0]
    assert autoencoders._OUT_ACTIVATION in out[1] and "nn.Hardtanh" in out[1], out[1]
    assert autoencoders._SIZES in out[2], out[2]


def test_reparameterize_changing_mu_in_place_is_named(capsys):
    for body in (
        "eps = torch.randn(mu.shape, generator=generator)\nreturn mu.add_(torch.exp(logvar / 2) * eps)",
        "eps = torch.randn(mu.shape, generator=generator)\nmu += torch.exp(logvar / 2) * eps\nreturn mu",
    ):
        ex.check_reparameterize(_as(ex.check_reparameterize, body))
        out = capsys.readouterr().out
        assert out.startswith(f"[07.3] {HINT}") and "You changed mu in place" in out, out
