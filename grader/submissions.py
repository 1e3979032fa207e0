"""Finding the class's submissions: one per student, from a folder or a zip.

Part of :mod:`grader`. The coordinator (:mod:`grader.batch`) grades what :func:`collect` finds in
``SUBMISSIONS``: nbgrader's ``submitted/`` layout (``alice/backprop/backprop.ipynb``), one folder
per student (``alice/backprop.ipynb``) or one notebook per student (``alice.ipynb``); a ``.zip``
of any of these is extracted first, safely (:func:`safe_extract`). A student whose folder holds
no notebook, or one with another name, gets a :class:`Submission` that says so.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .messages import Status


@dataclass
class Submission:
    """One student's submission: the notebook to grade, or why there is none."""

    student: str
    path: Path | None = None
    problem: tuple[Status, str] | None = None  # why it cannot be graded at all


def safe_extract(zip_path: Path, dest: Path, max_bytes: int = 2 * 2**30) -> Path:
    """Extract a zip of submissions into the empty folder ``dest``; returns the folder to collect
    from (the zip's single top folder when it holds only that).

    Skipped: absolute paths, paths with ``..``, macOS's ``__MACOSX`` folders, symbolic links
    (nothing but plain files and folders is ever created, so nothing extracted can point outside
    ``dest``) and an entry whose place is taken (a file where a folder should be). Raises
    ValueError for a file that is not a zip, a corrupt zip, or one whose entries declare more
    than ``max_bytes`` in all (zipfile never reads past a declared size: a lying entry fails its
    CRC check instead)."""
    total = 0
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for info in zf.infolist():
                name = Path(info.filename)
                if name.is_absolute() or ".." in name.parts or info.filename.startswith("__MACOSX"):
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    continue
                total += info.file_size
                if total > max_bytes:
                    raise ValueError(f"{zip_path} expands to more than {max_bytes >> 20} MiB")
                target = dest / name
                try:
                    if info.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                except (FileExistsError, NotADirectoryError, IsADirectoryError):
                    continue  # "a" as a file and "a/b" too: the first one wins
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as err:
        raise ValueError(f"{zip_path}: not a readable zip ({err})") from None
    entries = [p for p in dest.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not list(entries[0].glob("*.ipynb")):
        return entries[0]  # a zip of the folder itself
    return dest


def collect(folder: Path, assignment: str, notebook: str) -> list[Submission]:
    """One :class:`Submission` per student found in ``folder`` (see module docstring)."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ValueError(f"submissions folder {folder} does not exist")
    subs = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            subs.append(Submission(entry.stem, entry))
        elif entry.is_dir():
            base = entry / assignment if (entry / assignment).is_dir() else entry
            expected = base / f"{notebook}.ipynb"
            found = sorted(p.name for p in base.glob("*.ipynb"))
            if expected.is_file():
                subs.append(Submission(entry.name, expected))
            elif found:
                subs.append(
                    Submission(
                        entry.name, None, (Status.WRONG_NAME, f"expected {notebook}.ipynb, found " + ", ".join(found))
                    )
                )
            else:
                subs.append(Submission(entry.name, None, (Status.MISSING, f"no notebook submitted ({notebook}.ipynb)")))
    return subs
