"""Feedback never shows a hidden test: the shared rule, nbgrader's preprocessor, the leak check."""

import nbformat
import pytest
from nbconvert import HTMLExporter

from grader.feedback import (
    HideHiddenTests,
    check_course,
    failing_line,
    find_leaks,
    hidden_lines,
    main,
    public_error,
    public_source,
    sanitize_test_cell,
    secret_lines,
)

TEST_SOURCE = """assert add(1, 2) == 3, "add(1, 2) should be 3"
print("visible tests passed")
### BEGIN HIDDEN TESTS
expected_secret_value = add(10, 20)
assert expected_secret_value == 30, "add(10, 20) must be 30"
### END HIDDEN TESTS
"""


def graded_cell(error_line=None, ename="AssertionError", evalue="add(10, 20) must be 30"):
    cell = nbformat.v4.new_code_cell(
        TEST_SOURCE, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t1", "points": 1}}
    )
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="visible tests passed\n")]
    if error_line is not None:
        tb = [
            "\x1b[0;31m----\x1b[0m",
            f"Cell \x1b[0;32mIn[7], line {error_line}\x1b[0m\n      3 ### BEGIN HIDDEN"
            f" TESTS\n----> {error_line} assert expected_secret_value == 30",
            f"\x1b[0;31m{ename}\x1b[0m: {evalue}",
        ]
        cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=tb))
    return cell


def test_public_source_and_hidden_lines():
    assert "expected_secret_value" not in public_source(TEST_SOURCE)
    assert "# (hidden tests)" in public_source(TEST_SOURCE)
    assert hidden_lines(TEST_SOURCE) == {3, 4, 5, 6, 7}


def test_public_error_says_only_that_a_hidden_test_failed():
    assert public_error("AssertionError", "secret 30", 5, {3, 4, 5}) == "a hidden test failed (AssertionError)"
    assert public_error("AssertionError", "secret 30", None, {3, 4, 5}) == "a hidden test failed (AssertionError)"
    assert (
        public_error("AssertionError", "add(1, 2) should be 3", 1, {3, 4, 5}) == "AssertionError: add(1, 2) should be 3"
    )


def test_failing_line_reads_the_first_cell_frame_through_ansi_codes():
    assert failing_line(["x", "Cell \x1b[0;32mIn[12], line 5\x1b[0m", "Cell In[3], line 9"]) == 5
    assert failing_line(["Input In [4], in <cell line: 3>()"]) == 3
    assert failing_line(["AssertionError: boom"]) is None


def test_sanitize_hidden_failure():
    cell = graded_cell(error_line=5)
    sanitize_test_cell(cell)
    assert [o.output_type for o in cell.outputs] == ["error"]
    assert cell.outputs[0].traceback == ["a hidden test failed (AssertionError)"]
    assert "30" not in cell.outputs[0].evalue and "expected_secret_value" not in cell.source


def test_sanitize_visible_failure_keeps_the_message_not_the_traceback():
    cell = graded_cell(error_line=1, evalue="add(1, 2) should be 3")
    sanitize_test_cell(cell)
    assert cell.outputs[0].traceback == ["AssertionError: add(1, 2) should be 3"]


def render(cell, preprocess: bool) -> str:
    nb = nbformat.v4.new_notebook(cells=[cell])
    exporter = HTMLExporter()
    if preprocess:
        exporter.register_preprocessor(HideHiddenTests)  # as nbgrader registers it: enabled by default
    return exporter.from_notebook_node(nb)[0]


def test_leak_check_finds_highlighted_hidden_lines_and_the_preprocessor_removes_them():
    nb = nbformat.v4.new_notebook(cells=[graded_cell()])
    secrets = secret_lines(nb)
    assert secrets == {
        "expected_secret_value = add(10, 20)",
        'assert expected_secret_value == 30, "add(10, 20) must be 30"',
    }
    leaky = render(graded_cell(error_line=5), preprocess=False)
    assert "<span" in leaky  # syntax highlighting splits the lines into spans
    assert "BEGIN HIDDEN" in find_leaks(leaky, secrets) and len(find_leaks(leaky, secrets)) == 4
    safe = render(graded_cell(error_line=5), preprocess=True)
    assert find_leaks(safe, secrets) == [] and "a hidden test failed" in safe


def test_check_course_and_main_exit_status(tmp_path, capsys):
    (tmp_path / "source" / "hw").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[graded_cell()]), tmp_path / "source" / "hw" / "hw.ipynb")
    page = tmp_path / "feedback" / "alice" / "hw" / "hw.html"
    page.parent.mkdir(parents=True)
    page.write_text(render(graded_cell(error_line=5), preprocess=True))
    assert check_course(tmp_path) == [] and main([str(tmp_path)]) == 0
    page.write_text(render(graded_cell(error_line=5), preprocess=False))
    assert len(check_course(tmp_path, ["hw"])) == 1 and main([str(tmp_path), "hw"]) == 1
    assert "do not release them" in capsys.readouterr().err


@pytest.mark.parametrize("markers", ["### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"])
def test_a_marker_alone_is_a_leak(markers):
    assert find_leaks(f"<pre>{markers}</pre>", set())
