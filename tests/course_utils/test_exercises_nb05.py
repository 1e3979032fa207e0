"""Notebook 05's checks beyond their typical mistakes (``STEPWISE``, tested in test_exercises_declared.py):
the stubs, right answers other than the notebook's solutions, the global RNG left alone, and the claims
the self-check questions make."""

import copy

import pytest
import torch
from torch import nn

from course_utils import models
from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED, edited, quiz_feedback
from course_utils.exercises import nb05 as ex
from course_utils.exercises.nb05 import batchnorm, training
from course_utils.exercises.nb05.common import defined

CHECKS = {
    "05.1": ex.check_digit_cnn,
    "05.2": ex.check_train_one_epoch,
    "05.3": ex.check_inverted_dropout,
    "05.4": ex.check_transfer_model,
    "05.5": ex.check_batchnorm_forward,
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


class FunctionalCNN(nn.Module):  # activations and flattening as functions, not modules
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 8, 3, padding=1), nn.Conv2d(8, 16, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.c1(x)), 2)
        x = nn.functional.max_pool2d(self.c2(x).clamp(min=0), 2)
        return self.fc2(nn.functional.relu(self.fc1(x.flatten(1))))


def batchnorm_other(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Right, written differently: torch.var, slice assignment, (C, 1, 1) broadcasting, a NumPy result."""
    if training:
        mean, var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), correction=0)
        running_mean[:] = (1 - momentum) * running_mean + momentum * mean
        running_var[:] = (1 - momentum) * running_var + momentum * x.var(dim=(0, 2, 3))  # unbiased
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean[:, None, None]) / (var[:, None, None] + eps).sqrt()
    return (gamma[:, None, None] * x_hat + beta[:, None, None]).numpy()


OTHER_SOLUTIONS = {  # right, but not the notebook's solutions
    "05.1": models.LeNet(batchnorm=True),  # an instance, with batch norm
    "05.2": epoch_returning_a_tensor,
    "05.3": lambda x, p, training: torch.where(torch.rand_like(x) < p, 0.0, x / (1 - p)) if training else x,
    "05.4": lambda backbone, n_features, n_classes: nn.Sequential(
        models.Frozen(copy.deepcopy(backbone)), nn.Flatten(), nn.Linear(n_features, n_classes)
    ),
    "05.5": batchnorm_other,
}


@pytest.mark.parametrize("eid", sorted(CHECKS))
def test_stub_and_none_are_not_attempted(eid, capsys):
    for answer in (StubCNN if eid == "05.1" else lambda *args, **kwargs: None, None):
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
        if eid in ex.STEPWISE:
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


def test_functional_cnn_is_accepted(capsys):
    ex.check_digit_cnn(FunctionalCNN)
    out = capsys.readouterr().out
    assert out.startswith(f"[05.1] {CORRECT}"), out


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_reference_is_torch_layer(training):
    """05.5's reference does what nn.BatchNorm2d does: output and running statistics, in both modes."""
    x = torch.randn(4, 3, 5, 6, dtype=torch.float64) * 2 + 1
    layer = nn.BatchNorm2d(3, momentum=0.2, eps=1e-3).double()
    with torch.no_grad():
        layer.weight.uniform_(0.5, 2)
        layer.bias.uniform_(-1, 1)
        layer.running_mean.uniform_(-1, 1)
        layer.running_var.uniform_(0.5, 2)
    mean, var = layer.running_mean.clone(), layer.running_var.clone()
    gamma, beta = layer.weight.detach().clone(), layer.bias.detach().clone()
    y = batchnorm._bn_reference(x, gamma, beta, mean, var, training, momentum=0.2, eps=1e-3)
    assert torch.allclose(y, layer.train(training)(x))
    assert torch.allclose(mean, layer.running_mean) and torch.allclose(var, layer.running_var)
    solution = ex.check_batchnorm_forward.function(batchnorm._BN)  # the notebook's solution, written out
    mean2, var2 = layer.running_mean.clone(), layer.running_var.clone()
    y2 = solution(x, gamma, beta, mean2, var2, training, momentum=0.2, eps=1e-3)
    assert torch.allclose(y2, layer(x)) and torch.allclose(mean2, layer.running_mean)
    assert torch.allclose(var2, layer.running_var)


def test_probed_answers_get_the_hint_of_the_mistake_made(capsys):
    """Wrong answers beyond the STEPWISE mistakes: each gets the hint that names it."""

    def run(check, cell: str, name: str) -> str:
        namespace = dict(ex.NOTEBOOK)
        exec(cell, namespace)
        check(namespace[name])
        return capsys.readouterr().out

    sigmoid_end = (
        "class DigitCNN(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.net = nn.Sequential(models.LeNet(), nn.Sigmoid())\n\n"
        "    def forward(self, x):\n        return self.net(x)\n"
    )
    out = run(ex.check_digit_cnn, sigmoid_end, "DigitCNN")
    assert out.startswith(f"[05.1] {HINT}") and "none of your scores is negative" in out, out
    swapped_head = (  # nn.Linear(out, in): the head's size check, not a shape error about transposes
        "def transfer_model(backbone, n_features, n_classes):\n"
        "    return nn.Sequential(models.Frozen(backbone), nn.Flatten(), nn.Linear(n_classes, n_features))\n"
    )
    out = run(ex.check_transfer_model, swapped_head, "transfer_model")
    assert "nn.Linear(3, 32) received 32 values per image" in out and "transpose" not in out, out
    only_mean = batchnorm._BN.replace(
        "        running_var.mul_(1 - momentum).add_(momentum * var.flatten() * n / (n - 1))\n", ""
    )
    out = run(
        ex.check_batchnorm_forward,
        ex.check_batchnorm_forward.signature + "\n" + _indent(only_mean),
        "batchnorm_forward",
    )
    assert "`running_var in training mode" in out, out  # names the part and the case, nothing in between


def _indent(body: str) -> str:
    return "".join(f"    {line}\n" for line in body.strip().splitlines())


def test_epoch_mistake_no_typical_reproduces_is_compared_not_raised(capsys):
    """A wrong loss that matches no typical mistake is compared (how far off), even though a typical mistake
    (loss_fn's arguments swapped) raises when the check tries it."""

    body = edited(training._EPOCH, ("return total / count", "return total"))  # not divided by the number of examples
    epoch_returning_the_sum = defined("train_one_epoch", body)
    ex.check_train_one_epoch(epoch_returning_the_sum)
    out = capsys.readouterr().out
    assert out.startswith(f"[05.2] {HINT}") and "24 times the expected value" in out, out
