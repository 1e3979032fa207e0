import numpy as np
import pytest
import torch

from course_utils import datasets as ds


@pytest.mark.parametrize("name,expected", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0])])
def test_logic_gate_truth_tables(name, expected):
    X, y = ds.logic_gate(name)
    assert X.shape == (4, 2) and X.dtype == np.float64
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("name", ds.TOY_DATASETS)
def test_toy_2d_shapes_balance_and_determinism(name):
    X, y = ds.make_toy_2d(name, n_samples=101, noise=0.1, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    X2, y2 = ds.make_toy_2d(name, n_samples=101, noise=0.1, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = ds.make_toy_2d(name, n_samples=101, noise=0.1, seed=4)
    assert not np.array_equal(X, X3)


def test_toy_xor_labels_follow_the_corners():
    X, y = ds.make_toy_2d("xor", n_samples=400, noise=0.05)
    corner = (X > 0.5).astype(int)
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])


@pytest.mark.parametrize("kwargs", [{"name": "swirl"}, {"name": "xor", "n_samples": 2}, {"name": "xor", "noise": -1.0}])
def test_toy_2d_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ds.make_toy_2d(**kwargs)


def test_digits_arrays_fixed_split():
    s = ds.load_digits_arrays()
    assert s.X_train.shape == (1347, 8, 8) and s.X_test.shape == (450, 8, 8)
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == np.int64
    assert 0.0 <= s.X_train.min() and s.X_train.max() <= 1.0
    assert set(np.unique(s.y_test)) == set(range(10))
    again = ds.load_digits_arrays()
    np.testing.assert_array_equal(s.y_test, again.y_test)


def test_digits_tensors_and_loaders():
    t = ds.digits_tensors()
    assert tuple(t.X_train.shape) == (1347, 1, 8, 8) and t.y_train.dtype == torch.int64
    train, test = ds.digits_loaders(batch_size=100)
    xb, yb = next(iter(train))
    assert tuple(xb.shape) == (100, 1, 8, 8) and tuple(yb.shape) == (100,)
    assert sum(len(x) for x, _ in test) == 450
    first_test = next(iter(test))[1]
    torch.testing.assert_close(first_test, t.y_test[:100])


def test_tensor_loader_shuffles_reproducibly_and_covers_everything():
    X = torch.arange(10.0)[:, None]
    y = torch.arange(10)
    a = torch.cat([yb for _, yb in ds.tensor_loader(X, y, batch_size=3, seed=1)])
    b = torch.cat([yb for _, yb in ds.tensor_loader(X, y, batch_size=3, seed=1)])
    torch.testing.assert_close(a, b)
    assert sorted(a.tolist()) == list(range(10)) and a.tolist() != list(range(10))
    with pytest.raises(ValueError):
        ds.tensor_loader(X, y[:5])
    with pytest.raises(ValueError):
        ds.tensor_loader(X, y, batch_size=0)


def test_photo_gray_color_and_scaled():
    gray = ds.load_photo("china.jpg")
    assert gray.shape == (427, 640) and 0 <= gray.min() and gray.max() <= 1
    color = ds.load_photo("flower.jpg", gray=False, scale=0.25)
    assert color.shape == (107, 160, 3)
    with pytest.raises(ValueError):
        ds.load_photo("cat.jpg")
    with pytest.raises(ValueError):
        ds.load_photo(scale=2)


def test_sum_sequences_and_padding():
    s = ds.sum_sequences(50, min_len=2, max_len=6, seed=1)
    assert s.X.shape == (50, 6, 1) and s.lengths.shape == (50,) and s.y.shape == (50,)
    for x, n, y in zip(s.X[:, :, 0], s.lengths, s.y):
        assert np.all(x[n:] == 0) and x[:n].sum() == y
    deck = ds.pad_sequences([(1, 3, 7), (12, 5)])
    np.testing.assert_array_equal(deck.y, [11, 17])
    np.testing.assert_array_equal(deck.lengths, [3, 2])
    with pytest.raises(ValueError):
        ds.sum_sequences(5, min_len=4, max_len=2)
    with pytest.raises(ValueError):
        ds.pad_sequences([])


def test_memory_task_target_is_first_symbol():
    s = ds.memory_task(30, lag=7, n_symbols=3, seed=2)
    assert s.X.shape == (30, 8, 3)
    np.testing.assert_array_equal(s.X[:, 0].argmax(axis=1), s.y)
    np.testing.assert_array_equal(s.X.sum(axis=2), 1)
    with pytest.raises(ValueError):
        ds.memory_task(3, lag=-1)


def test_sine_series():
    x = ds.sine_series(4, length=20, noise=0.0)
    assert x.shape == (4, 20) and np.abs(x).max() <= 1.0
    with pytest.raises(ValueError):
        ds.sine_series(0)


def test_python_stdlib_text_is_offline_ascii_and_deterministic():
    text = ds.python_stdlib_text(50_000)
    assert len(text) == 50_000 and text.isascii()
    assert "def " in text and "import" in text
    assert ds.python_stdlib_text(50_000) == text
    with pytest.raises(ValueError):
        ds.python_stdlib_text(0)


def test_gaussian_ring():
    centers = ds.ring_centers(8, radius=2.0)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0)
    X, mode = ds.gaussian_ring(4000, std=0.01, seed=0)
    assert X.shape == (4000, 2) and set(np.unique(mode)) == set(range(8))
    assert np.abs(X - centers[mode]).max() < 0.1
    with pytest.raises(ValueError):
        ds.gaussian_ring(0)


def test_render_glyphs_are_centred_binary_bitmaps():
    bitmaps, labels = ds.render_glyphs("oxlI", ds.GLYPH_FONTS[:2])
    assert bitmaps.shape == (8, 32, 32) and bitmaps.dtype == np.float32
    assert set(np.unique(bitmaps)) == {0.0, 1.0}
    assert labels.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]  # font by font
    for bitmap in bitmaps:
        rows, cols = np.nonzero(bitmap)
        height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert 26 <= max(height, width) <= 28  # longer side scaled to 7/8 of 32
        assert abs((rows.min() + rows.max()) / 2 - 15.5) <= 1 and abs((cols.min() + cols.max()) / 2 - 15.5) <= 1
    o, x, ell = bitmaps[:3]
    assert np.ptp(np.nonzero(ell)[1]) < 8 < np.ptp(np.nonzero(o)[1])  # "l" is a thin bar, "o" is wide
    assert (o != x).sum() > 100


def test_render_glyphs_bad_arguments():
    with pytest.raises(ValueError, match="repeats"):
        ds.render_glyphs("aa")
    with pytest.raises(ValueError, match="repeats"):
        ds.render_glyphs("")
    with pytest.raises(FileNotFoundError, match="DejaVuSans.ttf"):  # the message lists what ships
        ds.render_glyphs("a", ("NoSuchFont.ttf",))
    with pytest.raises(ValueError, match="no ink"):
        ds.render_glyphs("a ", ds.GLYPH_FONTS[:1])
    with pytest.raises(ValueError, match="size"):
        ds.render_glyphs("a", size=4)


def test_letters_8x8_are_made_like_the_digits():
    X, y = ds.letters_8x8(copies=2, seed=0)
    n = 2 * len(ds.GLYPH_FONTS) * 52
    assert X.shape == (n, 1, 8, 8) and X.dtype == torch.float32 and y.shape == (n,) and y.dtype == torch.int64
    assert torch.equal(torch.bincount(y), torch.full((52,), 2 * len(ds.GLYPH_FONTS)))
    counts = X * 16  # 4x4 block counts: integers 0..16, like the UCI digits
    assert torch.equal(counts, counts.round()) and X.min() == 0 and X.max() == 1
    digits = ds.load_digits_arrays().X_train
    assert 0.5 < X.mean().item() / digits.mean() < 2, "about as much ink as the handwritten digits"
    half = n // 2  # the two copies of the same glyphs differ: each got its own random distortion
    assert (X[:half] != X[half:]).flatten(1).any(dim=1).float().mean() > 0.9
    X_again, _ = ds.letters_8x8(copies=2, seed=0)
    X_other, _ = ds.letters_8x8(copies=2, seed=1)
    assert torch.equal(X, X_again) and not torch.equal(X, X_other)


def test_letters_8x8_subset_and_bad_copies():
    X, y = ds.letters_8x8(copies=3, chars="AB", fonts=ds.GLYPH_FONTS[:2])
    assert X.shape == (12, 1, 8, 8) and y.tolist() == [0, 1] * 6
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="copies"):
            ds.letters_8x8(copies=bad)
