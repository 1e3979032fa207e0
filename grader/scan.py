"""Reading cell code without running it: the names it uses and defines, the modules it imports,
the forbidden modules it mentions.

Part of :mod:`grader`. Used by the plan (:mod:`grader.plan`: which instructor cells the checker
can run itself), the checker (:mod:`grader.checker`: test cells are parsed here first), the
forbidden-module rule (:func:`forbidden_uses`, run before any student code) and the coordinator
(:func:`notebook_imports`: what the pre-forked worker imports once for the whole class).
Cells are read as IPython would run them (:func:`python_source`).
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import Plan


def python_source(source: str) -> str:
    """A cell's code as plain Python: IPython's magics and shell escapes (``%time``, ``!ls``)
    turned into the calls IPython would run; the source itself when that fails."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        return source


def _names(source: str):
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return None, None
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, ast.alias):
            stores.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
    return loads, stores


def free_names(source: str) -> set[str] | None:
    """The names a cell reads without defining them (builtins left out); None: not valid Python."""
    loads, stores = _names(source)
    if loads is None:
        return None
    return loads - stores - set(vars(builtins)) - {"get_ipython"}


def bound_names(source: str) -> set[str]:
    """The names a cell defines (assignments, functions, classes, imports, parameters)."""
    return _names(source)[1] or set()


def forbidden_uses(plan: Plan, source_nb, forbidden) -> list[str]:
    """Student-written cells that mention a forbidden module (``torch`` in a
    numpy-only assignment) as a name, attribute, import or string."""
    if not forbidden:
        return []
    instructor = {c.source for c in source_nb.cells}
    found = []
    for k, entry in enumerate(plan.entries):
        if entry.role != "student" or entry.cell.source in instructor:
            continue
        try:
            tree = ast.parse(python_source(entry.cell.source))
        except SyntaxError:
            continue
        words = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                words.add(node.id)
            elif isinstance(node, ast.Attribute):
                words.add(node.attr)
            elif isinstance(node, ast.alias):
                words.update(node.name.split("."))
            elif isinstance(node, ast.ImportFrom) and node.module:
                words.update(node.module.split("."))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.update(re.findall(r"[A-Za-z_]+", node.value))
        hits = sorted(words & set(forbidden))
        if hits:
            found.append(f"cell {k + 1} uses {', '.join(hits)}")
    return found


def notebook_imports(nb) -> list[str]:
    """Modules imported anywhere in the notebook's code cells (e.g. ``course_utils.datasets``)."""
    mods = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(python_source(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                mods.append(node.module)
    return sorted(set(mods))
