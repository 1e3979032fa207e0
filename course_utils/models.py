"""Small models the notebooks train, and tools to look inside them.

* classifiers for the 8x8 digits: :class:`LeNet` (LeNet-5 adapted to 8x8),
  :class:`MLP`, :func:`linear_classifier`, and :func:`train_classifier`
  (Adam + one-cycle schedule around :func:`course_utils.training.fit`);
* :func:`lenet5_1998`, the original LeNet-5 for 32x32 images, and :class:`Frozen`
  (reuse trained layers without training them: transfer learning);
* few-shot transfer experiments: :func:`few_shot_sample`, :func:`few_shot_contenders`,
  :func:`template_accuracy` and :func:`compare_few_shot`;
* :class:`RandomAffine`, data augmentation as a layer (random small shifts and
  rotations, active only in training mode), and :func:`affine_images`;
* :func:`typical_dnn`, deck 004's "Typical DNN" for 3x128x128 images;
* :func:`layer_summary` / :func:`summary_table`: output shape and parameter
  count of every layer, measured with forward hooks;
* :func:`init_normal_fan_in_`: the deck-004 initialisation W ~ N(0, 1/n_in);
* generative models: :class:`Autoencoder`, :func:`mlp_generator`,
  :func:`mlp_discriminator`.

Every fully connected stack here is built by :func:`course_utils.activations.mlp`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .activations import mlp

# --------------------------------------------------------------------------- #
# Classifiers for the 8x8 digits
# --------------------------------------------------------------------------- #


class LeNet(nn.Module):
    """LeNet-5 (LeCun et al. 1998) adapted to 1x8x8 digit images.

    The original reads 32x32 images with 5x5 kernels; on 8x8 images we keep its
    plan (conv 6 -> pool -> conv 16 -> pool -> FC 120 -> FC 84 -> 10) with 3x3
    kernels and padding 1, so every convolution keeps the spatial size and every
    pooling halves it::

        (B, 1, 8, 8) -conv-> (B, 6, 8, 8) -pool-> (B, 6, 4, 4)
                     -conv-> (B, 16, 4, 4) -pool-> (B, 16, 2, 2) -flatten-> (B, 64)
                     -FC-> 120 -FC-> 84 -FC-> n_classes

    Attributes:
        features: the convolutional part (reusable for transfer learning).
        head: flatten + fully connected layers, ending in ``n_classes`` logits.

    Args:
        n_classes: number of output logits.
        channels: output channels of the two convolutions.
        hidden: widths of the fully connected hidden layers.
        dropout: drop probability before each hidden FC layer's output layer (0 = none).
        batchnorm: add BatchNorm2d after each convolution.
        in_size: input height = width (a multiple of 4).
    """

    def __init__(
        self,
        n_classes: int = 10,
        channels: tuple = (6, 16),
        hidden: tuple = (120, 84),
        dropout: float = 0.0,
        batchnorm: bool = False,
        in_size: int = 8,
    ):
        super().__init__()
        if n_classes < 1 or len(channels) != 2 or min(channels) < 1 or in_size % 4:
            raise ValueError(
                f"need n_classes >= 1, two positive channel counts and in_size % 4 == 0; "
                f"got {n_classes}, {channels}, {in_size}"
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        c1, c2 = channels
        layers = [nn.Conv2d(1, c1, 3, padding=1)]
        layers += [nn.BatchNorm2d(c1)] if batchnorm else []
        layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3, padding=1)]
        layers += [nn.BatchNorm2d(c2)] if batchnorm else []
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        flat = c2 * (in_size // 4) ** 2
        self.head = mlp((flat, *hidden, n_classes), "relu", dropout=dropout, flatten=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 1, H, W) -> logits (B, n_classes)."""
        return self.head(self.features(x))


class MLP(nn.Sequential):
    """A fully connected classifier: flatten, ``hidden`` ReLU layers, ``n_classes`` logits.

    Input (B, ...) with ``in_features`` values per example; output (B, n_classes).
    """

    def __init__(self, in_features: int = 64, hidden: tuple = (256, 128), n_classes: int = 10, dropout: float = 0.0):
        if in_features < 1 or n_classes < 1 or any(h < 1 for h in hidden):
            raise ValueError(f"layer sizes must be positive, got {in_features}, {hidden}, {n_classes}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        super().__init__(*mlp((in_features, *hidden, n_classes), "relu", dropout=dropout, flatten=True))


def linear_classifier(in_features: int = 64, n_classes: int = 10) -> nn.Sequential:
    """Multinomial logistic regression: flatten (B, ...) -> (B, in_features) -> logits (B, n_classes)."""
    if in_features < 1 or n_classes < 1:
        raise ValueError(f"sizes must be positive, got {in_features}, {n_classes}")
    return nn.Sequential(nn.Flatten(), nn.Linear(in_features, n_classes))


def lenet5_1998() -> nn.Sequential:
    """LeNet-5 as published (LeCun et al. 1998) for 1x32x32 images, 10 outputs.

    C1 conv 6@5x5, S2 average pool, C3 conv 16@5x5, S4 average pool, C5 conv 120@5x5,
    F6 FC 84, output FC 10, tanh between. (The paper's C3 connects each output map
    to only some input maps and its pools have trainable scales; here C3 is dense.)
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.Tanh(),
        nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.Tanh(),
        nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(120, 84),
        nn.Tanh(),
        nn.Linear(84, 10),
    )


class Frozen(nn.Module):
    """Wrap trained layers for reuse: no gradients, and always in eval mode.

    Eval mode keeps batch norm on its stored running statistics and switches
    dropout off, even when the surrounding model is put in training mode.
    """

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module
        for p in module.parameters():
            p.requires_grad_(False)
        module.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        self.module.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


def train_classifier(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    lr: float = 1e-2,
    batch_size: int = 64,
    X_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    regularizer=None,
    seed: int = 0,
    progress: bool = True,
    desc: str = "training",
    device: torch.device | str | None = None,
):
    """Train a classifier on in-memory tensors: Adam, one-cycle LR schedule, cross-entropy.

    The one-cycle schedule warms the learning rate up to ``lr`` and anneals it
    to almost 0 by the last epoch, which lets small models train in few epochs.

    Args:
        model: maps X (N, ...) to logits (N, C). Only parameters with
            ``requires_grad`` are trained.
        X, y: training inputs (N, ...) and integer labels (N,).
        X_val, y_val: optional held-out set evaluated after every epoch.
        regularizer: optional callable(model) -> scalar added to the loss (e.g. an L2 penalty).
        seed: seeds the minibatch order.

    Returns:
        The :class:`course_utils.training.History` of :func:`course_utils.training.fit`.
    """
    from .datasets import tensor_loader
    from .training import fit

    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither")
    if lr <= 0 or int(epochs) != epochs or epochs < 1:
        raise ValueError(f"need lr > 0 and a positive integer epochs, got {lr!r}, {epochs!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=int(epochs))
    val = tensor_loader(X_val, y_val, 1024, shuffle=False) if X_val is not None else None
    return fit(
        model,
        tensor_loader(X, y, batch_size, seed=seed),
        epochs=int(epochs),
        optimizer=opt,
        scheduler=sched,
        val_loader=val,
        regularizer=regularizer,
        progress=progress,
        desc=desc,
        device=device,
    )


def init_normal_fan_in_(model: nn.Module) -> nn.Module:
    """Deck 004's initialisation, in place: W ~ N(0, 1/n_in) (std 1/sqrt(n_in)), b = 0.

    Applies to every Linear and Conv layer; ``n_in`` is the fan-in (inputs per
    output unit: in_features, or in_channels * kernel area). Returns ``model``.
    """
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            fan_in = m.weight[0].numel()
            with torch.no_grad():
                m.weight.normal_(0.0, 1.0 / math.sqrt(fan_in))
                if m.bias is not None:
                    m.bias.zero_()
    return model


# --------------------------------------------------------------------------- #
# Few-shot transfer: new classes from a handful of examples
# --------------------------------------------------------------------------- #


def few_shot_sample(X: torch.Tensor, y: torch.Tensor, k: int, seed: int, classes=range(10)):
    """``k`` random examples of each class in ``classes``, drawn without replacement.

    Args:
        X: (N, ...) inputs.  y: (N,) integer labels.
        k: examples per class (each class needs at least ``k``).
        seed: seeds the draw (a NumPy generator of its own; global RNGs are untouched).
        classes: the labels to draw, e.g. ``range(5, 10)``.

    Returns:
        ``(X_few, y_few)``: X_few (k * len(classes), ...) on ``X``'s device, grouped by class in the
        order of ``classes``; y_few (k * len(classes),) relabelled to the class's position
        in ``classes`` (0 .. len(classes) - 1), on ``y``'s device.
    """
    classes = [int(c) for c in classes]
    if int(k) != k or k < 1 or not classes or len(set(classes)) != len(classes):
        raise ValueError(f"need a positive integer k and distinct classes, got k={k!r}, classes={classes}")
    g = np.random.default_rng(seed)
    labels = y.cpu().numpy()
    picks = []
    for c in classes:
        pool = np.flatnonzero(labels == c)
        if len(pool) < k:
            raise ValueError(f"class {c} has {len(pool)} examples, fewer than k={k}")
        picks.append(g.choice(pool, int(k), replace=False))
    idx = torch.from_numpy(np.concatenate(picks))
    position = torch.full((max(classes) + 1,), -1, dtype=y.dtype)
    position[torch.tensor(classes)] = torch.arange(len(classes), dtype=y.dtype)
    return X[idx.to(X.device)], position[y.cpu()[idx]].to(y.device)


def few_shot_contenders(
    backbone: nn.Module,
    n_classes: int = 10,
    channels: tuple = (16, 32),
    hidden: tuple = (64,),
    augment: tuple = (1.0, 10.0),
) -> dict:
    """The two networks a few-shot comparison trains, both behind the same augmentation.

    * ``"transfer"``: the trained ``backbone`` (convolutional stages mapping (B, 1, 8, 8) to
      (B, channels[1], 2, 2)), frozen with :class:`Frozen`, plus a new :class:`LeNet` head;
    * ``"from scratch"``: a whole new :class:`LeNet` (with batch norm) of the same architecture.

    ``augment`` = (max_shift, max_degrees) of the :class:`RandomAffine` in front of each.
    Returns ``{name: model}``, each mapping (B, 1, 8, 8) to logits (B, n_classes).
    """
    return {
        "transfer": nn.Sequential(
            RandomAffine(*augment), Frozen(backbone), LeNet(n_classes=n_classes, channels=channels, hidden=hidden).head
        ),
        "from scratch": nn.Sequential(
            RandomAffine(*augment), LeNet(n_classes=n_classes, channels=channels, hidden=hidden, batchnorm=True)
        ),
    }


def template_accuracy(
    X_few: torch.Tensor, y_few: torch.Tensor, X_eval: torch.Tensor, y_eval: torch.Tensor, n_classes: int
) -> float:
    """Accuracy of pixel templates, a baseline that learns nothing.

    Each class's template is the mean of its examples in ``X_few`` (M, ...) with labels
    ``y_few`` (M,) in 0 .. n_classes - 1; every row of ``X_eval`` (N, ...) gets the class of
    the nearest template (Euclidean distance) and is compared with ``y_eval`` (N,).
    """
    if any(int((y_few == c).sum()) == 0 for c in range(n_classes)):
        raise ValueError(f"every class 0 .. {n_classes - 1} needs at least one example in y_few")
    templates = torch.stack([X_few[y_few == c].mean(0) for c in range(n_classes)]).flatten(1)
    nearest = torch.cdist(X_eval.flatten(1), templates).argmin(dim=1)
    return (nearest == y_eval).float().mean().item()


def compare_few_shot(
    backbone: nn.Module,
    X_pool: torch.Tensor,
    y_pool: torch.Tensor,
    X_eval: torch.Tensor,
    y_eval: torch.Tensor,
    *,
    k: int,
    draws: int,
    seed: int = 0,
    classes=range(10),
    epochs: int = 100,
    lr: float = 3e-3,
    device: torch.device | str | None = None,
) -> dict:
    """Few-shot accuracy of transfer, training from scratch and pixel templates, over several draws.

    For every draw ``d`` in ``range(draws)``: ``k`` examples per class of ``classes`` are drawn
    from ``X_pool`` (N, 1, 8, 8) / ``y_pool`` (N,) with seed ``100 * seed + d`` (:func:`few_shot_sample`);
    then, with the global RNGs seeded to ``seed + d``, each of :func:`few_shot_contenders` is
    trained on them (``epochs`` full-batch steps with :func:`train_classifier`, the same recipe
    for both) and scored on ``X_eval`` (M, 1, 8, 8) / ``y_eval`` (M,), labelled 0 .. len(classes) - 1;
    so are the pixel templates (:func:`template_accuracy`).

    Returns:
        ``{"transfer": [...], "from scratch": [...], "pixel templates": [...]}``: one test
        accuracy per draw.
    """
    from .runtime import seed_everything
    from .training import accuracy, predict

    if int(draws) != draws or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    device = torch.device(device) if device is not None else X_pool.device
    n_classes = len(classes)
    accs: dict = {}
    for draw in range(int(draws)):
        X_few, y_few = few_shot_sample(X_pool, y_pool, k, seed=100 * seed + draw, classes=classes)
        seed_everything(seed + draw)
        for name, model in few_shot_contenders(backbone, n_classes).items():
            model.to(device)
            train_classifier(
                model,
                X_few,
                y_few,
                epochs=epochs,
                lr=lr,
                batch_size=len(X_few),
                seed=draw,
                progress=False,
                device=device,
            )
            accs.setdefault(name, []).append(accuracy(predict(model, X_eval, device=device), y_eval.cpu()))
        accs.setdefault("pixel templates", []).append(template_accuracy(X_few, y_few, X_eval, y_eval, n_classes))
    return accs


# --------------------------------------------------------------------------- #
# Data augmentation: "still a cat"
# --------------------------------------------------------------------------- #


def affine_images(x: torch.Tensor, dx, dy, degrees) -> torch.Tensor:
    """Shift and rotate a batch of images (bilinear, zeros outside).

    Args:
        x: (B, C, H, W) images.
        dx, dy: shifts in pixels (right, down): numbers or (B,) tensors.
        degrees: rotation angle about the centre, anticlockwise: a number or (B,) tensor.

    Returns:
        (B, C, H, W) transformed images, same dtype and device as ``x``.
    """
    if x.ndim != 4:
        raise ValueError(f"x must be (B, C, H, W), got {tuple(x.shape)}")
    B, _, H, W = x.shape
    as_t = lambda v: torch.as_tensor(v, dtype=x.dtype, device=x.device).expand(B)  # noqa: E731
    dx, dy, theta = as_t(dx), as_t(dy), as_t(degrees) * (math.pi / 180)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # affine_grid maps output coordinates (in [-1, 1]) to input coordinates
    mat = torch.stack(
        [torch.stack([cos, -sin, -2 * dx / W], dim=1), torch.stack([sin, cos, -2 * dy / H], dim=1)], dim=1
    )
    grid = F.affine_grid(mat, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class RandomAffine(nn.Module):
    """Augmentation as a layer: random shifts and rotations in training mode, identity in eval mode.

    Each image gets its own shift, uniform in [-max_shift, max_shift] pixels in
    each direction, and rotation, uniform in [-max_degrees, max_degrees]. Put it
    in front of a classifier: ``nn.Sequential(RandomAffine(1, 10), LeNet())``.
    """

    def __init__(self, max_shift: float = 1.0, max_degrees: float = 10.0):
        super().__init__()
        if max_shift < 0 or max_degrees < 0:
            raise ValueError(f"max_shift and max_degrees must be >= 0, got {max_shift}, {max_degrees}")
        self.max_shift, self.max_degrees = float(max_shift), float(max_degrees)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        u = torch.rand(3, len(x), device=x.device, dtype=x.dtype) * 2 - 1
        return affine_images(x, u[0] * self.max_shift, u[1] * self.max_shift, u[2] * self.max_degrees)

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}, max_degrees={self.max_degrees}"


# --------------------------------------------------------------------------- #
# Deck 004's "Typical DNN" and the per-layer summary
# --------------------------------------------------------------------------- #


def typical_dnn() -> nn.Sequential:
    """Deck 004's "Typical DNN" for a 3x128x128 image and one output.

    conv 6@5x5, pool 2, conv 12@3x3, pool 2, conv 20@3x3, pool 2, conv 40@3x3,
    pool 2, FC 512, FC 256, FC 1, with ReLU after every convolution and hidden
    FC layer ("nonlinearity everywhere"); no padding, stride 1.
    """
    layers: list[nn.Module] = []
    c_in = 3
    for c_out, k in [(6, 5), (12, 3), (20, 3), (40, 3)]:
        layers += [nn.Conv2d(c_in, c_out, k), nn.ReLU(), nn.MaxPool2d(2)]
        c_in = c_out
    layers += [nn.Flatten(), nn.Linear(40 * 6 * 6, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 1)]
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class LayerInfo:
    """One row of :func:`layer_summary`: ``shape`` excludes the batch axis; ``size`` = prod(shape)."""

    name: str
    kind: str
    shape: tuple
    size: int
    params: int


def layer_summary(model: nn.Module, input_shape: tuple, device: torch.device | str | None = None) -> list:
    """Run one example through ``model`` and record every leaf layer's output.

    Args:
        model: any torch module; leaf modules (those without children) are recorded
            in the order they run.
        input_shape: shape of ONE example, without the batch axis, e.g. (1, 8, 8).
        device: where to run (default: the device of the model's first parameter, else CPU).

    Returns:
        A list of :class:`LayerInfo`, first the input (kind ``"Input"``, 0 params),
        then one per leaf layer call with its output shape and its own trainable
        parameter count.
    """
    if not input_shape or any(int(s) != s or s < 1 for s in input_shape):
        raise ValueError(f"input_shape must be positive integers without the batch axis, got {input_shape!r}")
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    rows = [LayerInfo("input", "Input", tuple(input_shape), math.prod(input_shape), 0)]
    hooks = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue

        def hook(mod, _inp, out, name=name):
            n = sum(p.numel() for p in mod.parameters(recurse=False) if p.requires_grad)
            shape = tuple(out.shape[1:])
            rows.append(LayerInfo(name, type(mod).__name__, shape, math.prod(shape), n))

        hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows


def summary_table(rows: list) -> str:
    """Format :func:`layer_summary` rows as a fixed-width text table with a total."""
    if not rows:
        raise ValueError("rows is empty")
    lines = [f"{'layer':<12}{'type':<12}{'output shape':>16}{'values':>10}{'params':>10}", "-" * 60]
    for r in rows:
        shape = "x".join(str(s) for s in r.shape)
        lines.append(f"{r.name:<12}{r.kind:<12}{shape:>16}{r.size:>10}{r.params:>10}")
    lines += ["-" * 60, f"{'total parameters':<40}{sum(r.params for r in rows):>20}"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- #
# Generative models
# --------------------------------------------------------------------------- #


class Autoencoder(nn.Module):
    """A fully connected autoencoder: x (B, in_features) -> code (B, code_dim) -> x_hat (B, in_features).

    Encoder: in_features -> hidden... -> code_dim (linear code); the decoder mirrors
    it and ends in a sigmoid, for inputs scaled to [0, 1].
    """

    def __init__(self, in_features: int = 64, hidden: tuple = (128, 64), code_dim: int = 2):
        super().__init__()
        if in_features < 1 or code_dim < 1 or any(h < 1 for h in hidden):
            raise ValueError(f"layer sizes must be positive, got {in_features}, {hidden}, {code_dim}")
        self.encoder = mlp((in_features, *hidden, code_dim), "relu")
        self.decoder = nn.Sequential(*mlp((code_dim, *reversed(hidden), in_features), "relu"), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_features) -> (B, code_dim)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, code_dim) -> (B, in_features) in (0, 1)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def mlp_generator(
    latent_dim: int, out_features: int, hidden: tuple = (128, 128), out_activation: str | None = None
) -> nn.Sequential:
    """GAN generator: z (B, latent_dim) -> sample (B, out_features).

    ReLU hidden layers; ``out_activation`` ``"sigmoid"`` for images in [0, 1],
    ``None`` for unbounded data (the 2-D ring).
    """
    if latent_dim < 1 or out_features < 1 or any(h < 1 for h in hidden):
        raise ValueError(f"layer sizes must be positive, got {latent_dim}, {hidden}, {out_features}")
    if out_activation not in (None, "sigmoid", "tanh"):
        raise ValueError(f"out_activation must be None, 'sigmoid' or 'tanh', got {out_activation!r}")
    out = {None: [], "sigmoid": [nn.Sigmoid()], "tanh": [nn.Tanh()]}[out_activation]
    return nn.Sequential(*mlp((latent_dim, *hidden, out_features), "relu"), *out)


def mlp_discriminator(in_features: int, hidden: tuple = (128, 128), negative_slope: float = 0.2) -> nn.Sequential:
    """GAN discriminator: x (B, ...) -> one logit (B, 1) for "real"; LeakyReLU hidden layers."""
    if in_features < 1 or any(h < 1 for h in hidden):
        raise ValueError(f"layer sizes must be positive, got {in_features}, {hidden}")
    return mlp((in_features, *hidden, 1), lambda: nn.LeakyReLU(negative_slope), flatten=True)
