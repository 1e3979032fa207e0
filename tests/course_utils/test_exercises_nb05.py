"""Notebook 05's checks beyond their typical mistakes (``STEPWISE``, tested in test_exercises_declared.py):
the stubs, right answers other than the notebook's solutions, the global RNG left alone, and the claims
the self-check questions make."""

import copy

import pytest
import torch
from torch import nn

from course_utils import models
from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, quiz_feedback
from course_utils.exercises import nb05 as ex

CHECKS = {
    "05.1": ex.check_digit_cnn,
    "05.2": ex.check_train_one_epoch,
    "05.3": ex.check_inverted_dropout,
    "05.4": ex.check_transfer_model,
}


class StubCNN(nn.Module):
    def forward(self, x):
        return None  # YOUR CODE HERE


def epoch_returning_a_tensor(model, loader, optimizer, loss_fn):
    model.train()
    losses = []
    for xb, yb in loader:
        optimizer.zero_grad()
        losses.append(loss_fn(model(xb), yb))
        losses[-1].backward()
        optimizer.step()
    return torch.stack(losses).mean()


OTHER_SOLUTIONS = {  # right, but not the notebook's solutions
    "05.1": models.LeNet(batchnorm=True),  # an instance, with batch norm
    "05.2": epoch_returning_a_tensor,
    "05.3": lambda x, p, training: torch.where(torch.rand_like(x) < p, 0.0, x / (1 - p)) if training else x,
    "05.4": lambda backbone, n_features, n_classes: nn.Sequential(
        models.Frozen(copy.deepcopy(backbone)), nn.Flatten(), nn.Linear(n_features, n_classes)
    ),
}


@pytest.mark.parametrize("eid", sorted(CHECKS))
def test_stub_and_none_are_not_attempted(eid, capsys):
    for answer in (StubCNN if eid == "05.1" else lambda *args: None, None):
        CHECKS[eid](answer)
        out = capsys.readouterr().out
        assert out.startswith(f"[{eid}] {NOT_ATTEMPTED}"), out


@pytest.mark.parametrize("eid", sorted(CHECKS))
def test_other_right_answers_are_accepted(eid, capsys):
    CHECKS[eid](OTHER_SOLUTIONS[eid])
    out = capsys.readouterr().out
    assert out.startswith(f"[{eid}] {CORRECT}"), out


def test_checks_leave_the_global_rng_alone(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for eid, check in CHECKS.items():
        check(OTHER_SOLUTIONS[eid])
        name, typicals = ex.STEPWISE[eid]
        namespace = dict(ex.NOTEBOOK)
        exec(typicals[0].body, namespace)  # a typical mistake: the check runs the wrong cells too
        check(namespace[name])
    assert torch.equal(torch.rand(3), expected)
    capsys.readouterr()


def test_quiz_answers_are_right():
    q1, q2, q3 = (ex.QUIZZES[f"05.q{k}"] for k in (1, 2, 3))
    assert sum(p.numel() for p in nn.Conv2d(3, 5, 3).parameters()) == q1.answer
    assert quiz_feedback("05.q1", q1, 135).startswith(f"[05.q1] {HINT}")  # the weights only
    out = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2))(torch.zeros(32, 1, 8, 8))
    assert str(tuple(out.shape)) == q2.options[q2.answer]
    values = set(nn.Dropout(0.2).train()(torch.full((1000,), 3.0)).tolist())
    assert values == {0.0, 3.75} and q3.options[q3.answer] == "0 or 3.75"
    assert all(set(q.explanations) == set(q.options) for q in (q2, q3))
