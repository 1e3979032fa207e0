"""course_utils.mnist on small IDX files written here: never the real data, never the network."""

import gzip
import hashlib
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from course_utils import datasets, mnist, models

SIZES = {"train": 5, "t10k": 3}
PUBLISHED = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file's bytes: magic 0x0000TTDD, big-endian sizes, the values."""
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(">u1" if type_code == 0x08 else ">i4").tobytes()


def fake_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def write_mnist(folder, gz: bool = True) -> dict:
    """The four files of a tiny MNIST (5 train, 3 test images) in ``folder``; returns their arrays and MD5s."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays, sums = {}, {}
    for seed, (split, n) in enumerate(SIZES.items()):
        images, labels = fake_split(n, seed)
        for kind, array in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
            name = f"{split}-{kind}" + (".gz" if gz else "")
            data = idx_bytes(array)
            data = gzip.compress(data) if gz else data
            (folder / name).write_bytes(data)
            arrays[f"{split}-{kind}"] = array
            sums[name] = hashlib.md5(data).hexdigest()
    return {"arrays": arrays, "md5": sums}


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """MNIST's split sizes shrunk to the tiny files; COURSE_DATA pointed at an empty temporary folder."""
    monkeypatch.setattr(mnist, "SPLIT_SIZES", dict(SIZES))
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "course_data"))
    return tmp_path


def test_the_published_md5_table_is_untouched():
    assert mnist.MNIST_MD5 == PUBLISHED
    assert mnist.file_names() == [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]


@pytest.mark.parametrize("gz", [True, False])
def test_a_good_pair_reads_back_exactly(tmp_path, gz):
    written = write_mnist(tmp_path, gz=gz)
    suffix = ".gz" if gz else ""
    images, labels = mnist.read_mnist_pair(
        tmp_path / f"train-images-idx3-ubyte{suffix}", tmp_path / f"train-labels-idx1-ubyte{suffix}", n=5
    )
    assert images.dtype == np.uint8 and images.shape == (5, 28, 28) and images.flags.writeable
    assert labels.dtype == np.int64 and labels.shape == (5,)
    np.testing.assert_array_equal(images, written["arrays"]["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(labels, written["arrays"]["train-labels-idx1-ubyte"])


def test_read_idx_other_types_and_shape_wildcards(tmp_path):
    values = np.arange(-6, 6, dtype=np.int64).reshape(3, 4)
    (tmp_path / "ints").write_bytes(idx_bytes(values, type_code=0x0C))
    out = mnist.read_idx(tmp_path / "ints", magic=0x00000C02, shape=(None, 4))
    assert out.dtype == np.dtype("int32") and out.dtype.isnative
    np.testing.assert_array_equal(out, values)
    with pytest.raises(ValueError, match=r"shape \(3, 4\), expected \(None, 5\)"):
        mnist.read_idx(tmp_path / "ints", shape=(None, 5))


def test_load_mnist_gz_and_raw(tiny):
    for gz in (True, False):
        folder = tiny / ("gz" if gz else "raw")
        written = write_mnist(folder, gz=gz)
        X_train, y_train, X_test, y_test = mnist.load_mnist(folder, checksums=written["md5"])
        a = written["arrays"]
        np.testing.assert_array_equal(X_train, a["train-images-idx3-ubyte"])
        np.testing.assert_array_equal(y_train, a["train-labels-idx1-ubyte"])
        np.testing.assert_array_equal(X_test, a["t10k-images-idx3-ubyte"])
        np.testing.assert_array_equal(y_test, a["t10k-labels-idx1-ubyte"])
        assert X_train.shape == (5, 28, 28) and y_test.shape == (3,) and y_test.dtype == np.int64


def test_raw_files_have_no_published_sum_but_one_passed_in_is_checked(tiny):
    written = write_mnist(tiny / "raw", gz=False)
    assert mnist.verify_checksum(tiny / "raw" / "train-images-idx3-ubyte") is False  # not in MNIST_MD5
    mnist.load_mnist(tiny / "raw")  # the real table: raw files get the structural checks only
    assert mnist.verify_checksum(tiny / "raw" / "train-images-idx3-ubyte", written["md5"]) is True
    wrong = dict(written["md5"], **{"t10k-images-idx3-ubyte": "0" * 32})
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: MD5 .* does not match"):
        mnist.load_mnist(tiny / "raw", checksums=wrong)


def test_wrong_checksum_names_the_file_and_what_to_do(tiny):
    write_mnist(tiny / "gz")
    # the tiny files are not the real MNIST: the published sums reject them
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: MD5 .* does not match the published f68b"):
        mnist.load_mnist(tiny / "gz")
    with pytest.raises(ValueError, match=r"Delete it and fetch it again \(load_mnist\(download=True\)\)"):
        mnist.load_mnist(tiny / "gz")


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda b: b"\x00\x00\x09\x03" + b[4:], "magic number 0x00000903, expected 0x00000803"),
        (lambda b: b"\x01\x02\x08\x03" + b[4:], "bad magic number 0x01020803: not an IDX file"),
        (lambda b: b[:-1], "truncated: 3935 bytes, shape .* needs 3936"),
        (lambda b: b[:10], "truncated: 10 bytes, the header alone needs 16"),
        (lambda b: b[:3], "truncated: 3 bytes"),
        (lambda b: b + b"\x00", "has extra bytes after the data: 3937 bytes"),
        (lambda b: b[:4] + (6).to_bytes(4, "big") + b[8:], r"shape \(6, 28, 28\), expected \(5, 28, 28\)"),
        (lambda b: b[:8] + (27).to_bytes(4, "big") + b[12:], r"shape \(5, 27, 28\), expected \(5, 28, 28\)"),
    ],
)
def test_corrupt_files_get_a_clear_error_naming_the_file(tiny, damage, message):
    folder = tiny / "raw"
    write_mnist(folder, gz=False)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=f"train-images-idx3-ubyte: {message}"):
        mnist.load_mnist(folder)


def test_truncated_or_garbled_gzip_and_bad_labels(tiny):
    folder = tiny / "gz"
    written = write_mnist(folder)
    path = folder / "t10k-labels-idx1-ubyte.gz"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    sums = dict(written["md5"], **{path.name: mnist.md5sum(path)})  # the sum passes: the parser must catch it
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: not a readable IDX file"):
        mnist.load_mnist(folder, checksums=sums)
    path.write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 10], dtype=np.uint8))))
    sums[path.name] = mnist.md5sum(path)
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: label 10 is not a digit"):
        mnist.load_mnist(folder, checksums=sums)
    path.write_bytes(gzip.compress(idx_bytes(np.array([1, 2], dtype=np.uint8))))
    sums[path.name] = mnist.md5sum(path)
    with pytest.raises(ValueError, match=r"shape \(2,\), expected \(3,\)"):
        mnist.load_mnist(folder, checksums=sums)


def test_lookup_order_of_roots(tiny, monkeypatch):
    base = tiny / "course_data"
    assert mnist.mnist_dirs() == [base / "mnist", base / "mnist" / "MNIST" / "raw", base / "MNIST" / "raw"]
    assert mnist.mnist_dirs(tiny / "mine") == [tiny / "mine", tiny / "mine" / "MNIST" / "raw"]
    monkeypatch.delenv("COURSE_DATA")
    monkeypatch.setenv("HOME", str(tiny / "home"))
    assert mnist.mnist_dirs()[0] == tiny / "home" / ".cache" / "course_data" / "mnist"
    monkeypatch.setenv("COURSE_DATA", str(base))

    assert mnist.find_mnist() is None
    # last candidate first: torchvision's layout directly under COURSE_DATA
    write_mnist(base / "MNIST" / "raw")
    assert mnist.find_mnist()[0].parent == base / "MNIST" / "raw"
    write_mnist(base / "mnist" / "MNIST" / "raw", gz=False)
    assert mnist.find_mnist()[0] == base / "mnist" / "MNIST" / "raw" / "train-images-idx3-ubyte"
    # a folder with only some of the files does not count
    write_mnist(base / "mnist")
    (base / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    assert mnist.find_mnist()[0].parent == base / "mnist" / "MNIST" / "raw"
    written = write_mnist(base / "mnist")
    assert mnist.find_mnist()[0].parent == base / "mnist"
    np.testing.assert_array_equal(
        mnist.load_mnist(checksums=written["md5"])[0], written["arrays"]["train-images-idx3-ubyte"]
    )
    # the gzipped file wins over an unpacked one in the same folder (it has a published sum)
    (base / "mnist" / "train-images-idx3-ubyte").write_bytes(b"not used")
    assert mnist.find_mnist()[0].name == "train-images-idx3-ubyte.gz"

    # an explicit root is searched alone: root, then root/MNIST/raw (torchvision's root)
    mine = tiny / "mine"
    assert mnist.find_mnist(mine) is None
    write_mnist(mine / "MNIST" / "raw")
    assert mnist.find_mnist(mine)[0].parent == mine / "MNIST" / "raw"
    write_mnist(mine)
    assert mnist.find_mnist(mine)[0].parent == mine


def test_missing_data_says_where_it_looked_and_how_to_get_it(tiny):
    with pytest.raises(mnist.MnistUnavailable) as err:
        mnist.load_mnist()
    text = str(err.value)
    assert str(tiny / "course_data" / "mnist") in text and "COURSE_DATA" in text
    assert "load_mnist(download=True)" in text
    assert isinstance(err.value, OSError)


def test_offline_download_fails_fast_with_a_clear_message(tiny, monkeypatch):
    calls = []

    def offline(url, timeout=None):
        calls.append((url, timeout))
        raise urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    start = time.perf_counter()
    with pytest.raises(mnist.MnistUnavailable, match=r"could not download MNIST \(is this machine offline\?\)") as err:
        mnist.load_mnist(download=True)
    assert time.perf_counter() - start < 1.0
    assert "Temporary failure in name resolution" in str(err.value) and "COURSE_DATA" in str(err.value)
    # every mirror tried once for the first file, then it gives up; each with the short timeout
    assert [url for url, _ in calls] == [m + "train-images-idx3-ubyte.gz" for m in mnist.MNIST_MIRRORS]
    assert all(t == mnist.DOWNLOAD_TIMEOUT_S and 0 < t <= 10 for _, t in calls)
    assert not list((tiny / "course_data" / "mnist").iterdir())  # nothing half-written left behind


class FakeResponse:
    def __init__(self, data: bytes):
        self.data = data

    def read(self) -> bytes:
        return self.data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_checks_sums_and_saves_into_the_first_folder(tiny, monkeypatch):
    source = write_mnist(tiny / "server")
    served = []

    def online(url, timeout=None):
        if url.startswith(mnist.MNIST_MIRRORS[0]):
            raise urllib.error.HTTPError(url, 503, "Slow Down", {}, None)  # the first mirror is down
        served.append(url.rsplit("/", 1)[1])
        return FakeResponse((tiny / "server" / served[-1]).read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", online)
    X_train, y_train, X_test, y_test = mnist.load_mnist(download=True, checksums=source["md5"])
    assert sorted(served) == sorted(source["md5"])
    target = tiny / "course_data" / "mnist"
    assert sorted(p.name for p in target.iterdir()) == sorted(source["md5"])
    np.testing.assert_array_equal(y_test, source["arrays"]["t10k-labels-idx1-ubyte"])
    # a second call finds the files and downloads nothing
    served.clear()
    mnist.load_mnist(download=True, checksums=source["md5"])
    assert served == []

    # a mirror serving something else: ValueError naming the URL, nothing saved
    other = tiny / "elsewhere"
    with pytest.raises(ValueError, match=r"cvdf-datasets/mnist/train-images-idx3-ubyte\.gz: MD5 .* does not match"):
        mnist.load_mnist(other, download=True)  # the published sums: the tiny files fail them
    assert not (other / "train-images-idx3-ubyte.gz").exists()
    assert not list(other.iterdir())


def test_mnist_tensors_look_like_digits_tensors(tiny):
    written = write_mnist(tiny / "course_data" / "mnist", gz=False)
    split = mnist.mnist_tensors()  # raw files: no published sum, structural checks only
    digits = datasets.digits_tensors()
    assert isinstance(split, datasets.Split)
    assert split.X_train.shape == (5, 1, 28, 28) and split.X_test.shape == (3, 1, 28, 28)
    for ours, theirs in zip(
        (split.X_train, split.y_train, split.X_test, split.y_test),
        (digits.X_train, digits.y_train, digits.X_test, digits.y_test),
    ):
        assert ours.dtype == theirs.dtype and ours.ndim == theirs.ndim
    assert 0.0 <= split.X_train.min() and split.X_train.max() <= 1.0
    expected = torch.from_numpy(written["arrays"]["train-images-idx3-ubyte"]).float()[:, None] / 255
    torch.testing.assert_close(split.X_train, expected)
    assert split.y_test.tolist() == written["arrays"]["t10k-labels-idx1-ubyte"].tolist()


def test_the_notebooks_lenet_reads_28x28():
    net = models.LeNet(channels=(16, 32), hidden=(64,), batchnorm=True, in_size=28)  # notebook 05, section 9
    assert net.features(torch.zeros(2, 1, 28, 28)).shape == (2, 32, 7, 7)
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
