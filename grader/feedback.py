"""Feedback that never shows a hidden test: one rule for every path that makes feedback.

Part of the instructor's grading tools. Students get feedback from two producers:

* the batch grader (:mod:`grader`), whose pages come from
  :func:`grader.feedback_page.feedback_html`;
* nbgrader's own ``nbgrader generate_feedback`` (also run by ``assignments/grade.sh``),
  which renders the *autograded* notebook, hidden tests and tracebacks included, unless
  ``assignments/nbgrader_config.py`` puts :class:`HideHiddenTests` in its preprocessors.

Both apply the same rule: a test cell shows its released (public) source, with each
hidden block replaced by ``# (hidden tests)``; a failure on a hidden line shows only
"a hidden test failed (AssertionError)"; a failure on a visible line shows its exception
and message but no traceback (tracebacks print neighbouring source lines); nothing a test
cell printed is shown, since a hidden part may have printed it.

:func:`find_leaks` reads feedback HTML as text (tags stripped, entities decoded: syntax
highlighting splits lines into spans) and reports any hidden-test marker or any line of a
hidden test. ``python -m grader.feedback COURSE [ASSIGNMENT ...]`` runs
it over ``COURSE/feedback`` and exits 1 on a leak; ``grade.sh`` runs it, and
``nbgrader release_feedback`` (:class:`grader.exchange.CheckedReleaseFeedback`)
refuses to release while it finds one.
"""

from __future__ import annotations

import argparse
import html.parser
import re
import sys
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN_RE = re.compile(r"^\s*### BEGIN HIDDEN TESTS.*?^\s*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
MARKERS = ("BEGIN HIDDEN", "END HIDDEN")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"(?:Cell In ?\[[^\]]*\], line (\d+))|(?:<cell line: (\d+)>)")
_MIN_LEAK_CHARS = 12  # shorter hidden lines ("])", "x = 1") say nothing about the test


def public_source(source: str) -> str:
    """A test cell as students may see it: hidden blocks replaced by a comment."""
    return HIDDEN_RE.sub("# (hidden tests)\n", source)


def hidden_lines(source: str) -> set[int]:
    """1-based numbers of the lines of ``source`` inside hidden-test blocks (markers included)."""
    out = set()
    for m in HIDDEN_RE.finditer(source):
        start = source.count("\n", 0, m.start()) + 1
        end = source.count("\n", 0, m.end()) + 1
        out |= set(range(start, end + 1))
    return out


def public_error(ename: str, evalue: str, line: int | None, hidden: set[int]) -> str:
    """What a student is told about a failed test cell: the exception and its message when
    the failing ``line`` is visible; only that a hidden test failed when it is hidden or
    unknown (``None``) in a cell with hidden tests."""
    if hidden and (line is None or line in hidden):
        return f"a hidden test failed ({ename})"
    return f"{ename}: {evalue}"


def failing_line(traceback_lines: list[str]) -> int | None:
    """The line of the executed cell where an IPython traceback starts (its first
    ``Cell In[n], line L`` frame), or ``None`` when none is found."""
    for entry in traceback_lines:
        match = _CELL_LINE.search(_ANSI.sub("", entry))
        if match:
            return int(match.group(1) or match.group(2))
    return None


def _is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def sanitize_test_cell(cell) -> None:
    """Make an executed nbgrader test cell safe to show a student (in place), by the rule above."""
    import nbformat

    hidden = hidden_lines(cell.source)
    outputs = []
    for out in cell.get("outputs", []):
        if out.get("output_type") != "error":
            continue  # printed text or values may come from a hidden part
        ename = out.get("ename", "Error")
        text = public_error(ename, out.get("evalue", ""), failing_line(out.get("traceback", [])), hidden)
        outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=text, traceback=[text]))
    cell.outputs = outputs
    cell.source = public_source(cell.source)


class HideHiddenTests(Preprocessor):
    """nbconvert/nbgrader preprocessor: :func:`sanitize_test_cell` on every test cell.

    ``assignments/nbgrader_config.py`` adds it to ``GenerateFeedback.preprocessors``, so
    ``nbgrader generate_feedback`` run from the course root never renders hidden tests.
    Enabled by default (nbconvert's preprocessors are off unless enabled)."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if _is_test_cell(cell):
            sanitize_test_cell(cell)
        return cell, resources


# ------------------------------------------------------------------- leak detection
class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(page: str) -> str:
    """The text of an HTML page: tags dropped, entities decoded (scripts and styles kept)."""
    parser = _Text()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def secret_lines(source_notebook) -> set[str]:
    """The stripped lines of every hidden-test block of ``source_notebook`` (an nbformat
    notebook) that are long enough to identify it and do not also appear in public text."""
    hidden, public = set(), set()
    for cell in source_notebook.cells:
        for block in HIDDEN_RE.findall(cell.source):
            hidden |= {line.strip() for line in block.splitlines()}
        public |= {line.strip() for line in HIDDEN_RE.sub("", cell.source).splitlines()}
    return {line for line in hidden - public if len(line) >= _MIN_LEAK_CHARS and not line.startswith("###")}


def find_leaks(page: str, secrets: set[str]) -> list[str]:
    """What of ``secrets`` (and any hidden-test marker) the HTML ``page`` shows."""
    text = html_text(page)
    found = [m for m in MARKERS if m in text]
    lines = {line.strip() for line in text.splitlines()}
    found += sorted(s for s in secrets if s in lines)
    return found


def check_course(course: Path, assignments: list[str] | None = None) -> list[str]:
    """Every leak in ``course/feedback/*/<assignment>/*.html``, as ``"path: what"`` lines."""
    import nbformat

    course = Path(course)
    names = assignments or sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    problems = []
    for name in names:
        secrets = set()
        for nb_path in (course / "source" / name).glob("*.ipynb"):
            secrets |= secret_lines(nbformat.read(nb_path, as_version=4))
        for page in sorted((course / "feedback").glob(f"*/{name}/*.html")):
            leaks = find_leaks(page.read_text(errors="replace"), secrets)
            if leaks:
                problems.append(f"{page}: shows {len(leaks)} hidden-test item(s), e.g. {leaks[0]!r}")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m grader.feedback", description="Fail if any feedback page shows a hidden test."
    )
    p.add_argument("course", type=Path, help="the nbgrader course root (with source/ and feedback/)")
    p.add_argument("assignments", nargs="*", help="assignments to check (default: all in source/)")
    a = p.parse_args(argv)
    problems = check_course(a.course, a.assignments or None)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} feedback page(s) show hidden tests: do not release them", file=sys.stderr)
        return 1
    print("feedback checked: no hidden test in any page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
