"""A minimal nbgrader course whose student functions return torch tensors, for the batch grader's
end-to-end tensor test (tests/grader/test_batch_tensors.py).

The assignment ``tensors`` has one notebook: a plain (student-facing) cell that imports torch, so
torch is allowed in the answers; two answer cells, ``relu`` (a tensor in, a tensor of the same
dtype out) and ``linear`` (called with an ``nn.Linear``'s parameters); and two test cells, the
first with a hidden part that checks a bfloat16 tensor. ``answers`` maps a grade_id to the
student's code.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from fixture import assignment_notebook, filled_in  # the toy course's notebook conventions
from nbformat.v4 import new_code_cell

RELU = """def relu(x):
    ### BEGIN SOLUTION
    return x.clamp(min=0)
    ### END SOLUTION"""
LINEAR = """def linear(x, w, b):
    ### BEGIN SOLUTION
    return x @ w.T + b
    ### END SOLUTION"""
TEST_RELU = """x = torch.tensor([[-1.0, 0.5], [2.0, -3.0]], dtype=torch.float64)
out = relu(x)
assert type(out) is torch.Tensor, f"relu must return a torch tensor, got {type(out)}"
assert out.dtype == torch.float64 and out.shape == (2, 2)
assert torch.equal(out, torch.tensor([[0.0, 0.5], [2.0, 0.0]], dtype=torch.float64))
assert torch.equal(x, torch.tensor([[-1.0, 0.5], [2.0, -3.0]], dtype=torch.float64)), "relu changed its input"
### BEGIN HIDDEN TESTS
h = relu(torch.linspace(-1, 1, 5, dtype=torch.bfloat16))
assert h.dtype == torch.bfloat16, "hidden: relu must keep bfloat16"
assert torch.equal(h, torch.tensor([0.0, 0.0, 0.0, 0.5, 1.0], dtype=torch.bfloat16)), "hidden: bfloat16 values"
### END HIDDEN TESTS"""
TEST_LINEAR = """torch.manual_seed(0)
layer = torch.nn.Linear(3, 2)
x = torch.randn(4, 3)
y = linear(x, layer.weight, layer.bias)
assert type(y) is torch.Tensor and y.shape == (4, 2), f"linear must return a (4, 2) tensor, got {y!r}"
assert torch.allclose(y, layer(x).detach())"""

GOOD = {
    "relu": "def relu(x):\n    return x.clamp(min=0)",
    "linear": "def linear(x, w, b):\n    return x @ w.T + b",
}
WRONG = {
    "relu": "def relu(x):\n    return x.abs()",
    "linear": "def linear(x, w, b):\n    return x @ w.T",  # forgets the bias
}
NUMPY = {  # right values, but relu returns a numpy array, and linear a tensor
    "relu": "import numpy as np\ndef relu(x):\n    return np.maximum(x.numpy(), 0)",
    "linear": GOOD["linear"],
}


def source_notebook() -> nbformat.NotebookNode:
    return assignment_notebook(
        "# Tensors",
        new_code_cell("import torch"),  # student-facing: torch is allowed in this assignment
        [("relu", RELU, TEST_RELU, 2), ("linear", LINEAR, TEST_LINEAR, 1)],
    )


def make_course(root: Path) -> Path:
    """Write ``root/source/tensors/tensors.ipynb``; returns ``root``."""
    (root / "source" / "tensors").mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), root / "source" / "tensors" / "tensors.ipynb")
    return root


def write_submission(folder: Path, student: str, answers: dict) -> None:
    """The release notebook with ``answers`` (grade_id -> code), in nbgrader's ``submitted/`` layout."""
    nb = filled_in(source_notebook(), answers)
    (folder / student / "tensors").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / student / "tensors" / "tensors.ipynb")
