"""What notebook 09's cells have: the notebook's names (``NOTEBOOK``) and the explanation of a wrong array."""

from __future__ import annotations

import numpy as np
import torch

from ... import rl
from .. import compare

NOTEBOOK = {"np": np, "torch": torch, "rl": rl}  # what the notebook has imported when the student's cell runs


def explain_array(where, got, expected, shape_hints, exercise):
    """Explain an answer that matches no mistake, accepting a list or a tensor of the right numbers."""
    compare(where, got, expected, rtol=exercise.rtol, atol=exercise.atol, shape_hints=shape_hints)
