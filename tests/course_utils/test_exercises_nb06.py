"""Notebook 06's exercises beyond their declarations (test_exercises_declared.py): structural hints, answers
that must be accepted, 06.4's check (code) beyond its STEPWISE mistakes, and the self-checks' claims."""

import functools

import numpy as np
import torch
from torch import nn

from course_utils.exercises import CORRECT, HINT
from course_utils.exercises import nb06 as ex
from course_utils.training import count_parameters

rnn_step = ex.check_rnn_step.function(ex.check_rnn_step.reference)
lstm_update = ex.check_lstm_update.function(ex.check_lstm_update.reference)


def verdict(check, fn, capsys) -> str:
    check(fn)
    return capsys.readouterr().out


def test_structural_hints(capsys):
    assert "an array of H numbers" in verdict(ex.check_rnn_step, lambda x, h, W_x, W_h, b: 0.0, capsys)
    out = verdict(ex.check_rnn_step, lambda x, h, W_x, W_h, b: np.tanh(W_h @ x + b), capsys)
    assert "your code raised ValueError" in out and "the shapes do not fit" in out, out
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
