"""Notebook 08's latent walk: 08.5 spherical interpolation (slerp) of two latent vectors.

The reference is :func:`course_utils.generative.interpolate_latents` with ``method="slerp"`` (which also
clamps the cosine against rounding when z0 and z1 are parallel); the notebook's latent-walk widget draws
the student's slerp once this check accepts it (``check_slerp.solution`` until then).
"""

from __future__ import annotations

import numpy as np
import torch

from .. import Case, Exercise, OnTheDevice, Typical, as_array, compare, edited
from .common import NOTEBOOK


def _slerp_cases():
    """Two latents of N(0, I_16) (float32, as the notebook's; 115 degrees apart) at 7 positions from 0 to 1;
    then two latents 140 degrees apart at two positions, not in order of a strip."""
    gen = torch.Generator().manual_seed(21)
    z0, z1 = torch.randn(2, 16, generator=gen)
    w0, w1 = torch.randn(2, 16, generator=gen)
    w1 = -0.5 * w1 - 0.8 * w0  # 140 degrees from w0
    strip = Case("for t = 0, 1/6, ..., 1", (z0, z1, torch.linspace(0, 1, 7)))
    return [
        strip,
        Case("for t = (0.9, 0.25), latents 140 degrees apart", (w0, w1, torch.tensor([0.9, 0.25]))),
        OnTheDevice.like(strip),
    ]


_ANGLE = "omega = torch.arccos(torch.dot(z0, z1) / (z0.norm() * z1.norm()))"
_SLERP = f"""{_ANGLE}
t = t[:, None]
return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
"""


def _shape_hints(case: Case) -> dict:
    d, k = len(case.args[0]), len(case.args[2])
    return {
        (d, k): "It looks transposed: one ROW per position t, so the result is (k, d) = "
        f"({k}, {d}); make t a column, t[:, None].",
        (k,): "Each point is a whole latent vector: the result has one row of d numbers per position t.",
    }


def _explain_path(where: str, got, expected, hints, exercise: Exercise) -> None:
    """Which positions are wrong, and the norms of those points against slerp's, before the numbers."""
    values = as_array("the path", got)
    extra = ""
    if values.shape == expected.shape:
        with np.errstate(all="ignore"):
            bad = ~np.isclose(values, expected, rtol=exercise.rtol, atol=exercise.atol).all(axis=1)
            norms = lambda a: ", ".join(f"{n:.2f}" for n in np.linalg.norm(a[bad], axis=1))  # noqa: E731
        if bad.any():
            extra = (
                f"Rows {', '.join(map(str, np.flatnonzero(bad)))} of the {len(values)} rows (one per position t) "
                f"are wrong; their norms are {norms(values)} where slerp's are {norms(expected)}."
            )
    compare(where, values, expected, rtol=exercise.rtol, atol=exercise.atol, shape_hints=hints, hint=extra)


check_slerp = Exercise(
    "08.5",
    "def slerp(z0, z1, t):",
    todo="Write slerp(z0, z1, t): the points at positions t on the great-circle arc from z0 to z1.",
    cases=_slerp_cases,
    reference=_SLERP,
    typical=[
        Typical(
            edited(_SLERP, (_ANGLE, "omega = torch.arccos(torch.dot(z0, z1))")),
            "arccos needs the cosine of the angle, z0·z1 / (‖z0‖ ‖z1‖): the bare dot product z0·z1 of two "
            "latents lies outside [-1, 1] here, where arccos is NaN.",
        ),
        Typical(
            edited(_SLERP, (") / torch.sin(omega)", ")")),
            "The weights sin((1 - t) omega) and sin(t omega) must be DIVIDED by sin(omega): without it your path "
            "starts at sin(omega) z0 instead of z0, and ends at sin(omega) z1.",
        ),
        Typical(
            edited(
                _SLERP,
                ("torch.sin((1 - t) * omega) * z0", "torch.sin(t * omega) * z0"),
                ("sin(t * omega) * z1", "sin((1 - t) * omega) * z1"),
            ),
            "t and 1 - t are swapped: your path runs from z1 (at t = 0) to z0; z0's weight is sin((1 - t) omega).",
        ),
        Typical(
            edited(_SLERP, ("t = t[:, None]\n", "")),
            "t holds k positions: make it a column, t[:, None] of shape (k, 1), so that sin(t * omega) "
            "(k, 1) times z0 (d,) broadcasts to the (k, d) points.",
        ),
        Typical(
            edited(_SLERP, (_ANGLE, f"{_ANGLE} * 180 / np.pi")),
            "Your angle is in degrees: torch.sin takes radians, and torch.arccos already returns radians, "
            "so use omega as it comes.",
        ),
        Typical(
            "t = t[:, None]\nreturn (1 - t) * z0 + t * z1",
            "That is the straight line (1 - t) z0 + t z1, which slerp replaces: weight z0 by "
            "sin((1 - t) omega) / sin(omega) and z1 by sin(t omega) / sin(omega), omega the angle between them.",
        ),
        Typical(
            "z0, z1 = z0 / z0.norm(), z1 / z1.norm()\n" + _SLERP,
            "You interpolated the unit vectors z0/‖z0‖ and z1/‖z1‖, so every point has norm 1: the angle needs "
            "them, but the points combine z0 and z1 themselves.",
        ),
    ],
    confirmation="slerp walks the arc of the great circle through z0 and z1: every point has the norm of the "
    "end points when ‖z0‖ = ‖z1‖, and it is interpolate_latents(z0, z1, t, 'slerp'). The latent-walk widget "
    "below now draws your path.",
    namespace=NOTEBOOK,
    result="the path",
    shape_hints=_shape_hints,
    explain=_explain_path,
    rtol=1e-4,
    atol=1e-5,
)
