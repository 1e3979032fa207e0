"""The batch grader on an assignment whose student functions return torch tensors
(tests/grader/data/tensor_course.py): tensors cross between the student process and the checker
by copy, with their dtype and shape (bfloat16 and nn.Linear's parameters included), so a right
submission scores full marks, a wrong one nothing, and one that returns a numpy array where a
tensor is expected loses that test only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "data"))
import tensor_course  # noqa: E402

from grader import batch as batch_grade  # noqa: E402
from grader.limits import Limits  # noqa: E402

pytestmark = [
    pytest.mark.slow,  # runs the whole batch grader (nbgrader, the zygote, sandboxes)
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the batch grader needs Linux"),
]
pytest.importorskip("torch")

LIMITS = Limits(cell_timeout=20, notebook_timeout=60, memory_mb=1024, nproc=16, interrupt_grace=1)


def test_tensor_assignment_scores(tmp_path):
    course = tensor_course.make_course(tmp_path / "course")
    subs = tmp_path / "subs"
    for student, answers in (("right", tensor_course.GOOD), ("wrong", tensor_course.WRONG)):
        tensor_course.write_submission(subs, student, answers)
    tensor_course.write_submission(subs, "numpy_relu", tensor_course.NUMPY)
    opts = batch_grade.Options("tensors", subs, course, jobs=2, limits=LIMITS, quiet=True)
    res = {r["student"]: r for r in batch_grade.grade(opts)}
    assert {s: r["status"] for s, r in res.items()} == dict.fromkeys(res, "graded"), res
    assert res["right"]["scores"] == {"test_relu": 2.0, "test_linear": 1.0}, res["right"]["tests"]
    assert res["right"]["score"] == res["right"]["max_score"] == 3
    assert res["wrong"]["scores"] == {"test_relu": 0.0, "test_linear": 0.0}, res["wrong"]["tests"]
    assert res["numpy_relu"]["scores"] == {"test_relu": 0.0, "test_linear": 1.0}, res["numpy_relu"]["tests"]
    message = res["numpy_relu"]["tests"]["test_relu"]["message"]
    assert "must return a torch tensor, got <class 'numpy.ndarray'>" in message
    for student in res:
        page = (course / "feedback" / student / "tensors" / "tensors.html").read_text()
        assert "bfloat16 values" not in page and "linspace" not in page, student  # the hidden test stays hidden
