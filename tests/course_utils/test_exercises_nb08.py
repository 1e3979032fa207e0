"""Notebook 08's exercises beyond their declarations (tested in test_exercises_declared.py): what the
checks accept or refuse besides the typical mistakes, and the claims the confirmations and self-checks make."""

import numpy as np
import torch
import torch.nn.functional as F

from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb08 as ex

gan_losses = ex.check_gan_losses.function(ex.check_gan_losses.reference)


def test_hard_coded_or_wrong_answers_get_their_hints(capsys):
    ex.check_optimal_discriminator(lambda p, q: np.full_like(p, 0.5))
    ex.check_gan_losses(lambda a, b: (torch.tensor(1.0, requires_grad=True), torch.tensor(0.7, requires_grad=True)))
    ex.check_gan_losses(lambda a, b: [x.item() for x in gan_losses(a, b)])  # right values, but no backward
    ex.check_gan_losses(lambda a, b: (gan_losses(a, b)[0], torch.ones_like(b).requires_grad_()))  # one per sample
    ex.check_gan_losses(lambda a, b: tuple(x.detach() for x in gan_losses(a, b)))
    ex.check_count_modes(lambda s, c, r: (np.zeros(8), 8))
    ex.check_one_gan_step(lambda G, D, oG, oD, real, z: G(real))  # wrong input size for G
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 7 and all(HINT in line for line in out), out
    assert ".item()" in out[2] and "average over the batch" in out[3] and "through autograd" in out[4]
    assert "raised" in out[6] or "shapes do not fit" in out[6]


def test_accepted_alternatives(capsys):
    solution = ex.check_count_modes.function(ex.check_count_modes.reference)
    ex.check_count_modes(lambda s, c, r: [list(solution(s, c, r)[0]), np.int64(solution(s, c, r)[1])])
    bce = lambda logits, label: F.binary_cross_entropy(torch.sigmoid(logits), torch.full_like(logits, label))
    ex.check_gan_losses(lambda a, b: (bce(a, 1.0) + bce(b, 0.0), -torch.log(torch.sigmoid(b)).mean()))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(CORRECT in line for line in out), out


def test_the_confirmations_and_self_checks_claims():
    # 08.4: 4 of the 8 modes hold nearly all the near samples, and only they are covered
    counts, n_covered = ex.check_count_modes.function(ex.check_count_modes.reference)(
        *ex.check_count_modes.cases()[0].args
    )
    assert n_covered == 4 and np.sort(counts)[-4:].sum() > 0.85 * counts.sum()
    # 08.1 and 08.q1: D* is 1/2 where the densities agree, 3/4 where p_data = 3 p_g
    D_star = ex.check_optimal_discriminator.function(ex.check_optimal_discriminator.reference)
    np.testing.assert_allclose(D_star(np.array([2.0, 3.0]), np.array([2.0, 1.0])), [0.5, 0.75])
    assert ex.QUIZZES["08.q1"].answer == 0.75
    # 08.q3 (its answer computed as sqrt(8)): the midpoint of two N(0, I_16) samples has norm about 2.83
    z0, z1 = torch.randn(2, 20000, 16, generator=torch.Generator().manual_seed(0))
    assert abs(float(((z0 + z1) / 2).norm(dim=1).mean()) - np.sqrt(8.0)) < 0.1
    assert ex.QUIZZES["08.q3"].answer == np.sqrt(8.0)
