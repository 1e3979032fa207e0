"""No file of the built site shows an assignment's reference solution or hidden tests.

``docs/leaks.py`` reads every file under the site (pages, the notebooks offered for download,
Sphinx's copies of the sources, the search index, scripts): an nbgrader marker outside the
instructor's guides, or a line of a reference solution or hidden test, is a leak. The checker
is also run on fake pages that do leak, to show that it would fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import build_site
import leaks
import nbformat
import pytest

pytestmark = pytest.mark.site

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted((REPO / "assignments" / "source").glob("*/*.ipynb"))


def test_site_shows_no_solution_and_no_hidden_test(site_html):
    found = build_site.leaks_in(site_html)
    assert found == [], "the site shows what students must not see:\n" + "\n".join(found[:50])


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_assignment_page_is_the_student_version(site_html, source):
    """The notebook behind an assignment's page (offered for download) is nbgrader's release:
    every answer cell holds the stub, no cell has an output."""
    released = nbformat.read(site_html / "_sources" / "assignments" / f"{source.stem}.ipynb", as_version=4)
    answers = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all("raise NotImplementedError()" in c.source for c in answers)
    assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code")
    assert (site_html / "assignments" / f"{source.stem}.html").read_text().count("NotImplementedError") >= len(answers)


@pytest.fixture(scope="module")
def a_secret() -> str:
    """One line of the backprop assignment's reference solution."""
    return sorted(leaks.secret_lines(SOURCES[0]), key=len)[-1]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_leak_check_finds_a_marker(tmp_path):
    _write(tmp_path, "clean.html", "<p>Nothing to see.</p>")
    _write(tmp_path, "page.html", "<pre><span>### BEGIN HIDDEN TESTS</span>\nassert True</pre>")
    found = leaks.find_leaks(tmp_path, SOURCES)
    assert found == ["page.html: nbgrader marker 'BEGIN HIDDEN TESTS'"], found


def test_leak_check_finds_a_solution_line_in_highlighted_code(tmp_path, a_secret):
    # Pygments splits code into one <span> per token: the line is found in the page's text
    tokens = "".join(f'<span class="n">{word}</span> ' for word in a_secret.split())
    _write(tmp_path, "notebooks/x.html", f"<div class='highlight'><pre>{tokens}</pre></div>")
    found = leaks.find_leaks(tmp_path, SOURCES)
    assert len(found) == 1 and found[0].startswith("notebooks/x.html: a line of backprop"), found


def test_leak_check_finds_a_solution_line_in_a_downloadable_notebook(tmp_path, a_secret):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"def f():\n    {a_secret}\n")])
    _write(tmp_path, "_sources/x.ipynb", json.dumps(nb))  # JSON escapes quotes and newlines
    found = leaks.find_leaks(tmp_path, SOURCES)
    assert len(found) == 1 and found[0].startswith("_sources/x.ipynb: a line of backprop"), found


def test_leak_check_allows_markers_only_where_told(tmp_path, a_secret):
    _write(tmp_path, "guide.html", "<p>solutions go between <code>### BEGIN SOLUTION</code> and END SOLUTION</p>")
    assert leaks.find_leaks(tmp_path, SOURCES, markers_allowed_in={"guide.html"}) == []
    _write(tmp_path, "guide.html", f"<p>### BEGIN SOLUTION</p><pre>{a_secret}</pre>")
    found = leaks.find_leaks(tmp_path, SOURCES, markers_allowed_in={"guide.html"})
    assert len(found) == 1 and "a line of backprop" in found[0], found


def test_secret_lines_leave_out_what_students_see_anyway():
    source = SOURCES[0]
    secrets = leaks.secret_lines(source)
    assert len(secrets) > 20
    visible = set()
    for cell in nbformat.read(source, as_version=4).cells:
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        before_marker = cell.source.split("### BEGIN SOLUTION")[0]
        visible |= {leaks.normalize(line) for line in before_marker.splitlines()}  # signature, docstring
    assert not secrets & visible
    assert all(len(line) >= leaks.MIN_LINE and not line.startswith("#") for line in secrets)


def test_a_secret_line_inside_a_course_notebooks_line_is_public(tmp_path, a_secret):
    """A line of a reference solution that a course notebook shows with a comment after it (or
    inside a docstring) is public: the site may show it."""
    course = tmp_path / "course.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = 1\n    {a_secret}   # why")]), course
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text(f"<pre>{a_secret}</pre>")
    assert leaks.find_leaks(site, SOURCES, [course]) == []
    assert leaks.find_leaks(site, SOURCES, []) != []
