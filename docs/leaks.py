"""Find assignment answers in a built site: nbgrader's markers and the reference solutions' code.

The site shows each assignment as nbgrader releases it: no reference solution and no hidden
test. :func:`find_leaks` reads every file under a folder (pages, copied notebooks, sources,
search index, scripts) and reports

* an nbgrader marker (``BEGIN SOLUTION``, ``END SOLUTION``, ``BEGIN HIDDEN TESTS``,
  ``END HIDDEN TESTS``), except in the instructor's guides that document them;
* any line of a reference solution or of a hidden test from ``assignments/source/*/*.ipynb``
  (the code between the markers) of at least ``MIN_LINE`` characters that is not a comment and
  is public nowhere else: not outside the markers in the same notebook (a docstring, a line
  the student's stub or the visible tests share) and not in a course notebook, not even inside
  one of its lines (``notebooks/`` shows its own worked solutions; a line such as
  ``import torch.nn.functional as F`` is in both, ``loss, dscores = softmax_cross_entropy(scores, y)``
  is notebook 03's with a comment after it).

Text is compared with runs of whitespace collapsed; an HTML page is read both as it is and as
the text a reader sees (syntax highlighting splits code into many tags), a notebook or JSON
file also as the strings it holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MIN_LINE = 25
_REGION = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b", re.M)


def normalize(text: str) -> str:
    return " ".join(text.split())


def markers_in(text: str) -> list[str]:
    return [m for m in MARKERS if m in text]


def lines_of(notebook: Path) -> set[str]:
    """Every line of every cell of ``notebook`` (normalized)."""
    return {
        normalize(line) for cell in nbformat.read(notebook, as_version=4).cells for line in cell.source.splitlines()
    }


def secret_lines(source: Path, public: set[str] = frozenset()) -> set[str]:
    """The non-trivial lines of ``source``'s reference solutions and hidden tests that a
    student must never see (normalized); ``public``: lines shown elsewhere anyway."""
    inside, public = [], set(public)
    for cell in nbformat.read(source, as_version=4).cells:
        # a solution cell without markers is replaced whole in the release
        whole = cell.metadata.get("nbgrader", {}).get("solution") and not _REGION.search(cell.source)
        region = "SOLUTION" if whole else None
        for line in cell.source.splitlines():
            marker = _REGION.match(line)
            if marker:
                region = marker.group(2) if marker.group(1) == "BEGIN" else None
            elif region:
                inside.append(normalize(line))
            else:
                public.add(normalize(line))
    return {line for line in inside if len(line) >= MIN_LINE and not line.startswith("#") and line not in public}


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def readings(path: Path) -> list[str]:
    """The ways the file can be read as text (normalized): raw, plus what a reader sees of
    an HTML page, plus the strings of a notebook or JSON file."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    texts = [raw]
    if path.suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        texts.append(BeautifulSoup(raw, "html.parser").get_text())
    elif path.suffix in (".ipynb", ".json"):
        try:
            texts.append("\n".join(_json_strings(json.loads(raw))))
        except ValueError:
            pass
    return [normalize(t) for t in texts]


def find_leaks(
    root: Path, sources: list[Path], public: list[Path] = (), markers_allowed_in: set[str] = frozenset()
) -> list[str]:
    """Every leak under ``root``, as ``"<relative path>: <what>"``; [] when there is none.

    ``sources``: the assignment source notebooks; ``public``: the course notebooks, whose lines
    are no secret; ``markers_allowed_in``: paths relative to ``root`` (POSIX) where the marker
    names may appear (the guides that document them)."""
    shown = set().union(*(lines_of(nb) for nb in public))
    shown_text = "\n".join(sorted(shown))  # a course notebook's line may hold one with a comment after it
    secrets = {
        line: source.stem for source in sources for line in secret_lines(source, shown) if line not in shown_text
    }
    if sources and not secrets:
        raise ValueError(f"no solution or hidden-test line found in {sources}: the leak check would be blind")
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        texts = readings(path)
        if rel not in markers_allowed_in:
            for marker in sorted({m for t in texts for m in markers_in(t)}):
                found.append(f"{rel}: nbgrader marker {marker!r}")
        for line, assignment in secrets.items():
            if any(line in t for t in texts):
                found.append(f"{rel}: a line of {assignment}'s reference solution or hidden tests: {line!r}")
    return found
