"""Image captioning with soft attention, in miniature (notebook 11).

* **Scenes**: one or two shapes (circle, square, triangle; red, green, blue; small or large) on a
  ``SIZE`` x ``SIZE`` canvas, each with the one caption a small grammar gives it, e.g.
  ``"a small red circle above a large blue square"``. Two objects are either one above the other or
  side by side; the upper (or left) one is named first, so the caption is a function of the scene.
  :func:`held_out_pairs` picks ordered pairs of kinds (colour and shape) that training never shows
  together: :func:`make_scenes` draws training scenes without them and held-out scenes with them only.
* **Model** (Show, Attend and Tell, Xu et al. 2015): :class:`Encoder`, a small CNN whose output is a
  grid of feature vectors (with two coordinate channels added to the image, so a feature knows
  where it is); :class:`AttentionDecoder`, an LSTM cell that at every step attends over the grid
  (additive attention: ``e = v . tanh(W_f f + W_h h)``, softmax over the locations), reads the
  context vector and writes one word; ``attention=False`` gives the same decoder with uniform
  weights (the mean of the grid), the ablation.
* **Training and decoding**: :func:`teacher_forced` (the ground-truth previous word as input),
  :func:`masked_loss` (cross-entropy over the real words, padding masked out), :func:`train_captioner`
  (through :func:`course_utils.training.train_steps`), :func:`greedy_decode`, :func:`beam_search`, and the
  measurements: :func:`caption_accuracy`, :func:`attention_hits`.

The decoder's pieces (``attention_weights``, ``context_vector``, ``decoder_step``) are arguments, so
the notebook can build the model from the student's functions once their checks accept them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

SIZE = 24  # canvas side in pixels
COLOURS = {"red": (0.95, 0.15, 0.1), "green": (0.1, 0.8, 0.2), "blue": (0.15, 0.3, 1.0)}
SHAPES = ("circle", "square", "triangle")
SIZES = {"small": 3.5, "large": 5.3}  # "radius" in pixels
RELATIONS = ("above", "left of")
PAD, START, END = "<pad>", "<start>", "<end>"
WORDS = [PAD, START, END, "a", *SIZES, *COLOURS, *SHAPES, "above", "left", "of"]
VOCAB = {w: i for i, w in enumerate(WORDS)}
PAD_ID, START_ID, END_ID = VOCAB[PAD], VOCAB[START], VOCAB[END]
KINDS = [(c, s) for c in COLOURS for s in SHAPES]  # the 9 kinds of object
MAX_LEN = 12  # <start> a small red circle left of a large blue square <end>

__all__ = [
    "SIZE",
    "WORDS",
    "VOCAB",
    "PAD_ID",
    "START_ID",
    "END_ID",
    "MAX_LEN",
    "Obj",
    "Scenes",
    "held_out_pairs",
    "make_scenes",
    "caption_of",
    "encode",
    "decode",
    "render",
    "Encoder",
    "AttentionDecoder",
    "Captioner",
    "attention_weights",
    "context_vector",
    "decoder_step",
    "teacher_forced",
    "masked_loss",
    "greedy_decode",
    "beam_search",
    "train_captioner",
    "caption_accuracy",
    "attention_hits",
    "object_cells",
]


# ----------------------------------------------------------------------------- scenes and captions


@dataclass(frozen=True)
class Obj:
    """One object: its colour, shape and size words and its centre (row, column) in pixels."""

    colour: str
    shape: str
    size: str
    row: float
    col: float

    @property
    def kind(self) -> tuple[str, str]:
        return self.colour, self.shape

    def words(self) -> list[str]:
        return ["a", self.size, self.colour, self.shape]


def caption_of(objects: Sequence[Obj], relation: str | None = None) -> list[str]:
    """The grammar: ``a SIZE COLOUR SHAPE`` for one object, ``... above ...`` / ``... left of ...`` for two
    (the first object is the upper or the left one)."""
    if len(objects) == 1:
        return objects[0].words()
    first, second = objects
    return first.words() + relation.split() + second.words()


def encode(words: Sequence[str], length: int = MAX_LEN) -> list[int]:
    """``<start> words <end>`` as ids, padded with ``<pad>`` to ``length``."""
    ids = [START_ID, *(VOCAB[w] for w in words), END_ID]
    if len(ids) > length:
        raise ValueError(f"caption of {len(ids)} tokens is longer than {length}")
    return ids + [PAD_ID] * (length - len(ids))


def decode(ids) -> str:
    """Ids back to words, without ``<start>``, stopping at the first ``<end>`` (or ``<pad>``)."""
    out = []
    for i in np.asarray(ids).tolist():
        if i in (END_ID, PAD_ID):
            break
        if i != START_ID:
            out.append(WORDS[i])
    return " ".join(out)


def _mask(obj: Obj, size: int = SIZE) -> np.ndarray:
    """Boolean (size, size) mask of the pixels the object covers."""
    r, c = np.mgrid[0:size, 0:size] + 0.5
    dr, dc, rad = r - obj.row, c - obj.col, SIZES[obj.size]
    if obj.shape == "circle":
        return dr**2 + dc**2 <= rad**2
    if obj.shape == "square":
        return (np.abs(dr) <= rad * 0.85) & (np.abs(dc) <= rad * 0.85)
    # triangle pointing up: inside the base band and under both slanted sides
    return (dr <= rad * 0.8) & (dr >= -rad) & (np.abs(dc) <= (dr + rad) * 0.55)


def render(objects: Sequence[Obj], rng: np.random.Generator | None = None, size: int = SIZE) -> np.ndarray:
    """The scene as a (3, size, size) float32 image in [0, 1], dark background, slight noise."""
    img = np.zeros((3, size, size), dtype=np.float32)
    for obj in objects:
        img[:, _mask(obj, size)] = np.asarray(COLOURS[obj.colour], dtype=np.float32)[:, None]
    if rng is not None:
        img += rng.normal(0, 0.05, img.shape).astype(np.float32)
    return np.clip(img, 0, 1)


def held_out_pairs(n: int = 12, seed: int = 0) -> set[tuple]:
    """``n`` ordered pairs of kinds ((colour, shape) first, (colour, shape) second) that training never shows
    together; every kind still appears first and second in training, with other partners."""
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for a in KINDS for b in KINDS if a != b]
    order = rng.permutation(len(pairs))
    chosen: set[tuple] = set()
    for k in order:
        a, b = pairs[k]
        if sum(p[0] == a for p in chosen) < 2 and sum(p[1] == b for p in chosen) < 2:
            chosen.add(pairs[k])
        if len(chosen) == n:
            break
    return chosen


@dataclass
class Scenes:
    """A set of scenes: ``images`` (N, 3, S, S) float32, ``captions`` (N, MAX_LEN) int64 ids, ``objects``
    (the scene's objects, named order), ``texts`` (the captions as strings)."""

    images: torch.Tensor
    captions: torch.Tensor
    objects: list[tuple[Obj, ...]]
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index) -> Scenes:
        index = np.asarray(index)
        return Scenes(
            self.images[index], self.captions[index], [self.objects[i] for i in index], [self.texts[i] for i in index]
        )

    @property
    def n_objects(self) -> np.ndarray:
        return np.array([len(o) for o in self.objects])


def _two_objects(rng, a, b) -> tuple[str, tuple[Obj, Obj]]:
    relation = RELATIONS[rng.integers(2)]
    sizes = [list(SIZES)[rng.integers(2)] for _ in range(2)]
    m = SIZE / 2
    near = m + rng.uniform(-2, 2)  # the shared coordinate, jittered
    first = m - rng.uniform(5.6, 6.6) + (SIZES[sizes[0]] - SIZES["large"]) * 0.3
    second = m + rng.uniform(5.6, 6.6) - (SIZES[sizes[1]] - SIZES["large"]) * 0.3
    shift = rng.uniform(-1.5, 1.5, 2)
    if relation == "above":  # rows differ
        pos = [(first, near + shift[0]), (second, near + shift[1])]
    else:
        pos = [(near + shift[0], first), (near + shift[1], second)]
    objs = tuple(Obj(k[0], k[1], s, r, c) for k, s, (r, c) in zip((a, b), sizes, pos))
    return relation, objs


def make_scenes(
    n: int, *, seed: int, held_out: set | None = None, split: str = "train", p_single: float = 0.25
) -> Scenes:
    """``n`` random scenes. ``split="train"``: one object (probability ``p_single``) or two whose ordered
    pair of kinds is not in ``held_out``; ``split="held_out"``: two objects whose pair is in ``held_out``."""
    if split not in ("train", "held_out"):
        raise ValueError(f"split is 'train' or 'held_out', got {split!r}")
    held_out = held_out if held_out is not None else held_out_pairs()
    rng = np.random.default_rng(seed)
    allowed = [(a, b) for a in KINDS for b in KINDS if a != b and ((a, b) in held_out) == (split == "held_out")]
    images, captions, objects, texts = [], [], [], []
    for _ in range(n):
        if split == "train" and rng.random() < p_single:
            kind = KINDS[rng.integers(len(KINDS))]
            size = list(SIZES)[rng.integers(2)]
            objs, relation = (Obj(kind[0], kind[1], size, *(SIZE / 2 + rng.uniform(-3, 3, 2))),), None
        else:
            a, b = allowed[rng.integers(len(allowed))]
            relation, objs = _two_objects(rng, a, b)
        words = caption_of(objs, relation)
        images.append(render(objs, rng))
        captions.append(encode(words))
        objects.append(objs)
        texts.append(" ".join(words))
    return Scenes(torch.as_tensor(np.stack(images)), torch.as_tensor(captions), objects, texts)


def object_cells(obj: Obj, grid: int, size: int = SIZE) -> np.ndarray:
    """(grid * grid,) booleans: the cells of a ``grid`` x ``grid`` map that the object's pixels fall in."""
    mask = _mask(obj, size)
    rows, cols = np.nonzero(mask)
    cells = np.zeros((grid, grid), dtype=bool)
    cells[rows * grid // size, cols * grid // size] = True
    return cells.ravel()


# ----------------------------------------------------------------------------- the model


class Encoder(nn.Module):
    """A small CNN: (B, 3, S, S) -> a grid of feature vectors (B, L, D), L = (S // 4) ** 2 locations.
    Two coordinate channels (row, column in [-1, 1]) are added to the image first."""

    def __init__(self, channels: int = 32, first: int = 16):
        super().__init__()
        self.conv1 = nn.Conv2d(5, first, 3, padding=1)
        self.conv2 = nn.Conv2d(first, channels, 3, padding=1)
        self.dim = channels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        b, _, s, _ = images.shape
        lin = torch.linspace(-1, 1, s, dtype=images.dtype, device=images.device)
        coords = torch.stack(torch.meshgrid(lin, lin, indexing="ij")).expand(b, 2, s, s)
        x = F.max_pool2d(F.relu(self.conv1(torch.cat([images, coords], dim=1))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, D, S/4, S/4): each cell sees a 10 x 10 patch
        return x.flatten(2).transpose(1, 2)  # (B, L, D): one feature vector per location


def attention_weights(features, h, W_f, W_h, v):
    """Additive attention: e[b, l] = v . tanh(W_f f[b, l] + W_h h[b]); alpha = softmax over the locations l.
    features (B, L, D), h (B, H), W_f (A, D), W_h (A, H), v (A,) -> alpha (B, L)."""
    scores = torch.tanh(features @ W_f.T + (h @ W_h.T)[:, None, :]) @ v  # (B, L)
    return torch.softmax(scores, dim=1)


def context_vector(features, alpha):
    """The attention-weighted mean of the features: (B, L, D), (B, L) -> (B, D)."""
    return (alpha[:, :, None] * features).sum(dim=1)


def decoder_step(dec, word, h, c, features):
    """One step of the decoder: attend with the previous state, feed [embedding; context] to the LSTM cell,
    read the word's logits from [new state; context]. Returns (logits (B, V), h, c, alpha (B, L))."""
    alpha, context = dec.attend(features, h)
    h, c = dec.lstm(torch.cat([dec.embed(word), context], dim=1), (h, c))
    logits = dec.out(torch.cat([h, context], dim=1))
    return logits, h, c, alpha


class AttentionDecoder(nn.Module):
    """An LSTM-cell decoder with soft attention over a feature grid (``attention=False``: uniform weights).

    ``weights_fn(features, h, W_f, W_h, v)``, ``context_fn(features, alpha)`` and
    ``step_fn(dec, word, h, c, features)`` are the pieces (the references by default)."""

    def __init__(
        self,
        feat_dim: int,
        vocab_size: int = len(WORDS),
        hidden: int = 64,
        embed: int = 16,
        attn: int = 32,
        *,
        attention: bool = True,
        weights_fn: Callable | None = None,
        context_fn: Callable | None = None,
        step_fn: Callable | None = None,
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.W_f = nn.Linear(feat_dim, attn, bias=False)
        self.W_h = nn.Linear(hidden, attn, bias=False)
        self.v = nn.Linear(attn, 1, bias=False)
        self.lstm = nn.LSTMCell(embed + feat_dim, hidden)
        self.init_h = nn.Linear(feat_dim, hidden)
        self.init_c = nn.Linear(feat_dim, hidden)
        self.out = nn.Linear(hidden + feat_dim, vocab_size)
        self.attention = attention
        self.weights_fn = weights_fn or attention_weights
        self.context_fn = context_fn or context_vector
        self.step_fn = step_fn or decoder_step

    def init_state(self, features):
        """(h0, c0) from the mean feature vector."""
        mean = features.mean(dim=1)
        return torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean))

    def attend(self, features, h):
        """(alpha (B, L), context (B, D)) for the state ``h``."""
        if self.attention:
            alpha = self.weights_fn(features, h, self.W_f.weight, self.W_h.weight, self.v.weight[0])
        else:
            alpha = torch.full(features.shape[:2], 1 / features.shape[1], dtype=features.dtype)
        return alpha, self.context_fn(features, alpha)

    def step(self, word, h, c, features):
        return self.step_fn(self, word, h, c, features)


def teacher_forced(dec, features, captions):
    """Teacher forcing: the input at step t is the true word captions[:, t], the target captions[:, t + 1].
    Returns (logits (B, T-1, V), alphas (B, T-1, L))."""
    h, c = dec.init_state(features)
    logits, alphas = [], []
    for t in range(captions.shape[1] - 1):
        out, h, c, alpha = dec.step(captions[:, t], h, c, features)
        logits.append(out)
        alphas.append(alpha)
    return torch.stack(logits, dim=1), torch.stack(alphas, dim=1)


def masked_loss(logits, targets, pad_id):
    """Mean cross-entropy over the real words: (B, T, V) logits, (B, T) targets; ``pad_id`` positions ignored."""
    logp = torch.log_softmax(logits, dim=-1)
    nll = -logp.gather(2, targets[:, :, None])[:, :, 0]  # (B, T)
    mask = (targets != pad_id).to(logits.dtype)
    return (nll * mask).sum() / mask.sum()


@torch.no_grad()
def greedy_decode(dec, features, start_id, max_len):
    """Greedy decoding: feed back the most likely word, ``max_len`` steps. Returns (words (B, max_len) int64,
    alphas (B, max_len, L)); cut each caption at its first <end> afterwards (:func:`decode`)."""
    h, c = dec.init_state(features)
    word = torch.full((features.shape[0],), start_id, dtype=torch.long)
    words, alphas = [], []
    for _ in range(max_len):
        logits, h, c, alpha = dec.step(word, h, c, features)
        word = logits.argmax(dim=1)
        words.append(word)
        alphas.append(alpha)
    return torch.stack(words, dim=1), torch.stack(alphas, dim=1)


@torch.no_grad()
def beam_search(dec, features, start_id: int, end_id: int, max_len: int, beam: int = 3) -> list[list[int]]:
    """Beam search for each image: keep the ``beam`` most likely partial captions (sum of log-probabilities)
    at every step; a caption that emits ``end_id`` is finished. Returns each image's best caption's ids
    (without <start>, ending with <end> when it finished)."""
    results = []
    for b in range(features.shape[0]):
        f = features[b : b + 1]
        h, c = dec.init_state(f)
        beams = [(0.0, [start_id], h, c)]
        done: list[tuple[float, list[int]]] = []
        for _ in range(max_len):
            candidates = []
            for score, ids, h, c in beams:
                logits, h2, c2, _ = dec.step(torch.tensor([ids[-1]]), h, c, f)
                logp = torch.log_softmax(logits[0], dim=0)
                top = torch.topk(logp, beam)
                for lp, w in zip(top.values.tolist(), top.indices.tolist()):
                    candidates.append((score + lp, ids + [w], h2, c2))
            candidates.sort(key=lambda x: -x[0])
            beams = []
            for cand in candidates:
                (done if cand[1][-1] == end_id else beams).append(cand if cand[1][-1] != end_id else cand[:2])
                if len(beams) == beam:
                    break
            if not beams or (done and max(d[0] for d in done) >= beams[0][0]):
                break
        best = max(done or [b_[:2] for b_ in beams], key=lambda x: x[0])
        results.append(best[1][1:])
    return results


class Captioner(nn.Module):
    """Encoder + decoder; ``forward(images, captions)`` is teacher-forced (``forward_fn``)."""

    def __init__(self, decoder: AttentionDecoder, encoder: Encoder, forward_fn: Callable = teacher_forced):
        super().__init__()
        self.encoder, self.decoder, self.forward_fn = encoder, decoder, forward_fn

    def forward(self, images, captions):
        return self.forward_fn(self.decoder, self.encoder(images), captions)

    @torch.no_grad()
    def caption(self, images, decode_fn: Callable = greedy_decode, max_len: int = MAX_LEN - 1):
        """(words (B, max_len), alphas (B, max_len, L)) by ``decode_fn`` (greedy by default), in eval mode."""
        self.eval()
        return decode_fn(self.decoder, self.encoder(images), START_ID, max_len)


def build(
    *, attention: bool = True, seed: int = 0, pieces: dict | None = None, forward_fn: Callable = teacher_forced
) -> Captioner:
    """A fresh captioner (seeded): ``pieces`` may give ``weights_fn``, ``context_fn``, ``step_fn``."""
    torch.manual_seed(seed)
    encoder = Encoder()
    decoder = AttentionDecoder(encoder.dim, attention=attention, **(pieces or {}))
    return Captioner(decoder, encoder, forward_fn)


def train_captioner(
    model: Captioner,
    scenes: Scenes,
    *,
    steps: int = 400,
    batch_size: int = 64,
    lr: float = 1e-2,
    seed: int = 0,
    loss_fn: Callable = masked_loss,
    desc: str = "captioner",
    progress: bool = True,
) -> list[float]:
    """Train with :func:`course_utils.training.train_steps` (Adam, one-cycle, clipping) on random mini-batches of
    ``scenes``; the loss is ``loss_fn(logits, captions[:, 1:], PAD_ID)``. Returns the loss of every step."""
    from .training import train_steps

    gen = torch.Generator().manual_seed(seed)

    def batch(_step):
        idx = torch.randint(len(scenes), (batch_size,), generator=gen)
        return (scenes.images[idx], scenes.captions[idx]), scenes.captions[idx]

    def loss(output, captions):
        logits, _ = output
        return loss_fn(logits, captions[:, 1:], PAD_ID)

    return train_steps(model, batch, loss, steps=steps, lr=lr, clip=1.0, desc=desc, progress=progress)


def caption_accuracy(words: torch.Tensor, scenes: Scenes) -> tuple[float, float]:
    """(exact-caption accuracy, per-word accuracy): the share of captions equal to the truth, and of the
    truth's words (and its <end>) that the decoded caption has at the same position."""
    words = np.asarray(words)
    truth = scenes.captions[:, 1:].numpy()
    exact = np.mean([decode(w) == t for w, t in zip(words, scenes.texts)])
    n = min(words.shape[1], truth.shape[1])
    real = truth[:, :n] != PAD_ID
    per_word = ((words[:, :n] == truth[:, :n]) & real).sum() / real.sum()
    return float(exact), float(per_word)


def attention_hits(
    words: torch.Tensor, alphas: torch.Tensor, scenes: Scenes, shape_words: Sequence[str] = SHAPES
) -> tuple[float, float, int]:
    """Where the attention looks when the decoder writes a shape's name.

    For every decoded word that names a shape in ``shape_words`` and matches the true caption there, the
    arg-max cell of that step's attention is a hit if the named object covers it. Returns (hit rate, chance
    rate, count): chance is the mean share of the grid's cells the named object covers (where a uniformly
    random cell would fall)."""
    words, alphas = np.asarray(words), np.asarray(alphas)
    grid = int(round(np.sqrt(alphas.shape[-1])))
    hits, chance, nearer, nearer_chance = [], [], [], []
    centres = (np.arange(grid) + 0.5) * SIZE / grid
    cr, cc = np.meshgrid(centres, centres, indexing="ij")
    cr, cc = cr.ravel(), cc.ravel()
    for b, objs in enumerate(scenes.objects):
        truth = scenes.captions[b, 1:].numpy()
        for t, w in enumerate(words[b]):
            if w != truth[t] or WORDS[w] not in shape_words:
                continue
            obj = objs[0] if t < 5 else objs[1]  # words 0-4: "a size colour shape" of the first object
            cells = object_cells(obj, grid)
            peak = int(np.argmax(alphas[b, t]))
            hits.append(cells[peak])
            chance.append(cells.mean())
            if len(objs) == 2:
                other = objs[1] if obj is objs[0] else objs[0]
                d_named = (cr - obj.row) ** 2 + (cc - obj.col) ** 2
                d_other = (cr - other.row) ** 2 + (cc - other.col) ** 2
                closer = d_named < d_other
                nearer.append(closer[peak])
                nearer_chance.append(closer.mean())
    return (
        float(np.mean(hits)),
        float(np.mean(chance)),
        len(hits),
        float(np.mean(nearer)),
        float(np.mean(nearer_chance)),
    )


# ----------------------------------------------------------------------------- the explorer's picture


def attention_figure(image, words, alphas, *, truth: str = "", max_words: int = MAX_LEN - 1):
    """The caption word by word: the scene, then for each word (up to <end>) the image with that step's attention
    map over it (the brighter, the more weight). ``image`` (3, S, S), ``words`` (T,) ids, ``alphas`` (T, L)."""
    import matplotlib.pyplot as plt

    image = np.asarray(image).transpose(1, 2, 0)
    words, alphas = np.asarray(words), np.asarray(alphas)
    n = next((i + 1 for i, w in enumerate(words[:max_words]) if w in (END_ID, PAD_ID)), min(len(words), max_words))
    grid = int(round(np.sqrt(alphas.shape[-1])))
    cols = 6
    rows = 1 + (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(1.7 * cols, 1.9 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    text = decode(words)
    axes[0, 0].imshow(image)
    axes[0, 0].set_title("the scene", fontsize=9)
    axes[0, 1].text(
        0, 0.5, f"model: {text}\ntruth:  {truth}" if truth else f"model: {text}", fontsize=9, va="center", ha="left"
    )
    size = image.shape[0]
    for k in range(n):
        ax = axes[1 + k // cols, k % cols]
        heat = np.kron(alphas[k].reshape(grid, grid), np.ones((size // grid, size // grid)))
        ax.imshow(image * 0.35)
        ax.imshow(heat, cmap="magma", alpha=0.65, vmin=0, vmax=max(heat.max(), 1e-9), extent=(0, size, size, 0))
        ax.set_title(f"{k + 1}: {WORDS[words[k]]}", fontsize=9)
    fig.suptitle("Caption word by word: where the decoder looked for each word")
    fig.alt_text = (
        f"A generated scene and, for each of the {n} words of the model's caption '{text}', the scene darkened with "
        "the attention weights of that step drawn over it as a heat map (bright where the weight is high)."
    )
    fig.subplots_adjust(top=0.85, hspace=0.45, wspace=0.1)
    return fig
