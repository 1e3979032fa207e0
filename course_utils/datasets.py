"""Every dataset the course uses. Nothing here downloads at run time: every set is generated,
bundled with scikit-learn or matplotlib, or read from the Python standard library.

Conventions: feature arrays are float (``float64`` for the numpy-first 2-D toys,
``float32`` for data that feeds torch models); labels are ``int64``. Every
generator takes a ``seed`` and returns the same data for the same seed.
"""

from __future__ import annotations

import math
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn import datasets as sk_datasets
from sklearn.model_selection import train_test_split
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

# --------------------------------------------------------------------------- #
# 2-D toy classification sets
# --------------------------------------------------------------------------- #

LOGIC_GATES = ("and", "or", "xor")
TOY_DATASETS = ("xor", "and", "or", "blobs", "moons", "circles", "spirals")


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The exact truth table of a two-input logic gate.

    Args:
        name: ``"and"``, ``"or"`` or ``"xor"``.

    Returns:
        X: (4, 2) float64, the inputs (0,0), (0,1), (1,0), (1,1).
        y: (4,) int64, the gate's output for each row.
    """
    name = _check_choice(name, LOGIC_GATES, "logic gate")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    a, b = X[:, 0].astype(bool), X[:, 1].astype(bool)
    y = {"and": a & b, "or": a | b, "xor": a ^ b}[name]
    return X, y.astype(np.int64)


def make_toy_2d(name: str, n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A two-class 2-D dataset for decision-boundary pictures.

    Args:
        name: one of ``TOY_DATASETS``. The logic gates put Gaussian clouds of
            standard deviation ``noise`` around the four corners of the unit square.
        n_samples: number of points (at least 4).
        noise: standard deviation of the noise (>= 0).
        seed: random seed.

    Returns:
        X: (n_samples, 2) float64 features.
        y: (n_samples,) int64 labels in {0, 1}.
    """
    name = _check_choice(name, TOY_DATASETS, "toy dataset")
    if int(n_samples) != n_samples or n_samples < 4:
        raise ValueError(f"n_samples must be an integer >= 4, got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    n_samples = int(n_samples)
    rng = np.random.default_rng(seed)
    if name in LOGIC_GATES:
        corners, labels = logic_gate(name)
        idx = np.arange(n_samples) % 4
        X = corners[idx] + noise * rng.standard_normal((n_samples, 2))
        y = labels[idx]
    elif name == "blobs":
        X, y = sk_datasets.make_blobs(
            n_samples=n_samples, centers=[[-1.0, -1.0], [1.0, 1.0]], cluster_std=0.5 + 2 * noise, random_state=seed
        )
    elif name == "moons":
        X, y = sk_datasets.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    elif name == "circles":
        X, y = sk_datasets.make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=seed)
    else:  # spirals: two interleaved arms, the classic hard case
        n0 = n_samples // 2
        y = np.r_[np.zeros(n0), np.ones(n_samples - n0)].astype(np.int64)
        t = np.sqrt(rng.uniform(0.05, 1.0, n_samples)) * 3 * np.pi
        angle = t + np.pi * y
        X = np.c_[t * np.cos(angle), t * np.sin(angle)] / (3 * np.pi)
        X = X + noise * 0.3 * rng.standard_normal(X.shape)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


# --------------------------------------------------------------------------- #
# 8x8 digits (scikit-learn ships them)
# --------------------------------------------------------------------------- #

DIGITS_SPLIT_SEED = 0
DIGITS_TEST_FRACTION = 0.25


@dataclass(frozen=True)
class Split:
    """A fixed train/test split. Arrays keep the shapes documented by the loader."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def load_digits_arrays() -> Split:
    """scikit-learn's 1797 handwritten 8x8 digits with the course's fixed split.

    The split is stratified, 25 % test, ``random_state=0``, so every notebook
    and every student sees the same 1347 training and 450 test images.

    Returns:
        Split with X_train (1347, 8, 8) float32 in [0, 1], y_train (1347,) int64,
        X_test (450, 8, 8) float32, y_test (450,) int64.
    """
    bunch = sk_datasets.load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(
        images,
        bunch.target.astype(np.int64),
        test_size=DIGITS_TEST_FRACTION,
        random_state=DIGITS_SPLIT_SEED,
        stratify=bunch.target,
    )
    return Split(X_tr, y_tr, X_te, y_te)


def digits_tensors(device: torch.device | str | None = None) -> Split:
    """The digits split as torch tensors with a channel axis, ready for a CNN.

    Returns:
        Split with X_train (1347, 1, 8, 8) float32, y_train (1347,) int64,
        X_test (450, 1, 8, 8) float32, y_test (450,) int64, all on ``device``.
    """
    s = load_digits_arrays()
    to = lambda a: torch.from_numpy(a).to(device) if device is not None else torch.from_numpy(a)  # noqa: E731
    return Split(to(s.X_train[:, None]), to(s.y_train), to(s.X_test[:, None]), to(s.y_test))


def tensor_loader(
    X: torch.Tensor, y: torch.Tensor, batch_size: int = 64, shuffle: bool = True, seed: int = 0
) -> DataLoader:
    """A DataLoader over in-memory tensors that fetches whole batches at once.

    Indexing the tensors with a batch of indices avoids per-sample collation,
    which is most of the cost for small datasets.

    Args:
        X: (N, ...) tensor of inputs.  y: (N, ...) tensor of targets.
        batch_size: examples per batch (> 0).
        shuffle: reshuffle every epoch, with a generator seeded by ``seed``.

    Returns:
        A DataLoader yielding ``(X[idx], y[idx])`` with len(idx) <= batch_size.
    """
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    dataset = TensorDataset(X, y)
    if shuffle:
        generator = torch.Generator().manual_seed(seed)
        sampler = RandomSampler(dataset, generator=generator)
    else:
        sampler = SequentialSampler(dataset)
    return DataLoader(dataset, batch_size=None, sampler=BatchSampler(sampler, int(batch_size), drop_last=False))


def digits_loaders(
    batch_size: int = 64, device: torch.device | str | None = None, seed: int = 0
) -> tuple[DataLoader, DataLoader]:
    """Train and test DataLoaders over :func:`digits_tensors`.

    Returns:
        (train_loader, test_loader): batches of x (B, 1, 8, 8) float32 and
        y (B,) int64; the training loader shuffles, the test loader does not.
    """
    s = digits_tensors(device)
    return (
        tensor_loader(s.X_train, s.y_train, batch_size, shuffle=True, seed=seed),
        tensor_loader(s.X_test, s.y_test, batch_size, shuffle=False),
    )


# --------------------------------------------------------------------------- #
# A real photograph
# --------------------------------------------------------------------------- #

PHOTOS = ("china.jpg", "flower.jpg")


def load_photo(name: str = "china.jpg", gray: bool = True, scale: float = 1.0) -> np.ndarray:
    """One of scikit-learn's bundled sample photographs (427 x 640 pixels).

    Args:
        name: ``"china.jpg"`` or ``"flower.jpg"``.
        gray: convert to luminance (ITU-R 601 weights).
        scale: resize factor in (0, 1]; 0.25 gives a 106 x 160 image.

    Returns:
        float64 array in [0, 1]: (H, W) when ``gray`` else (H, W, 3).
    """
    name = _check_choice(name, PHOTOS, "photo")
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}")
    image = sk_datasets.load_sample_image(name)
    if scale != 1:
        from PIL import Image

        h, w = image.shape[:2]
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))
    image = image.astype(np.float64) / 255.0
    if gray:
        image = image @ np.array([0.299, 0.587, 0.114])
    return np.clip(image, 0.0, 1.0)


# --------------------------------------------------------------------------- #
# Printed letters, made like the digits: a large source task for transfer learning
# --------------------------------------------------------------------------- #

#: Fonts that ship with matplotlib (so they are on every machine): DejaVu Sans, Sans Mono
#: and Serif in four styles each, STIX in four, and five Computer Modern faces.
GLYPH_FONTS = tuple(
    [
        f"DejaVu{family}{style}.ttf"
        for family in ("Sans", "SansMono")
        for style in ("", "-Bold", "-Oblique", "-BoldOblique")
    ]
    + [f"DejaVuSerif{style}.ttf" for style in ("", "-Bold", "-Italic", "-BoldItalic")]
    + [f"STIXGeneral{style}.ttf" for style in ("", "Bol", "Italic", "BolIta")]
    + [f"cm{face}10.ttf" for face in ("r", "ss", "tt", "ti", "b")]
)

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def render_glyphs(chars: str = LETTERS, fonts: tuple = GLYPH_FONTS, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Render characters in fonts bundled with matplotlib as binary bitmaps.

    Each glyph is cropped to its ink, scaled (aspect kept) so that its longer
    side is 7/8 of ``size``, binarised at half intensity and centred in a
    ``size`` x ``size`` square - the kind of 32x32 bitmap the UCI digits were
    made from. Nothing is downloaded: the fonts are matplotlib's own.

    Args:
        chars: the characters (classes), each once.
        fonts: font file names in matplotlib's ``fonts/ttf`` folder.
        size: side of the square bitmap.

    Returns:
        bitmaps (len(fonts) * len(chars), size, size) float32 in {0, 1}, font
        by font (all of ``chars`` in ``fonts[0]`` first); labels (same length,)
        int64, the index of each bitmap's character in ``chars``.
    """
    import matplotlib
    from matplotlib import ft2font

    if not chars or len(set(chars)) != len(chars):
        raise ValueError(f"chars must be non-empty without repeats, got {chars!r}")
    if not fonts:
        raise ValueError("need at least one font")
    if int(size) != size or size < 8:
        raise ValueError(f"size must be an integer >= 8, got {size!r}")
    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    bitmaps = []
    for font_name in fonts:
        path = font_dir / font_name
        if not path.is_file():
            shipped = ", ".join(sorted(p.name for p in font_dir.glob("*.ttf")))
            raise FileNotFoundError(f"font {font_name!r} is not in {font_dir}; matplotlib ships: {shipped}")
        font = ft2font.FT2Font(str(path))
        for ch in chars:
            font.set_size(48, 72)
            font.set_text(ch, 0.0)
            font.draw_glyphs_to_bitmap(antialiased=True)
            ink = np.asarray(font.get_image(), dtype=np.float32) / 255.0
            rows, cols = np.nonzero(ink > 0.3)
            if len(rows) == 0:
                raise ValueError(f"character {ch!r} has no ink in font {font_name}")
            ink = torch.from_numpy(ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].copy())
            scale = (size * 7 / 8) / max(ink.shape)
            h, w = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
            glyph = (
                F.interpolate(ink[None, None], size=(h, w), mode="bilinear", antialias=True, align_corners=False)[0, 0]
                > 0.5
            )
            square = torch.zeros(size, size)
            top, left = (size - h) // 2, (size - w) // 2
            square[top : top + h, left : left + w] = glyph.float()
            bitmaps.append(square.numpy())
    labels = np.tile(np.arange(len(chars), dtype=np.int64), len(fonts))
    return np.stack(bitmaps).astype(np.float32), labels


def letters_8x8(
    copies: int = 8,
    seed: int = 0,
    chars: str = LETTERS,
    fonts: tuple = GLYPH_FONTS,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Printed letters turned into 8x8 images the way the UCI digits were made.

    The digits' own description (``load_digits().DESCR``): 32x32 bitmaps "are
    divided into nonoverlapping blocks of 4x4 and the number of on pixels are
    counted in each block", giving 8x8 counts 0..16 (divided by 16 here, like
    :func:`load_digits_arrays`). Before counting, each copy of each glyph gets
    its own "handwriting": a random rotation (up to 15 degrees), stretch,
    shear and shift, and a random pen width (strokes kept, or thickened by
    a 3x3 or 5x5 dilation).

    Args:
        copies: random variants of each (font, character) bitmap.
        seed: seeds the variants; the same seed gives the same images.
        chars, fonts: see :func:`render_glyphs` (default: 52 letters x 21 fonts).

    Returns:
        X (copies * len(fonts) * len(chars), 1, 8, 8) float32 in [0, 1] and
        y (same length,) int64 (index into ``chars``), on ``device``.
    """
    if int(copies) != copies or copies < 1:
        raise ValueError(f"copies must be a positive integer, got {copies!r}")
    bitmaps, labels = render_glyphs(chars, fonts, size=32)
    base = torch.from_numpy(bitmaps)[:, None]  # (G, 1, 32, 32)
    g = torch.Generator().manual_seed(int(seed))
    images = []
    n = len(base)
    uniform = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=g)  # noqa: E731
    for _ in range(int(copies)):
        angle = uniform(-15, 15) * (math.pi / 180)
        sx, sy, shear = uniform(0.8, 1.15), uniform(0.85, 1.1), uniform(-0.25, 0.25)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack(
            [
                torch.stack([cos * sx, -sin * sx + shear, uniform(-0.1, 0.1)], dim=1),
                torch.stack([sin * sy, cos * sy, uniform(-0.1, 0.1)], dim=1),
            ],
            dim=1,
        )
        grid = F.affine_grid(theta, list(base.shape), align_corners=False)
        moved = F.grid_sample(base, grid, align_corners=False)
        pen = torch.randint(0, 3, (n,), generator=g)  # 0: as drawn, 1: 3x3 dilation, 2: 5x5
        for width, kernel in ((1, 3), (2, 5)):
            sel = pen == width
            moved[sel] = F.max_pool2d(moved[sel], kernel, stride=1, padding=kernel // 2)
        on = (moved > 0.5).float()
        images.append(on.reshape(n, 1, 8, 4, 8, 4).sum(dim=(3, 5)) / 16.0)  # 4x4 block counts
    X = torch.cat(images)
    y = torch.from_numpy(labels).repeat(int(copies))
    return X.to(device) if device is not None else X, y.to(device) if device is not None else y


# --------------------------------------------------------------------------- #
# Sequence tasks
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Sequences:
    """A batch of padded sequences.

    X: (N, T, F) float32, zero-padded after each sequence's end.
    lengths: (N,) int64, the true length of each sequence (1 <= length <= T).
    y: (N,) targets (float32 for regression, int64 for classification).
    """

    X: np.ndarray
    lengths: np.ndarray
    y: np.ndarray


def sum_sequences(n: int, min_len: int = 1, max_len: int = 5, low: int = 0, high: int = 15, seed: int = 0) -> Sequences:
    """Variable-length sequences of integers whose target is their sum.

    Deck 004's examples belong to this task: (1, 3, 7) -> 11 and (12, 5) -> 17.

    Returns:
        Sequences with X (n, max_len, 1) float32, lengths (n,), y (n,) float32.
    """
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    if n < 1 or low > high:
        raise ValueError(f"need n >= 1 and low <= high, got n={n}, low={low}, high={high}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n)
    values = rng.integers(low, high + 1, size=(n, max_len)).astype(np.float32)
    mask = np.arange(max_len)[None, :] < lengths[:, None]
    values *= mask
    return Sequences(values[:, :, None], lengths.astype(np.int64), values.sum(axis=1).astype(np.float32))


def pad_sequences(sequences: list) -> Sequences:
    """Pad a list of 1-D number sequences (e.g. ``[(1, 3, 7), (12, 5)]``) for a summing model.

    Returns:
        Sequences with X (N, T, 1) float32 where T is the longest length,
        lengths (N,), y (N,) float32 the sums.
    """
    if not sequences or any(len(s) == 0 for s in sequences):
        raise ValueError("need a non-empty list of non-empty sequences")
    T = max(len(s) for s in sequences)
    X = np.zeros((len(sequences), T, 1), dtype=np.float32)
    for i, s in enumerate(sequences):
        X[i, : len(s), 0] = s
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    return Sequences(X, lengths, X[:, :, 0].sum(axis=1))


def memory_task(n: int, lag: int, n_symbols: int = 4, seed: int = 0) -> Sequences:
    """Remember the first symbol of a sequence for ``lag`` steps of distractors.

    Each sequence is ``lag + 1`` one-hot symbols; the target is the class of the
    first one. A model must carry one symbol through ``lag`` steps, so the task
    gets harder for a vanilla RNN as ``lag`` grows.

    Returns:
        Sequences with X (n, lag + 1, n_symbols) float32, lengths all lag + 1,
        y (n,) int64 in [0, n_symbols).
    """
    if lag < 0 or n < 1 or n_symbols < 2:
        raise ValueError(f"need lag >= 0, n >= 1, n_symbols >= 2; got lag={lag}, n={n}, n_symbols={n_symbols}")
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, n_symbols, size=(n, lag + 1))
    X = np.eye(n_symbols, dtype=np.float32)[symbols]
    return Sequences(X, np.full(n, lag + 1, dtype=np.int64), symbols[:, 0].astype(np.int64))


def sine_series(n: int, length: int = 50, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Noisy sine waves with random frequency and phase, for next-step prediction.

    Returns:
        (n, length) float32 array; row i is sin(w_i t + phi_i) + noise.
    """
    if n < 1 or length < 2 or noise < 0:
        raise ValueError(f"need n >= 1, length >= 2, noise >= 0; got {n}, {length}, {noise}")
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    freq = rng.uniform(0.1, 0.4, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    return (np.sin(freq * t + phase) + noise * rng.standard_normal((n, length))).astype(np.float32)


# --------------------------------------------------------------------------- #
# Text available on every machine: the Python standard library's own source
# --------------------------------------------------------------------------- #


def python_stdlib_text(max_chars: int = 200_000) -> str:
    """Python source code from the standard library, read from this interpreter's install.

    Concatenates the top-level ``*.py`` modules of the standard library in sorted
    order until ``max_chars`` characters are collected; non-ASCII characters are
    dropped so the vocabulary stays small. Deterministic for a given Python version.

    Returns:
        A string of exactly ``max_chars`` characters.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars!r}")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    pieces, total = [], 0
    for path in sorted(stdlib.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="ignore").encode("ascii", "ignore").decode()
        pieces.append(text)
        total += len(text)
        if total >= max_chars:
            break
    text = "".join(pieces)
    if len(text) < max_chars:
        raise ValueError(f"the standard library at {stdlib} holds only {len(text)} characters of source")
    return text[:max_chars]


# --------------------------------------------------------------------------- #
# A Gaussian mixture on a ring (the classic GAN mode-collapse test)
# --------------------------------------------------------------------------- #


def ring_centers(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of ``n_modes`` Gaussians evenly spaced on a circle: (n_modes, 2) float64."""
    if n_modes < 1 or radius <= 0:
        raise ValueError(f"need n_modes >= 1 and radius > 0, got {n_modes}, {radius}")
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.c_[np.cos(angles), np.sin(angles)]


def gaussian_ring(
    n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Samples from a mixture of ``n_modes`` equal Gaussians on a ring.

    Returns:
        X: (n, 2) float32 samples.  mode: (n,) int64, which Gaussian each came from.
    """
    if n < 1 or std < 0:
        raise ValueError(f"need n >= 1 and std >= 0, got n={n}, std={std}")
    rng = np.random.default_rng(seed)
    mode = rng.integers(0, n_modes, size=n)
    X = ring_centers(n_modes, radius)[mode] + std * rng.standard_normal((n, 2))
    return X.astype(np.float32), mode.astype(np.int64)


# --------------------------------------------------------------------------- #


def _check_choice(value: str, choices: tuple, what: str) -> str:
    key = str(value).lower()
    if key not in choices:
        raise ValueError(f"unknown {what} {value!r}: choose one of {', '.join(choices)}")
    return key
