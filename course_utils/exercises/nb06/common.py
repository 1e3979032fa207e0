"""What notebook 06's cells have: the notebook's names (``NOTEBOOK``)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

NOTEBOOK = {"np": np, "torch": torch, "nn": nn, "F": F}  # what the notebook has imported when the student's cell runs
