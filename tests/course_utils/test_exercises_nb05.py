"""The checks of notebook 05's exercises: stub, solution, every typical mistake, and the quizzes."""

import pytest
import torch
from torch import nn

from course_utils import models
from course_utils.exercises import CORRECT, HINT, NOT_ATTEMPTED
from course_utils.exercises import nb05 as ex

STUBS = {
    "05.1": """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return None  # YOUR CODE HERE
""",
    "05.2": "def train_one_epoch(model, loader, optimizer, loss_fn):\n    return None  # YOUR CODE HERE\n",
    "05.3": "def inverted_dropout(x, p, training):\n    return None  # YOUR CODE HERE\n",
    "05.4": "def transfer_model(backbone, n_features, n_classes):\n    return None  # YOUR CODE HERE\n",
}

SOLUTIONS = {
    "05.1": """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))
""",
    "05.2": """def train_one_epoch(model, loader, optimizer, loss_fn):
    model.train()
    losses = []
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return torch.stack(losses).mean()  # a tensor is accepted too
""",
    "05.3": """def inverted_dropout(x, p, training):
    if not training:
        return x
    return torch.where(torch.rand_like(x) < p, torch.zeros_like(x), x / (1 - p))
""",
    "05.4": """import copy

def transfer_model(backbone, n_features, n_classes):
    return nn.Sequential(models.Frozen(copy.deepcopy(backbone)), nn.Flatten(), nn.Linear(n_features, n_classes))
""",
}

NAMES = {"05.1": "DigitCNN", "05.2": "train_one_epoch", "05.3": "inverted_dropout", "05.4": "transfer_model"}
CHECKS = {
    "05.1": ex.check_digit_cnn,
    "05.2": ex.check_train_one_epoch,
    "05.3": ex.check_inverted_dropout,
    "05.4": ex.check_transfer_model,
}


def defined(code: str, eid: str):
    namespace = {"nn": nn, "torch": torch, "models": models}
    exec(code, namespace)
    return namespace[NAMES[eid]]


def verdict(eid, code, capsys):
    CHECKS[eid](defined(code, eid))
    return capsys.readouterr().out


@pytest.mark.parametrize("eid", sorted(CHECKS))
def test_stub_is_not_attempted(eid, capsys):
    out = verdict(eid, STUBS[eid], capsys)
    assert out.startswith(f"[{eid}] {NOT_ATTEMPTED}"), out


@pytest.mark.parametrize("eid", sorted(CHECKS))
def test_none_is_not_attempted(eid, capsys):
    CHECKS[eid](None)
    assert NOT_ATTEMPTED in capsys.readouterr().out


@pytest.mark.parametrize("eid", sorted(CHECKS))
def test_solution_is_correct(eid, capsys):
    out = verdict(eid, SOLUTIONS[eid], capsys)
    assert out.startswith(f"[{eid}] {CORRECT}"), out


@pytest.mark.parametrize("eid,k", [(eid, k) for eid in sorted(ex.MISTAKES) for k in range(len(ex.MISTAKES[eid]))])
def test_each_typical_mistake_gets_its_hint(eid, k, capsys):
    code, hint = ex.MISTAKES[eid][k]
    out = verdict(eid, code, capsys)
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_every_exercise_has_two_mistakes():
    assert set(ex.MISTAKES) == set(CHECKS) and all(len(m) >= 2 for m in ex.MISTAKES.values())


MORE_MISTAKES = [
    (
        "05.1",
        """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Conv2d(1, 4, 3, padding=1), nn.Flatten(), nn.Linear(256, 10)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
""",
        "no trainable parameters",
    ),
    (
        "05.1",
        """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)))
""",
        "flatten them first",
    ),
    (
        "05.1",
        """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)
""",
        "no nn.Conv2d",
    ),
    (
        "05.1",
        """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.MaxPool2d(2),
                                 nn.Conv2d(4, 4, 3), nn.Flatten(), nn.Linear(4, 10))

    def forward(self, x):
        return self.net(x)
""",
        "padding=1",
    ),
    (
        "05.1",
        """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10),
                                 nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.net(x)
""",
        "log-softmax",
    ),
    (
        "05.1",
        """class DigitCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))
        self.unused = nn.Linear(10, 10)

    def forward(self, x):
        return self.net(x)
""",
        "no gradient",
    ),
    (
        "05.2",
        """def train_one_epoch(model, loader, optimizer, loss_fn):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    return loss.item()
""",
        "last batch",
    ),
    (
        "05.2",
        """def train_one_epoch(model, loader, optimizer, loss_fn):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total
""",
        "sum of the batch losses",
    ),
    (
        "05.3",
        """def inverted_dropout(x, p, training):
    if not training:
        return x
    return x * (torch.rand_like(x) >= p) * (1 - p)
""",
        "multiplied by 1 - p",
    ),
    (
        "05.3",
        """def inverted_dropout(x, p, training):
    if not training:
        return x
    return x * (torch.rand_like(x[:1]) >= p) / (1 - p)
""",
        "same dropped positions",
    ),
    (
        "05.3",
        """def inverted_dropout(x, p, training):
    return x * (torch.rand_like(x) >= p) / (1 - p)
""",
        "at test time some entries were dropped",
    ),
    (
        "05.4",
        """def transfer_model(backbone, n_features, n_classes):
    return nn.Sequential(models.Frozen(backbone), nn.Flatten(), nn.Linear(n_features, 10))
""",
        "expected (6, 3)",
    ),
]


@pytest.mark.parametrize("eid,code,hint", MORE_MISTAKES, ids=lambda v: v if len(str(v)) < 30 else None)
def test_more_mistakes_get_specific_hints(eid, code, hint, capsys):
    out = verdict(eid, code, capsys)
    assert out.startswith(f"[{eid}] {HINT}") and hint in out, out


def test_checks_leave_the_global_rng_alone(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for eid in sorted(CHECKS):
        CHECKS[eid](defined(SOLUTIONS[eid], eid))
    assert torch.equal(torch.rand(3), expected)
    capsys.readouterr()


def test_quizzes_give_feedback():
    assert set(ex.QUIZZES) >= {"05.q1", "05.q2"}
    from course_utils.exercises import quiz_feedback

    assert quiz_feedback("05.q1", ex.QUIZZES["05.q1"], 140).startswith("[05.q1] Correct!")
    assert quiz_feedback("05.q1", ex.QUIZZES["05.q1"], 135).startswith("[05.q1] Not quite:")
    for qid in ("05.q2", "05.q3"):
        q = ex.QUIZZES[qid]
        assert set(q.explanations) == set(q.options)
        assert quiz_feedback(qid, q, q.answer).startswith(f"[{qid}] Correct!")
        wrong = next(k for k in q.options if k != q.answer)
        assert quiz_feedback(qid, q, wrong).startswith(f"[{qid}] Not quite:")
    assert ex.quiz("05.q2", answer="b") is None


def test_quiz_answers_are_right():
    conv = nn.Conv2d(3, 5, 3)
    assert sum(p.numel() for p in conv.parameters()) == ex.QUIZZES["05.q1"].answer
    out = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2))(torch.zeros(32, 1, 8, 8))
    assert str(tuple(out.shape)) == ex.QUIZZES["05.q2"].options[ex.QUIZZES["05.q2"].answer]
    drop = nn.Dropout(0.2).train()
    values = set(drop(torch.full((1000,), 3.0)).tolist())
    assert values == {0.0, 3.75} and ex.QUIZZES["05.q3"].options[ex.QUIZZES["05.q3"].answer] == "0 or 3.75"
