"""What notebook 07's cells have: the notebook's names (``NOTEBOOK``) and helpers of both halves."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "F": F}  # what the notebook has imported when the student's cell runs


def edited(code: str, *edits: tuple[str, str]) -> str:
    """``code`` with the edits ``(old, new)`` a student makes (each ``old`` must be there)."""
    for old, new in edits:
        assert old in code, old
        code = code.replace(old, new)
    return code


def flat(module: nn.Module) -> np.ndarray:
    """All of ``module``'s parameters as one flat numpy array (a copy)."""
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()]).numpy().copy()
