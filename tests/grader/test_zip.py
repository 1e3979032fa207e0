"""grader.submissions.safe_extract and collect: a zip of submissions in any of the supported layouts;
unsafe entries (``../``, absolute paths, symbolic links) are skipped, a zip declaring too much
data or a corrupt one is refused with ValueError."""

from __future__ import annotations

import stat
import zipfile

import pytest

from grader.messages import Status
from grader.submissions import collect, safe_extract

NB = '{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}'


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, name)
            else:
                zf.writestr(name, data)
    return path


def symlink_entry(name):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_nested_layout_and_a_single_top_folder(tmp_path):
    z = make_zip(
        tmp_path / "c.zip",
        [
            ("class/ann/toy/toy.ipynb", NB),
            ("class/bob/toy.ipynb", NB),
            ("class/cid/", ""),  # a folder entry: an empty folder, no notebook
            ("class/dan/toy/toy (1).ipynb", NB),
            ("class/eve/readme.txt", "x"),
            ("__MACOSX/class/._ann", "junk"),
        ],
    )
    dest = tmp_path / "out"
    dest.mkdir()
    root = safe_extract(z, dest)
    assert root == dest / "class"  # the zip of the folder itself
    subs = {s.student: s for s in collect(root, "toy", "toy")}
    assert subs["ann"].path.name == subs["bob"].path.name == "toy.ipynb"
    assert subs["dan"].problem[0] is Status.WRONG_NAME
    assert subs["cid"].problem[0] is subs["eve"].problem[0] is Status.MISSING
    assert not (dest / "__MACOSX").exists()


def test_traversal_absolute_paths_and_symlinks_are_skipped(tmp_path):
    z = make_zip(
        tmp_path / "c.zip",
        [
            ("ann.ipynb", NB),
            ("../evil.ipynb", NB),
            ("a/../../evil2.ipynb", NB),
            ("/tmp/evil3.ipynb", NB),
            ("link.ipynb", symlink_entry("link.ipynb")),  # its data would be the target path
            ("bob/toy.ipynb", symlink_entry("bob/toy.ipynb")),
        ],
    )
    z_data = {i.filename for i in zipfile.ZipFile(z).infolist()}
    assert "/tmp/evil3.ipynb" in z_data or "tmp/evil3.ipynb" in z_data
    dest = tmp_path / "out" / "inner"
    dest.mkdir(parents=True)
    assert safe_extract(z, dest) == dest
    found = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    # zipfile itself strips a leading "/": "tmp/evil3.ipynb" lands inside dest, harmlessly
    assert set(found) <= {"ann.ipynb", "tmp", "tmp/evil3.ipynb"} and "ann.ipynb" in found
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert not (tmp_path / "out" / "evil.ipynb").exists() and not (tmp_path / "evil2.ipynb").exists()


def test_a_file_where_a_folder_should_be_is_skipped(tmp_path):
    z = make_zip(tmp_path / "c.zip", [("ann", "x"), ("ann/toy.ipynb", NB), ("bob.ipynb", NB)])
    dest = tmp_path / "out"
    dest.mkdir()
    safe_extract(z, dest)
    assert (dest / "ann").is_file() and (dest / "bob.ipynb").is_file()


def test_declared_size_over_the_limit_is_refused(tmp_path):
    z = make_zip(tmp_path / "c.zip", [("a.ipynb", "0" * 600), ("b.ipynb", "0" * 600)])  # compresses to little
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ValueError, match="expands to more than"):
        safe_extract(z, dest, max_bytes=1000)


def test_an_entry_lying_about_its_size_is_not_read_past_it(tmp_path):
    z = make_zip(tmp_path / "c.zip", [("a.ipynb", "0" * 100_000)])
    raw = bytearray(z.read_bytes())
    size = (100_000).to_bytes(4, "little")
    assert raw.count(size) == 2  # the local header and the central directory
    z.write_bytes(bytes(raw).replace(size, (10).to_bytes(4, "little")))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ValueError, match="not a readable zip"):  # zipfile stops at 10 bytes: bad CRC
        safe_extract(z, dest, max_bytes=50)
    assert all(p.stat().st_size <= 10 for p in dest.rglob("*") if p.is_file())


def test_not_a_zip(tmp_path):
    bad = tmp_path / "c.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="not a readable zip"):
        safe_extract(bad, tmp_path)
