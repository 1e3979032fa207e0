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
from IPython.display import display


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
        """Re-render with the current control values; returns what ``render`` returned."""
        result = self.render(**self.values())
        self.last_result = result
        with self.output:
            self.output.clear_output(wait=True)
            display(result)
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

def gradient_norms_figure(X, y, depth: int = 8, width: int = 32, activation: str = "sigmoid",
                          init: str = "lecun", seed: int = 0):
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
    ax.set(title=f"Gradient norm per layer: last / first = {norms[-1] / norms[0]:.3g}",
           xlabel="layer (1 = next to the input)", ylabel=r"$\|\partial L / \partial W_l\|$", xticks=layers)
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
        axes[1].text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=9,
                     color="white" if abs(v) > 0.6 * m else "black")
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


def kernel_placement_figure(n: int = 7, k: int = 3, stride: int = 1, padding: int = 0, dilation: int = 1,
                            out_row: int = 0, out_col: int = 0):
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
    for ax, grid, title in [(axes[0], size, f"padded input {size}x{size} (grey: padding)"),
                            (axes[1], out, f"output {out}x{out}")]:
        for i in range(grid):
            for j in range(grid):
                is_pad = ax is axes[0] and not (padding <= i < padding + n and padding <= j < padding + n)
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor="0.85" if is_pad else "white", edgecolor="0.5"))
        ax.set(xlim=(0, grid), ylim=(grid, 0), aspect="equal", title=title, xticks=[], yticks=[])
        ax.grid(False)
    for i, j in taps:
        axes[0].add_patch(Rectangle((j, i), 1, 1, facecolor="tab:orange", alpha=0.8, edgecolor="k"))
    axes[1].add_patch(Rectangle((c, r), 1, 1, facecolor="tab:orange", alpha=0.8, edgecolor="k",
                                label=f"output ({r}, {c})"))
    axes[0].plot([], [], "s", color="tab:orange", label="kernel taps")
    axes[0].legend(loc="upper left", bbox_to_anchor=(0, -0.02), fontsize=8)
    axes[1].legend(loc="upper left", bbox_to_anchor=(0, -0.02), fontsize=8)
    fig.suptitle(f"n={n}, k={k}, stride={stride}, padding={padding}, dilation={dilation}: "
                 f"out = floor((n + 2p - d(k-1) - 1) / s) + 1 = {out}")
    fig.tight_layout()
    fig.out_size, fig.taps = out, taps
    return fig


def render_temperature_sampling(logits, chars, temperature: float, sample: str = "", prompt: str = "",
                                top_k: int = 12):
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

    from .sequence import temperature_probs

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
    ax.bar(pos + 0.2, pT[top], width=0.4, color="tab:orange",
           label=f"T = {temperature:g} (entropy {entropy(pT):.2f} nats)")
    ax.set_xticks(pos, labels)
    ax.set(title="Next-character probabilities", xlabel="character (most likely at T = 1 first)",
           ylabel="probability", ylim=(0, 1))
    ax.legend(loc="upper right")
    text = "".join(c if c.isprintable() or c == "\n" else "?" for c in (prompt + sample).expandtabs(4))
    lines = text.split("\n")[-18:]
    shown = "\n".join(line if len(line) <= 72 else line[:71] + "~" for line in lines)
    ax_text.text(0.0, 1.0, shown, family="monospace", fontsize=8, va="top", ha="left",
                 transform=ax_text.transAxes, parse_math=False)
    ax_text.set_title(f"Sampled at temperature {temperature:g} (prompt + continuation)")
    ax_text.axis("off")
    fig.tight_layout()
    fig.probs, fig.entropy = pT, entropy(pT)
    return fig
