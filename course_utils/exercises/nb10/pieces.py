"""Notebook 10's pieces: 10.1 the Gram matrix, 10.2 the content loss, 10.3 the style loss over layers and 10.4
the total variation."""

from __future__ import annotations

import torch

from ... import style
from .. import Case, Exercise, Loss, OnTheDevice, Typical, edited
from .common import NOTEBOOK, UsesPieces, explain_loss, function_body, generator

# ----------------------------------------------------------------------------- 10.1 the Gram matrix


def _feature_cases():
    gen = generator(1)
    return [
        Case(
            "on a batch of 2 images, 4 channels at 5 x 6 positions",
            (torch.rand(2, 4, 5, 6, generator=gen, dtype=torch.float64),),
        ),
        Case(
            "on one image, 3 channels at 7 x 4 positions", (torch.rand(1, 3, 7, 4, generator=gen, dtype=torch.float64),)
        ),
        OnTheDevice("on DEVICE", (torch.zeros(1, 3, 7, 4, dtype=torch.float64, device="meta"),)),
    ]


_GRAM = function_body(style.gram_matrix)  # the library's code is the reference: one copy
_POSITIONS = (
    "Your matrix is (B, H*W, H*W): it compares positions with positions. The Gram matrix compares CHANNELS: "
    "G = flat @ flat.transpose(1, 2), (B, C, C), with flat = features.reshape(b, c, h * w)."
)
_NO_BATCH = (
    "You dropped the batch axis: every image of the batch gets its own (C, C) Gram matrix, so the result is "
    "(B, C, C). Reshape to (b, c, h * w) and multiply image by image: flat @ flat.transpose(1, 2)."
)

check_gram_matrix = Exercise(
    "10.1",
    "def gram_matrix(features):",
    todo="Write gram_matrix(features): (B, C, H, W) -> (B, C, C), averaged over the H*W positions.",
    cases=_feature_cases,
    reference=_GRAM,
    typical=[
        Typical(
            edited(_GRAM, (" / (h * w)", "")),
            "Your Gram matrix is H*W times too big: divide by the number of positions h * w, so that the "
            "entries are averages and images of different sizes compare.",
        ),
        Typical(
            edited(_GRAM, ("(h * w)", "(c * h * w)")),
            "You divided by c * h * w: G[i, j] is the mean of F_i * F_j over the h * w POSITIONS only; dividing "
            "by the channels as well shrinks the style loss of wide layers.",
        ),
        Typical(
            edited(_GRAM, ("/ (h * w)", "/ h * w")),
            "`/ h * w` divides by h and then MULTIPLIES by w (/ and * go left to right): put the number of "
            "positions in brackets, / (h * w).",
        ),
        Typical(
            edited(_GRAM, ("(h * w)", "features.numel()")),
            "features.numel() counts every number of the batch, b * c * h * w: each image's G[i, j] is the mean "
            "over its h * w positions only, so divide by h * w.",
        ),
        Typical(edited(_GRAM, ("flat @ flat.transpose(1, 2)", "flat.transpose(1, 2) @ flat")), _POSITIONS),
        Typical(
            edited(
                _GRAM,
                ("reshape(b, c, h * w)", "reshape(b, h * w, c)"),
                ("flat @ flat.transpose(1, 2)", "flat.transpose(1, 2) @ flat"),
            ),
            "reshape(b, h * w, c) does not move the channels last: it cuts the memory, which holds channel after "
            "channel, into rows that mix channels and positions. Keep the channels first, features.reshape(b, c, "
            "h * w), or permute before reshaping.",
        ),
        Typical(
            edited(_GRAM, ("reshape(b, c, h * w)", "reshape(c, -1)"), ("flat.transpose(1, 2)", "flat.T")), _NO_BATCH
        ),
    ],
    confirmation="G[b, i, j] averages F_i * F_j over all positions: which channels fire TOGETHER, wherever they "
    "fire. Where things are is averaged away, which is why it describes texture and style, not layout.",
    namespace=NOTEBOOK,
    result="G",
    shape_hints=lambda case: {
        (
            case.args[0].shape[0],
            case.args[0].shape[2] * case.args[0].shape[3],
            case.args[0].shape[2] * case.args[0].shape[3],
        ): _POSITIONS,
        (case.args[0].shape[1], case.args[0].shape[1]): _NO_BATCH,
    },
)

# ----------------------------------------------------------------------------- 10.2 the content loss


def _content_cases():
    gen = generator(2)
    features = torch.rand(1, 6, 4, 5, generator=gen, dtype=torch.float64).requires_grad_()
    target = torch.rand(1, 6, 4, 5, generator=gen, dtype=torch.float64)
    batch = torch.rand(2, 3, 4, 4, generator=gen, dtype=torch.float64).requires_grad_()
    return [
        Case("", (features, target)),
        Case("on a batch of 2", (batch, torch.rand(2, 3, 4, 4, generator=gen, dtype=torch.float64))),
        OnTheDevice.like(Case("", (features, target))),
    ]


check_content_loss = Loss(
    "10.2",
    "def content_loss(features, target):",
    todo="Write content_loss(features, target): the mean squared difference of the two feature maps.",
    cases=_content_cases,
    reference=function_body(style.content_loss),
    typical=[
        Typical(
            "return ((features - target) ** 2).sum()",
            "You summed the squared differences: that is B*C*H*W times the mean, so the content weight would "
            "depend on the layer's size. Take the mean.",
        ),
        Typical(
            "return (features - target).mean()",
            "You averaged the differences without squaring them: positive and negative differences cancel, and "
            "the loss can be negative. Square them first.",
        ),
        Typical(
            "return (features - target).abs().mean()",
            "That is the mean ABSOLUTE difference (an L1 loss); the content loss is the mean SQUARED difference.",
        ),
        Typical(
            "return ((features - target) ** 2).mean().sqrt()",
            "You took the square root of the mean squared difference (the RMS distance); the content loss is the "
            "mean squared difference itself: leave out the sqrt.",
        ),
        Typical(
            "return torch.norm(features - target)",
            "torch.norm(features - target) is the square root of the SUM of the squared differences (a Euclidean "
            "distance); the content loss is their MEAN, ((features - target) ** 2).mean().",
        ),
        Typical(
            "return (features - target).mean() ** 2",
            "You squared the mean difference: positive and negative differences cancel before the square. Square "
            "each difference first, then average: ((features - target) ** 2).mean().",
        ),
        Typical(
            "return 0.5 * ((features - target) ** 2).sum()",
            "That is Gatys et al.'s 1/2 * sum; here the content loss is the MEAN squared difference, so that the "
            "weights in the notebook do not depend on the size of the image or the layer.",
        ),
    ],
    confirmation="the content loss compares feature maps position by position: it keeps WHERE things are, at the "
    "resolution of the layer you pick.",
    namespace=NOTEBOOK,
    result="the content loss",
    explain=explain_loss,
)

# ----------------------------------------------------------------------------- 10.3 the style loss over layers


def _style_cases():
    gen = generator(3)
    shapes = [(1, 3, 6, 6), (1, 5, 3, 3), (1, 4, 2, 2)]
    features = [torch.rand(*s, generator=gen, dtype=torch.float64).requires_grad_() for s in shapes]
    grams = [style.gram_matrix(torch.rand(*s, generator=gen, dtype=torch.float64)) for s in shapes]
    weighted = Case("with weights [0.5, 0.3, 0.2]", (features, grams, [0.5, 0.3, 0.2]))
    return [weighted, OnTheDevice.like(weighted)]


STYLE = (
    "loss = 0\n"
    "for f, a, w in zip(features, target_grams, weights):\n"
    "    loss = loss + w * ((gram_matrix(f) - a) ** 2).mean()\n"
    "return loss"
)


class _StyleLoss(UsesPieces, Loss):
    """10.3: the student's own ``gram_matrix`` may be the culprit, and the loss must be differentiable."""


check_style_loss = _StyleLoss(
    "10.3",
    "def style_loss(features, target_grams, weights):",
    todo="Write style_loss(features, target_grams, weights): sum over layers of w_l * mean((G(F_l) - A_l)^2).",
    cases=_style_cases,
    reference=STYLE,
    typical=[
        Typical(
            edited(STYLE, ("loss + w * ", "loss + ")),
            "You left out the weights: multiply each layer's term by its w_l, which says how much that layer's "
            "style counts.",
        ),
        Typical(
            edited(STYLE, (".mean()", ".sum()")),
            "You summed each layer's squared Gram differences: a layer with C channels has C * C of them, so the "
            "wide layers would count more. Take their mean, as the stub says.",
        ),
        Typical(
            edited(STYLE, ("loss = loss + w", "loss = w")),
            "Your loss is only the LAST layer's term: `loss = w * ...` overwrites it at every layer; add each "
            "layer's term to it, loss = loss + w * ...",
        ),
        Typical(
            edited(STYLE, ("return loss", "return loss / len(weights)")),
            "You divided the sum by the number of layers: the weights already say how much each layer counts "
            "(they add up to 1 in the notebook), so just add the weighted terms.",
        ),
        Typical(
            edited(STYLE, ("(gram_matrix(f) - a)", "(gram_matrix(f) - gram_matrix(a))")),
            "target_grams are Gram matrices already, (B, C, C): compare gram_matrix(f) with a directly, without "
            "taking the Gram matrix of a Gram matrix.",
        ),
        Typical(
            edited(STYLE, ("(gram_matrix(f) - a) ** 2", "gram_matrix(f - a) ** 2")),
            "You took the Gram matrix of f - a; the style loss compares the image's Gram matrix with the style's: "
            "(gram_matrix(f) - a) ** 2.",
        ),
    ],
    confirmation="each layer's Gram matrix describes the style at that layer's scale (3 pixels wide at layer 0, "
    "tens of pixels deeper), and the weights mix the scales.",
    namespace=NOTEBOOK,
    result="the style loss",
    explain=explain_loss,
)

# ----------------------------------------------------------------------------- 10.4 total variation


def _image_cases():
    gen = generator(4)
    return [
        Case("on a 3 x 5 x 7 image", (torch.rand(1, 3, 5, 7, generator=gen, dtype=torch.float64).requires_grad_(),)),
        Case(
            "on a batch of 2 images 3 x 4 x 4",
            (torch.rand(2, 3, 4, 4, generator=gen, dtype=torch.float64).requires_grad_(),),
        ),
        OnTheDevice("on DEVICE", (torch.zeros(1, 3, 5, 7, dtype=torch.float64, device="meta").requires_grad_(),)),
    ]


_TV = function_body(style.total_variation)

check_total_variation = Loss(
    "10.4",
    "def total_variation(image):",
    todo="Write total_variation(image): mean squared difference of vertical neighbours + of horizontal ones.",
    cases=_image_cases,
    reference=_TV,
    typical=[
        Typical(
            edited(_TV, (" + (dx**2).mean()", "")),
            "Only vertical neighbours count in yours (dim 2, rows): add the mean squared difference of horizontal "
            "neighbours, along dim 3, too.",
        ),
        Typical(
            edited(_TV, ("(dy**2).mean() + ", "")),
            "Only horizontal neighbours count in yours (dim 3, columns): add the mean squared difference of "
            "vertical neighbours, along dim 2, too.",
        ),
        Typical(
            edited(
                _TV,
                ("image[:, :, 1:, :] - image[:, :, :-1, :]", "image[:, 1:, :, :] - image[:, :-1, :, :]"),
                ("image[:, :, :, 1:] - image[:, :, :, :-1]", "image[:, :, 1:, :] - image[:, :, :-1, :]"),
            ),
            "Your differences run along dims 1 and 2, but dim 1 is the colour channel: neighbouring PIXELS are "
            "along dims 2 (rows) and 3 (columns) of (B, 3, H, W).",
        ),
        Typical(
            edited(
                _TV,
                ("image[:, :, 1:, :] - image[:, :, :-1, :]", "image[1:, :] - image[:-1, :]"),
                ("image[:, :, :, 1:] - image[:, :, :, :-1]", "image[:, 1:] - image[:, :-1]"),
            ),
            "Your slices treat image as (H, W): image[1:, :] cuts the BATCH axis and image[:, 1:] the colour "
            "channels. The rows and columns of (B, 3, H, W) are dims 2 and 3: image[:, :, 1:, :], image[:, :, :, 1:].",
        ),
        Typical(
            edited(_TV, ("image[:, :, :, 1:] - image[:, :, :, :-1]", "image[:, :, 1:, :] - image[:, :, :-1, :]")),
            "Both your differences are along dim 2 (rows): the copy for the horizontal neighbours must slice the "
            "columns, dx = image[:, :, :, 1:] - image[:, :, :, :-1].",
        ),
        Typical(
            edited(
                _TV,
                ("image[:, :, 1:, :] - image[:, :, :-1, :]", "image[:, :, 1:, :-1] - image[:, :, :-1, :-1]"),
                ("image[:, :, :, 1:] - image[:, :, :, :-1]", "image[:, :, :-1, 1:] - image[:, :, :-1, :-1]"),
                ("(dy**2).mean() + (dx**2).mean()", "(dy**2 + dx**2).mean()"),
            ),
            "You cropped both differences to (H-1, W-1) to add them: that drops the last row's horizontal and the "
            "last column's vertical differences. Take the mean of dy**2 and of dx**2 separately, each over its own "
            "shape, and add the two means.",
        ),
        Typical(
            edited(_TV, ("(dy**2).mean() + (dx**2).mean()", "dy.abs().mean() + dx.abs().mean()")),
            "You used absolute differences (the L1 total variation); the stub asks for the mean SQUARED "
            "differences, which smooth gently instead of making flat patches.",
        ),
        Typical(
            edited(_TV, ("(dy**2).mean() + (dx**2).mean()", "(dy**2).sum() + (dx**2).sum()")),
            "You summed the squared differences: the sum grows with the image's size; take the mean of each.",
        ),
    ],
    confirmation="the total variation is small for smooth images and large for pixel noise: a small weight on it "
    "removes the high-frequency speckle that pixel optimisation tends to leave.",
    namespace=NOTEBOOK,
    result="the total variation",
    explain=explain_loss,
)
