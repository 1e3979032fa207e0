"""Every committed notebook is stored clean and well-formed."""

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]


def committed_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    found = sorted(ROOT / p for p in out.stdout.split())
    # Files not yet committed are checked too, so a problem shows before the commit.
    found += sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if p not in found)
    return found


NOTEBOOKS = committed_notebooks()
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/(home|root|work|tmp|Users|usr|opt|mnt)/|[A-Za-z]:\\\\)")


def test_there_are_notebooks():
    assert any(p.parent.name == "notebooks" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_clean_and_valid(path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4, "notebooks must be nbformat 4"
    nbformat.validate(nb)
    kernelspec = nb.metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"kernelspec must be python3, got {kernelspec}"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {i} has stored outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {i} has an execution count: clear it"
        match = ABSOLUTE_PATH.search(cell.source)
        assert match is None, f"cell {i} contains an absolute path {match.group(0)!r}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent.name == "notebooks"], ids=lambda p: p.name)
def test_course_notebook_naming_and_title(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), f"{path.name} is not named NN_topic.ipynb"
    nb = json.loads(path.read_text())
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# "), (
        "the first cell must be a markdown title ('# ...')"
    )


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent.name == "notebooks"], ids=lambda p: p.name)
def test_course_notebook_runs_torch_on_one_cpu_thread(path):
    """The set-up cell (the first code cell) calls ``set_cpu_threads(1)``: with torch's default of
    one thread per core, notebook 06's RNN sweep ran 14 times slower beside one other busy
    program (``benchmarks/bench_cpu_threads.py``) and overran nbclient's cell timeout."""
    nb = json.loads(path.read_text())
    setup = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert re.search(r"^set_cpu_threads\(1\)", setup, re.M), "the set-up cell must call set_cpu_threads(1)"
    assert "set_num_threads" not in setup, "use course_utils.set_cpu_threads, the one place that sets threads"


CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# "\\" is LaTeX's line break; "\\phi" (a break, then the text "phi") is a doubled escape.
DOUBLED_BACKSLASH = re.compile(r"\\\\[A-Za-z]")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_has_no_mangled_latex(path):
    """Escapes written through a Python string once turned ``\\approx`` into a BEL character
    and ``\\phi`` into ``\\\\phi``: MathJax shows an error box where the formula should be."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        bad = CONTROL_CHARACTER.search(cell.source) or DOUBLED_BACKSLASH.search(cell.source)
        assert bad is None, f"markdown cell {i}: {cell.source[max(0, bad.start() - 30) : bad.end() + 10]!r}"


HEADING = re.compile(r"^(#{1,6})\s+\S", re.M)
FENCE_BLOCK = re.compile(r"^```.*?^```", re.M | re.S)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_headings_form_an_outline(path):
    """One H1, first; no level skipped on the way down (an H2 then an H4 leaves a screen-reader user
    who jumps by headings without the level between). Code blocks in markdown are not headings."""
    nb = nbformat.read(path, as_version=4)
    levels = [
        (i, len(m.group(1)))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown" and "solution" not in cell.metadata.get("tags", [])
        for m in HEADING.finditer(FENCE_BLOCK.sub("", cell.source))
    ]
    assert levels and levels[0][1] == 1, f"the first heading must be the H1 title: {levels[:1]}"
    assert [lvl for _, lvl in levels].count(1) == 1, f"more than one H1: cells {[i for i, lvl in levels if lvl == 1]}"
    skips = [(i, a, b) for (_, a), (i, b) in zip(levels, levels[1:]) if b > a + 1]
    assert not skips, f"heading levels skipped (cell, from, to): {skips}"


NAMED_ID = re.compile(r"(?i)\b(?:exercises?|self-check|solve|solved|solution to exercise)\s+(\d\d\.q?\d+)\b")


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent.name == "notebooks"], ids=lambda p: p.name)
def test_the_exercises_and_self_checks_a_notebook_names_are_its_own(path):
    """ "Self-check 11.q1", "exercise 09.2", "before you solve 10.1": an id the prose names is one of the notebook's
    own exercises (cell metadata) or self-checks (``quiz("...")`` calls), not a stale number from a renumbering."""
    cells = nbformat.read(path, as_version=4).cells
    own = {c.metadata["exercise"] for c in cells if "exercise" in c.metadata}
    own |= {m for c in cells for m in re.findall(r"quiz\(\"(\d\d\.q\d+)\"", c.source)}
    named = [(i, m) for i, c in enumerate(cells) if c.cell_type == "markdown" for m in NAMED_ID.findall(c.source)]
    stale = [(i, m) for i, m in named if m not in own]
    assert not stale, f"(cell, id) named in the prose but not this notebook's: {stale}"
