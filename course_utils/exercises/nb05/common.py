"""What notebook 05's cells have: the notebook's names (``NOTEBOOK``), the parameter budget, digit-shaped inputs."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ... import models

PARAM_BUDGET = 20_000
NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "models": models}  # what the notebook has imported


def digits_like(n: int, seed: int) -> torch.Tensor:
    """n random images shaped like the digits: (n, 1, 8, 8), values in [0, 16]."""
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed)) * 16


def defined(name: str, cell: str):
    """What the student's ``cell`` defines as ``name``, run with the notebook's imports."""
    scope = dict(NOTEBOOK)
    exec(cell, scope)  # noqa: S102 - the course's own code
    return scope[name]
