"""What notebook 10's cells have (``NOTEBOOK``) and what its checks share: answers that call the student's
earlier pieces (:class:`UsesPieces`), the explanation of a loss's wrong value (the losses themselves are
:class:`~course_utils.exercises.Loss` exercises) and a library function's body as a reference
(:func:`function_body`)."""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ... import style
from .. import Exercise, Mistake, accepted, compare_scalar

NOTEBOOK = {
    "np": np,
    "torch": torch,
    "nn": nn,
    "F": F,
    "gram_matrix": style.gram_matrix,
    "content_loss": style.content_loss,
    "style_loss": style.style_loss,
    "total_variation": style.total_variation,
    "transfer_step": style.transfer_step,
}


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def function_body(fn: Callable) -> str:
    """The body of ``fn``'s source, without its docstring, dedented (ending in a newline): a library function's
    code as the reference of an exercise whose function has another signature, so that there is one copy."""
    lines, _ = inspect.getsourcelines(fn)
    (node,) = ast.parse(textwrap.dedent("".join(lines))).body
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.body[0].lineno == node.lineno:
        raise ValueError(f"{fn.__qualname__} is not a function whose body starts on a line of its own")
    first = node.body[0]
    documented = (
        isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    )
    start = first.end_lineno if documented else first.lineno - 1  # the index of the body's first line
    return textwrap.dedent("".join(lines[start : node.end_lineno])).lstrip("\n")


def explain_loss(where: str, got, expected, hints, exercise: Exercise) -> None:
    """A loss that is a differentiable 0-d tensor but has the wrong value: by how much (the reference's loss is
    compared without its graph)."""
    compare_scalar(where, got, float(expected.detach()), rtol=exercise.rtol, atol=exercise.atol)


# which earlier exercise checks each piece a later exercise may call
_PIECES = {
    "gram_matrix": "check_gram_matrix",
    "content_loss": "check_content_loss",
    "style_loss": "check_style_loss",
    "total_variation": "check_total_variation",
    "transfer_step": "check_transfer_step",
}


def _names(code) -> set[str]:
    """The global names ``code`` (a code object) and the functions defined inside it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


class UsesPieces(Exercise):
    """An exercise whose answer calls the student's earlier pieces (``gram_matrix``, ...): when the answer is
    not accepted and a piece it calls is not accepted either, the hint says to fix that piece first."""

    def diagnose(self, fn):
        try:
            return super().diagnose(fn)
        except Mistake as m:
            pending = self.pending(fn)
            if not pending:
                raise
            raise Mistake(
                f"{self.name} calls your {', '.join(pending)}, which its exercise does not accept yet: fix "
                f"{'it' if len(pending) == 1 else 'them'} first and run {self.name}'s check again (what differs "
                f"now: {m})"
            ) from None

    def pending(self, fn) -> list[str]:
        scope, used = getattr(fn, "__globals__", {}), _names(getattr(fn, "__code__", compile("", "", "exec")))
        found = []
        for name, check in _PIECES.items():
            piece = scope.get(name)
            if name in used and piece is not None and piece is not NOTEBOOK[name] and name != self.name:
                if not accepted(getattr(importlib.import_module(__package__), check), piece):
                    found.append(name)
        return found
