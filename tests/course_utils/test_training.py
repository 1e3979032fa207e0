import pytest
import torch
from torch import nn

from course_utils import datasets, seed_everything, training


def test_accuracy():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert training.accuracy(logits, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        training.accuracy(logits, torch.tensor([0, 1]))


def test_fit_learns_a_separable_problem_and_records_history(capsys):
    seed_everything(0)
    X, y = datasets.make_toy_2d("blobs", n_samples=200, noise=0.0, seed=0)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    loader = datasets.tensor_loader(X, y, batch_size=32)
    model = nn.Linear(2, 2)
    history = training.fit(
        model, loader, epochs=15, optimizer=torch.optim.SGD(model.parameters(), lr=0.5), val_loader=loader, device="cpu"
    )
    assert len(history) == 15 and len(history.val_metric) == 15
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_metric[-1] >= 0.97
    assert history.as_dict()["metric_name"] == "accuracy"
    loss, acc = training.evaluate(model, loader, device="cpu")
    assert acc == pytest.approx(history.val_metric[-1]) and loss == pytest.approx(history.val_loss[-1])
    assert "training" in capsys.readouterr().err  # the terminal progress bar


def test_fit_regression_without_metric_with_scheduler_and_regularizer():
    seed_everything(1)
    X = torch.randn(64, 3)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]])
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    reg_calls = []

    def l2(m):
        reg_calls.append(1)
        return 1e-4 * (m.weight**2).sum()

    h = training.fit(
        model,
        datasets.tensor_loader(X, y, 16),
        epochs=10,
        optimizer=opt,
        loss_fn=nn.MSELoss(),
        metric=None,
        scheduler=sched,
        regularizer=l2,
        progress=False,
        device="cpu",
    )
    assert h.train_metric == [None] * 10 and h.train_loss[-1] < 0.05
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)
    assert len(reg_calls) == 40


def test_fit_and_evaluate_bad_arguments():
    model = nn.Linear(2, 2)
    loader = [(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long))]
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        training.fit(model, loader, epochs=0, optimizer=opt)
    with pytest.raises(ValueError, match="metric"):
        training.fit(model, loader, epochs=1, optimizer=opt, metric="f1")
    with pytest.raises(ValueError, match="no examples"):
        training.fit(model, [], epochs=1, optimizer=opt, progress=False, device="cpu")
    with pytest.raises(ValueError, match="no examples"):
        training.evaluate(model, [], device="cpu")


def test_predict_and_count_parameters():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert training.count_parameters(model) == 4 * 3 + 3 + 3 * 2 + 2
    out = training.predict(model, torch.randn(10, 4), batch_size=3, device="cpu")
    assert out.shape == (10, 2) and model.training
    with pytest.raises(ValueError):
        training.predict(model, torch.randn(0, 4), device="cpu")
