import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from course_utils import text as text_tools
from course_utils.recurrent import CharModel
from course_utils.widgets import render_temperature_sampling


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- characters


def test_char_vocab_roundtrip_and_errors():
    vocab = text_tools.CharVocab("hello world")
    assert len(vocab) == 8 and vocab.chars[0] == " "
    ids = vocab.encode("low")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "low" and vocab.decode(torch.tensor(ids)) == "low"
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("zoo")
    with pytest.raises(ValueError):
        vocab.decode([99])
    with pytest.raises(ValueError):
        text_tools.CharVocab("")


def test_train_val_split_is_contiguous():
    tr, va = text_tools.train_val_split(np.arange(100), 0.1)
    assert tr.tolist() == list(range(90)) and va.tolist() == list(range(90, 100))
    with pytest.raises(ValueError):
        text_tools.train_val_split(np.arange(100), 1.5)
    with pytest.raises(ValueError):
        text_tools.train_val_split(np.arange(3), 0.5)


def test_random_windows_targets_are_shifted_inputs():
    ids = torch.arange(50)
    x, y = text_tools.random_windows(ids, 4, 10, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 10)
    assert torch.equal(y, x + 1) and int(y.max()) < 50
    with pytest.raises(ValueError):
        text_tools.random_windows(ids, 4, 50)


def test_bigram_baseline_counts_with_add_one():
    train = np.array([0, 1, 0, 1, 0])  # bigrams 0->1 twice, 1->0 twice
    nll, P = text_tools.bigram_baseline(train, np.array([0, 1]), vocab_size=3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert P[0, 1] == pytest.approx(3 / 5) and P[2, 0] == pytest.approx(1 / 3)
    assert nll == pytest.approx(-np.log(3 / 5))
    with pytest.raises(ValueError):
        text_tools.bigram_baseline(train, np.array([0, 5]), vocab_size=3)
    with pytest.raises(ValueError):
        text_tools.bigram_baseline(train, np.array([0, 1]), vocab_size=3, alpha=0)


def test_char_nll_of_a_uniform_model_is_log_v():
    class Uniform(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1))

        def forward(self, x, state=None):
            return torch.zeros(*x.shape, 7) + self.w, state

    assert text_tools.char_nll(Uniform(), torch.randint(0, 7, (1000,)), n_streams=4, chunk=33) == pytest.approx(
        np.log(7)
    )
    with pytest.raises(ValueError):
        text_tools.char_nll(Uniform(), torch.zeros(3, dtype=torch.long), n_streams=4)


def test_temperature_probs_limits():
    logits = np.array([2.0, 1.0, 0.0])
    np.testing.assert_allclose(text_tools.temperature_probs(logits, 1.0), np.exp(logits) / np.exp(logits).sum())
    assert text_tools.temperature_probs(logits, 0.01)[0] == pytest.approx(1.0)
    np.testing.assert_allclose(text_tools.temperature_probs(logits, 1e6), 1 / 3, atol=1e-5)
    assert text_tools.temperature_probs(torch.tensor([[1000.0, 0.0]]), 1.0).shape == (1, 2)  # stable, tensors accepted
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError):
            text_tools.temperature_probs(logits, bad)


def test_sample_with_temperature_frequencies():
    rng = np.random.default_rng(0)
    logits = np.log([0.7, 0.2, 0.1])
    draws = np.array([text_tools.sample_with_temperature(logits, 1.0, rng) for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 4000, [0.7, 0.2, 0.1], atol=0.03)
    assert {text_tools.sample_with_temperature(logits, 0.05, rng) for _ in range(50)} == {0}
    with pytest.raises(ValueError):
        text_tools.sample_with_temperature(np.zeros((2, 3)), 1.0, rng)


def test_char_model_generate_is_reproducible():
    torch.manual_seed(0)
    vocab = text_tools.CharVocab("abcdef\n")
    model = CharModel(len(vocab), hidden_size=8, embed_dim=4)
    logits, state = model(torch.zeros(2, 5, dtype=torch.long))
    assert logits.shape == (2, 5, 7) and state[0].shape == (1, 2, 8)
    a = text_tools.generate(model, vocab, "abc", 30, temperature=0.8, seed=3)
    assert len(a) == 30 and set(a) <= set(vocab.chars)
    assert a == text_tools.generate(model, vocab, "abc", 30, temperature=0.8, seed=3)
    greedy = text_tools.generate(model, vocab, "abc", 10, temperature=1e-4, seed=1)
    assert greedy == text_tools.generate(model, vocab, "abc", 10, temperature=1e-4, seed=2)
    first_logits, _ = text_tools.next_char_logits(model, vocab, "abc")
    assert greedy[0] == vocab.chars[int(np.argmax(first_logits))]
    with pytest.raises(ValueError):
        text_tools.next_char_logits(model, vocab, "")
    with pytest.raises(ValueError):
        CharModel(1)


# ---------------------------------------------------------------- widget view


def test_render_temperature_sampling():
    chars = list("ab \n$\x0c")
    logits = np.array([3.0, 2.0, 1.0, 0.5, 0.2, 0.1])
    fig = render_temperature_sampling(logits, chars, 0.5, sample="x = 1\n\tif $y:\x0c", prompt="def f():\n")
    np.testing.assert_allclose(fig.probs, text_tools.temperature_probs(logits, 0.5))
    hot = render_temperature_sampling(logits, chars, 2.0)
    assert hot.entropy > fig.entropy
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[:2] == ["a", "b"] and "space" in labels and "\\n" in labels
    text = fig.axes[1].texts[0].get_text()
    assert text.startswith("def f():") and "\x0c" not in text
    fig.canvas.draw()  # renders without mathtext or glyph errors
    with pytest.raises(ValueError):
        render_temperature_sampling(logits[:3], chars, 1.0)
    with pytest.raises(ValueError):
        render_temperature_sampling(logits, chars, 0.0)
    with pytest.raises(ValueError):
        render_temperature_sampling(logits, chars, 1.0, top_k=0)


def test_bigram_generate_follows_the_rows_and_is_reproducible():
    vocab = text_tools.CharVocab("ab")
    P = np.array([[0.0, 1.0], [1.0, 0.0]])  # after a always b, after b always a
    with np.errstate(divide="ignore"):
        assert text_tools.bigram_generate(P, vocab, "a", 5, temperature=0.8, seed=1) == "babab"
    text = "abba abab baba"
    vocab = text_tools.CharVocab(text)
    _, P = text_tools.bigram_baseline(vocab.encode(text), vocab.encode(text), len(vocab))
    a, b = (text_tools.bigram_generate(P, vocab, "a", 50, seed=4) for _ in range(2))
    assert a == b and len(a) == 50 and set(a) <= set(text)
    with pytest.raises(ValueError):
        text_tools.bigram_generate(P[:2], vocab, "a", 5)


def test_words_of_and_known_word_share():
    sample = "def foo_1(x): return self.barr + 2x"
    assert text_tools.words_of(sample) == ["def", "foo_1", "x", "return", "self", "barr", "x"]
    assert text_tools.words_of(sample, 4) == ["foo_1", "return", "self", "barr"]
    assert text_tools.known_word_share(sample, {"def", "return", "self"}) == 3 / 5
    assert np.isnan(text_tools.known_word_share("a b (1)", {"a"}))
