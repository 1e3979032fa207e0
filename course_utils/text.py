"""Character text for language models (notebook 06): vocabulary, training windows, scores, sampling.

* :class:`CharVocab` (characters <-> integer ids) and :func:`train_val_split`;
* :func:`random_windows`: random (B, T) windows for truncated back-propagation through time;
* :func:`char_nll`: a model's validation loss in nats per character, the state carried across chunks;
* :func:`bigram_baseline`: the add-alpha-smoothed bigram model to beat;
* sampling: :func:`temperature_probs`, :func:`sample_with_temperature`, :func:`next_char_logits`,
  :func:`generate`, and :func:`bigram_generate` from the baseline;
* what a sample got right: :func:`words_of`, :func:`known_word_share`.

The models themselves (:class:`course_utils.recurrent.CharModel`) are in :mod:`course_utils.recurrent`.
"""

from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from .layers import softmax


class CharVocab:
    """The characters of a text, each with an integer id (sorted, so ids are reproducible)."""

    def __init__(self, text: str):
        if not text:
            raise ValueError("cannot build a vocabulary from an empty text")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """(len(text),) int64 ids; ValueError names the first unknown character."""
        try:
            return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        """The text for a sequence of ids (list, NumPy array or 1-D tensor)."""
        ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
        if any(not 0 <= i < len(self.chars) for i in ids):
            raise ValueError(f"ids must lie in [0, {len(self.chars)})")
        return "".join(self.chars[i] for i in ids)


def train_val_split(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Split a long id sequence into a leading training part and a trailing validation part.

    A contiguous split (not random windows) keeps the validation text unseen.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    n_train = int(round(len(ids) * (1 - val_fraction)))
    if n_train < 2 or len(ids) - n_train < 2:
        raise ValueError(f"{len(ids)} ids are too few to split with val_fraction={val_fraction}")
    return ids[:n_train], ids[n_train:]


def random_windows(
    ids: torch.Tensor, batch_size: int, seq_len: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of random windows for truncated back-propagation through time.

    Args:
        ids: (N,) int64 tensor of character ids (on any device).
        batch_size: B windows.  seq_len: T characters each.

    Returns:
        x (B, T) and y (B, T) on ids' device, where y is x shifted by one
        character: y[b, t] is the character after x[b, t].
    """
    if batch_size < 1 or seq_len < 1:
        raise ValueError(f"batch_size and seq_len must be positive, got {batch_size}, {seq_len}")
    if len(ids) < seq_len + 1:
        raise ValueError(f"need at least seq_len + 1 = {seq_len + 1} ids, got {len(ids)}")
    starts = torch.randint(0, len(ids) - seq_len, (batch_size,), generator=generator)
    window = ids[(starts[:, None] + torch.arange(seq_len + 1)).to(ids.device)]
    return window[:, :-1], window[:, 1:]


@torch.no_grad()
def char_nll(model: nn.Module, ids: torch.Tensor, n_streams: int = 16, chunk: int = 256) -> float:
    """Mean negative log-likelihood (nats per character) of ``model`` on a text.

    The text is cut into ``n_streams`` consecutive streams read in parallel,
    ``chunk`` characters at a time, carrying the state from chunk to chunk so
    every prediction sees all the text before it in its stream. The first
    character of each stream is not predicted.

    Args:
        model: a :class:`course_utils.recurrent.CharModel` (or anything with the same ``forward``).
        ids: (N,) int64 tensor on the model's device.
    """
    if n_streams < 1 or chunk < 1 or len(ids) < 2 * n_streams:
        raise ValueError(
            f"need n_streams, chunk >= 1 and at least 2 ids per stream; got {n_streams}, {chunk}, {len(ids)} ids"
        )
    was_training = model.training
    model.eval()
    length = (len(ids) - 1) // n_streams
    x = ids[: n_streams * length].view(n_streams, length)
    y = ids[1 : n_streams * length + 1].view(n_streams, length)
    total, state = 0.0, None
    for start in range(0, length, chunk):
        logits, state = model(x[:, start : start + chunk], state)
        total += nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y[:, start : start + chunk].reshape(-1), reduction="sum"
        ).item()
    model.train(was_training)
    return total / (n_streams * length)


def bigram_baseline(
    train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int, alpha: float = 1.0
) -> tuple[float, np.ndarray]:
    """The bigram model P(next | current) from counts with add-alpha (Laplace) smoothing.

    P(b | a) = (count(a, b) + alpha) / (count(a) + alpha * V), counted on the
    training ids; scored on the validation ids.

    Returns:
        (validation NLL in nats per character, P as a (V, V) array whose rows sum to 1).
    """
    train_ids, val_ids = np.asarray(train_ids), np.asarray(val_ids)
    if alpha <= 0 or len(train_ids) < 2 or len(val_ids) < 2:
        raise ValueError("need alpha > 0 and at least two training and two validation ids")
    if min(train_ids.min(), val_ids.min()) < 0 or max(train_ids.max(), val_ids.max()) >= vocab_size:
        raise ValueError(f"ids must lie in [0, {vocab_size})")
    counts = np.full((vocab_size, vocab_size), float(alpha))
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(-np.log(probs[val_ids[:-1], val_ids[1:]]).mean()), probs


def temperature_probs(logits, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) in float64, computed stably.

    Low temperatures sharpen the distribution towards the arg-max (T -> 0 is
    greedy decoding); T = 1 is the model's own distribution; high temperatures
    flatten it towards uniform.

    Args:
        logits: (V,) or (..., V) scores (NumPy array, list or tensor).
        temperature: > 0.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if isinstance(logits, torch.Tensor):
        logits = logits.detach().cpu().numpy()
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def sample_with_temperature(logits, temperature: float, rng: np.random.Generator) -> int:
    """Draw one index from softmax(logits / temperature) for 1-D ``logits``."""
    p = temperature_probs(logits, temperature)
    if p.ndim != 1:
        raise ValueError(f"logits must be 1-D, got shape {p.shape}")
    return int(rng.choice(len(p), p=p))


@torch.no_grad()
def next_char_logits(model: nn.Module, vocab: CharVocab, prompt: str):
    """Logits (V,) NumPy for the character after ``prompt``, and the model state after reading it."""
    if not prompt:
        raise ValueError("the prompt must contain at least one character")
    dev = next(model.parameters()).device
    x = torch.as_tensor(vocab.encode(prompt), device=dev)[None]
    logits, state = model(x)
    return logits[0, -1].double().cpu().numpy(), state


@torch.no_grad()
def generate(
    model: nn.Module, vocab: CharVocab, prompt: str, n_chars: int, temperature: float = 1.0, seed: int = 0
) -> str:
    """Continue ``prompt`` by ``n_chars`` characters sampled at ``temperature`` (the prompt is not repeated).

    Each sampled character is fed back in as the next input; the same seed
    gives the same text.
    """
    if n_chars < 0:
        raise ValueError(f"n_chars must be >= 0, got {n_chars}")
    was_training = model.training
    model.eval()
    rng = np.random.default_rng(seed)
    dev = next(model.parameters()).device
    logits, state = next_char_logits(model, vocab, prompt)
    out = []
    for _ in range(n_chars):
        idx = sample_with_temperature(logits, temperature, rng)
        out.append(idx)
        step_logits, state = model(torch.tensor([[idx]], device=dev), state)
        logits = step_logits[0, -1].double().cpu().numpy()
    model.train(was_training)
    return vocab.decode(out)


def bigram_generate(
    probs: np.ndarray, vocab: CharVocab, prompt: str, n_chars: int, temperature: float = 1.0, seed: int = 0
) -> str:
    """Continue ``prompt`` by ``n_chars`` characters from the bigram model ``probs`` (V, V) of
    :func:`bigram_baseline`: each character is drawn from the row of the one before it, with log P as the logits
    of :func:`sample_with_temperature` (so the same temperature means the same reshaping as for a network)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape != (len(vocab), len(vocab)) or not prompt or n_chars < 0:
        raise ValueError(f"need P of shape ({len(vocab)}, {len(vocab)}), a prompt and n_chars >= 0")
    rng = np.random.default_rng(seed)
    logp, current, out = np.log(probs), vocab.index[prompt[-1]], []
    for _ in range(n_chars):
        current = sample_with_temperature(logp[current], temperature, rng)
        out.append(current)
    return vocab.decode(out)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def words_of(text: str, min_len: int = 1) -> list[str]:
    """The identifier-like words of ``text`` (a letter or _, then letters, digits, _), in order, of at
    least ``min_len`` characters."""
    return [w for w in _WORD.findall(text) if len(w) >= min_len]


def known_word_share(sample: str, known, min_len: int = 3) -> float:
    """The share of the words of ``sample`` (:func:`words_of`, at least ``min_len`` characters) that are in
    ``known`` (e.g. the set of the training text's words): how many words a generated text spells right.
    NaN when the sample has no such word."""
    words = words_of(sample, min_len)
    return float(np.mean([w in known for w in words])) if words else float("nan")
