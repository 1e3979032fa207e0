"""The checks of notebook 07's exercises: the stub, a right answer and every typical mistake."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, nb07


def pca_code_and_reconstruction(X, mu, W):
    Z = (X - mu) @ W
    return Z, mu + Z @ W.T


def optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)


def gan_losses(d_real, d_fake):
    d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + F.binary_cross_entropy_with_logits(
        d_fake, torch.zeros_like(d_fake)
    )
    g_loss = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
    return d_loss, g_loss


def one_gan_step(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    d_real, d_fake = D(real), D(fake.detach())
    d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + F.binary_cross_entropy_with_logits(
        d_fake, torch.zeros_like(d_fake)
    )
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    d_on_fake = D(fake)
    g_loss = F.binary_cross_entropy_with_logits(d_on_fake, torch.ones_like(d_on_fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()


def count_modes(samples, centers, radius):
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    near = dist.min(axis=1) <= radius
    counts = np.bincount(nearest[near], minlength=len(centers))
    return counts, int((counts >= 0.5 * len(samples) / len(centers)).sum())


CASES = {
    "07.1": (nb07.check_pca_code_and_reconstruction, pca_code_and_reconstruction, "pca_code_and_reconstruction"),
    "07.2": (nb07.check_optimal_discriminator, optimal_discriminator, "optimal_discriminator"),
    "07.3": (nb07.check_gan_losses, gan_losses, "gan_losses"),
    "07.4": (nb07.check_one_gan_step, one_gan_step, "one_gan_step"),
    "07.5": (nb07.check_count_modes, count_modes, "count_modes"),
}


def test_every_exercise_has_a_check_and_mistakes():
    assert set(CASES) == set(nb07.MISTAKES)
    assert all(len(m) >= 2 for m in nb07.MISTAKES.values())


@pytest.mark.parametrize("eid", CASES)
def test_stub_is_not_attempted(eid, capsys):
    check, _, _ = CASES[eid]
    check(None)
    check(lambda *args: None)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith(f"[{eid}] {NOT_ATTEMPTED}") for line in out), out


@pytest.mark.parametrize("eid", CASES)
def test_right_answer_is_confirmed(eid, capsys):
    check, solution, _ = CASES[eid]
    check(solution)
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {CORRECT}"), out


@pytest.mark.parametrize("eid,k", [(eid, k) for eid, ms in nb07.MISTAKES.items() for k in range(len(ms))])
def test_typical_mistake_gets_its_hint(eid, k, capsys):
    check, _, name = CASES[eid]
    code, hint = nb07.MISTAKES[eid][k]
    namespace = {}
    exec(code, namespace)
    check(namespace[name])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_hard_coded_or_wrong_answers_are_not_confirmed(capsys):
    nb07.check_optimal_discriminator(lambda p, q: np.full_like(p, 0.5))
    nb07.check_gan_losses(lambda a, b: (torch.tensor(1.0, requires_grad=True), torch.tensor(0.7, requires_grad=True)))
    nb07.check_gan_losses(lambda a, b: tuple(x.item() for x in gan_losses(a, b)))  # .item(): no backward
    nb07.check_count_modes(lambda s, c, r: (np.zeros(8), 8))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(HINT in line for line in out), out
    assert ".item()" in out[2]


def test_a_crashing_answer_gives_a_hint_not_an_exception(capsys):
    nb07.check_one_gan_step(lambda G, D, oG, oD, real, z: G(real))  # wrong input size for G
    out = capsys.readouterr().out
    assert out.startswith(f"[07.4] {HINT}") and "raised" in out, out


@pytest.mark.parametrize("qid", nb07.QUIZZES)
def test_quiz_feedback(qid, capsys):
    q = nb07.QUIZZES[qid]
    nb07.quiz(qid, answer=q.answer)
    wrong = next(iter(k for k in q.options if k != q.answer)) if q.options else float(q.answer) + 1.0
    nb07.quiz(qid, answer=wrong)
    right, other = capsys.readouterr().out.splitlines()
    assert right.startswith(f"[{qid}] {CORRECT}") and other.startswith(f"[{qid}] {HINT}")
