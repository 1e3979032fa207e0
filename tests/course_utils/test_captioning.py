"""course_utils.captioning: scenes and their grammar, held-out pairs, the model's shapes, decoding, the metrics."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_utils import captioning as cap
from course_utils.diagrams import captioning as dcap


def test_captions_follow_the_grammar_and_held_out_pairs_never_reach_training():
    held = cap.held_out_pairs(12, seed=0)
    assert len(held) == 12
    train = cap.make_scenes(400, seed=1, held_out=held)
    test = cap.make_scenes(50, seed=2, held_out=held, split="held_out")
    for objs, text in zip(train.objects, train.texts):
        assert len(objs) == 1 or (objs[0].kind, objs[1].kind) not in held
        first = objs[0]
        assert text.startswith(f"a {first.size} {first.colour} {first.shape}")
        if len(objs) == 2:
            rel = "above" if "above" in text else "left of"
            a, b = objs
            assert (a.row < b.row) if rel == "above" else (a.col < b.col)
    assert all((o[0].kind, o[1].kind) in held for o in test.objects)
    kinds_first = {o[0].kind for o in train.objects if len(o) == 2}
    assert kinds_first == set(cap.KINDS), "every kind still appears in training"
    assert [cap.decode(c) for c in train.captions] == train.texts
    with pytest.raises(ValueError):
        cap.make_scenes(1, seed=0, split="test")


def test_objects_do_not_overlap_and_stay_on_the_canvas():
    scenes = cap.make_scenes(200, seed=3)
    for objs in scenes.objects:
        masks = [cap._mask(o) for o in objs]
        assert all(m.sum() > 8 for m in masks)
        if len(masks) == 2:
            assert not (masks[0] & masks[1]).any()
    assert scenes.images.shape == (200, 3, cap.SIZE, cap.SIZE) and scenes.images.min() >= 0


def test_model_shapes_teacher_forcing_and_masked_loss():
    scenes = cap.make_scenes(8, seed=4)
    model = cap.build(seed=0)
    logits, alphas = model(scenes.images, scenes.captions)
    grid = (cap.SIZE // 4) ** 2
    assert logits.shape == (8, cap.MAX_LEN - 1, len(cap.WORDS)) and alphas.shape == (8, cap.MAX_LEN - 1, grid)
    assert torch.allclose(alphas.sum(-1), torch.ones(8, cap.MAX_LEN - 1))
    targets = scenes.captions[:, 1:]
    ours = cap.masked_loss(logits, targets, cap.PAD_ID)
    torch_loss = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=cap.PAD_ID)
    assert torch.allclose(ours, torch_loss, atol=1e-6)
    plain = cap.build(attention=False, seed=0)
    _, uniform = plain(scenes.images, scenes.captions)
    assert torch.allclose(uniform, torch.full_like(uniform, 1 / grid))


def test_greedy_and_beam_of_one_agree_and_metrics_are_exact_on_the_truth():
    scenes = cap.make_scenes(6, seed=5)
    model = cap.build(seed=1).eval()
    words, alphas = model.caption(scenes.images)
    feats = model.encoder(scenes.images)
    one = cap.beam_search(model.decoder, feats, cap.START_ID, cap.END_ID, cap.MAX_LEN - 1, beam=1)
    assert [cap.decode(i) for i in one] == [cap.decode(w) for w in words]
    exact, per_word = cap.caption_accuracy(scenes.captions[:, 1:], scenes)
    assert exact == 1.0 and per_word == 1.0
    hits, chance, n, nearer, nearer_chance = cap.attention_hits(scenes.captions[:, 1:], alphas, scenes)
    assert n == len(scenes) + int((scenes.n_objects == 2).sum()) and 0 < chance < 1 and 0.3 < nearer_chance < 0.7


def test_attention_hits_counts_a_peak_on_the_object():
    scenes = cap.make_scenes(20, seed=6, split="held_out")
    grid = cap.SIZE // 4
    words = scenes.captions[:, 1:]
    alphas = np.zeros((20, words.shape[1], grid * grid))
    for b, objs in enumerate(scenes.objects):
        for t in range(words.shape[1]):
            obj = objs[0] if t < 5 else objs[1]
            alphas[b, t, int(np.argmax(cap.object_cells(obj, grid)))] = 1.0
    hits, _, _, nearer, _ = cap.attention_hits(words, torch.as_tensor(alphas), scenes)
    assert hits == 1.0 and nearer > 0.9


def test_the_explorer_figure_and_the_diagram_have_titles_and_alt_text():
    scenes = cap.make_scenes(2, seed=7)
    model = cap.build(seed=0)
    words, alphas = model.caption(scenes.images)
    fig = cap.attention_figure(scenes.images[0], words[0], alphas[0], truth=scenes.texts[0])
    assert fig._suptitle.get_text() and "attention" in fig.alt_text
    diagram = dcap.attention_bridge()
    assert "translation" in diagram.alt_text and diagram.axes[0].get_title()
