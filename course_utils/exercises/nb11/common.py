"""What notebook 11's cells have (``NOTEBOOK``) and the small inputs the checks build."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ... import captioning as cap
from .. import Case, Mistake

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


_CUT = (
    "the notebook trains the captioner through your function, so compute it with torch operations on the tensors "
    "passed in, without .detach(), .numpy(), .item() or torch.no_grad()."
)
NUMPY = (
    "the notebook trains through this function, so stay in torch (torch.tanh, torch.softmax, a weighted sum): "
    "numpy has no gradients, and .detach().numpy() would cut the graph the training needs."
)
ON_NUMPY = {lambda e: isinstance(e, RuntimeError) and "numpy()" in str(e): NUMPY}  # .numpy() on a tensor with a graph


class Trained(Case):
    """Inputs attached to autograd, as in the notebook's training, and a result that must stay attached: ``names``
    names the result (a string) or, for a tuple, each part ("" for a part that need not be attached, such as the
    attention weights that are only plotted). A part cut off from autograd is a :class:`Mistake`: the notebook would
    train nothing through it, or fail at ``loss.backward()``."""

    names: str | tuple[str, ...] = "the result"

    def call(self, fn):
        out = super().call(fn)
        named = [(self.names, out)] if isinstance(self.names, str) else []
        if isinstance(self.names, tuple) and isinstance(out, (tuple, list)) and len(out) == len(self.names):
            named = [(name, part) for name, part in zip(self.names, out) if name]
        for name, part in named:
            if isinstance(part, np.ndarray) or (isinstance(part, torch.Tensor) and not part.requires_grad):
                kind = "a numpy array" if isinstance(part, np.ndarray) else "requires_grad is False"
                raise Mistake(f"`{name}` is cut off from autograd ({kind}): {_CUT}")
        return out
