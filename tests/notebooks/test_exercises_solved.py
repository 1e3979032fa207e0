"""Every notebook's exercises: the convention, the solutions and the hints, run for real.

The notebook *as stored* is run by nbval (``make test-notebooks``); ``conftest.py`` checks
there that every check cell says "Not attempted yet". This test runs each notebook once
more, with every solution swapped in and, right after each exercise's check, every typical
mistake of the exercise (each wrong function of its declaration in
``course_utils.exercises.nbNN.EXERCISES``, or, for a check written as code, its cells in the
module's ``STEPWISE``): the mistaken code replaces the student's cell, the check runs again and must
give that mistake's own hint, then the solution is put back so the rest of the notebook runs
as solved (up to the last check: the cells after it never depend on an exercise, and nbval runs
them). It asserts:

* at least 4 exercises and 2 self-check questions per notebook, in the cell convention of
  :mod:`course_utils.exercises` (id, check right after, one collapsed markdown solution);
* with the solutions, every check prints "Correct!";
* every exercise has at least one typical mistake, and each mistake gets its hint.
"""

from __future__ import annotations

import copy
import importlib
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("00_"))
FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.S)


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def exercises(nb) -> list[tuple[int, str, str]]:
    """``(cell index, exercise id, solution code)`` for every exercise, checking the convention."""
    solutions = {c.metadata.get("exercise"): c for c in nb.cells if "solution" in _tags(c)}
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "exercise" not in _tags(cell):
            continue
        eid = cell.metadata.get("exercise")
        assert eid, f"cell {i} is tagged exercise but has no 'exercise' id in its metadata"
        check = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
        assert check is not None and check.cell_type == "code" and "check" in _tags(check), (
            f"{eid}: the cell after the exercise must be its check (a code cell tagged check)"
        )
        solution = solutions.get(eid)
        assert solution is not None and solution.cell_type == "markdown", f"{eid}: no markdown solution cell"
        assert solution.metadata.get("jupyter", {}).get("source_hidden"), f"{eid}: the solution must be collapsed"
        blocks = FENCE.findall(solution.source)
        assert len(blocks) == 1, f"{eid}: the solution must hold exactly one python block, has {len(blocks)}"
        found.append((i, eid, blocks[0]))
    return found


def module_of(path: Path):
    return importlib.import_module(f"course_utils.exercises.nb{path.name[:2]}")


def typical_mistakes(module) -> dict[str, list[tuple[str, str]]]:
    """exercise id -> [(the code typed into the student's cell, the hint it must get)]: each
    declared exercise's wrong functions, and the ``STEPWISE`` mistakes of the checks written as code."""
    declared = getattr(module, "EXERCISES", [])
    mistakes = {ex.eid: [(t.source(ex.signature), t.hint) for t in ex.typical] for ex in declared}
    stepwise = {
        eid: [(t.body, t.hint) for t in typicals] for eid, (_, typicals) in getattr(module, "STEPWISE", {}).items()
    }
    return {**stepwise, **mistakes}


def _code(source: str, tag: str, eid: str):
    return nbformat.v4.new_code_cell(source, metadata={"tags": [tag], "exercise": eid})


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_confirm_and_mistakes_get_their_hints(path):
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb)
    assert len(found) >= 4, f"{path.name}: {len(found)} exercises, at least 4 wanted"
    quizzes = [c for c in nb.cells if c.cell_type == "code" and "quiz" in _tags(c)]
    assert len(quizzes) >= 2, f"{path.name}: {len(quizzes)} self-check questions (cells tagged quiz), 2 wanted"
    mistakes = typical_mistakes(module_of(path))
    for _, eid, _ in found:
        assert mistakes.get(eid), f"{eid}: no typical mistake to test its hint with"

    solved = copy.deepcopy(nb)
    for i, eid, code in reversed(found):  # from the end, so earlier indices stay valid
        solved.cells[i].source = code
        check = solved.cells[i + 1]
        extra = []
        for k, (wrong, _hint) in enumerate(mistakes[eid]):
            extra += [
                _code(wrong, "mistake", eid),
                _code(check.source, f"mistake-check-{k}", eid),
                _code(code, "restore", eid),
            ]
        solved.cells[i + 2 : i + 2] = extra
    # what follows the last check never depends on an exercise (later sections use the
    # course_utils reference) and nbval has run it as stored: stop there
    last = max(k for k, c in enumerate(solved.cells) if _tags(c) & {"check", "restore"})
    del solved.cells[last + 1 :]
    NotebookClient(
        solved, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()

    problems = []
    for i, cell in enumerate(solved.cells):
        tags, eid, text = _tags(cell), cell.metadata.get("exercise"), _text(cell)
        if "check" in tags and CORRECT not in text:
            problems.append(f"{eid}: the solution does not confirm: {text.strip()[:300]!r}")
        for tag in tags:
            if tag.startswith("mistake-check-"):
                wrong, hint = mistakes[eid][int(tag.rsplit("-", 1)[1])]
                if HINT not in text or hint not in text:
                    problems.append(
                        f"{eid}: mistake {wrong.splitlines()[0]!r}... should give the hint "
                        f"{hint!r}, the check printed {text.strip()[:300]!r}"
                    )
        if NOT_ATTEMPTED in text and "quiz" not in tags:
            problems.append(f"{eid or i}: still 'not attempted' with the solutions in: {text.strip()[:200]!r}")
    assert not problems, "\n".join(problems)
