"""11.4 ``greedy_decode``, 11.5 ``masked_loss``, 11.6 ``teacher_forced`` (the decoder assembled for training)."""

from __future__ import annotations

import numpy as np
import torch

from .. import Case, Exercise, Loss, Mistake, Typical, compare_scalar, parts
from .common import NOTEBOOK, B, L, Trained, V, small_decoder, tensor

T = 6  # caption length in the checks (with <start> and padding)

# ----------------------------------------------------------------------------- 11.4 greedy decoding


def _greedy_args(seed: int, max_len: int):
    rng = np.random.default_rng(seed)
    return small_decoder(seed), tensor(rng, B, L, 4, scale=1.5), 1, max_len


_FLOAT_WORDS = (
    "`words` holds floats ({dtype}): word ids are integers (int64), and the notebook looks each word up by its id. "
    "A table made with torch.zeros(B, max_len) is float: give it dtype=torch.long, or stack the arg-max ids."
)


class _Greedy(Case):
    """The decoded ``(words, alphas)``; words of a float dtype are a :class:`Mistake` (their values may be right)."""

    def call(self, fn):
        out = super().call(fn)
        words = out[0] if isinstance(out, (tuple, list)) and out else None
        dtype = getattr(words, "dtype", None)
        if dtype is not None and (torch.is_floating_point(words) if torch.is_tensor(words) else dtype.kind == "f"):
            raise Mistake(_FLOAT_WORDS.format(dtype=dtype))
        return out


def _greedy(
    init="h, c = dec.init_state(features)\n",
    step="logits, h, c, alpha = dec.step(word, h, c, features)",
    pick="word = logits.argmax(dim=1)\nwords.append(word)",
    stack="dim=1",
) -> str:
    return (
        f"{init}word = torch.full((features.shape[0],), start_id)\nwords, alphas = [], []\n"
        f"for _ in range(max_len):\n    {step}\n    " + pick.replace("\n", "\n    ") + "\n    alphas.append(alpha)\n"
        f"return torch.stack(words, {stack}), torch.stack(alphas, {stack})"
    )


check_greedy_decode = Exercise(
    "11.4",
    "def greedy_decode(dec, features, start_id, max_len):",
    todo="Write greedy_decode: start from dec.init_state(features) and the word start_id; max_len times, call "
    "dec.step, keep the most likely word and feed it back in; return (words (B, max_len), alphas (B, max_len, L)).",
    cases=lambda: [_Greedy("(4 steps)", _greedy_args(401, 4)), _Greedy("(7 steps)", _greedy_args(402, 7))],
    reference=_greedy(),
    typical=[
        Typical(
            _greedy(pick="words.append(logits.argmax(dim=1))"),
            "you never feed the chosen word back: every step gets start_id. Set word = the arg-max, so the "
            "next step continues the caption.",
        ),
        Typical(
            _greedy(step="logits, _, _, alpha = dec.step(word, h, c, features)"),
            "your state never moves: keep the h and c that dec.step returns for the next step.",
        ),
        Typical(
            _greedy(init="h = c = torch.zeros(features.shape[0], dec.lstm.hidden_size, dtype=features.dtype)\n"),
            "you started from a zero state: start from dec.init_state(features), the state the decoder was trained "
            "to start from (it already holds a summary of the image).",
        ),
        Typical(
            _greedy(pick="words.append(word)\nword = logits.argmax(dim=1)"),
            "you recorded the word fed in (starting with <start>), not the one the step chose: append the "
            "arg-max after computing it.",
        ),
        Typical(
            _greedy(stack="dim=0"),
            "you stacked along dim 0, giving (max_len, B): stack along dim 1, one row per image.",
        ),
        Typical(
            _greedy(pick="word = logits.argmax(dim=0)\nwords.append(word)"),
            "your arg-max runs over dim 0, the batch (one index per word of the vocabulary): the most likely word "
            "of each image is logits.argmax(dim=1), B ids.",
        ),
        Typical(
            _greedy(pick="word = logits.max(dim=1)[0]\nwords.append(word)"),
            "logits.max(dim=1) returns (values, indices): [0] is the best SCORE, a float, and the embedding needs "
            "the word's id. Feed back logits.max(dim=1).indices, or logits.argmax(dim=1).",
        ),
    ],
    confirmation="greedy decoding writes the most likely word at every step and feeds it back. It commits to each "
    "word for good; beam search (below) keeps several candidates instead.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("words", "alphas"),
)

# ----------------------------------------------------------------------------- 11.5 the masked loss


def _loss_args(seed: int, pad_id: int):
    rng = np.random.default_rng(seed)
    real = [T, 4, 2]  # real tokens per caption: the rest is padding
    targets = torch.as_tensor(rng.integers(0, V, (B, T)))
    targets[targets == pad_id] = (pad_id + 1) % V
    for b, n in enumerate(real):
        targets[b, n:] = pad_id
    targets[0, 0] = 0 if pad_id else 1  # a real word with id 0 when the padding is another id
    return tensor(rng, B, T, V, scale=2.0).requires_grad_(), targets, pad_id  # the logits, attached as in training


def _explain_loss(where, got, expected, shape_hints, exercise) -> None:
    """A loss that matches no mistake: its value against the reference's, as numbers (both are 0-d and attached)."""
    compare_scalar(where, float(got.detach()), float(expected.detach()), rtol=exercise.rtol, atol=exercise.atol)


_NLL = "nll = -torch.log_softmax(logits, dim=-1).gather(2, targets[:, :, None])[:, :, 0]\n"
_MASK = "mask = (targets != pad_id).to(logits.dtype)\n"

check_masked_loss = Loss(
    "11.5",
    "def masked_loss(logits, targets, pad_id):",
    todo="Write masked_loss: the cross-entropy of every position, then the mean over the positions whose target "
    "is not pad_id.",
    cases=lambda: [Case("(pad_id 0)", _loss_args(501, 0)), Case("(pad_id 3)", _loss_args(502, 3))],
    reference=_NLL + _MASK + "return (nll * mask).sum() / mask.sum()",
    typical=[
        Typical(
            "return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))",
            "you averaged over every position, padding included: the model is then trained to predict <pad> "
            "after <end>, and those easy targets dilute the mean. Leave out the positions where targets == pad_id.",
        ),
        Typical(
            _NLL + _MASK + "return (nll * mask).sum() / mask.numel()",
            "you masked the padding but divided by all B * T positions: divide by the number of real words, "
            "mask.sum().",
        ),
        Typical(_NLL + _MASK + "return (nll * mask).sum()", "you returned the sum: take the mean over the real words."),
        Typical(
            _NLL + "mask = (targets != 0).to(logits.dtype)\nreturn (nll * mask).sum() / mask.sum()",
            "you took the padding id to be 0: use the argument pad_id (the check tries pad_id = 3).",
        ),
        Typical(
            "nll = -torch.softmax(logits, dim=-1).gather(2, targets[:, :, None])[:, :, 0]\n"
            + _MASK
            + "return (nll * mask).sum() / mask.sum()",
            "the cross-entropy is -log p of the right word: you used -p (softmax without the log).",
        ),
        Typical(
            _NLL + "mask = (targets == pad_id).to(logits.dtype)\nreturn (nll * mask).sum() / mask.sum()",
            "your mask is the wrong way round: it keeps only the padding. Keep the positions where targets != pad_id.",
        ),
        Typical(
            _NLL.replace("dim=-1", "dim=1") + _MASK + "return (nll * mask).sum() / mask.sum()",
            "your log_softmax runs over dim 1, the positions of the caption: each position's scores are a "
            "distribution over the vocabulary, the last dim (dim=-1).",
        ),
        Typical(
            _NLL + _MASK + "return ((nll * mask).sum(dim=1) / mask.sum(dim=1)).mean()",
            "you averaged each caption's words, then the captions: the words of a short caption then weigh more "
            "than those of a long one. Divide the sum over all real words by their number, mask.sum().",
        ),
        Typical(
            "return F.cross_entropy(logits, targets, ignore_index=pad_id)",
            "F.cross_entropy wants the scores of the classes on dim 1, (B, V, T): logits are (B, T, V), so pass "
            "logits.transpose(1, 2), or flatten both to (B * T, V) and (B * T,).",
        ),
    ],
    confirmation="padding positions do not count: every real word of every caption weighs the same, whatever "
    "the caption's length.",
    namespace=NOTEBOOK,
    result="the loss",
    explain=_explain_loss,
)

# ----------------------------------------------------------------------------- 11.6 teacher forcing


def _forced_args(seed: int):
    """A decoder (its parameters attached to autograd), features attached as the encoder's are, captions."""
    rng = np.random.default_rng(seed)
    features = tensor(rng, B, L, 4, scale=1.5).requires_grad_()
    return small_decoder(seed), features, torch.as_tensor(rng.integers(0, V, (B, T)))


class _Forced(Trained):
    names = ("logits", "")  # the training's loss reads the logits; alphas are only plotted


def _forced(
    init="h, c = dec.init_state(features)\n",
    steps="captions.shape[1] - 1",
    word="captions[:, t]",
    step="out, h, c, alpha = dec.step(word, h, c, features)",
    stack="dim=1",
) -> str:
    return (
        f"{init}logits, alphas = [], []\nfor t in range({steps}):\n    word = {word}\n    {step}\n"
        f"    logits.append(out)\n    alphas.append(alpha)\n"
        f"return torch.stack(logits, {stack}), torch.stack(alphas, {stack})"
    )


check_teacher_forced = Exercise(
    "11.6",
    "def teacher_forced(dec, features, captions):",
    todo="Write teacher_forced: from dec.init_state(features), for t = 0..T-2 call dec.step with the TRUE word "
    "captions[:, t]; return (logits (B, T-1, V), alphas (B, T-1, L)).",
    cases=lambda: [_Forced("(case 1)", _forced_args(601)), _Forced("(case 2)", _forced_args(602))],
    reference=_forced(),
    typical=[
        Typical(
            _forced(steps="captions.shape[1]"),
            "you ran T steps: the last token is only ever a target (nothing comes after it), so run T - 1 steps "
            "and predict captions[:, 1:].",
        ),
        Typical(
            _forced(word="captions[:, t] if t == 0 else out.argmax(dim=1)"),
            "you fed back the model's own predictions: teacher forcing feeds the true previous word captions[:, t] "
            "at every step (what greedy decoding does is for test time).",
        ),
        Typical(
            _forced(word="captions[:, t + 1]"),
            "you fed in captions[:, t + 1], the very word step t must predict: the input is captions[:, t], "
            "the target captions[:, t + 1].",
        ),
        Typical(
            _forced(step="out, _, _, alpha = dec.step(word, h, c, features)"),
            "your state is not carried from one step to the next: keep the h and c that dec.step returns.",
        ),
        Typical(
            _forced(init="h = c = torch.zeros(features.shape[0], dec.lstm.hidden_size, dtype=features.dtype)\n"),
            "you started from a zero state: start from dec.init_state(features), a summary of the image.",
        ),
        Typical(
            _forced(stack="dim=0"),
            "you stacked along dim 0, time first, giving (T-1, B, V): stack along dim 1 so that logits[b, t] is "
            "image b's step t, as masked_loss expects.",
        ),
    ],
    confirmation="the decoder is assembled: your attention, context and step, looped with teacher forcing. The "
    "notebook trains the captioner with it from here on.",
    namespace=NOTEBOOK,
    result="",
    explain=parts("logits", "alphas"),
    quiet=True,
)
