"""Notebook 11's exercises: what is particular (correct alternatives accepted); the generic checks of every
declared exercise are in test_exercises_declared.py."""

from __future__ import annotations

import pytest

from course_utils.exercises import CORRECT, HINT, source
from course_utils.exercises import nb11 as ex

ALTERNATIVES = {
    "11.1": [
        "scores = torch.tanh(torch.einsum('bld,ad->bla', features, W_f) + (h @ W_h.T).unsqueeze(1)) @ v\n"
        "return F.softmax(scores, dim=-1)",
        "e = torch.tanh(features @ W_f.T + (h @ W_h.T)[:, None, :]) @ v\n"
        "e = torch.exp(e - e.max(dim=1, keepdim=True).values)\n"
        "return e / e.sum(dim=1, keepdim=True)",
        "B, L, _ = features.shape\n"  # a loop over the locations
        "e = torch.stack([torch.tanh(features[:, l] @ W_f.T + h @ W_h.T) @ v for l in range(L)], dim=1)\n"
        "return torch.exp(e) / torch.exp(e).sum(1, keepdim=True)",
    ],
    "11.2": [
        "return torch.einsum('bl,bld->bd', alpha, features)",
        "return torch.bmm(alpha[:, None, :], features)[:, 0]",
        "return (alpha.unsqueeze(-1) * features).sum(1)",
    ],
    "11.3": [
        "alpha, context = dec.attend(features, h)\nx = torch.cat((dec.embed(word), context), -1)\n"
        "h, c = dec.lstm(x, (h, c))\nreturn dec.out(torch.cat((h, context), -1)), h, c, alpha",
        "alpha, context = dec.attend(features, h)\nh, c = dec.lstm(torch.cat([dec.embed(word), context], 1), (h, c))\n"
        "return dec.out(torch.cat([h, context], 1)), h, c, alpha.detach()",  # alpha is only plotted: detached is fine
    ],
    "11.4": [
        "h, c = dec.init_state(features)\nword = torch.full((len(features),), start_id, dtype=torch.long)\n"
        "words = torch.zeros(len(features), max_len, dtype=torch.long)\nalphas = []\n"
        "for t in range(max_len):\n    logits, h, c, a = dec.step(word, h, c, features)\n"
        "    word = torch.argmax(logits, -1)\n    words[:, t] = word\n    alphas.append(a)\n"
        "return words, torch.stack(alphas, 1)",
        "with torch.no_grad():\n"  # decoding needs no graph
        "    h, c = dec.init_state(features)\n    B = features.shape[0]\n"
        "    words = torch.empty(B, max_len, dtype=torch.long)\n"
        "    alphas = torch.empty(B, max_len, features.shape[1], dtype=features.dtype)\n"
        "    w = torch.full((B,), start_id, dtype=torch.long)\n    for t in range(max_len):\n"
        "        lo, h, c, a = dec.step(w, h, c, features)\n        w = lo.argmax(-1)\n"
        "        words[:, t], alphas[:, t] = w, a\nreturn words, alphas",
    ],
    "11.5": [
        "return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad_id)",
        "return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad_id)",
        "mask = targets != pad_id\nreturn F.cross_entropy(logits[mask], targets[mask])",
        "lse = torch.logsumexp(logits, -1)\npicked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)\n"
        "m = targets != pad_id\nreturn (lse - picked)[m].sum() / m.sum()",
    ],
    "11.6": [
        "h, c = dec.init_state(features)\nlogits, alphas = [], []\nfor t in range(captions.size(1) - 1):\n"
        "    o, h, c, a = dec.step(captions[:, t], h, c, features)\n"
        "    logits.append(o[:, None])\n    alphas.append(a[:, None])\n"
        "return torch.cat(logits, 1), torch.cat(alphas, 1)",
        "h, c = dec.init_state(features)\nlogits, alphas = [], []\nfor word in captions[:, :-1].T:\n"
        "    out, h, c, alpha = dec.step(word, h, c, features)\n    logits.append(out)\n"
        "    alphas.append(alpha.detach())\n"  # the loss reads only the logits: detached alphas are fine
        "return torch.stack(logits, 1), torch.stack(alphas, 1)",
    ],
}

_CUT = "is cut off from autograd"
_STEP = (
    "alpha, context = dec.attend(features, h)\n"
    "h_new, c_new = dec.lstm(torch.cat([dec.embed(word), context], 1), (h, c))\n"
    "return dec.out(torch.cat([h_new, context], 1)), h_new, c_new, alpha"
)
_NLL = "nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction='none')\nmask = targets != pad_id\n"
WRONG = [  # (eid, body, what the hint must say): answers whose values may be right but that the notebook cannot use
    (
        "11.1",
        "f, hh, Wf, Wh, vv = (t.detach().numpy() for t in (features, h, W_f, W_h, v))\n"
        "e = np.tanh(f @ Wf.T + (hh @ Wh.T)[:, None, :]) @ vv\np = np.exp(e)\nreturn p / p.sum(axis=1, keepdims=True)",
        "`alpha` is cut off from autograd (a numpy array)",
    ),
    (
        "11.1",
        "f, hh, Wf, Wh, vv = (t.numpy() for t in (features, h, W_f, W_h, v))\n"
        "e = np.tanh(f @ Wf.T + (hh @ Wh.T)[:, None, :]) @ vv\nreturn np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)",
        "stay in torch (torch.tanh, torch.softmax, a weighted sum)",
    ),
    (
        "11.1",
        "e = torch.tanh(features @ W_f.T + (h @ W_h.T)[:, None, :]) @ v\nreturn torch.softmax(e, 1).detach()",
        f"`alpha` {_CUT} (requires_grad is False)",
    ),
    ("11.2", "return (alpha[:, :, None] * features).sum(1).detach()", f"`context` {_CUT}"),
    ("11.2", "return torch.bmm(alpha[:, None, :], features)", "drop the axis of size 1 that the batched product"),
    ("11.3", "with torch.no_grad():\n" + "\n".join("    " + x for x in _STEP.splitlines()), f"`logits` {_CUT}"),
    ("11.3", _STEP.replace("h_new, c_new, alpha", "h_new.detach(), c_new.detach(), alpha"), f"`h` {_CUT}"),
    (
        "11.4",
        "h, c = dec.init_state(features)\nword = torch.full((len(features),), start_id)\n"
        "words, alphas = torch.zeros(len(features), max_len), []\nfor t in range(max_len):\n"
        "    logits, h, c, a = dec.step(word, h, c, features)\n    word = logits.argmax(1)\n"
        "    words[:, t] = word\n    alphas.append(a)\nreturn words, torch.stack(alphas, 1)",
        "`words` holds floats (torch.float32)",
    ),
    ("11.5", _NLL + "return (nll[mask].sum() / mask.sum()).item()", "should be a 0-d torch tensor"),
    ("11.5", _NLL + "return torch.tensor(nll[mask].mean().item())", "does not depend on its inputs through autograd"),
    ("11.5", _NLL + "return 2 * nll[mask].mean()", "That is 2 times the expected value"),
    (
        "11.6",
        "h, c = dec.init_state(features)\nlogits, alphas = [], []\nwith torch.no_grad():\n"
        "    for t in range(captions.shape[1] - 1):\n"
        "        out, h, c, alpha = dec.step(captions[:, t], h, c, features)\n"
        "        logits.append(out)\n        alphas.append(alpha)\n"
        "return torch.stack(logits, 1), torch.stack(alphas, 1)",
        f"`logits` {_CUT}",
    ),
]


@pytest.mark.parametrize("eid, body, said", WRONG, ids=[f"{e}-{k}" for k, (e, _, _) in enumerate(WRONG)])
def test_answers_the_notebook_cannot_train_with_are_refused(eid, body, said, capsys):
    (exercise,) = [e for e in ex.EXERCISES if e.eid == eid]
    namespace = dict(ex.NOTEBOOK)
    exec(source(exercise.signature, body), namespace)  # noqa: S102
    exercise.check(namespace[exercise.name])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {HINT}") and said in out, out
    assert not ex.accepted(exercise, namespace[exercise.name])


@pytest.mark.parametrize("eid, k", [(e, k) for e, bodies in ALTERNATIVES.items() for k in range(len(bodies))])
def test_correct_alternatives_are_accepted(eid, k, capsys):
    (exercise,) = [e for e in ex.EXERCISES if e.eid == eid]
    namespace = dict(ex.NOTEBOOK)
    exec(source(exercise.signature, ALTERNATIVES[eid][k]), namespace)  # noqa: S102
    exercise.check(namespace[exercise.name])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {CORRECT}"), out
    assert ex.accepted(exercise, namespace[exercise.name])


def test_a_wrong_answer_outside_the_typical_mistakes_says_where():
    namespace = dict(ex.NOTEBOOK)
    exec("def context_vector(features, alpha):\n    return 2 * (alpha[:, :, None] * features).sum(1)\n", namespace)  # noqa: S102
    assert not ex.accepted(ex.check_context_vector, namespace["context_vector"])
    ex.check_context_vector(namespace["context_vector"])


def test_the_notebook_builds_the_model_from_the_pieces(capsys):
    from course_utils import captioning as cap

    calls = []

    def weights(*args):
        calls.append("w")
        return cap.attention_weights(*args)

    model = cap.build(seed=0, pieces=dict(weights_fn=weights))
    scenes = cap.make_scenes(2, seed=0)
    model(scenes.images, scenes.captions)
    assert calls, "the decoder must call the attention function it was built with"
    ex.check_masked_loss(lambda *a: 1 / 0)
    assert capsys.readouterr().out.startswith(f"[11.5] {HINT}")
