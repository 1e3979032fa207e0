"""Notebook 06's exercises beyond their declarations (test_exercises_declared.py): structural hints, answers
that must be accepted, 06.3's reference (autograd) against the loop of its solution, 06.6's check (code) beyond
its STEPWISE mistakes, and the self-checks' claims."""

import functools
import random

import numpy as np
import torch
from torch import nn

from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb06 as ex
from course_utils.exercises.nb06 import rnn as vanilla_rnn
from course_utils.training import count_parameters

rnn_step = ex.check_rnn_step.function(ex.check_rnn_step.reference)
lstm_update = ex.check_lstm_update.function(ex.check_lstm_update.reference)
rnn_unroll = ex.check_rnn_unroll.solution
bptt_loop = ex.check_rnn_bptt.function(vanilla_rnn._BPTT_LOOP)  # the solution's NumPy loop


def verdict(check, fn, capsys) -> str:
    check(fn)
    return capsys.readouterr().out


def test_structural_hints(capsys):
    assert "an array of H numbers" in verdict(ex.check_rnn_step, lambda x, h, W_x, W_h, b: 0.0, capsys)
    out = verdict(ex.check_rnn_step, lambda x, h, W_x, W_h, b: np.tanh(W_h @ x + b), capsys)
    assert HINT in out and "ValueError" in out and "W_x is (H, I) = (4, 3)" in out, out
    assert "one array per parameter" in verdict(ex.check_clip_by_norm, lambda g, c: np.concatenate(g, None), capsys)
    assert "keeps its parameter's shape" in verdict(ex.check_clip_by_norm, lambda g, c: [a.ravel() for a in g], capsys)
    assert "return the pair (h, c)" in verdict(ex.check_lstm_update, lambda z, c: lstm_update(z, c)[0], capsys)
    out = verdict(ex.check_lstm_update, lambda z, c: (lstm_update(z, c)[0], z), capsys)
    assert "one entry per hidden unit: (N, H)" in out, out
    assert "return one index" in verdict(ex.check_sample_with_temperature, lambda z, t, rng: np.ones(6) / 6, capsys)
    out = verdict(ex.check_sample_with_temperature, lambda logits, t, rng: 1 // 0, capsys)
    assert HINT in out and "ZeroDivisionError" in out, out


def test_other_answers_that_are_right(capsys):
    assert CORRECT in verdict(ex.check_rnn_step, lambda *a: rnn_step(*a).tolist(), capsys)
    assert CORRECT in verdict(ex.check_rnn_step, lambda *a: torch.as_tensor(rnn_step(*a)), capsys)
    assert CORRECT in verdict(ex.check_lstm_update, lambda z, c: [a.tolist() for a in lstm_update(z, c)], capsys)

    def by_inverse_cdf(logits, temperature, rng):
        p = np.exp(logits / temperature - np.max(logits / temperature))
        return int(np.searchsorted(np.cumsum(p / p.sum()), rng.random()))

    assert CORRECT in verdict(ex.check_sample_with_temperature, by_inverse_cdf, capsys)

    def clip_in_place(grads, max_norm, always=False):  # the check's arrays stay untouched
        norm = np.sqrt(sum((g**2).sum() for g in grads))
        for g in grads:
            g *= max_norm / norm if always else min(1.0, max_norm / norm)
        return grads

    assert CORRECT in verdict(ex.check_clip_by_norm, clip_in_place, capsys)
    out = verdict(ex.check_clip_by_norm, lambda grads, c: clip_in_place(grads, c, always=True), capsys)
    assert "already short enough" in out, out


def test_the_self_checks_claims():
    assert count_parameters(nn.LSTM(10, 20)) == ex.QUIZZES["06.q2"].answer == 4 * count_parameters(nn.RNN(10, 20))
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    assert 1e-7 < sigmoid(1.0) ** 50 < 2e-7 and 0.7 < sigmoid(5.0) ** 50 < 0.72 and ex.QUIZZES["06.q3"].answer == "b"
    running_sum = functools.reduce(lambda h, x: max(0.0, 1 * x + 1 * h), [1.0, 3.0, 7.0], 0.0)  # weights (1, 1, 1)
    assert running_sum == 11.0 and ex.QUIZZES["06.q1"].answer == "b"


def test_rnn_unroll_answers_that_are_right_and_hints(capsys):
    def preallocated(X, h0, W_x, W_h, b):
        hs = np.empty((len(X), *h0.shape))
        for t in range(len(X)):
            hs[t] = np.tanh(np.einsum("ni,hi->nh", X[t], W_x) + (W_h @ (hs[t - 1] if t else h0).T).T + b)
        return hs

    def in_torch(X, h0, W_x, W_h, b):
        rnn = nn.RNN(X.shape[2], len(b), bias=True).double()
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.from_numpy(W_x))
            rnn.weight_hh_l0.copy_(torch.from_numpy(W_h))
            rnn.bias_ih_l0.copy_(torch.from_numpy(b))
            rnn.bias_hh_l0.zero_()
        return rnn(torch.from_numpy(X), torch.from_numpy(h0)[None])[0].detach()

    for right in (
        preallocated,
        in_torch,
        lambda *a: list(rnn_unroll(*a)),
        lambda *a: rnn_unroll(*a).astype(np.float32),
    ):
        assert CORRECT in verdict(ex.check_rnn_unroll, right, capsys)
    out = verdict(ex.check_rnn_unroll, lambda *a: (rnn_unroll(*a), rnn_unroll(*a)[-1]), capsys)
    assert HINT in out and "array of numbers" in out, out
    out = verdict(ex.check_rnn_unroll, lambda *a: rnn_unroll(*a)[:, :1], capsys)  # a shape nobody expects
    assert HINT in out and "shape (5, 1, 4), expected (5, 3, 4)" in out, out


def test_accepted_picks_the_students_unroll_only_when_right(capsys):
    stub = lambda X, h0, W_x, W_h, b: None  # noqa: E731
    last_only = lambda *a: rnn_unroll(*a)[-1]  # noqa: E731
    assert ex.accepted(ex.check_rnn_unroll, rnn_unroll)
    assert not ex.accepted(ex.check_rnn_unroll, stub) and not ex.accepted(ex.check_rnn_unroll, last_only)
    assert capsys.readouterr().out == ""  # silent


def test_bptt_reference_is_autograd_and_the_solution_loop_agrees():
    for case in ex.check_rnn_bptt.cases():
        by_autograd, by_loop = case.call(ex.rnn_bptt_autograd), case.call(bptt_loop)
        assert [g.shape for g in by_autograd] == [(4, 2), (4, 4), (4,), (3, 4), (5, 3, 2)]
        for a, b in zip(by_autograd, by_loop):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    X, h0, W_x, W_h, hs, dhs = ex.check_rnn_bptt.cases()[1].args  # a loss on the last state only still
    assert np.abs(bptt_loop(X, h0, W_x, W_h, hs, dhs)[3]).max() > 1e-3  # reaches h0 through all the steps


def test_rnn_bptt_answers_that_are_right_and_hints(capsys):
    def vectorised(X, h0, W_x, W_h, hs, dhs):  # the loop only carries dh_next; the sums come afterwards
        das, dh_next = np.zeros_like(hs), np.zeros_like(h0)
        for t in range(len(X) - 1, -1, -1):
            das[t] = (dhs[t] + dh_next) * (1 - hs[t] ** 2)
            dh_next = das[t] @ W_h
        h_prev = np.concatenate([h0[None], hs[:-1]])
        return (
            np.einsum("tnh,tni->hi", das, X),
            np.einsum("tnh,tnk->hk", das, h_prev),
            das.sum(axis=(0, 1)),
            dh_next,
            das @ W_x,
        )

    for right in (
        vectorised,
        lambda *a: [g.tolist() for g in bptt_loop(*a)],
        lambda *a: tuple(torch.from_numpy(g) for g in bptt_loop(*a)),
    ):
        assert CORRECT in verdict(ex.check_rnn_bptt, right, capsys)
    out = verdict(ex.check_rnn_bptt, lambda *a: bptt_loop(*a)[:3], capsys)
    assert "return the five gradients" in out, out
    out = verdict(ex.check_rnn_bptt, lambda *a: (*bptt_loop(*a)[:2], bptt_loop(*a)[2][:3], *bptt_loop(*a)[3:]), capsys)
    assert "db" in out and "shape (3,)" in out and "sums over the batch" in out, out
    out = verdict(ex.check_rnn_bptt, lambda *a: (2 * bptt_loop(*a)[0], *bptt_loop(*a)[1:]), capsys)
    assert HINT in out and "dW_x" in out and "dW_h" not in out.split("dW_x", 1)[0], out  # names the wrong part


def test_sampler_must_draw_with_its_rng_and_leaves_global_generators_alone(capsys):
    def with_python_random(logits, temperature, rng):
        p = np.exp(logits / temperature - np.max(logits / temperature))
        return random.choices(range(len(p)), weights=p)[0]

    np.random.seed(3)
    random.seed(3)
    before = np.random.random(), random.random()
    np.random.seed(3)
    random.seed(3)
    out = verdict(ex.check_sample_with_temperature, with_python_random, capsys)
    assert HINT in out and "global generator" in out, out
    assert (np.random.random(), random.random()) == before  # the check put the global states back


def test_probed_answers_get_the_hint_of_the_mistake_made(capsys):
    """Wrong answers beyond the declared mistakes whose hint comes from a shape or the check's own test."""
    out = verdict(ex.check_rnn_step, lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h * h + b), capsys)
    assert "entry by entry" in out and "batch" not in out, out  # not "an extra leading (batch) axis"

    def one_step_short(X, h0, W_x, W_h, b):
        return rnn_unroll(X[:-1], h0, W_x, W_h, b)

    assert "one state is missing" in verdict(ex.check_rnn_unroll, one_step_short, capsys)

    def preallocated_from_the_last_row(X, h0, W_x, W_h, b):
        hs = np.zeros((len(X), *h0.shape))
        for t in range(len(X)):
            hs[t] = np.tanh(X[t] @ W_x.T + hs[t - 1] @ W_h.T + b)
        return hs

    assert "hs[-1], still zeros" in verdict(ex.check_rnn_unroll, preallocated_from_the_last_row, capsys)

    def clip_when_short(grads, max_norm):  # the comparison the wrong way round
        norm = np.sqrt(sum((g**2).sum() for g in grads))
        return [g * max_norm / norm for g in grads] if norm < max_norm else grads

    assert "came back unchanged" in verdict(ex.check_clip_by_norm, clip_when_short, capsys)

    def max_before_dividing(logits, temperature, rng):
        p = np.exp(logits / temperature - logits.max())
        return int(rng.choice(len(p), p=p / p.sum()))

    out = verdict(ex.check_sample_with_temperature, max_before_dividing, capsys)
    assert HINT in out and "exp(z - z.max())" in out, out


def test_a_draw_returned_as_a_one_element_array_is_accepted(capsys):
    def size_one(logits, temperature, rng):
        z = logits / temperature
        p = np.exp(z - z.max())
        return rng.choice(len(p), size=1, p=p / p.sum())

    out = verdict(ex.check_sample_with_temperature, size_one, capsys)
    assert out.startswith(f"[06.6] {CORRECT}"), out
