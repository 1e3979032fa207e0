"""The checks of notebook 06's exercises: the stub, a right answer and each typical mistake."""

import numpy as np
import pytest

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, nb06


def run_code(code: str):
    """The names a student's cell defines (as the notebook would)."""
    namespace: dict = {}
    exec(compile(code, "<student cell>", "exec"), namespace)
    return namespace


def verdict(check, fn, capsys) -> str:
    check(fn)
    return capsys.readouterr().out


def stub(*args):
    return None  # YOUR CODE HERE


# ---------------------------------------------------------------- right answers


def rnn_step(x, h_prev, W_x, W_h, b):
    return np.tanh(W_x @ x + W_h @ h_prev + b)


def clip_by_norm(grads, max_norm):
    norm = np.sqrt(sum((g**2).sum() for g in grads))
    scale = min(1.0, max_norm / norm)
    return [g * scale for g in grads]


def lstm_update(z, c_prev):
    H = c_prev.shape[1]
    i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    c = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c


def sample_with_temperature(logits, temperature, rng):
    z = logits / temperature
    p = np.exp(z - z.max())
    return rng.choice(len(p), p=p / p.sum())


def sample_by_inverse_cdf(logits, temperature, rng):  # another right way to draw
    z = np.asarray(logits) / temperature
    p = np.exp(z - z.max())
    return int(np.searchsorted(np.cumsum(p / p.sum()), rng.random()))


CASES = {
    "06.1": (nb06.check_rnn_step, [rnn_step]),
    "06.2": (nb06.check_clip_by_norm, [clip_by_norm]),
    "06.3": (nb06.check_lstm_update, [lstm_update]),
    "06.4": (nb06.check_sample_with_temperature, [sample_with_temperature, sample_by_inverse_cdf]),
}
NAMES = {"06.1": "rnn_step", "06.2": "clip_by_norm", "06.3": "lstm_update", "06.4": "sample_with_temperature"}


@pytest.mark.parametrize("eid", CASES)
def test_stub_is_not_attempted(eid, capsys):
    check, _ = CASES[eid]
    out = verdict(check, stub, capsys)
    assert out.startswith(f"[{eid}] {NOT_ATTEMPTED}")
    assert verdict(check, None, capsys).startswith(f"[{eid}] {NOT_ATTEMPTED}")


@pytest.mark.parametrize("eid", CASES)
def test_right_answers_are_confirmed(eid, capsys):
    check, answers = CASES[eid]
    for fn in answers:
        out = verdict(check, fn, capsys)
        assert out.startswith(f"[{eid}] {CORRECT}"), out


@pytest.mark.parametrize("eid,k", [(eid, k) for eid, ms in nb06.MISTAKES.items() for k in range(len(ms))])
def test_each_typical_mistake_gets_its_hint(eid, k, capsys):
    code, hint = nb06.MISTAKES[eid][k]
    fn = run_code(code)[NAMES[eid]]
    out = verdict(CASES[eid][0], fn, capsys)
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_every_exercise_has_two_mistakes():
    assert set(nb06.MISTAKES) == set(CASES)
    assert all(len(ms) >= 2 for ms in nb06.MISTAKES.values())


# ---------------------------------------------------------------- more mistakes, recognised too


@pytest.mark.parametrize(
    "code,hint",
    [
        ("def f(x, h_prev, W_x, W_h, b):\n    return np.maximum(W_x @ x + W_h @ h_prev + b, 0)", "ReLU"),
        ("def f(x, h_prev, W_x, W_h, b):\n    return np.tanh(W_x @ x + W_h @ h_prev)", "bias"),
        ("def f(x, h_prev, W_x, W_h, b):\n    return W_x @ x + W_h @ h_prev + b", "forgot the tanh"),
        ("def f(x, h_prev, W_x, W_h, b):\n    return 0.0", "H numbers"),
    ],
)
def test_rnn_step_other_mistakes(code, hint, capsys):
    fn = run_code("import numpy as np\n" + code)["f"]
    out = verdict(nb06.check_rnn_step, fn, capsys)
    assert HINT in out and hint in out, out


def test_clip_by_norm_other_mistakes(capsys):
    unit = run_code(
        "import numpy as np\ndef f(grads, c):\n    n = np.sqrt(sum((g ** 2).sum() for g in grads))\n"
        "    return [g / n for g in grads]"
    )["f"]
    assert "did not multiply by max_norm" in verdict(nb06.check_clip_by_norm, unit, capsys)
    flat = run_code("import numpy as np\ndef f(grads, c):\n    return np.concatenate([g.ravel() for g in grads])")["f"]
    assert "one array per parameter" in verdict(nb06.check_clip_by_norm, flat, capsys)
    reshaped = run_code("def f(grads, c):\n    return [g.ravel() for g in grads]")["f"]
    assert "keeps its parameter's shape" in verdict(nb06.check_clip_by_norm, reshaped, capsys)


def test_lstm_update_other_mistakes(capsys):
    swapped_out = lambda z, c: tuple(reversed(lstm_update(z, c)))  # noqa: E731
    assert "you returned (c, h)" in verdict(nb06.check_lstm_update, swapped_out, capsys)
    no_input_gate = run_code(nb06._LSTM.format("g, o", "np.tanh(g) / sig(i)", "sig(o) * np.tanh(c)"))["lstm_update"]
    assert "without the input gate" in verdict(nb06.check_lstm_update, no_input_gate, capsys)
    swapped_if = run_code(
        nb06._LSTM.format("g, o", "np.tanh(g)", "sig(o) * np.tanh(c)").replace("i, f, g, o =", "f, i, g, o =")
    )["lstm_update"]
    assert "swapped the input and forget" in verdict(nb06.check_lstm_update, swapped_if, capsys)
    only_h = lambda z, c: lstm_update(z, c)[0]  # noqa: E731
    assert "return the pair (h, c)" in verdict(nb06.check_lstm_update, only_h, capsys)


def test_sample_with_temperature_other_mistakes(capsys):
    ignores_t = lambda logits, t, rng: sample_with_temperature(logits, 1.0, rng)  # noqa: E731
    assert "changes nothing" in verdict(nb06.check_sample_with_temperature, ignores_t, capsys)
    uniform = lambda logits, t, rng: int(rng.integers(len(logits)))  # noqa: E731
    assert "uniform" in verdict(nb06.check_sample_with_temperature, uniform, capsys)
    probs = lambda logits, t, rng: np.exp(logits / t) / np.exp(logits / t).sum()  # noqa: E731
    assert "return one index" in verdict(nb06.check_sample_with_temperature, probs, capsys)
    raises = lambda logits, t, rng: 1 // 0  # noqa: E731
    assert "ZeroDivisionError" in verdict(nb06.check_sample_with_temperature, raises, capsys)


# ---------------------------------------------------------------- self-check questions


def test_quizzes_answers_and_feedback(capsys):
    assert set(nb06.QUIZZES) >= {"06.q1", "06.q2", "06.q3"}
    nb06.quiz("06.q1", answer="b")
    nb06.quiz("06.q1", answer="a")
    nb06.quiz("06.q2", answer=2560)
    nb06.quiz("06.q2", answer=640)
    nb06.quiz("06.q3", answer="b")
    nb06.quiz("06.q3", answer="c")
    lines = capsys.readouterr().out.splitlines()
    assert [CORRECT in line for line in lines] == [True, False, True, False, True, False]
    assert "forgets" in lines[1] and "count one gate block" in lines[3] and "diag(f_t)" in lines[5]


def test_quiz_numbers_are_right():
    from torch import nn

    from course_utils.training import count_parameters

    assert count_parameters(nn.LSTM(10, 20)) == nb06.QUIZZES["06.q2"].answer
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    assert 1e-7 < sigmoid(1.0) ** 50 < 2e-7 and 0.7 < sigmoid(5.0) ** 50 < 0.72
    # the summing weights of 06.q1 really sum
    h = 0.0
    for x in [1.0, 3.0, 7.0]:
        h = max(0.0, 1 * x + 1 * h)
    assert h == 11.0
