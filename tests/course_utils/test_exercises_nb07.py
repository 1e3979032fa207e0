"""Notebook 07's exercises beyond their declarations (tested in test_exercises_declared.py): what the
checks accept or refuse besides the typical mistakes, and the claims the confirmations and self-checks make."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, accepted
from course_utils.exercises import nb07 as ex
from course_utils.exercises.nb07 import autoencoders, common

gan_losses = ex.check_gan_losses.function(ex.check_gan_losses.reference)


def test_hard_coded_or_wrong_answers_get_their_hints(capsys):
    ex.check_optimal_discriminator(lambda p, q: np.full_like(p, 0.5))
    ex.check_gan_losses(lambda a, b: (torch.tensor(1.0, requires_grad=True), torch.tensor(0.7, requires_grad=True)))
    ex.check_gan_losses(lambda a, b: [x.item() for x in gan_losses(a, b)])  # right values, but no backward
    ex.check_gan_losses(lambda a, b: (gan_losses(a, b)[0], torch.ones_like(b).requires_grad_()))  # one per sample
    ex.check_gan_losses(lambda a, b: tuple(x.detach() for x in gan_losses(a, b)))
    ex.check_count_modes(lambda s, c, r: (np.zeros(8), 8))
    ex.check_pca_code_and_reconstruction(lambda X, mu, W: (W.T @ (X - mu).T, X))  # transposed codes
    ex.check_one_gan_step(lambda G, D, oG, oD, real, z: G(real))  # wrong input size for G
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 8 and all(HINT in line for line in out), out
    assert ".item()" in out[2] and "average over the batch" in out[3] and "through autograd" in out[4]
    assert "Z is (N, k)" in out[6] and ("raised" in out[7] or "shapes do not fit" in out[7])


def test_accepted_alternatives(capsys):
    solution = ex.check_count_modes.function(ex.check_count_modes.reference)
    ex.check_count_modes(lambda s, c, r: [list(solution(s, c, r)[0]), np.int64(solution(s, c, r)[1])])
    ex.check_pca_code_and_reconstruction(lambda X, mu, W: [((X - mu) @ W).tolist(), mu + (X - mu) @ W @ W.T])
    bce = lambda logits, label: F.binary_cross_entropy(torch.sigmoid(logits), torch.full_like(logits, label))
    ex.check_gan_losses(lambda a, b: (bce(a, 1.0) + bce(b, 0.0), -torch.log(torch.sigmoid(b)).mean()))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and all(CORRECT in line for line in out), out


def test_the_confirmations_and_self_checks_claims():
    # 07.6: 4 of the 8 modes hold nearly all the near samples, and only they are covered
    counts, n_covered = ex.check_count_modes.function(ex.check_count_modes.reference)(
        *ex.check_count_modes.cases()[0].args
    )
    assert n_covered == 4 and np.sort(counts)[-4:].sum() > 0.85 * counts.sum()
    # 07.3 and 07.q2: D* is 1/2 where the densities agree, 3/4 where p_data = 3 p_g
    D_star = ex.check_optimal_discriminator.function(ex.check_optimal_discriminator.reference)
    np.testing.assert_allclose(D_star(np.array([2.0, 3.0]), np.array([2.0, 1.0])), [0.5, 0.75])
    assert ex.QUIZZES["07.q2"].answer == 0.75
    # 07.q4 (its answer computed as sqrt(8)): the midpoint of two N(0, I_16) samples has norm about 2.83
    z0, z1 = torch.randn(2, 20000, 16, generator=torch.Generator().manual_seed(0))
    assert abs(float(((z0 + z1) / 2).norm(dim=1).mean()) - np.sqrt(8.0)) < 0.1
    assert ex.QUIZZES["07.q4"].answer == np.sqrt(8.0)


# ----------------------------------------------------------------------------- 07.2 the whole autoencoder


def _ae_cell(*edits):
    """The class and train_step of 07.2's solution cell with the edits (old, new) a student makes."""
    return autoencoders._cell(common.edited(autoencoders._AE, *edits))


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
    assert "Your encoder is linear" in out[3] and "did not change" in out[4]
    assert "more than 1.3 times as high" in out[5] and "single number" in out[6]
    assert not accepted(ex.check_autoencoder, scope["DigitAutoencoder"], scope["train_step"])


def test_autoencoder_typical_mistakes_through_the_notebooks_call(capsys):
    """The notebook passes the class and train_step (the declared test passes the class alone)."""
    for typical in ex.STEPWISE["07.2"][1]:
        ex.check_autoencoder(*autoencoders._cell(typical.body))
        assert typical.hint in capsys.readouterr().out, typical.body
