"""course_utils.catalog: the notebooks read from their folder, so none can be left out."""

import json
from pathlib import Path

import pytest

from course_utils.catalog import notebooks, table_of_contents

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _notebook(folder: Path, name: str, title: str) -> None:
    cell = {"cell_type": "markdown", "metadata": {}, "source": [title]}
    (folder / name).write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_every_course_notebook_is_in_the_table():
    table = table_of_contents(NOTEBOOKS)
    numbers = sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("00_"))
    assert numbers and [line.split(" | ")[0].strip("| ") for line in table.splitlines()[2:]] == numbers
    assert "| 09 | Reinforcement learning |" in table and "| 08 | Generative adversarial networks |" in table


def test_a_new_notebook_appears_and_other_files_do_not(tmp_path):
    _notebook(tmp_path, "00_welcome.ipynb", "# 00 · Welcome")
    _notebook(tmp_path, "09_style_transfer.ipynb", "# 09 · Style transfer\n\nMore text.")
    _notebook(tmp_path, "01_linear.ipynb", "# 01 · Linear models")
    _notebook(tmp_path, "scratch.ipynb", "# scratch")
    (tmp_path / "10_notes.txt").write_text("not a notebook")
    assert [nb.number for nb in notebooks(tmp_path)] == ["00", "01", "09"]
    assert table_of_contents(tmp_path).splitlines()[2:] == [
        "| 01 | Linear models |",
        "| 09 | Style transfer |",
    ]


def test_a_notebook_without_a_title_or_a_missing_folder_is_a_clear_error(tmp_path):
    _notebook(tmp_path, "03_untitled.ipynb", "Some text, no heading")
    with pytest.raises(ValueError, match="03_untitled.ipynb: its first cell should be its title"):
        notebooks(tmp_path)
    with pytest.raises(FileNotFoundError, match="pass the course's notebooks/ folder"):
        notebooks(tmp_path / "nowhere")
