"""11.1 ``attention_weights``, 11.2 ``context_vector``, 11.3 ``decoder_step``: soft attention and one step."""

from __future__ import annotations

import numpy as np
import torch

from .. import Exercise, Typical, edited, parts
from .common import NOTEBOOK, ON_NUMPY, A, B, D, H, L, Trained, V, small_decoder, tensor

# ----------------------------------------------------------------------------- 11.1 the attention weights


def _weights_args(seed: int):
    """features, h and the attention's parameters, attached to autograd as in training."""
    rng = np.random.default_rng(seed)
    args = tensor(rng, B, L, D), tensor(rng, B, H), tensor(rng, A, D), tensor(rng, A, H), tensor(rng, A, scale=1.5)
    return tuple(a.requires_grad_() for a in args)


class _Alpha(Trained):
    names = "alpha"


_SCORES = "scores = torch.tanh(features @ W_f.T + (h @ W_h.T)[:, None, :]) @ v\n"

check_attention_weights = Exercise(
    "11.1",
    "def attention_weights(features, h, W_f, W_h, v):",
    todo="Write attention_weights: e[b, l] = v . tanh(W_f f[b, l] + W_h h[b]), then a softmax over the "
    "locations l; return alpha, shape (B, L).",
    cases=lambda: [_Alpha("(case 1)", _weights_args(101)), _Alpha("(case 2)", _weights_args(102))],
    reference=_SCORES + "return torch.softmax(scores, dim=1)",
    typical=[
        Typical(
            _SCORES + "return torch.softmax(scores, dim=0)",
            "your softmax runs over dim 0, the batch: each image's weights must sum to 1 over its L locations "
            "(dim=1), not each location's over the images.",
        ),
        Typical(
            _SCORES + "return scores",
            "you returned the raw scores e: turn them into weights with a softmax over the locations "
            "(positive, summing to 1 per image).",
        ),
        Typical(
            "scores = (features @ W_f.T + (h @ W_h.T)[:, None, :]) @ v\nreturn torch.softmax(scores, dim=1)",
            "the tanh is missing: the score is v . tanh(W_f f + W_h h), a small network of one hidden layer.",
        ),
        Typical(
            "scores = torch.tanh(features @ W_f.T) @ v\nreturn torch.softmax(scores, dim=1)",
            "your weights ignore the decoder's state h: add W_h h inside the tanh, so that where the decoder looks "
            "depends on what it has written so far.",
        ),
        Typical(
            _SCORES + "return torch.sigmoid(scores)",
            "a sigmoid squashes each score on its own: the weights must compete, a softmax over the locations.",
        ),
        Typical(
            "scores = torch.tanh(features @ W_f.T + h @ W_h.T) @ v\nreturn torch.softmax(scores, dim=1)",
            "h @ W_h.T has shape (B, A) and features @ W_f.T (B, L, A): give the first a location axis, "
            "(h @ W_h.T)[:, None, :], so that it is added at every location.",
        ),
        Typical(
            "scores = torch.tanh((features @ W_f.T + (h @ W_h.T)[:, None, :]) @ v)\n"
            "return torch.softmax(scores, dim=1)",
            "your tanh is applied after the product with v: it goes inside, e = v . tanh(W_f f + W_h h), the hidden "
            "layer's activation before v reads it out.",
        ),
    ],
    confirmation="one weight per location, positive and summing to 1 for each image, and they depend on the "
    "decoder's state: where the decoder looks can change from word to word.",
    namespace=NOTEBOOK,
    result="alpha",
    shape_hints={(B, L, 1): "squeeze the last axis: alpha is (B, L).", (B, L, A): "multiply by v to get one score."},
    on_error=ON_NUMPY,
)

# ----------------------------------------------------------------------------- 11.2 the context vector


def _context_args(seed: int):
    """features and alpha, attached to autograd as in training."""
    rng = np.random.default_rng(seed)
    return tensor(rng, B, L, D).requires_grad_(), torch.softmax(tensor(rng, B, L, scale=2.0), dim=1).requires_grad_()


class _Context(Trained):
    names = "context"


check_context_vector = Exercise(
    "11.2",
    "def context_vector(features, alpha):",
    todo="Write context_vector: for each image, the sum over the locations of alpha[b, l] * features[b, l]; "
    "shape (B, D).",
    cases=lambda: [_Context("(case 1)", _context_args(201)), _Context("(case 2)", _context_args(202))],
    reference="return (alpha[:, :, None] * features).sum(dim=1)",
    typical=[
        Typical(
            "return features.mean(dim=1)",
            "you averaged the locations with equal weights: weight location l by alpha[b, l] (that mean is what "
            "the decoder without attention reads).",
        ),
        Typical(
            "return (alpha[:, :, None] * features).mean(dim=1)",
            "you took the mean of the weighted features: the weights already sum to 1, so add them up "
            "(your context is L times too small).",
        ),
        Typical(
            "return (alpha[:, :, None] * features).sum(dim=2)",
            "you summed over the feature axis (dim 2): sum over the locations, dim 1, to keep D numbers per image.",
        ),
        Typical(
            "return (alpha[:, None, :] * features).sum(dim=1)",
            "alpha is (B, L) and lines up with the locations axis of features (B, L, D): alpha[:, :, None], "
            "not alpha[:, None, :].",
        ),
        Typical(
            "return alpha @ features",
            "alpha @ features multiplies every image's weights with every image's features, shape (B, B, D): "
            "use a batched product, torch.bmm(alpha[:, None, :], features)[:, 0], or the weighted sum.",
        ),
    ],
    confirmation="the context is a weighted mean of the grid's feature vectors: with a weight near 1 on one "
    "location it is that location's features, with equal weights it is the plain mean.",
    namespace=NOTEBOOK,
    result="context",
    shape_hints={
        (B, L): "you summed over the wrong axis: sum over the locations (dim 1).",
        (B, 1, D): "drop the axis of size 1 that the batched product leaves: torch.bmm(...)[:, 0] or .squeeze(1).",
        (B, D, 1): "drop the last axis of size 1 that the product leaves (.squeeze(-1)); context is (B, D).",
    },
    on_error=ON_NUMPY,
)

# ----------------------------------------------------------------------------- 11.3 one decoder step


def _step_args(seed: int):
    """A decoder (its parameters attached to autograd), words, a state and features attached as in training."""
    rng = np.random.default_rng(seed)
    word = torch.as_tensor(rng.integers(0, V, B))
    h, c, features = tensor(rng, B, H, scale=0.5), tensor(rng, B, H, scale=0.5), tensor(rng, B, L, D)
    return small_decoder(seed), word, h.requires_grad_(), c.requires_grad_(), features.requires_grad_()


class _Step(Trained):
    names = ("logits", "h", "c", "")  # alpha is only plotted


def _step(
    attend="alpha, context = dec.attend(features, h)\n",
    x="torch.cat([dec.embed(word), context], dim=1)",
    state="(h, c)",
    read="torch.cat([h_new, context], dim=1)",
    ret="logits, h_new, c_new, alpha",
) -> str:
    return f"{attend}h_new, c_new = dec.lstm({x}, {state})\nlogits = dec.out({read})\nreturn {ret}"


check_decoder_step = Exercise(
    "11.3",
    "def decoder_step(dec, word, h, c, features):",
    todo="Write decoder_step: attend with the previous state h, feed [embedding of word; context] to "
    "dec.lstm, read the logits from [new h; context] with dec.out; return (logits, h, c, alpha).",
    cases=lambda: [_Step("(case 1)", _step_args(301)), _Step("(case 2)", _step_args(302))],
    reference=_step(),
    typical=[
        Typical(
            _step(ret="logits, h, c, alpha"),
            "you returned the state you were given: return the new (h, c) that dec.lstm computed, or the next "
            "step starts from the same state again.",
        ),
        Typical(
            _step(read="torch.cat([h, context], dim=1)"),
            "the logits are read from the previous state h: read them from the new state the LSTM cell just "
            "computed (and the context).",
        ),
        Typical(
            _step(x="torch.cat([context, dec.embed(word)], dim=1)"),
            "the LSTM's input is [embedding; context] in that order: you put the context first, so each weight "
            "meets the wrong input.",
        ),
        Typical(
            _step(state="(c, h)"),
            "dec.lstm takes its state as (h, c): you passed (c, h).",
        ),
        Typical(
            _step(x="dec.embed(word)"),
            "the LSTM cell's input is the word's embedding AND the context: torch.cat([dec.embed(word), context], "
            "dim=1). Without the context the decoder never sees the image after the first step.",
        ),
        Typical(
            _step(read="h_new"),
            "dec.out reads the new state and the context together: dec.out(torch.cat([h_new, context], dim=1)).",
        ),
        Typical(
            _step(x="torch.cat([dec.embed(word), context])"),
            "torch.cat without dim stacks along dim 0, the batch: join the embedding and the context along dim=1.",
        ),
        Typical(
            _step(attend="context, alpha = dec.attend(features, h)\n"),
            "dec.attend returns (alpha, context) in that order: you unpacked them the other way round, so the LSTM "
            "got the weights (B, L) where the context (B, D) belongs. Write alpha, context = dec.attend(features, h).",
        ),
        Typical(
            edited(_step(), ("logits = dec.out(", "logits = torch.softmax(dec.out("), ("\nreturn", ", dim=1)\nreturn")),
            "you returned probabilities (a softmax): decoder_step returns the raw scores dec.out(...), the logits; "
            "the loss and the arg-max work on them.",
        ),
    ],
    confirmation="one step reads the image through the attention, updates the LSTM's memory and scores every "
    "word of the vocabulary. Decoding is this step in a loop.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("logits", "h", "c", "alpha"),
    quiet=True,
)
