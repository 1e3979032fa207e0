"""Neural style transfer (notebook 10): Gatys, Ecker & Bethge (2015) with features that need no download.

Gatys et al. optimise the pixels of an image ``x`` so that the feature maps of a CNN match a content image's
at one deep layer and the *Gram matrices* of the feature maps (which channels fire together, wherever they
fire) match a style image's at several layers. They used VGG-19 trained on ImageNet; pretrained weights
cannot be downloaded here, so the features come from :class:`RandomFeatures`, a small CNN whose filters are
random and never trained: Ustyuzhaninov et al. (2017), "What does it take to generate natural textures?",
showed that random filters at several scales, followed by a nonlinearity, already give Gram statistics rich
enough to synthesise natural textures.

The reference code of the notebook's exercises lives here: :func:`gram_matrix`, :func:`content_loss`,
:func:`style_loss`, :func:`total_variation`, :func:`transfer_step` and the whole loop
:func:`style_transfer`; also the images (:func:`content_image`, :func:`painting_texture`), the distances
the notebook's checks assert on (:func:`gram_distance`, :func:`feature_distance`) and the widget's logic
(:func:`tradeoff_figure`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

__all__ = [
    "RandomFeatures",
    "receptive_fields",
    "to_tensor",
    "to_image",
    "content_image",
    "painting_texture",
    "gram_matrix",
    "content_loss",
    "style_loss",
    "total_variation",
    "transfer_step",
    "style_transfer",
    "Transfer",
    "gram_distance",
    "feature_distance",
    "tradeoff_figure",
]


class RandomFeatures(nn.Module):
    """A CNN with random, frozen filters: ``net(x)`` is the list of its layers' feature maps.

    Layer ``l`` is (for ``l > 0``: a 2x2 average pool, then) a ``3 x 3`` convolution with
    ``channels[l]`` filters and a ReLU, so each layer sees the image at half the previous resolution
    and a receptive field about twice as wide (:func:`receptive_fields`): the features are multi-scale.
    The filters are drawn once from ``seed``, zero-mean per filter and scaled so that the features keep
    their size from layer to layer (He initialisation); nothing is trained.

    Args:
        channels: filters per layer; the input has 3 channels (RGB in [0, 1]).
        seed: the random filters' seed (the global generator is not touched).
        dtype: float32 (the notebook) or float64 (the checks).
    """

    def __init__(self, channels: Sequence[int] = (32, 64, 64, 128), seed: int = 0, dtype=torch.float32):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.convs = nn.ModuleList()
        c_in = 3
        for c_out in channels:
            with torch.random.fork_rng(devices=[]):  # nn.Conv2d's own initialisation draws from the global generator
                conv = nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="reflect").to(dtype)
            w = torch.randn(c_out, c_in, 3, 3, generator=gen, dtype=dtype)
            w = w - w.mean(dim=(1, 2, 3), keepdim=True)  # zero-mean filters respond to structure, not brightness
            w = w * math.sqrt(2.0 / (c_in * 9)) / w.std(dim=(1, 2, 3), keepdim=True)
            with torch.no_grad():
                conv.weight.copy_(w)
                conv.bias.copy_(0.1 * torch.randn(c_out, generator=gen, dtype=dtype))
            conv.requires_grad_(False)
            self.convs.append(conv)
            c_in = c_out

    @property
    def n_layers(self) -> int:
        return len(self.convs)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x (B, 3, H, W) -> [feature maps of layer 0 (B, C0, H, W), layer 1 (B, C1, H/2, W/2), ...]."""
        feats = []
        for k, conv in enumerate(self.convs):
            if k:
                x = nn.functional.avg_pool2d(x, 2)
            x = torch.relu(conv(x))
            feats.append(x)
        return feats


def receptive_fields(n_layers: int) -> list[int]:
    """The width in input pixels that one unit of each layer of :class:`RandomFeatures` sees: 3, 8, 18, 38, ..."""
    sizes, size, jump = [], 1, 1
    for k in range(n_layers):
        if k:
            size, jump = size + jump, 2 * jump  # 2 x 2 pool with stride 2
        size += 2 * jump  # 3 x 3 convolution
        sizes.append(size)
    return sizes


# --------------------------------------------------------------------------- images


def to_tensor(image: np.ndarray, dtype=torch.float32) -> torch.Tensor:
    """An (H, W, 3) image in [0, 1] -> a (1, 3, H, W) tensor."""
    return torch.as_tensor(np.ascontiguousarray(image.transpose(2, 0, 1)), dtype=dtype).unsqueeze(0)


def to_image(x: torch.Tensor) -> np.ndarray:
    """A (1, 3, H, W) tensor -> an (H, W, 3) array clipped to [0, 1], for ``imshow``."""
    return x.detach().cpu()[0].permute(1, 2, 0).clamp(0, 1).numpy()


def content_image(size: int = 64, name: str = "china.jpg") -> np.ndarray:
    """A ``size`` x ``size`` colour crop of one of scikit-learn's sample photographs, (size, size, 3) in [0, 1]."""
    from PIL import Image

    from .datasets import load_photo

    photo = load_photo(name, gray=False)  # (427, 640, 3)
    h, w = photo.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = (photo[top : top + side, left : left + side] * 255).round().astype(np.uint8)
    small = Image.fromarray(square).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float64) / 255.0


#: The painting's colours (deep blue night, ultramarine, sky blue, pale yellow, ochre): a starry-night palette.
PAINT = np.array([[0.05, 0.10, 0.35], [0.10, 0.25, 0.60], [0.35, 0.55, 0.85], [0.95, 0.88, 0.45], [0.85, 0.60, 0.15]])


def painting_texture(size: int = 64, n_strokes: int = 450, seed: int = 0) -> np.ndarray:
    """A painting-like texture made of short brush strokes that swirl around a few centres.

    Each stroke is a soft elongated blob (about 9 x 2 pixels) whose direction follows a swirling flow field,
    painted over the previous ones in one of the :data:`PAINT` colours (mostly blues, some yellows), with a
    little per-stroke shading. Returns (size, size, 3) in [0, 1]; deterministic for a ``seed``.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    canvas = np.tile(PAINT[0], (size, size, 1))
    centres = rng.uniform(0.2 * size, 0.8 * size, size=(3, 2))
    spins = rng.choice([-1.0, 1.0], size=3)
    length, width = 0.14 * size, 0.035 * size
    weights = np.array([0.25, 0.3, 0.2, 0.15, 0.1])
    for _ in range(n_strokes):
        cy, cx = rng.uniform(-2, size + 2, size=2)
        flow = np.zeros(2)
        for (sy, sx), spin in zip(centres, spins):  # the tangent of a circle around each centre
            dy, dx = cy - sy, cx - sx
            r2 = dy * dy + dx * dx + 4.0
            flow += spin * np.array([dx, -dy]) / r2
        angle = math.atan2(flow[0], flow[1]) + rng.normal(0, 0.15)
        colour = PAINT[rng.choice(len(PAINT), p=weights)] * rng.uniform(0.85, 1.15)
        r = int(2 * length) + 1  # paint only the stroke's neighbourhood
        rows = slice(max(0, int(cy) - r), max(0, min(size, int(cy) + r + 1)))
        cols = slice(max(0, int(cx) - r), max(0, min(size, int(cx) + r + 1)))
        u = (yy[rows, cols] - cy) * math.sin(angle) + (xx[rows, cols] - cx) * math.cos(angle)  # along the stroke
        v = (yy[rows, cols] - cy) * math.cos(angle) - (xx[rows, cols] - cx) * math.sin(angle)  # across it
        alpha = np.exp(-(((u / length) ** 2 + (v / width) ** 2) ** 2))[..., None]
        canvas[rows, cols] = (1 - alpha) * canvas[rows, cols] + alpha * colour
    return np.clip(canvas, 0.0, 1.0)


# --------------------------------------------------------------------------- the losses (the exercises' references)


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Features (B, C, H, W) -> Gram matrices (B, C, C): G[b, i, j] = mean over positions of F_i * F_j."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean squared difference between the feature maps of the image and of the content image."""
    return ((features - target) ** 2).mean()


def style_loss(features: Sequence[torch.Tensor], target_grams: Sequence[torch.Tensor], weights) -> torch.Tensor:
    """sum_l w_l * mean((G(F_l) - A_l)^2) over the layers: features F_l of the image, style Grams A_l."""
    return sum(w * ((gram_matrix(f) - a) ** 2).mean() for f, a, w in zip(features, target_grams, weights))


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """The mean squared difference between vertical neighbours plus that between horizontal neighbours."""
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]
    return (dy**2).mean() + (dx**2).mean()


def transfer_step(image: torch.Tensor, optimizer, loss_fn: Callable) -> float:
    """One optimisation step on the pixels: the loss's gradient, a step, the pixels clamped to [0, 1]."""
    optimizer.zero_grad()
    loss = loss_fn(image)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        image.clamp_(0, 1)
    return loss.item()


@dataclass
class Transfer:
    """What :func:`style_transfer` returns: the image (1, 3, H, W) and the total loss before each step."""

    image: torch.Tensor
    losses: list[float] = field(default_factory=list)


def style_transfer(
    content,
    style,
    net,
    *,
    content_weight: float = 1.0,
    style_weight: float = 1.0,
    tv_weight: float = 0.0,
    content_layer: int = 2,
    style_layers: Sequence[int] = (0, 1, 2, 3),
    steps: int = 100,
    lr: float = 0.02,
):
    """Gatys et al.'s loop, from the pieces above: start from the content image, take ``steps`` Adam steps on
    its pixels against ``content_weight * content loss + style_weight * style loss + tv_weight * TV``.
    Returns (image (1, 3, H, W), losses: a list of the total loss before each step)."""
    with torch.no_grad():
        target = net(content)[content_layer]
        grams = [gram_matrix(f) for f in net(style)]
    weights = [1.0 / len(style_layers)] * len(style_layers)
    image = content.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([image], lr=lr)

    def loss_fn(x):
        feats = net(x)
        return (
            content_weight * content_loss(feats[content_layer], target)
            + style_weight * style_loss([feats[k] for k in style_layers], [grams[k] for k in style_layers], weights)
            + tv_weight * total_variation(x)
        )

    losses = [transfer_step(image, optimizer, loss_fn) for _ in range(steps)]
    return image.detach(), losses


# --------------------------------------------------------------------------- how close: the notebook's checks


def gram_distance(net, a: torch.Tensor, b: torch.Tensor, layers: Sequence[int] | None = None) -> float:
    """The style distance between images a and b: the mean over ``layers`` (all by default) of the relative
    squared difference of their Gram matrices, ||G_l(a) - G_l(b)||^2 / ||G_l(b)||^2."""
    with torch.no_grad():
        fa, fb = net(a), net(b)
    layers = range(len(fa)) if layers is None else layers
    return float(
        np.mean(
            [
                float(((gram_matrix(fa[k]) - gram_matrix(fb[k])) ** 2).sum() / (gram_matrix(fb[k]) ** 2).sum())
                for k in layers
            ]
        )
    )


def feature_distance(net, a: torch.Tensor, b: torch.Tensor, layer: int = 2) -> float:
    """The content distance between images a and b: ||F_l(a) - F_l(b)||^2 / ||F_l(b)||^2 at ``layer``."""
    with torch.no_grad():
        fa, fb = net(a)[layer], net(b)[layer]
    return float(((fa - fb) ** 2).sum() / (fb**2).sum())


# --------------------------------------------------------------------------- the widget's logic


def tradeoff_figure(
    content,
    style,
    net,
    *,
    log_ratio: float = 3.0,
    layers: Sequence[int] = (0, 1, 2, 3),
    steps: int = 60,
    transfer: Callable | None = None,
):
    """Content, result and style side by side after ``steps`` Adam steps (lr 0.05) of ``transfer`` (by default
    :func:`style_transfer`) with style weight ``10 ** log_ratio`` against content weight 1 (content at layer 2,
    total-variation weight 0.1) and the style ``layers`` that count. The result's style and content distances
    (:func:`gram_distance` over all layers, :func:`feature_distance` at layer 2) are in the title and at
    ``fig.distances``; the result is at ``fig.image``."""
    import matplotlib.pyplot as plt

    transfer = transfer or style_transfer
    layers = tuple(sorted(layers))
    if not layers:
        raise ValueError("pick at least one style layer")
    image, _ = transfer(
        content,
        style,
        net,
        content_weight=1.0,
        style_weight=10.0**log_ratio,
        tv_weight=0.1,
        content_layer=2,
        style_layers=layers,
        steps=steps,
        lr=0.05,
    )
    d_style, d_content = gram_distance(net, image, style), feature_distance(net, image, content)
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.9))
    for ax, img, title in zip(axes, (content, image, style), ("content", "result", "style")):
        ax.imshow(to_image(img))
        ax.set(title=title, xticks=[], yticks=[], xlabel="x (pixels)", ylabel="y (pixels)")
        ax.grid(False)
    fig.suptitle(
        f"style weight 10^{log_ratio:g}, style layers {list(layers)}: "
        f"style distance {d_style:.3f}, content distance {d_content:.3f}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.distances = {"style": d_style, "content": d_content}
    fig.image = image
    return fig
