"""The inputs a declared exercise runs the student's function on (part of :mod:`course_utils.exercises`, which
re-exports them): :class:`Case`, on copies of its arguments; :class:`LeavesInputs`, which also refuses a function
that changed its inputs in place; :class:`OnTheDevice`, which runs it where the notebook runs it later, on DEVICE.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .running import Mistake


@dataclass(frozen=True)
class Case:
    """One set of inputs for the student's function: ``fn(*args, **kwargs)``; ``label`` says which
    in a hint ("on the zero start"). A subclass may override :meth:`call` to compare more than the
    value, e.g. the gradients a returned loss sends back."""

    label: str
    args: tuple
    kwargs: Mapping = field(default_factory=dict)

    def call(self, fn: Callable):
        """``fn`` on copies of the array and tensor arguments (it may not change the check's inputs)."""
        return fn(*map(_copy, self.args), **{k: _copy(v) for k, v in self.kwargs.items()})


@dataclass(frozen=True)
class LeavesInputs(Case):
    """A case whose stub returns new arrays and leaves its numpy array arguments as they were: changing one
    in place is a :class:`Mistake` naming it (``names``, one per positional argument), with ``how`` (an
    example, ``X -= mu``) and ``instead`` (what to write), even when the value returned is right."""

    names: tuple[str, ...] = ()
    how: str = ""
    instead: str = ""

    def call(self, fn: Callable):
        given = tuple(map(_copy, self.args))
        value = fn(*given, **{k: _copy(v) for k, v in self.kwargs.items()})
        changed = [
            name
            for name, mine, original in zip(self.names, given, self.args)
            if isinstance(original, np.ndarray) and not np.array_equal(mine, original)
        ]
        if changed and value is not None:
            raise Mistake(
                f"Your function changed its argument {' and '.join(changed)} in place (as {self.how} does): the "
                f"caller's {changed[0]} is not the same after the call. {self.instead}"
            )
        return value


OFF_THE_CPU = (
    "Your answer is right on the CPU, but it fails where the notebook runs it, on DEVICE (a GPU when there is "
    "one): {why}"
)
_MADE_ON_THE_CPU = (
    "a tensor made with torch.ones(...), torch.zeros(...), torch.randn(...) or torch.tensor([...]) stays on the "
    "CPU and cannot meet the inputs on the GPU. Make it beside them: torch.ones_like(x), torch.zeros_like(x), or "
    "device=x.device."
)
_TO_NUMPY = (
    "numpy cannot read a tensor on the GPU (.numpy(), np.arccos(t), np.dot(a, b), ...). Stay in torch "
    "(torch.arccos, torch.dot, ...): that also keeps the result on the autograd graph."
)


@dataclass(frozen=True)
class OnTheDevice(Case):
    """A case run as the notebook runs the answer later: on DEVICE, a GPU when there is one. :meth:`like`
    moves another case's tensors (and modules) to torch's "meta" device, which has shapes and no values and
    stands in for a GPU: a tensor the answer makes on the CPU and mixes with the inputs fails there as on a
    GPU. The outcome is 0.0 when the call runs; an error about devices is a :class:`Mistake` (``hint``, or
    what to make the tensor with); any other error is a limit of "meta" (no values) and counts as a pass."""

    hint: str = ""

    @classmethod
    def like(cls, case: Case, hint: str = "") -> OnTheDevice:
        kwargs = {k: _on_meta(v) for k, v in case.kwargs.items()}
        return cls(f"{case.label} on DEVICE", _on_meta(case.args), kwargs, hint=hint)

    def call(self, fn: Callable):
        import torch

        try:
            with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # what meta tensors make torch say is not the student's business
                fn(*self.args, **self.kwargs)
        except Mistake:
            raise
        except Exception as e:  # noqa: BLE001 - the student's code: any error
            if "device" in str(e):
                why = self.hint or (_TO_NUMPY if "numpy" in str(e) else _MADE_ON_THE_CPU)
                raise Mistake(OFF_THE_CPU.format(why=why), name="off the CPU") from None
        return 0.0


def _on_meta(value):
    """``value`` with its tensors, and copies of its torch modules, on torch's "meta" device."""
    if isinstance(value, (list, tuple)):
        return type(value)(map(_on_meta, value))
    if hasattr(value, "detach"):
        return value.detach().to("meta").requires_grad_(value.requires_grad)
    if hasattr(value, "parameters") and hasattr(value, "to"):
        import copy

        return copy.deepcopy(value).to("meta")
    return value


def _copy(value):
    """A copy of an array, a tensor, or a list or tuple of them; anything else as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(map(_copy, value))
    return value.clone() if hasattr(value, "clone") and hasattr(value, "detach") else value
