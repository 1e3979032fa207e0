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
        "import numpy as np\nf, hh, Wf, Wh, vv = (t.numpy() for t in (features, h, W_f, W_h, v))\n"
        "e = np.tanh(f @ Wf.T + (hh @ Wh.T)[:, None, :]) @ vv\np = np.exp(e)\nreturn p / p.sum(axis=1, keepdims=True)",
    ],
    "11.2": [
        "return torch.einsum('bl,bld->bd', alpha, features)",
        "return torch.bmm(alpha[:, None, :], features)[:, 0]",
        "return (alpha.unsqueeze(-1) * features).sum(1)",
    ],
    "11.3": [
        "alpha, context = dec.attend(features, h)\nx = torch.cat((dec.embed(word), context), -1)\n"
        "h, c = dec.lstm(x, (h, c))\nreturn dec.out(torch.cat((h, context), -1)), h, c, alpha",
    ],
    "11.4": [
        "h, c = dec.init_state(features)\nword = torch.full((len(features),), start_id, dtype=torch.long)\n"
        "words = torch.zeros(len(features), max_len, dtype=torch.long)\nalphas = []\n"
        "for t in range(max_len):\n    logits, h, c, a = dec.step(word, h, c, features)\n"
        "    word = torch.argmax(logits, -1)\n    words[:, t] = word\n    alphas.append(a)\n"
        "return words, torch.stack(alphas, 1)",
    ],
    "11.5": [
        "return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad_id)",
        "return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad_id)",
        "mask = targets != pad_id\nreturn F.cross_entropy(logits[mask], targets[mask])",
    ],
    "11.6": [
        "h, c = dec.init_state(features)\nlogits, alphas = [], []\nfor t in range(captions.size(1) - 1):\n"
        "    o, h, c, a = dec.step(captions[:, t], h, c, features)\n"
        "    logits.append(o[:, None])\n    alphas.append(a[:, None])\n"
        "return torch.cat(logits, 1), torch.cat(alphas, 1)",
    ],
}


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
