"""What notebook 11's cells have (``NOTEBOOK``) and the small inputs the checks build."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ... import captioning as cap

NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "F": F, "cap": cap}  # the notebook's names

# the checks' shapes: all different, so that a wrong axis or a transpose shows
B, L, D, H, A, E, V = 3, 5, 4, 6, 7, 2, 9


def tensor(rng: np.random.Generator, *shape, scale: float = 1.0) -> torch.Tensor:
    return torch.as_tensor(rng.normal(0, scale, shape))


def small_decoder(seed: int) -> cap.AttentionDecoder:
    """A random float64 decoder with the check's shapes (feature size D, vocabulary V, state H, embedding E,
    attention A) and the reference pieces; big embeddings, so that the word fed in matters."""
    torch.manual_seed(seed)
    dec = cap.AttentionDecoder(D, vocab_size=V, hidden=H, embed=E, attn=A).double()
    with torch.no_grad():
        dec.embed.weight.mul_(3.0)
        dec.out.weight.mul_(3.0)
        dec.W_f.weight.mul_(2.0)
    return dec.eval()
