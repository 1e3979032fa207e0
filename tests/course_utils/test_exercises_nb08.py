"""Notebook 08's exercises beyond their declarations (tested in test_exercises_declared.py): what the
checks accept or refuse besides the typical mistakes, and the claims the confirmations and self-checks make."""

import numpy as np
import torch
import torch.nn.functional as F

from course_utils import generative
from course_utils.exercises import CORRECT, HINT, OnTheDevice, edited
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


def test_slerp_alternatives_are_accepted(capsys):
    def with_acos(z0, z1, t):  # cosine_similarity and acos, t as a column by unsqueeze
        omega = torch.acos(F.cosine_similarity(z0, z1, dim=0))
        t = t.unsqueeze(1)
        return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)

    def one_by_one(z0, z1, t):  # a loop over the positions, the rows stacked
        omega = torch.arccos((z0 / z0.norm()) @ (z1 / z1.norm()))
        return torch.stack(
            [(torch.sin((1 - s) * omega) * z0 + torch.sin(s * omega) * z1) / torch.sin(omega) for s in t]
        )

    def reference(z0, z1, t):  # course_utils' own
        return generative.interpolate_latents(z0, z1, t, "slerp")

    for answer in (with_acos, one_by_one, reference):
        ex.check_slerp(answer)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and all(CORRECT in line for line in out), out
    assert ex.accepted(ex.check_slerp, with_acos) and not ex.accepted(ex.check_slerp, lambda z0, z1, t: None)


def test_slerp_wrong_answers_get_words(capsys):
    solution = ex.check_slerp.solution
    ex.check_slerp(lambda z0, z1, t: solution(z0, z1, t).T)  # (d, k)
    ex.check_slerp(lambda z0, z1, t: solution(z0, z1, t)[:, 0])  # (k,)
    ex.check_slerp(lambda z0, z1, t: solution(z0, z1, t.clamp(0.1, 0.9)))  # wrong only at the end points
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and all(HINT in line for line in out), out
    assert "transposed" in out[0] and "one row of d numbers per position" in out[1]
    assert "Rows 0, 6 of the 7 rows (one per position t) are wrong" in out[2] and "norms" in out[2], out[2]


def test_the_whole_round_is_what_the_ring_gan_plays():
    # the reference the notebook trains with until the student's round is accepted passes the check
    assert ex.check_one_gan_step.solution is generative.gan_round
    assert ex.accepted(ex.check_one_gan_step, generative.gan_round)

    def with_logsigmoid(G, D, opt_G, opt_D, real, z):  # another correct round: -log sigmoid, both zeroed first
        opt_D.zero_grad()
        opt_G.zero_grad()
        fake = G(z)
        d_loss = -F.logsigmoid(D(real)).mean() - F.logsigmoid(-D(fake.detach())).mean()
        d_loss.backward()
        opt_D.step()
        g_loss = -F.logsigmoid(D(fake)).mean()
        opt_G.zero_grad()
        g_loss.backward()
        opt_G.step()
        return d_loss.item(), g_loss.item()

    assert ex.accepted(ex.check_one_gan_step, with_logsigmoid)
    assert not ex.accepted(ex.check_one_gan_step, lambda *args: None)


def test_a_round_with_labels_made_on_the_cpu_is_refused_since_the_ring_gan_trains_on_device(capsys):
    """train_gan plays the student's round with G, D, the real batch and z on DEVICE: labels made with
    torch.ones(len(real), 1) stay on the CPU and fail there, though every number is right on the CPU."""

    def cpu_labels(G, D, opt_G, opt_D, real, z):
        ones, zeros = torch.ones(len(real), 1, dtype=real.dtype), torch.zeros(len(real), 1, dtype=real.dtype)
        fake = G(z)
        d_loss = F.binary_cross_entropy_with_logits(D(real), ones) + F.binary_cross_entropy_with_logits(
            D(fake.detach()), zeros
        )
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
        g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
        opt_G.zero_grad()
        g_loss.backward()
        opt_G.step()
        return d_loss.item(), g_loss.item()

    ex.check_one_gan_step(cpu_labels)
    out = capsys.readouterr().out
    assert out.startswith("[08.3] Not quite: Your answer is right on the CPU, but it fails where"), out
    assert "torch.ones_like(x)" in out


def test_slerp_in_numpy_is_refused_since_the_walk_runs_it_on_device(capsys):
    """The latent walk (render_latent_interpolation) calls the student's slerp with z0, z1 and t on the generator's
    device: numpy cannot read them on a GPU, though the values are right on the CPU."""

    def in_numpy(z0, z1, t):  # numpy on the tensors' values, an array back
        a, b, t = z0.numpy(), z1.numpy(), np.asarray(t)[:, None]
        omega = np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
        return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)

    def numpy_t(z0, z1, t):  # the library's own, handed t as numpy
        return generative.interpolate_latents(z0, z1, t.numpy(), "slerp")

    for answer in (in_numpy, numpy_t):
        ex.check_slerp(answer)
        out = capsys.readouterr().out
        assert out.startswith("[08.5] Not quite: Your answer is right on the CPU, but it fails where"), out
        assert "numpy cannot read a tensor on the GPU" in out


def test_the_slerp_claims():
    # 08.5's confirmation: slerp is interpolate_latents' slerp, and keeps the norm when the end points share it
    for case in (c for c in ex.check_slerp.cases() if not isinstance(c, OnTheDevice)):
        z0, z1, t = case.args
        torch.testing.assert_close(
            ex.check_slerp.solution(z0, z1, t), generative.interpolate_latents(z0, z1, t.numpy(), "slerp")
        )
    z0, z1 = torch.randn(2, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    z1 = z1 * z0.norm() / z1.norm()
    path = ex.check_slerp.solution(z0, z1, torch.linspace(0, 1, 11, dtype=torch.float64))
    torch.testing.assert_close(path.norm(dim=1), torch.full((11,), float(z0.norm()), dtype=torch.float64))
    torch.testing.assert_close(path[[0, -1]], torch.stack([z0, z1]))


def test_optimal_discriminator_changing_the_densities_in_place_is_refused(capsys):
    def in_place(p_data, p_g):
        p_data /= p_data + p_g
        return p_data

    ex.check_optimal_discriminator(in_place)
    out = capsys.readouterr().out
    assert out.startswith(f"[08.1] {HINT}") and "changed its argument p_data in place" in out, out


def test_gan_losses_of_detached_logits_are_refused_by_name(capsys):
    """The right values, but D's loss must send gradients to the fake logits too (and a wrong value is told as such)."""

    def detached(d_real, d_fake):
        d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + (
            F.binary_cross_entropy_with_logits(d_fake.detach(), torch.zeros_like(d_fake))
        )
        return d_loss, gan_losses(d_real, d_fake)[1]

    ex.check_gan_losses(detached)
    ex.check_gan_losses(lambda a, b: (torch.tensor(1.0, requires_grad=True), gan_losses(a, b)[1]))  # hard-coded
    out = capsys.readouterr().out.splitlines()
    assert HINT in out[0] and "no gradient reaches the logits on the fake batch" in out[0], out[0]
    assert HINT in out[1] and "no gradient" not in out[1] and "`d_loss` is 1" in out[1], out[1]


def test_one_gan_step_names_where_the_gradients_went(capsys):
    from course_utils.exercises.nb08 import gans

    rounds = [
        edited(gans._ROUND, ("fake = G(z)\n", "fake = G(z).detach()\n"), ("D(fake.detach())", "D(fake)")),
        edited(
            gans._ROUND,
            ("    opt_G.zero_grad()\n    g_loss.backward()\n", "    g_loss.backward()\n    opt_G.zero_grad()\n"),
        ),
        edited(gans._ROUND, ("    opt_D.step()\n", "    opt_G.step()\n")),  # the wrong optimiser for D's step
        edited(gans._ROUND, ("return d_loss.item(), g_loss.item()", "return [d_loss.item(), g_loss.item()]")),
    ]
    for cell in rounds:
        scope = dict(ex.NOTEBOOK)
        exec(cell, scope)  # noqa: S102
        ex.check_one_gan_step(scope["one_gan_step"])
    out = capsys.readouterr().out.splitlines()
    assert gans._G_CUT in out[0] and gans._ZERO_G_LATE in out[1] and gans._NO_D_STEP in out[2], out
    assert CORRECT in out[3], out[3]  # a list of the two floats is as good as a tuple
