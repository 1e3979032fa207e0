"""Notebook 10's optimisation: 10.5 one step on the pixels and 10.6 the whole transfer loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ... import style
from .. import Case, Exercise, Mistake, Typical, as_array, compare, edited
from .common import NOTEBOOK, UsesPieces, function_body, generator

# ----------------------------------------------------------------------------- 10.5 one step on the pixels


@dataclass(frozen=True)
class _StepCase(Case):
    """One call of ``transfer_step`` on a fresh image (a leaf with left-over gradients 0.5) with an SGD
    optimiser over its pixels; the outcome is (the loss returned, the pixels afterwards, their ``.grad``
    afterwards): the gradient left tells a step taken before ``backward`` from one whose gradient was zeroed."""

    def call(self, fn: Callable):
        gen = generator(5)
        image = torch.rand(1, 3, 4, 5, generator=gen, dtype=torch.float64).requires_grad_()
        target = torch.rand(1, 3, 4, 5, generator=gen, dtype=torch.float64) * 1.6 - 0.3
        image.grad = torch.full_like(image, 0.5)
        optimizer = torch.optim.SGD([image], lr=0.4)

        def loss_fn(x):
            return ((x - target) ** 2).sum() + 0.1 * (x**3).sum()

        before = image.detach().clone()
        loss = fn(image, optimizer, loss_fn)
        if loss is None and not torch.equal(image.detach(), before):
            raise Mistake(
                "Your step changed the pixels but returned None: return the loss before the step, loss.item(), "
                "so that the loop can record the learning curve."
            )
        grad = torch.zeros_like(before) if image.grad is None else image.grad.clone()  # None would read as the stub
        return loss, image.detach().clone(), grad


# the reference is the body of course_utils.style's transfer_step
_STEP = function_body(style.transfer_step)

check_transfer_step = Exercise(
    "10.5",
    "def transfer_step(image, optimizer, loss_fn):",
    todo="Write transfer_step(image, optimizer, loss_fn): zero, backward, step, clamp the pixels in place.",
    cases=lambda: [_StepCase("after one step", ())],
    reference=_STEP,
    typical=[
        Typical(
            edited(_STEP, ("optimizer.zero_grad()\n", "")),
            "Gradients left over from the previous step were added to this one's: call optimizer.zero_grad() "
            "first, before loss.backward().",
        ),
        Typical(
            edited(_STEP, ("loss.backward()\noptimizer.step()", "optimizer.step()\nloss.backward()")),
            "The step came before the gradient: optimizer.step() uses the gradients that loss.backward() stores, "
            "so call it after loss.backward().",
        ),
        Typical(
            edited(
                _STEP,
                ("optimizer.zero_grad()\n", ""),
                ("loss.backward()\n", "loss.backward()\noptimizer.zero_grad()\n"),
            ),
            "You zeroed the gradients between loss.backward() and optimizer.step(), so the step found none and the "
            "pixels did not move: call optimizer.zero_grad() first, before computing the loss.",
        ),
        Typical(
            edited(_STEP, ("with torch.no_grad():\n    image.clamp_(0, 1)\n", "")),
            "Some pixels left [0, 1]: clamp them IN PLACE after optimizer.step() (a clamp before it is undone by the "
            "step), image.clamp_(0, 1) inside torch.no_grad() (image = image.clamp(0, 1) only rebinds your local "
            "name; the optimiser's tensor keeps its values).",
        ),
        Typical(
            edited(_STEP, ("with torch.no_grad():\n    image.clamp_(0, 1)\n", "image.clamp_(0, 1)\n")),
            "An in-place change of a tensor that autograd tracks raised an error: wrap the clamp in `with "
            "torch.no_grad():` so that autograd does not record it.",
        ),
        Typical(
            edited(_STEP, ("return loss.item()", "return loss_fn(image).item()")),
            "You returned the loss AFTER the step, computed again: return the loss the gradient came from, "
            "loss.item(), so that the losses of successive steps form the learning curve.",
        ),
    ],
    confirmation="the optimiser's parameters are the pixels themselves: the network's filters never change, only "
    "the image does.",
    namespace=NOTEBOOK,
    result="",
    explain=lambda where, got, expected, hints, exercise: _explain_step(got, expected),
)


def _explain_step(got, expected) -> None:
    loss, image, _ = got  # the gradient left only tells typical mistakes apart
    right_loss, right_image, _ = expected
    if image.min() < 0 or image.max() > 1:
        raise Mistake(
            f"after your step the pixels range over [{float(image.min()):.2f}, {float(image.max()):.2f}]: clamp "
            "them in place to [0, 1] after the step, inside torch.no_grad()."
        )
    if not torch.allclose(image, right_image, rtol=1e-6, atol=1e-8):
        bad = int((~torch.isclose(image, right_image, rtol=1e-6, atol=1e-8)).sum())
        raise Mistake(
            f"{bad} of {image.numel()} pixels differ from the reference's step (by up to "
            f"{float((image - right_image).abs().max()):.3g}): zero the gradients, compute the loss, backward, "
            "step, then clamp."
        )
    try:
        value = float(loss)
    except (TypeError, ValueError):
        raise Mistake(f"transfer_step should return the loss as a number, got {type(loss).__name__}.") from None
    if not np.isclose(value, float(right_loss), rtol=1e-6):
        raise Mistake(
            f"the pixels are right, but you returned {value:.6g} instead of the loss before the step, "
            f"{float(right_loss):.6g}: return loss.item()."
        )


# ----------------------------------------------------------------------------- 10.6 the whole transfer


# the reference is the body of course_utils.style's style_transfer (whose options are keyword-only there)
LOOP = function_body(style.style_transfer)
LOOP_SIGNATURE = (
    "def style_transfer(content, style, net, content_weight=1.0, style_weight=1.0, tv_weight=0.0, "
    "content_layer=2, style_layers=(0, 1, 2, 3), steps=100, lr=0.02):"
)


def _loop_cases():
    gen = generator(6)
    net = style.RandomFeatures(channels=(4, 6, 8), seed=1, dtype=torch.float64)
    content = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 18, 18, generator=gen, dtype=torch.float64), 3, 1)
    art = torch.rand(1, 3, 16, 16, generator=gen, dtype=torch.float64)
    kwargs = dict(
        content_weight=2.0, style_weight=30.0, tv_weight=0.5, content_layer=1, style_layers=(0, 2), steps=6, lr=0.05
    )
    return [_TransferCase("on 16 x 16 images, 6 steps", (content, art, net), kwargs)]


class _TransferCase(Case):
    """The outcome is ``(value, changed, attached)``: the function's value, the caller's images it changed in
    place (``"content"``, ``"style"``) and whether the image it returned is still attached to autograd."""

    def call(self, fn):
        content, art, net = self.args
        given = content.clone(), art.clone()
        value = fn(*given, net, **self.kwargs)
        changed = tuple(
            name
            for name, g, original in zip(("content", "style"), given, (content, art))
            if not torch.equal(g, original)
        )
        image = value[0] if isinstance(value, (tuple, list)) and value else None
        return value, changed, bool(getattr(image, "requires_grad", False))


check_style_transfer = UsesPieces(
    "10.6",
    LOOP_SIGNATURE,
    todo="Write style_transfer(...): targets, the image from the content, Adam on its pixels, the loop.",
    cases=_loop_cases,
    reference=LOOP,
    typical=[
        Typical(
            edited(LOOP, ("image = content.clone().requires_grad_(True)", "image = content.requires_grad_(True)")),
            "You optimised the caller's content image itself (no .clone()): Adam overwrote the content picture "
            "you were given, and a second call would start from the last result. Start from a copy, "
            "content.clone().requires_grad_(True).",
        ),
        Typical(
            edited(LOOP, ("return image.detach(), losses", "return image, losses")),
            "The image you return is still attached to autograd (requires_grad=True), so it cannot be shown or "
            "turned into numbers directly: return image.detach().",
        ),
        Typical(
            edited(LOOP, ("[1.0 / len(style_layers)] * len(style_layers)", "[1.0] * len(style_layers)")),
            "Your style weights are 1 per layer, so the style loss grows with the number of layers: weight each "
            "of the L layers 1/L, [1.0 / len(style_layers)] * len(style_layers).",
        ),
        Typical(
            edited(
                LOOP,
                (
                    "style_loss([feats[k] for k in style_layers], [grams[k] for k in style_layers]",
                    "style_loss(feats, grams",
                ),
            ),
            "Your style loss ignores style_layers (the first layers were paired with the weights instead): pick "
            "the chosen layers, [feats[k] for k in style_layers] and [grams[k] for k in style_layers].",
        ),
        Typical(
            edited(LOOP, ("image = content.clone()", "image = style.clone()")),
            "Start from the CONTENT image, content.clone(): starting from the style image, the content loss has to "
            "drag the whole layout in from scratch.",
        ),
        Typical(
            edited(
                LOOP,
                ("grams = [gram_matrix(f) for f in net(style)]", "grams = [gram_matrix(f) for f in net(content)]"),
            ),
            "Your style targets are the Gram matrices of the CONTENT image: take them from the style image, "
            "net(style).",
        ),
        Typical(
            edited(LOOP, ("target = net(content)[content_layer]", "target = net(style)[content_layer]")),
            "Your content target is the STYLE image's feature map: take it from the content image, "
            "net(content)[content_layer].",
        ),
        Typical(
            edited(
                LOOP,
                ("content_weight * content_loss", "style_weight * content_loss"),
                ("style_weight * style_loss", "content_weight * style_loss"),
            ),
            "The two weights are swapped: content_weight multiplies the content loss and style_weight the style loss.",
        ),
        Typical(
            edited(LOOP, ("\n        + tv_weight * total_variation(x)", "")),
            "The total-variation term is missing from your loss: add tv_weight * total_variation(x).",
        ),
        Typical(
            edited(
                LOOP,
                ("optimizer = torch.optim.Adam([image], lr=lr)", "optimizer = torch.optim.Adam([content], lr=lr)"),
            ),
            "Your optimiser holds `content`, not the image whose loss you compute, so the pixels never moved: "
            "build it over the image, torch.optim.Adam([image], lr=lr).",
        ),
        Typical(
            edited(
                LOOP,
                ("optimizer = torch.optim.Adam([image], lr=lr)\n", ""),
                (
                    "losses = [transfer_step(image, optimizer, loss_fn) for _ in range(steps)]",
                    "losses = []\nfor _ in range(steps):\n    optimizer = torch.optim.Adam([image], lr=lr)\n"
                    "    losses.append(transfer_step(image, optimizer, loss_fn))",
                ),
            ),
            "You build a new Adam optimiser at every step, so its running averages of the gradient restart each "
            "time: build it once, before the loop.",
        ),
    ],
    confirmation="this is Gatys et al.'s method: no network is trained, the image is. The notebook runs your "
    "style_transfer from here on.",
    namespace=NOTEBOOK,
    result="",
    rtol=1e-5,
    explain=lambda where, got, expected, hints, exercise: _explain_loop(where, got, expected),
)


def _explain_loop(where, got, expected) -> None:
    got, changed, attached = got
    if changed:
        raise Mistake(
            f"Your style_transfer changed the caller's {' and '.join(changed)} image in place: leave the images "
            "you are given alone (the image you optimise is a copy of the content, content.clone())."
        )
    if attached:
        raise Mistake("return the image without its autograd graph, image.detach(), so the caller can show it.")
    expected = expected[0]
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mistake("return the tuple (image, losses): the final image and the list of losses, one per step.")
    image, losses = got
    right_image, right_losses = expected
    losses = as_array("losses", losses)
    if losses.shape != (len(right_losses),):
        raise Mistake(
            f"losses should hold one number per step, {len(right_losses)} here; yours has shape {losses.shape}."
        )
    compare(f"the losses {where}", losses, right_losses, rtol=1e-5, atol=1e-9)
    compare(f"the image {where}", image, right_image, rtol=1e-5, atol=1e-7)
