"""Interactive explorers for the notebooks.

Pattern: the logic is a plain function (tested without a browser) that takes
the control values and returns a matplotlib Figure or text; :func:`explorer`
wires ipywidgets controls to it. The explorer draws its default state as soon
as it is built, so a notebook run non-interactively (nbval, CI) still shows
a picture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt

from .diagrams import PALETTE


def display_bundle(obj) -> dict:
    """``obj`` as a Jupyter ``display_data`` output (its mime bundle, as ``display(obj)``
    would send it: a Figure as PNG with the inline back-end), for an Output widget's state."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        data, metadata = shell.display_formatter.format(obj)
    else:  # plain Python (tests): text only
        data, metadata = {"text/plain": repr(obj)}, {}
    return {"output_type": "display_data", "data": data, "metadata": metadata}


class Explorer(widgets.VBox):
    """A column of controls above an output area that shows ``render(**values)``.

    Attributes:
        controls: name -> widget, in the order shown.
        output: the ipywidgets Output holding the latest rendering.
        last_result: what ``render`` returned most recently (a Figure, text, ...).
    """

    def __init__(self, render: Callable, controls: Mapping[str, widgets.ValueWidget]):
        if not controls:
            raise ValueError("an explorer needs at least one control")
        for name, control in controls.items():
            if not hasattr(control, "value"):
                raise ValueError(f"control {name!r} is not a value widget: {control!r}")
        self.render = render
        self.controls = dict(controls)
        self.output = widgets.Output()
        self.last_result = None
        super().__init__([*self.controls.values(), self.output])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict:
        """Current value of every control, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def refresh(self):
        """Re-render with the current control values; returns what ``render`` returned.

        The rendering replaces the output area's ``outputs`` in one assignment (the widget's
        synced state), instead of ``with output: clear_output(wait=True); display(...)``:
        that pattern routes display messages through the Output widget's capture, which
        notebook runners without a browser (nbclient, hence nbval, nbconvert and nbgrader)
        emulate, and under load nbclient sometimes waited for good after such a cell.
        """
        result = self.render(**self.values())
        self.last_result = result
        self.output.outputs = (display_bundle(result),)
        if isinstance(result, plt.Figure):
            plt.close(result)  # shown once, inside the output area only
        return result

    def _on_change(self, _change):
        self.refresh()


def explorer(render: Callable, **controls: widgets.ValueWidget) -> Explorer:
    """Build an :class:`Explorer`: ``explorer(draw, lr=FloatSlider(...), steps=IntSlider(...))``.

    ``render`` is called with one keyword argument per control and should return
    a matplotlib Figure (or anything IPython can display).
    """
    return Explorer(render, controls)


# --------------------------------------------------------------------------- #
# Render functions for notebooks 03 (backpropagation) and 04 (convolutions)
# --------------------------------------------------------------------------- #


def gradient_norms_figure(
    X, y, depth: int = 8, width: int = 32, activation: str = "sigmoid", init: str = "lecun", seed: int = 0
):
    """Per-layer weight-gradient norms of a fresh ``depth``-layer MLP, on a log scale.

    Args:
        X: (N, D) inputs.  y: (N,) integer labels (the last layer has max(y) + 1 outputs).
        depth: number of layers (>= 2).  width: hidden units per layer.
        activation, init: see :func:`course_utils.layers.mlp_gradient_norms`.

    Returns:
        The figure; the (depth,) norms are at ``fig.norms``.
    """
    import numpy as np

    from .layers import mlp_gradient_norms

    if int(depth) != depth or depth < 2:
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    n_classes = int(np.max(y)) + 1
    norms = mlp_gradient_norms(X, y, [width] * (depth - 1) + [n_classes], activation, init, seed)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    layers = np.arange(1, depth + 1)
    ax.semilogy(layers, norms, "o-", label=f"{activation}, init {init}")
    ax.set(
        title=f"Gradient norm per layer: last / first = {norms[-1] / norms[0]:.3g}",
        xlabel="layer (1 = next to the input)",
        ylabel=r"$\|\partial L / \partial W_l\|$",
        xticks=layers,
    )
    ax.legend()
    fig.norms = norms
    return fig


def image_kernel_figure(image, preset: str = "blur", custom: str = "0 -1 0; -1 5 -1; 0 -1 0"):
    """Original image, the kernel's numbers and the filtered image side by side (setosa.io/ev/image-kernels).

    Args:
        image: (H, W) grayscale image in [0, 1].
        preset: a name from :data:`course_utils.conv.KERNEL_PRESETS`, or ``"custom"``.
        custom: the kernel typed by hand (see :func:`course_utils.conv.parse_kernel`),
            used when ``preset == "custom"``. A kernel that cannot be read is reported
            in the figure's title, not raised, because it is typed one key at a time.

    Returns:
        The figure; the kernel used is at ``fig.kernel`` and the (H, W) output at ``fig.filtered``.
    """
    import numpy as np

    from .conv import KERNEL_PRESETS, apply_kernel, parse_kernel

    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image must be (H, W) grayscale, got {image.shape}")
    if preset != "custom" and preset not in KERNEL_PRESETS:
        raise ValueError(f"unknown preset {preset!r}: choose 'custom' or one of {sorted(KERNEL_PRESETS)}")
    problem = None
    if preset == "custom":
        try:
            kernel = parse_kernel(custom)
        except ValueError as err:
            kernel, problem = KERNEL_PRESETS["identity"], str(err)
    else:
        kernel = KERNEL_PRESETS[preset]
    filtered = apply_kernel(image, kernel)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), gridspec_kw={"width_ratios": [3, 1.4, 3]})
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("input")
    m = float(np.abs(kernel).max()) or 1.0
    axes[1].imshow(kernel, cmap="RdBu_r", vmin=-m, vmax=m)
    for (i, j), v in np.ndenumerate(kernel):
        axes[1].text(
            j, i, f"{v:.3g}", ha="center", va="center", fontsize=9, color="white" if abs(v) > 0.6 * m else "black"
        )
    axes[1].set_title(f"kernel: {preset}")
    axes[2].imshow(np.clip(filtered, 0, 1), cmap="gray", vmin=0, vmax=1)
    axes[2].set_title("output (clipped to [0, 1])")
    for ax in axes:
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
    fig.suptitle(problem or "Image kernel: every output pixel is the weighted sum of the input pixels under the kernel")
    fig.tight_layout()
    fig.kernel, fig.filtered = kernel, filtered
    return fig


def kernel_placement_figure(
    n: int = 7, k: int = 3, stride: int = 1, padding: int = 0, dilation: int = 1, out_row: int = 0, out_col: int = 0
):
    """Where a kernel lands: the padded n x n input with the taps for one output pixel, and the output grid.

    Args:
        n: input height and width.  k: kernel size.  stride, padding, dilation: as in torch.
        out_row, out_col: the output pixel to show; clipped to the output grid.

    Returns:
        The figure; the output size is at ``fig.out_size`` and the (k*k, 2) padded-input
        coordinates (row, col) of the taps at ``fig.taps``.
    """
    import numpy as np
    from matplotlib.patches import Rectangle

    from .conv import conv_output_size

    out = conv_output_size(n, k, stride, padding, dilation)
    r, c = min(max(out_row, 0), out - 1), min(max(out_col, 0), out - 1)
    taps = np.array([(r * stride + u * dilation, c * stride + v * dilation) for u in range(k) for v in range(k)])
    size = n + 2 * padding
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), gridspec_kw={"width_ratios": [size, max(out, 3)]})
    for ax, grid, title in [
        (axes[0], size, f"padded input {size}x{size} (grey: padding)"),
        (axes[1], out, f"output {out}x{out}"),
    ]:
        for i in range(grid):
            for j in range(grid):
                is_pad = ax is axes[0] and not (padding <= i < padding + n and padding <= j < padding + n)
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor="0.85" if is_pad else "white", edgecolor="0.5"))
        ax.set(xlim=(0, grid), ylim=(grid, 0), aspect="equal", title=title, xticks=[], yticks=[])
        ax.grid(False)
    for i, j in taps:
        axes[0].add_patch(Rectangle((j, i), 1, 1, facecolor="tab:orange", alpha=0.8, edgecolor="k"))
    axes[1].add_patch(
        Rectangle((c, r), 1, 1, facecolor="tab:orange", alpha=0.8, edgecolor="k", label=f"output ({r}, {c})")
    )
    axes[0].plot([], [], "s", color="tab:orange", label="kernel taps")
    axes[0].legend(loc="upper left", bbox_to_anchor=(0, -0.02), fontsize=8)
    axes[1].legend(loc="upper left", bbox_to_anchor=(0, -0.02), fontsize=8)
    fig.suptitle(
        f"n={n}, k={k}, stride={stride}, padding={padding}, dilation={dilation}: "
        f"out = floor((n + 2p - d(k-1) - 1) / s) + 1 = {out}"
    )
    fig.tight_layout()
    fig.out_size, fig.taps = out, taps
    return fig


def render_temperature_sampling(logits, chars, temperature: float, sample: str = "", prompt: str = "", top_k: int = 12):
    """Temperature explorer view: the next-character distribution and a text sampled at ``temperature``.

    Left: the ``top_k`` most likely next characters, their probabilities at
    temperature 1 (grey) and at ``temperature`` (orange), with the entropy of
    each distribution. Right: ``prompt`` followed by ``sample`` in a monospace box.

    Args:
        logits: (V,) next-character scores from a character model.
        chars: the V characters, in the order of ``logits``.
        temperature: > 0.
        sample: text generated at this temperature (shown as is).

    Returns:
        A Figure with attributes ``probs`` ((V,) probabilities at ``temperature``)
        and ``entropy`` (its entropy in nats).
    """
    import numpy as np

    from .text import temperature_probs

    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 1 or len(logits) != len(chars):
        raise ValueError(f"need 1-D logits with one score per character, got {logits.shape} and {len(chars)} chars")
    if int(top_k) != top_k or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    p1, pT = temperature_probs(logits, 1.0), temperature_probs(logits, temperature)

    def entropy(p):
        return float(-(p * np.log(np.clip(p, 1e-300, None))).sum())

    top = np.argsort(-p1)[: min(int(top_k), len(chars))]
    names = {" ": "space", "\n": "\\n", "\t": "\\t", "$": r"\$"}
    labels = [names.get(chars[i], chars[i] if chars[i].isprintable() else repr(chars[i])[1:-1]) for i in top]
    fig, (ax, ax_text) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 1.5]})
    pos = np.arange(len(top))
    ax.bar(pos - 0.2, p1[top], width=0.4, color="0.6", label=f"T = 1 (entropy {entropy(p1):.2f} nats)")
    ax.bar(
        pos + 0.2, pT[top], width=0.4, color="tab:orange", label=f"T = {temperature:g} (entropy {entropy(pT):.2f} nats)"
    )
    ax.set_xticks(pos, labels)
    ax.set(
        title="Next-character probabilities",
        xlabel="character (most likely at T = 1 first)",
        ylabel="probability",
        ylim=(0, 1),
    )
    ax.legend(loc="upper right")
    text = "".join(c if c.isprintable() or c == "\n" else "?" for c in (prompt + sample).expandtabs(4))
    lines = text.split("\n")[-18:]
    shown = "\n".join(line if len(line) <= 72 else line[:71] + "~" for line in lines)
    ax_text.text(
        0.0,
        1.0,
        shown,
        family="monospace",
        fontsize=8,
        va="top",
        ha="left",
        transform=ax_text.transAxes,
        parse_math=False,
    )
    ax_text.set_title(f"Sampled at temperature {temperature:g} (prompt + continuation)")
    ax_text.axis("off")
    fig.tight_layout()
    fig.probs, fig.entropy = pT, entropy(pT)
    return fig


# --------------------------------------------------------------------------- #
# Render functions for notebooks 01 (linear models) and 02 (perceptron and XOR)
# --------------------------------------------------------------------------- #

LR_START = (3.5, -1.5)  # where the learning-rate explorer starts gradient descent


def render_learning_rate(eta: float = 0.3, steps: int = 25, seed: int = 0):
    """Gradient descent on the pair-regression loss Q(w, b) for a chosen learning rate.

    Left: contours of Q over (w, b) with the GD path from :data:`LR_START`;
    right: Q per step on a log scale. The title names the regime (smooth,
    oscillating, diverging, from :func:`course_utils.linear.lr_regime`) and
    shouts deck 004's advice when GD diverges.

    Args:
        eta: learning rate > 0.  steps: GD steps (>= 1).  seed: data seed.

    Returns:
        The figure; ``fig.path`` is the (steps + 1, 2) path, ``fig.regime`` the regime name.
    """
    import numpy as np

    from .linear import add_bias, closed_form, gradient_descent, lr_regime, make_pair_regression, mse_surface_2d
    from .plots import plot_loss_surface

    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    x, y = make_pair_regression(50, seed=seed)
    X = add_bias(x)
    loss, H = mse_surface_2d(X, y)
    regime = lr_regime(eta, H)
    w_star = closed_form(X, y)
    run = gradient_descent(lambda w: H @ w - X.T @ y / len(X), LR_START, eta, int(steps), loss=lambda w: loss(*w))
    fig, (ax_surf, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
    plot_loss_surface(
        loss,
        (-1.0, 4.5),
        (-2.5, 3.0),
        paths={f"GD, $\\eta$={eta:g}": run.path},
        minimum=tuple(w_star),
        xlabel="slope $w$",
        ylabel="intercept $b$",
        title=f"GD on $Q(w, b)$: {regime}",
        ax=ax_surf,
    )
    gap = np.maximum(run.losses - loss(*w_star), 1e-16)
    ax_loss.semilogy(np.arange(len(gap)), gap, "o-", ms=3, label=f"$\\eta$={eta:g}")
    ax_loss.set(title="Distance to the best loss", xlabel="step $t$", ylabel="$Q(w_t) - Q(w^*)$")
    ax_loss.legend()
    eta_max = 2 / np.linalg.eigvalsh(H).max()
    shout = "  Decrease your learning rate!" if regime == "diverging" else ""
    fig.suptitle(
        f"GD converges only for $\\eta < 2/\\lambda_{{max}}$ = {eta_max:.2f}.{shout}",
        color=PALETTE["vermillion"] if shout else "black",
    )
    fig.tight_layout()
    fig.path, fig.regime = run.path, regime
    return fig


def render_polynomial_fit(degree: int = 3, log10_l2: float = -12.0, n_train: int = 20, seed: int = 0):
    """Fit a polynomial of ``degree`` with an L2 penalty 10**log10_l2 to noisy sin(pi x).

    Draws the training points, the true curve and the fit; the title gives the
    training and validation MSE (validation: 200 fresh points).

    Returns:
        The figure; ``fig.train_mse`` and ``fig.val_mse`` hold the two errors.
    """
    import numpy as np
    from sklearn.preprocessing import PolynomialFeatures

    from .linear import add_bias, closed_form, make_sine_regression, mse_objective

    if int(degree) != degree or degree < 0:
        raise ValueError(f"degree must be a non-negative integer, got {degree!r}")
    x, y = make_sine_regression(n_train, seed=seed)
    x_val, y_val = make_sine_regression(200, seed=seed + 100)
    poly = PolynomialFeatures(int(degree), include_bias=False)

    def features(v):
        return add_bias(poly.fit_transform(v[:, None])) if degree > 0 else np.ones((len(v), 1))

    l2 = 0.0 if log10_l2 <= -12 else 10.0**log10_l2
    w = closed_form(features(x), y, l2=l2) if degree > 0 else np.array([y.mean()])
    train, val = mse_objective(w, features(x), y), mse_objective(w, features(x_val), y_val)
    grid = np.linspace(-1, 1, 300)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(grid, np.sin(np.pi * grid), "k--", lw=1, label=r"truth $\sin(\pi x)$")
    ax.plot(grid, features(grid) @ w, lw=2, label=f"degree {int(degree)} fit")
    ax.scatter(x, y, s=20, color=PALETTE["vermillion"], zorder=3, label="training points")
    penalty = "no penalty" if l2 == 0 else f"$\\lambda$ = {l2:.0e}"
    ax.set(
        title=f"Degree {int(degree)}, {penalty}: train MSE {train:.3f}, validation MSE {val:.3g}",
        xlabel="$x$",
        ylabel="$y$",
        ylim=(-2, 2),
    )
    ax.legend(loc="lower right")
    fig.train_mse, fig.val_mse = train, val
    return fig


def render_playground(
    dataset: str = "circles",
    hidden_units: int = 4,
    layers: int = 1,
    activation: str = "tanh",
    noise: float = 0.1,
    steps: int = 300,
    seed: int = 0,
):
    """A tiny playground.tensorflow.org: train an MLP on a 2-D dataset and draw its decision boundary.

    Args:
        dataset: a name from :data:`course_utils.datasets.TOY_DATASETS`.
        hidden_units: width of every hidden layer.  layers: number of hidden layers.
        activation: a name from :data:`course_utils.activations.MODULE_ACTIVATIONS`.
        noise: dataset noise.  steps: full-batch Adam steps.

    Returns:
        The figure; ``fig.accuracy`` is the training accuracy, ``fig.seconds`` the training time.
    """
    import time

    from .activations import train_mlp_2d
    from .datasets import make_toy_2d
    from .plots import plot_decision_boundary

    if int(layers) != layers or layers < 1 or int(hidden_units) != hidden_units or hidden_units < 1:
        raise ValueError(f"layers and hidden_units must be positive integers, got {layers!r}, {hidden_units!r}")
    X, y = make_toy_2d(dataset, 200, noise=noise, seed=seed)
    start = time.perf_counter()
    predict, acc, losses = train_mlp_2d(
        X, y, hidden=(int(hidden_units),) * int(layers), activation=activation, steps=steps, seed=seed
    )
    seconds = time.perf_counter() - start
    fig, (ax_b, ax_l) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1.3, 1]})
    plot_decision_boundary(
        predict,
        X,
        y,
        resolution=100,
        ax=ax_b,
        title=f"{dataset}: {layers} x {hidden_units} {activation} units, accuracy {acc:.0%}",
    )
    ax_l.plot(losses, label="training log loss")
    ax_l.set(title=f"Training: {steps} Adam steps in {seconds:.2f} s", xlabel="step", ylabel="log loss")
    ax_l.legend()
    fig.tight_layout()
    fig.accuracy, fig.seconds = acc, seconds
    return fig


# --------------------------------------------------------------------------- #
# Render functions for notebooks 05 (CNNs) and 08 (GANs)
# --------------------------------------------------------------------------- #


def render_digit_transform(model, images, index: int = 0, dx: float = 0.0, dy: float = 0.0, degrees: float = 0.0):
    """ "Still a cat?": shift and rotate one digit and show what a classifier says.

    Left: the transformed image; right: the model's class probabilities.

    Args:
        model: a classifier mapping (B, 1, 8, 8) to (B, n_classes) logits (any device).
        images: (N, 1, H, W) tensor of images.
        index: which image.  dx, dy: shift in pixels.  degrees: rotation angle.

    Returns:
        The figure; ``fig.probs`` holds the (n_classes,) probabilities, ``fig.image`` the (H, W) input.
    """
    import torch

    from .models import affine_images

    if not 0 <= int(index) < len(images):
        raise ValueError(f"index must be in [0, {len(images)}), got {index!r}")
    x = affine_images(images[int(index) : int(index) + 1].float(), dx, dy, degrees)
    param = next(model.parameters())
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(x.to(param.device)), dim=1)[0].cpu().numpy()
    model.train(was_training)
    fig, (ax_img, ax_p) = plt.subplots(1, 2, figsize=(8, 3.2), gridspec_kw={"width_ratios": [1, 1.6]})
    image = x[0, 0].cpu().numpy()
    ax_img.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax_img.set(title=f"shift ({dx:+.1f}, {dy:+.1f}) px, rotation {degrees:+.0f} deg", xticks=[], yticks=[])
    ax_img.grid(False)
    ax_p.bar(range(len(probs)), probs, color="tab:blue", label="P(class | image)")
    ax_p.set(
        title=f"prediction: {int(probs.argmax())} ({probs.max():.0%})",
        xlabel="class",
        ylabel="probability",
        xticks=range(len(probs)),
        ylim=(0, 1),
    )
    ax_p.legend(loc="upper right")
    fig.tight_layout()
    fig.probs, fig.image = probs, image
    return fig


def render_latent_interpolation(
    generator,
    z0,
    z1,
    t: float = 0.5,
    n_strip: int = 9,
    method: str = "linear",
    image_shape: tuple = (8, 8),
    path=None,
):
    """Walk through a generator's latent space from z0 to z1.

    Top: the strip of images at ``n_strip`` evenly spaced points from z0 to z1,
    with the point nearest ``t`` framed; bottom-left: the image at exactly ``t``.

    Args:
        generator: maps (B, latent_dim) to (B, prod(image_shape)) or (B, 1, H, W) images.
        z0, z1: (latent_dim,) latent vectors.  t: position in [0, 1].
        method: ``"linear"`` or ``"slerp"`` (see :func:`course_utils.generative.interpolate_latents`).
        path: a function ``path(z0, z1, ts) -> (len(ts), latent_dim)`` (``ts`` a 1-D tensor of positions)
            that computes the points instead of ``interpolate_latents(z0, z1, ts, method)``, e.g. a
            student's slerp; ``method`` then only names the path in the title.

    Returns:
        The figure; ``fig.image`` is the (H, W) image at ``t``, ``fig.strip`` the (n_strip, H, W) strip.
    """
    import numpy as np
    import torch

    from .generative import interpolate_latents

    if int(n_strip) != n_strip or n_strip < 2:
        raise ValueError(f"n_strip must be an integer >= 2, got {n_strip!r}")
    ts = np.r_[np.linspace(0, 1, int(n_strip)), t]
    param = next(generator.parameters())
    z0, z1 = z0.to(param.device), z1.to(param.device)
    if path is None:
        z = interpolate_latents(z0, z1, ts, method)
    else:
        z = torch.as_tensor(path(z0, z1, torch.as_tensor(ts, dtype=z0.dtype, device=z0.device)), dtype=z0.dtype)
        if tuple(z.shape) != (len(ts), len(z0)):
            raise ValueError(f"path must return ({len(ts)}, {len(z0)}) points, got {tuple(z.shape)}")
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        imgs = generator(z).reshape(len(ts), *image_shape).cpu().numpy()
    generator.train(was_training)
    fig = plt.figure(figsize=(1.0 * n_strip, 3.6))
    grid = fig.add_gridspec(2, n_strip, height_ratios=[1, 1.8])
    nearest = int(np.argmin(np.abs(ts[:-1] - t)))
    for i in range(int(n_strip)):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(imgs[i], cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.set_title(f"t={ts[i]:.2f}", fontsize=8, color="tab:red" if i == nearest else "black")
        for spine in ax.spines.values():
            spine.set_visible(i == nearest)
            spine.set_color("tab:red")
    ax = fig.add_subplot(grid[1, :2])
    ax.imshow(imgs[-1], cmap="gray", vmin=0, vmax=1)
    ax.set(title=f"G(z) at t = {t:.2f}", xticks=[], yticks=[])
    ax.grid(False)
    fig.suptitle(f"{method} interpolation from z0 (t=0) to z1 (t=1)")
    fig.strip, fig.image = imgs[:-1], imgs[-1]
    return fig
