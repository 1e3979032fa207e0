"""The real MNIST (LeCun, Cortes & Burges): 60 000 training and 10 000 test digits, 28x28 pixels.

The course runs offline on the 8x8 digits that scikit-learn ships (:mod:`course_utils.datasets`);
CI never needs MNIST. This module reads the real set when a student has it, and fetches it when the
student asks for it and is online: four files, 11 MB as gzip, 55 MB unpacked.

Why not ``torchvision.datasets.MNIST``? Size. torchvision's Linux wheels on PyPI are built against
PyPI's torch, which is the CUDA build, and each torchvision release requires one exact torch version.
This course pins a CPU torch 2.13.0 (about 750 MB installed); torchvision would bring a CUDA torch and
its ``nvidia-*`` libraries, several GB more, for a GPU most students do not have, or a torchvision
built for another torch than the one installed. All it would do here is read four files whose format
(IDX, described on the MNIST page) fits in a paragraph: :func:`read_idx` does that with numpy.

Where the files are looked for, in this order (:func:`mnist_dirs`), each folder holding the four
files, gzipped (``train-images-idx3-ubyte.gz``) or unpacked (``train-images-idx3-ubyte``):

1. ``root``, when given, then torchvision's layout under it, ``root/MNIST/raw``;
2. otherwise ``$COURSE_DATA/mnist``, ``$COURSE_DATA/mnist/MNIST/raw`` and ``$COURSE_DATA/MNIST/raw``;
   without ``COURSE_DATA`` the same under ``~/.cache/course_data``.

``load_mnist(download=True)`` downloads into the first of those folders (from torchvision's mirror,
then TensorFlow's), with a short timeout, and fails at once with
:class:`MnistUnavailable` when the machine is offline. Gzipped files are checked against the MD5
sums that torchvision publishes (:data:`MNIST_MD5`); a mismatch raises ``ValueError``. Unpacked files
have no published sums: they get the structural checks only (magic number, shape, exact size,
labels 0-9), which every file gets.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import torch

from .datasets import Split

#: The four files and the MD5 sums of their gzipped forms, as torchvision lists them
#: (``torchvision.datasets.MNIST.resources``).
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
#: Mirrors tried in order: PyTorch's (torchvision's default) and TensorFlow's.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
#: Images per split; the file prefix of each split.
SPLIT_SIZES = {"train": 60000, "t10k": 10000}
IMAGE_SIDE = 28
DOWNLOAD_TIMEOUT_S = 5.0

# IDX type codes (third byte of the magic number) -> big-endian numpy dtype
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"
_HOW_TO_GET = (
    "To get it, on a machine that is online: course_utils.mnist.load_mnist(download=True) downloads the four\n"
    "files (about 11 MB) into the first of these folders. Or copy them there yourself: train-images-idx3-ubyte.gz,\n"
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not).\n"
    "Set COURSE_DATA=DIR to use DIR/mnist instead of ~/.cache/course_data/mnist, or pass root= to load_mnist."
)


class MnistUnavailable(OSError):
    """MNIST is not on this machine and could not be downloaded; the message says how to get it."""


def file_names() -> list[str]:
    """The four file names without ``.gz``: images then labels, train then test."""
    return [f"{split}-{kind}" for split in SPLIT_SIZES for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]


def mnist_dirs(root: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for the four files, in order (see the module docstring).

    ``root`` given: ``root`` and ``root/MNIST/raw``. Otherwise, with ``base`` = ``$COURSE_DATA`` or
    ``~/.cache/course_data``: ``base/mnist``, ``base/mnist/MNIST/raw``, ``base/MNIST/raw``.
    The first folder is where :func:`load_mnist` downloads to.
    """
    if root is not None:
        root = Path(root).expanduser()
        return [root, root / "MNIST" / "raw"]
    env = os.environ.get("COURSE_DATA")
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "course_data"
    return [base / "mnist", base / "mnist" / "MNIST" / "raw", base / "MNIST" / "raw"]


def _find_in(folder: Path) -> list[Path] | None:
    """The four files in ``folder`` (the gzipped one when both forms are there), or None if any is missing."""
    found = []
    for name in file_names():
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            return None
    return found


def find_mnist(root: str | os.PathLike | None = None) -> list[Path] | None:
    """Paths of the four files in the first folder of :func:`mnist_dirs` that holds all four, else None."""
    for folder in mnist_dirs(root):
        found = _find_in(folder)
        if found is not None:
            return found
    return None


def md5sum(path: str | os.PathLike) -> str:
    """Hex MD5 of a file's bytes."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: str | os.PathLike, checksums: dict | None = None) -> bool:
    """Check ``path`` against ``checksums[its file name]`` (default :data:`MNIST_MD5`).

    Returns True when checked, False when the table has no sum for that name (unpacked files).

    Raises:
        ValueError: the sum differs; the message names the file and says what to do.
    """
    path = Path(path)
    expected = (MNIST_MD5 if checksums is None else checksums).get(path.name)
    if expected is None:
        return False
    actual = md5sum(path)
    if actual != expected:
        raise ValueError(
            f"{path}: MD5 {actual} does not match the published {expected}; the file is damaged or not "
            f"MNIST. Delete it and fetch it again (load_mnist(download=True))."
        )
    return True


def read_idx(path: str | os.PathLike, magic: int | None = None, shape: tuple | None = None) -> np.ndarray:
    """Read one IDX file (gzipped or not: told by its first two bytes) into a numpy array.

    IDX: a big-endian 32-bit magic number ``0x0000TTDD`` (TT: the type code, 0x08 = unsigned byte;
    DD: the number of dimensions), DD big-endian 32-bit sizes, then the values, C order.

    Args:
        path: the file.
        magic: the magic number the file must have (0x803 for MNIST images, 0x801 for labels).
        shape: the shape it must have; ``None`` entries match any size.

    Returns:
        The array in native byte order (uint8 for MNIST).

    Raises:
        ValueError: a bad magic number, a shape other than ``shape``, or a truncated file or one
            with bytes after the data; the message names the file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == _GZIP_MAGIC:
            data = gzip.decompress(data)
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError; a cut gzip stream is an EOFError
        raise ValueError(f"{path}: not a readable IDX file ({err}); delete it and fetch it again") from err
    if len(data) < 4:
        raise ValueError(f"{path}: truncated: {len(data)} bytes, not even the 4-byte magic number")
    code = int.from_bytes(data[:4], "big")
    dtype_code, ndim = data[2], data[3]
    if data[:2] != b"\0\0" or dtype_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(f"{path}: bad magic number 0x{code:08x}: not an IDX file")
    if magic is not None and code != magic:
        raise ValueError(f"{path}: magic number 0x{code:08x}, expected 0x{magic:08x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated: {len(data)} bytes, the header alone needs {header}")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if shape is not None and (len(shape) != ndim or any(s is not None and s != d for s, d in zip(shape, dims))):
        raise ValueError(f"{path}: shape {dims}, expected {tuple(shape)}")
    dtype = np.dtype(_IDX_DTYPES[dtype_code])
    expected = header + int(np.prod(dims)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has extra bytes after the data"
        raise ValueError(f"{path}: {problem}: {len(data)} bytes, shape {dims} needs {expected}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def read_mnist_pair(
    images_path: str | os.PathLike, labels_path: str | os.PathLike, n: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST images file and its labels file, checked against each other.

    Args:
        n: the number of images both must hold (None: any, as long as they agree).

    Returns:
        images (n, 28, 28) uint8 in 0..255 and labels (n,) int64 in 0..9.

    Raises:
        ValueError: a file fails :func:`read_idx`'s checks, the counts differ, or a label is not 0-9.
    """
    images = read_idx(images_path, magic=0x00000803, shape=(n, IMAGE_SIDE, IMAGE_SIDE))
    labels = read_idx(labels_path, magic=0x00000801, shape=(n,))
    if len(images) != len(labels):
        raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: label {int(labels.max())} is not a digit 0-9")
    return images, labels.astype(np.int64)


def _where(folders: list[Path]) -> str:
    """Where the files were looked for, and how to get them there."""
    return "Looked in:\n" + "".join(f"  {f}\n" for f in folders) + _HOW_TO_GET


def _download(folders: list[Path], checksums: dict, timeout: float) -> None:
    """Fetch the missing gzipped files into ``folders[0]``; fail fast with MnistUnavailable when offline."""
    folder = folders[0]
    folder.mkdir(parents=True, exist_ok=True)
    for name in file_names():
        target = folder / f"{name}.gz"
        if target.is_file() or (folder / name).is_file():
            continue
        errors = []
        for mirror in MNIST_MIRRORS:
            url = mirror + target.name
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    data = response.read()
            except (OSError, http.client.HTTPException) as err:  # offline, DNS, timeout, HTTP error, cut short
                errors.append(f"{url}: {getattr(err, 'reason', err)}")
                continue
            expected, actual = checksums.get(target.name), hashlib.md5(data).hexdigest()
            if expected is not None and actual != expected:
                raise ValueError(
                    f"{url}: MD5 {actual} does not match the published {expected}: the download is damaged "
                    f"or the mirror serves another file. Nothing was saved; try again later."
                )
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(data)
            partial.replace(target)  # complete files only: an interrupted download leaves no target behind
            break
        else:
            raise MnistUnavailable(
                "could not download MNIST (is this machine offline?):\n"
                + "".join(f"  {e}\n" for e in errors)
                + _where(folders)
            )


def load_mnist(
    root: str | os.PathLike | None = None,
    download: bool = False,
    *,
    checksums: dict | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as numpy arrays, from a local copy or, with ``download=True``, from the web.

    Args:
        root: a folder holding the four files (or torchvision's ``root`` with ``MNIST/raw`` under it);
            default: ``$COURSE_DATA/mnist`` and the other folders of :func:`mnist_dirs`.
        download: fetch the files into ``mnist_dirs(root)[0]`` when no folder holds them.
        checksums: file name -> MD5 (default :data:`MNIST_MD5`, the published sums of the gzipped files).
        timeout: seconds per network operation of a download.

    Returns:
        X_train (60000, 28, 28) uint8, y_train (60000,) int64, X_test (10000, 28, 28) uint8,
        y_test (10000,) int64: the official split, in the files' order.

    Raises:
        MnistUnavailable: no folder holds the files and ``download`` is False, or the download failed.
        ValueError: a file is damaged (checksum, magic number, shape or size); the message names it.
    """
    checksums = MNIST_MD5 if checksums is None else checksums
    paths = find_mnist(root)
    if paths is None and download:
        _download(mnist_dirs(root), checksums, timeout)
        paths = find_mnist(root)
    if paths is None:
        raise MnistUnavailable("MNIST is not on this machine. " + _where(mnist_dirs(root)))
    for path in paths:
        verify_checksum(path, checksums)
    n_train, n_test = SPLIT_SIZES.values()
    X_train, y_train = read_mnist_pair(paths[0], paths[1], n_train)
    X_test, y_test = read_mnist_pair(paths[2], paths[3], n_test)
    return X_train, y_train, X_test, y_test


def mnist_tensors(
    root: str | os.PathLike | None = None, download: bool = False, device: torch.device | str | None = None
) -> Split:
    """MNIST shaped like :func:`course_utils.datasets.digits_tensors`, for a CNN.

    Returns:
        Split with X_train (60000, 1, 28, 28) float32 in [0, 1], y_train (60000,) int64,
        X_test (10000, 1, 28, 28) float32, y_test (10000,) int64, all on ``device``.

    Raises:
        MnistUnavailable, ValueError: see :func:`load_mnist`.
    """
    X_train, y_train, X_test, y_test = load_mnist(root, download)
    image = lambda a: torch.from_numpy(a[:, None].astype(np.float32) / 255.0)  # noqa: E731
    to = lambda t: t.to(device) if device is not None else t  # noqa: E731
    return Split(to(image(X_train)), to(torch.from_numpy(y_train)), to(image(X_test)), to(torch.from_numpy(y_test)))
