"""The MNIST loader, tested offline: a loopback HTTP server serves IDX files the test makes."""

import gzip
import hashlib
import http.server
import socket
import struct
import threading
from functools import partial

import numpy as np
import pytest

from course_utils import datasets as ds


def idx_bytes(array: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def fake_mnist(tmp_path):
    """Four tiny gzip'd IDX files in a served folder, with their checksums."""
    rng = np.random.default_rng(0)
    served = tmp_path / "served"
    served.mkdir()
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 6).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3).astype(np.uint8),
    }
    checksums = {}
    for name, array in arrays.items():
        data = gzip.compress(idx_bytes(array))
        (served / name).write_bytes(data)
        checksums[name] = hashlib.md5(data).hexdigest()
    return served, arrays, checksums


@pytest.fixture
def server(fake_mnist):
    served = fake_mnist[0]
    handler = partial(QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_parse_idx_round_trip_and_errors():
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    np.testing.assert_array_equal(ds.parse_idx(idx_bytes(a)), a)
    data = idx_bytes(a)
    with pytest.raises(ValueError, match="truncated"):
        ds.parse_idx(data[:-1])
    with pytest.raises(ValueError, match="longer"):
        ds.parse_idx(data + b"\0")
    with pytest.raises(ValueError, match="magic"):
        ds.parse_idx(b"\x01" + data[1:])
    with pytest.raises(ValueError, match="dtype"):
        ds.parse_idx(b"\0\0\x07\x01" + data[4:])
    with pytest.raises(ValueError, match="truncated"):
        ds.parse_idx(data[:6])


def test_download_verify_cache_and_reuse(server, fake_mnist, tmp_path):
    _, arrays, checksums = fake_mnist
    cache = tmp_path / "cache"
    images, labels = ds.load_mnist("train", root=cache, download=True, base_url=server, checksums=checksums)
    np.testing.assert_array_equal(images, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(labels, arrays["train-labels-idx1-ubyte.gz"])
    assert labels.dtype == np.int64
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    # Second call reads the cache: works with the server unreachable.
    images2, _ = ds.load_mnist("train", root=cache, download=True, base_url="http://127.0.0.1:9/", checksums=checksums)
    np.testing.assert_array_equal(images2, images)
    test_images, _ = ds.load_mnist("test", root=cache, download=True, base_url=server, checksums=checksums)
    assert test_images.shape == (3, 28, 28)


def test_corrupt_download_never_poisons_the_cache(server, fake_mnist, tmp_path):
    served, _, checksums = fake_mnist
    name = "train-images-idx3-ubyte.gz"
    good = (served / name).read_bytes()
    (served / name).write_bytes(good[: len(good) // 2])  # the server now sends a truncated file
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="corrupt or truncated"):
        ds.load_mnist("train", root=cache, download=True, base_url=server, checksums=checksums)
    assert not (cache / name).exists() and not list(cache.glob("*.part"))
    (served / name).write_bytes(good)  # fixed upstream: the next call succeeds
    images, _ = ds.load_mnist("train", root=cache, download=True, base_url=server, checksums=checksums)
    assert images.shape == (6, 28, 28)


def test_corrupt_cached_file_is_a_clear_error(fake_mnist, tmp_path):
    served, _, checksums = fake_mnist
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (cache / name).write_bytes((served / name).read_bytes())
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="corrupt"):
        ds.load_mnist("train", root=cache, checksums=checksums)


def test_checksum_passing_non_gzip_body_is_rejected(server, fake_mnist, tmp_path):
    served, _, checksums = fake_mnist
    name = "t10k-labels-idx1-ubyte.gz"
    (served / name).write_bytes(b"not gzip at all")
    bad = dict(checksums, **{name: hashlib.md5(b"not gzip at all").hexdigest()})
    with pytest.raises((OSError, ValueError)):
        ds.load_mnist("test", root=tmp_path / "c", download=True, base_url=server, checksums=bad)
    assert not (tmp_path / "c" / name).exists()


def test_offline_failure_names_the_fallback(tmp_path, fake_mnist):
    _, _, checksums = fake_mnist
    with socket.socket() as s:  # a loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ds.DatasetUnavailableError, match="load_digits_arrays"):
        ds.load_mnist(
            "train", root=tmp_path, download=True, base_url=f"http://127.0.0.1:{port}/", checksums=checksums, timeout=2
        )
    assert not list(tmp_path.glob("*.gz"))


def test_missing_without_download_and_bad_split(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        ds.load_mnist("train", root=tmp_path)
    with pytest.raises(ValueError, match="split"):
        ds.load_mnist("validation", root=tmp_path)


def test_default_data_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert ds.default_data_dir() == tmp_path
