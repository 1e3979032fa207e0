"""What notebook 02's cells have: the notebook's names (``NOTEBOOK``), the answer as a tuple, inputs kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ... import linear as lin
from ...activations import ACTIVATIONS
from .. import Case, Mistake

step = ACTIVATIONS["step"][0]


def neuron(X, w, b, f=step):
    """The notebook's neuron (section 2): X (N, d), w (d,), b scalar -> (N,)."""
    return f(X @ np.asarray(w, dtype=float) + b)


# what the notebook has imported
NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "lin": lin, "step": step, "neuron": neuron}


def unpack(value, names: tuple[str, ...]) -> tuple:
    """The student's return value as a tuple of ``len(names)`` items, or a :class:`Mistake`."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise Mistake(
            f"return the tuple ({', '.join(names)}), got {type(value).__name__}"
            + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
            + "."
        )
    return tuple(value)


@dataclass(frozen=True)
class KeepsInputs(Case):
    """A case whose docstring promises to leave the caller's arrays alone: the outcome is
    ``(value, changed)``, ``changed`` naming (from ``names``, one per positional argument) the
    arrays the function changed in place, so that a function that updates its inputs in place is
    told so even when its value is right."""

    names: tuple[str, ...] = ()

    def call(self, fn):
        given = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in self.args)
        value = fn(*given, **self.kwargs)
        changed = tuple(
            name
            for name, a, original in zip(self.names, given, self.args)
            if isinstance(a, np.ndarray) and not (a.shape == original.shape and np.array_equal(a, original))
        )
        return value, changed


def keeps_inputs(explain, hint: str, updated: tuple[str, ...]):
    """An ``explain`` for :class:`KeepsInputs` cases: the promise first (``hint``, formatted with the
    changed arrays' names, when only arrays the function ``updated`` changed, else a plain
    statement of which inputs changed), then ``explain`` on the value alone."""

    def explain_value(where, got, expected, *rest):
        value, changed = got
        if changed and set(changed) <= set(updated):
            raise Mistake(hint.format(names=", ".join(changed)))
        if changed:
            raise Mistake(
                f"Your function changed the caller's {', '.join(changed)} in place: the docstring promises to leave "
                "its arguments unchanged. Work on new arrays (x = x - ..., or a copy, x = x.copy())."
            )
        return explain(where, value, expected[0], *rest)

    return explain_value
