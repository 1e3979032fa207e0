"""docs/assemble.py: links of copied Markdown, folded solutions, the home page."""

from __future__ import annotations

import assemble
import nbformat
import pytest
import settings
from nbformat.v4 import new_markdown_cell, new_notebook

pytestmark = pytest.mark.site


def test_links_to_pages_of_the_site_point_to_them():
    text = "[a](notebooks/01_linear_models.ipynb) [b](assignments/source/backprop/backprop.ipynb)"
    assert assemble.rewrite_links(text, "README.md", "index.md") == (
        "[a](notebooks/01_linear_models.ipynb) [b](assignments/backprop.ipynb)"
    )
    # seen from a page in a folder, with an anchor
    assert assemble.rewrite_links("[g](GRADING.md#x)", "assignments/README.md", "instructors/assignments.md") == (
        "[g](grading.md#x)"
    )


def test_links_to_other_repository_files_point_to_the_repository():
    text = assemble.rewrite_links("see [the guide](CONTRIBUTING.md) and [lab](lab/)", "README.md", "index.md")
    blob = f"{settings.REPOSITORY_URL}/blob/{settings.REPOSITORY_BRANCH}/CONTRIBUTING.md"
    tree = f"{settings.REPOSITORY_URL}/tree/{settings.REPOSITORY_BRANCH}/lab"
    assert text == f"see [the guide]({blob}) and [lab]({tree})"


def test_other_links_and_code_are_left_alone():
    text = "[web](https://example.org) [here](#top) [gone](nothing.md)\n```\n[x](notebooks/00_welcome.ipynb)\n```\n"
    assert assemble.rewrite_links(text, "README.md", "index.md") == text


def test_solutions_are_folded_behind_show_solution():
    solution = new_markdown_cell("**Solution to exercise 06.1**\n\n```python\nx = 1\n```")
    solution.metadata = {"tags": ["solution"], "jupyter": {"source_hidden": True}, "exercise": "06.1"}
    nb = new_notebook(cells=[new_markdown_cell("# Title"), solution])
    assert assemble.fold_solutions(nb) == 1
    assert nb.cells[0].source == "# Title"
    lines = nb.cells[1].source.splitlines()
    assert lines[0] == "::::{dropdown} Show solution (exercise 06.1)" and lines[-1] == "::::"
    assert ":class-container: course-solution" in lines and "x = 1" in lines


def test_every_notebook_solution_is_folded():
    for source in sorted(assemble.executed.NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(source, as_version=4)
        tagged = sum("solution" in c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "markdown")
        assert assemble.fold_solutions(nb) == tagged


def test_home_page_has_the_readme_and_the_navigation():
    home = assemble.home_page(["00_welcome.ipynb"], ["backprop"])
    readme = (assemble.REPO / "README.md").read_text()
    assert home.startswith(readme.split("\n", 1)[0])  # the README's title
    assert "## Table of contents" in home and "## Quick start" not in home
    assert "(assignments/backprop.ipynb)" in home and "assignments/source/" not in home
    for entry in ("notebooks/00_welcome", "assignments/backprop", "instructors/assignments", "instructors/grading"):
        assert f"\n{entry}\n" in home
