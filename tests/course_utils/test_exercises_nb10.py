"""Notebook 10's exercises beyond their declarations (tested in test_exercises_declared.py): what the checks
accept or refuse besides the typical mistakes, the hints about the student's own pieces, and the claims the
confirmations and self-checks make."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import style as st
from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, edited
from course_utils.exercises import nb10 as ex
from course_utils.exercises.nb10.common import function_body


def _cell(code: str, **names):
    """The functions a student's cell ``code`` defines, in the notebook's namespace (plus ``names``)."""
    scope = {**ex.NOTEBOOK, **names}
    exec(code, scope)  # noqa: S102 - the test's own code
    return scope


def _lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_accepted_alternatives(capsys):
    ex.check_gram_matrix(lambda f: torch.einsum("bchw,bdhw->bcd", f, f) / (f.shape[2] * f.shape[3]))
    ex.check_gram_matrix(lambda f: torch.bmm(f.flatten(2), f.flatten(2).permute(0, 2, 1)) / f[0, 0].numel())
    ex.check_gram_matrix(  # channels last first, then the right reshape
        lambda f: (lambda g: g.transpose(1, 2) @ g / g.shape[1])(
            f.permute(0, 2, 3, 1).reshape(f.shape[0], -1, f.shape[1])
        )
    )
    ex.check_content_loss(F.mse_loss)
    ex.check_content_loss(lambda f, t: (f - t).pow(2).sum() / f.numel())
    ex.check_style_loss(lambda fs, gs, ws: sum(w * F.mse_loss(st.gram_matrix(f), g) for f, g, w in zip(fs, gs, ws)))
    ex.check_total_variation(lambda x: torch.diff(x, dim=2).pow(2).mean() + torch.diff(x, dim=3).pow(2).mean())
    step = _cell(
        "def transfer_step(image, optimizer, loss_fn):\n"
        "    optimizer.zero_grad(set_to_none=False)\n"
        "    loss = loss_fn(image)\n    loss.backward()\n    optimizer.step()\n"
        "    image.data.clamp_(min=0.0, max=1.0)\n    return loss\n"  # the tensor, and .data instead of no_grad
    )["transfer_step"]
    ex.check_transfer_step(step)
    loop = edited(
        ex.LOOP,
        (
            "losses = [transfer_step(image, optimizer, loss_fn) for _ in range(steps)]",
            "losses = []\nfor step in range(steps):\n    losses.append(transfer_step(image, optimizer, loss_fn))",
        ),
        (
            "image = content.clone().requires_grad_(True)",
            "image = content.detach().clone()\nimage.requires_grad = True",
        ),
        ("return image.detach(), losses", "return image.detach(), torch.tensor(losses)"),
    )
    ex.check_style_transfer(_defined(ex.LOOP_SIGNATURE, loop))
    out = _lines(capsys)
    assert len(out) == 9 and all(CORRECT in line for line in out), out


def test_answers_that_fail_on_device_are_refused(capsys):
    """style_transfer runs the student's pieces on DEVICE: numpy cannot read a GPU tensor, and a tensor made
    without device= stays on the CPU."""
    ex.check_gram_matrix(lambda f: (f.flatten(2) @ f.flatten(2).transpose(1, 2)).numpy() / f[0, 0].numel())
    ex.check_style_loss(
        _defined(
            "def style_loss(features, target_grams, weights):",
            "loss = torch.zeros(1)\nfor f, a, w in zip(features, target_grams, weights):\n"
            "    loss = loss + w * ((gram_matrix(f) - a) ** 2).mean()\nreturn loss[0]",
            gram_matrix=st.gram_matrix,
        )
    )
    first, second = _lines(capsys)
    assert first.startswith("[10.1] Not quite: Your answer is right on the CPU, but") and "numpy" in first
    assert second.startswith("[10.3] Not quite: Your answer is right on the CPU, but") and "_like(x)" in second


def test_wrong_answers_get_specific_hints(capsys):
    ex.check_gram_matrix(lambda f: torch.zeros(f.shape[0], f.shape[1], f.shape[1]))
    ex.check_content_loss(lambda f, t: ((f - t) ** 2).mean().item())  # right value, no backward
    ex.check_content_loss(lambda f, t: ((f - t) ** 2).mean(dim=(2, 3)))  # one per channel
    ex.check_content_loss(lambda f, t: ((f - t) ** 2).mean().detach())
    ex.check_total_variation(lambda x: x.sum() * 0)  # differentiable, wrong value
    ex.check_transfer_step(lambda image, opt, loss_fn: 0.0)  # does nothing
    ex.check_style_transfer(lambda *a, **k: (a[0], [0.0]))
    out = _lines(capsys)
    assert len(out) == 7 and all(HINT in line for line in out), out
    assert "`G" in out[0] or "G " in out[0]
    assert "0-d torch tensor" in out[1] and "float" in out[1]
    assert "shape (1, 6)" in out[2] and "through autograd" in out[3]
    assert "total variation" in out[4]
    assert "pixels differ" in out[5]
    assert "one number per step" in out[6]


def test_style_transfer_leaves_the_callers_images_alone(capsys):
    """The docstring promises that the content and style images are left alone: changing one in place, even
    with the right result otherwise, is named (the copy of the content that is optimised is a typical mistake)."""
    ex.check_style_transfer(_defined(ex.LOOP_SIGNATURE, "style.mul_(0.5)\n" + ex.LOOP))
    ex.check_style_transfer(_defined(ex.LOOP_SIGNATURE, "content.add_(0.0)\n" + ex.LOOP))  # no change: accepted
    out = _lines(capsys)
    assert len(out) == 2 and HINT in out[0] and "changed the caller's style image in place" in out[0], out
    assert CORRECT in out[1], out


def _defined(signature: str, body: str, **names):
    """The function of ``signature`` with ``body``, defined in a notebook scope where ``names`` are the student's."""
    scope = _cell(signature + "\n" + "".join(f"    {line}\n" for line in body.splitlines()), **names)
    return scope[signature.split("def ", 1)[1].split("(", 1)[0]]


def test_a_wrong_piece_is_named_before_the_answer_that_calls_it(capsys):
    unscaled = ex.check_gram_matrix.function(ex.check_gram_matrix.typical[0].body)  # 10.1's missing 1 / (h w)
    ex.check_style_loss(_defined(ex.check_style_loss.signature, ex.STYLE, gram_matrix=unscaled))
    # the same right style_loss with a right gram_matrix of the student's own is accepted
    einsum_gram = lambda f: torch.einsum("bchw,bdhw->bcd", f, f) / (f.shape[2] * f.shape[3])
    ex.check_style_loss(_defined(ex.check_style_loss.signature, ex.STYLE, gram_matrix=einsum_gram))
    # the whole loop, right, but it calls the student's content_loss, still the stub
    ex.check_style_transfer(_defined(ex.LOOP_SIGNATURE, ex.LOOP, content_loss=lambda features, target: None))
    out = _lines(capsys)
    assert HINT in out[0] and "calls your gram_matrix" in out[0], out[0]
    assert CORRECT in out[1], out[1]
    assert HINT in out[2] and "calls your content_loss" in out[2], out[2]


def test_stubs_and_partial_answers(capsys):
    ex.check_style_transfer(lambda *a, **k: None)
    ex.check_transfer_step(lambda image, opt, loss_fn: None)
    out = _lines(capsys)
    assert all(NOT_ATTEMPTED in line for line in out), out


def test_the_confirmations_and_self_checks_claims():
    # 10.q2: a 64-channel Gram matrix holds 64 * 65 / 2 = 2080 different numbers (it is symmetric)
    G = st.gram_matrix(torch.rand(1, 64, 16, 16))[0]
    assert torch.allclose(G, G.T) and ex.QUIZZES["10.q2"].answer == 64 * 65 // 2
    # 10.3's confirmation: layer 0 sees 3 pixels, deeper layers tens of pixels
    assert st.receptive_fields(4)[0] == 3 and st.receptive_fields(4)[-1] >= 20
    # 10.5's case pushes some pixels out of [0, 1] without the clamp, so a missing clamp is seen
    (no_clamp,) = [t for t in ex.check_transfer_step.typical if t.hint.startswith("Some pixels left [0, 1]")]
    _, image, _ = ex.check_transfer_step.cases()[0].call(ex.check_transfer_step.function(no_clamp.body))
    assert image.min() < 0 and image.max() > 1
    # 10.q3: the filters are frozen: only the pixels change
    assert not any(p.requires_grad for p in st.RandomFeatures().parameters())
    assert np.isclose(ex.QUIZZES["10.q2"].tolerance, 0.5)


def _documented(x, *, scale=2):
    """A docstring
    over two lines."""
    # a comment, kept
    y = x * scale

    def inner(z):
        return z + 1

    return inner(y)


def _undocumented(x):
    return x - 1


def _one_line(x): return x  # fmt: skip


def test_function_body_is_the_code_under_the_docstring_dedented():
    assert function_body(_documented) == (
        "# a comment, kept\ny = x * scale\n\ndef inner(z):\n    return z + 1\n\nreturn inner(y)\n"
    )
    assert function_body(_undocumented) == "return x - 1\n"
    with pytest.raises(ValueError, match="_one_line"):
        function_body(_one_line)
    # 10.5's and 10.6's references are course_utils.style's functions: under the notebook's signature (all
    # options positional), the body gives what the library's function gives
    assert ex.check_transfer_step.reference == function_body(st.transfer_step)
    assert ex.LOOP == function_body(st.style_transfer) and "tv_weight * total_variation(x)" in ex.LOOP
    transfer = _defined(ex.LOOP_SIGNATURE, ex.LOOP)
    gen = torch.Generator().manual_seed(0)
    content, art = torch.rand(1, 3, 12, 12, generator=gen), torch.rand(1, 3, 12, 12, generator=gen)
    net = st.RandomFeatures(channels=(4, 6), seed=1)
    image, losses = transfer(content, art, net, 1.0, 10.0, 0.1, 1, (0, 1), 3, 0.05)
    right_image, right_losses = st.style_transfer(
        content, art, net, style_weight=10.0, tv_weight=0.1, content_layer=1, style_layers=(0, 1), steps=3, lr=0.05
    )
    assert torch.equal(image, right_image) and losses == right_losses


def test_probed_answers_beyond_the_typical_mistakes(capsys):
    """Answers found by probing the checks: a step that forgets its return, a clamp before the step, a content
    loss that divides by one image's size (right only for a batch of 1), and right answers written otherwise."""
    sig, step = ex.check_transfer_step.signature, ex.check_transfer_step.reference
    ex.check_transfer_step(_defined(sig, edited(step, ("return loss.item()", "pass"))))
    clamp_first = edited(
        step, ("optimizer.step()\n", ""), ("image.clamp_(0, 1)\n", "image.clamp_(0, 1)\noptimizer.step()\n")
    )
    ex.check_transfer_step(_defined(sig, clamp_first))
    ex.check_content_loss(lambda f, t: ((f - t) ** 2).sum() / f[0].numel())
    # right: the gradients zeroed again after the step (the gradient left differs from the reference's)
    ex.check_transfer_step(
        _defined(sig, edited(step, ("return loss.item()", "optimizer.zero_grad()\nreturn loss.item()")))
    )
    ex.check_total_variation(lambda x: F.mse_loss(x[..., 1:, :], x[..., :-1, :]) + F.mse_loss(x[..., 1:], x[..., :-1]))
    ex.check_content_loss(lambda f, t: torch.mean(torch.square(t - f)))
    out = _lines(capsys)
    assert len(out) == 6, out
    assert HINT in out[0] and "returned None" in out[0], out[0]
    assert HINT in out[1] and "a clamp before it is undone" in out[1], out[1]
    assert HINT in out[2] and "on a batch of 2" in out[2] and "2 times" in out[2], out[2]
    assert all(CORRECT in line for line in out[3:]), out[3:]
