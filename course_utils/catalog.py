"""The course's notebooks, read from their folder: what the welcome notebook lists.

A notebook is ``NN_topic.ipynb`` (two digits, then a name) whose first cell is its title,
``# NN · Title``. Reading the folder, not a list typed by hand, means a new notebook is never
missing from the welcome notebook's table of contents.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Notebook", "notebooks", "table_of_contents"]

_NAME = re.compile(r"^(\d\d)_[A-Za-z0-9_]+\.ipynb$")


@dataclass(frozen=True)
class Notebook:
    """One notebook: its number ("01"), its title (the H1 without the number) and its file."""

    number: str
    title: str
    path: Path


def _title(path: Path) -> str:
    """The notebook's H1, ``# 01 · Linear models`` -> ``Linear models`` (a clear error if it has none)."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    source = "".join(cells[0].get("source", [])) if cells and cells[0].get("cell_type") == "markdown" else ""
    first = source.strip().splitlines()[0] if source.strip() else ""
    if not first.startswith("# "):
        raise ValueError(f"{path.name}: its first cell should be its title, '# NN · Title'; it is {first[:60]!r}")
    return re.sub(r"^\d\d\s*[·:.-]\s*", "", first[2:].strip())


def notebooks(folder: str | Path = ".") -> list[Notebook]:
    """The course notebooks in ``folder`` (the notebooks' own folder by default), by number."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder.resolve()}: pass the course's notebooks/ folder")
    found = [(m[1], p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return [Notebook(number, _title(path), path) for number, path in sorted(found)]


def table_of_contents(folder: str | Path = ".", after: str = "00") -> str:
    """A Markdown table (``| notebook | topic |``) of the notebooks numbered after ``after``."""
    rows = [f"| {nb.number} | {nb.title} |" for nb in notebooks(folder) if nb.number > after]
    return "\n".join(["| notebook | topic |", "|---|---|", *rows])
