import pytest
import torch
from torch import nn

from course_utils import datasets, recurrent, seed_everything, training
from course_utils.datasets import memory_task, pad_sequences, sum_sequences


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


def test_fit_lbfgs_learns_to_sum_exactly():
    torch.manual_seed(0)
    data = sum_sequences(300, 1, 5, seed=0)
    X, L, y = torch.tensor(data.X) / 10, torch.tensor(data.lengths), torch.tensor(data.y) / 10
    model = recurrent.ManyToOne(1, 2, 1, nonlinearity="relu", bias=False)
    with torch.no_grad():
        model.rnn.weight_ih_l0.abs_()
        model.readout.weight.abs_()
    losses = training.fit_lbfgs(
        model, (X, L), y, lambda out, t: ((out[:, 0] - t) ** 2).mean(), rounds=5, progress=False
    )
    assert len(losses) == 5 and losses[-1] < 1e-8
    deck = pad_sequences([(1, 3, 7), (12, 5)])
    pred = model(torch.tensor(deck.X) / 10, torch.tensor(deck.lengths))[:, 0] * 10
    assert torch.allclose(pred, torch.tensor([11.0, 17.0]), atol=1e-2)
    with pytest.raises(ValueError):
        training.fit_lbfgs(model, (X, L), y, lambda out, t: out.sum(), rounds=0)


def test_fit_lbfgs_trains_in_full_float32_and_puts_the_setting_back():
    """On a GPU cuDNN may run RNNs in TF32 (about 3 significant digits), which stops L-BFGS near 1e-7 instead of
    the ~1e-14 notebook 06 asserts: fit_lbfgs switches it off while it trains, also when the loss raises."""
    seen = []

    def loss_fn(out, target):
        seen.append(torch.backends.cudnn.allow_tf32)
        return ((out[:, 0] - target) ** 2).mean()

    model = recurrent.ManyToOne(1, 2, 1)
    X, L, y = torch.zeros(4, 3, 1), torch.tensor([3, 3, 2, 1]), torch.zeros(4)
    before = torch.backends.cudnn.allow_tf32
    training.fit_lbfgs(model, (X, L), y, loss_fn, rounds=1, iters_per_round=1, progress=False)
    assert seen and not any(seen) and torch.backends.cudnn.allow_tf32 == before

    def failing(out, target):
        raise RuntimeError("a broken loss")

    with pytest.raises(RuntimeError):
        training.fit_lbfgs(model, (X, L), y, failing, rounds=1, progress=False)
    assert torch.backends.cudnn.allow_tf32 == before


def test_train_steps_solves_a_short_memory_task():
    torch.manual_seed(0)
    data = memory_task(512, lag=3, seed=0)
    X, y = torch.tensor(data.X), torch.tensor(data.y)
    model = recurrent.ManyToOne(4, 16, 4, cell="lstm")
    losses = training.train_steps(
        model,
        lambda step: ((X[(step * 64) % 512 :][:64],), y[(step * 64) % 512 :][:64]),
        nn.functional.cross_entropy,
        steps=150,
        lr=1e-2,
        progress=False,
    )
    assert len(losses) == 150 and losses[-1] < 0.1 and not model.training
    assert (model(X).argmax(1) == y).float().mean() > 0.95
    with pytest.raises(ValueError):
        training.train_steps(model, lambda s: None, nn.functional.cross_entropy, steps=0)


def test_fit_tuple_inputs_clipping_and_unit(capsys):
    class Scale(nn.Module):  # model(x, w) = a * x * w: a tuple of inputs is called as model(*x)
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.tensor(0.0))

        def forward(self, x, w):
            return self.a * x * w

    model = Scale()
    x, w = torch.ones(4), torch.full((4,), 2.0)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    h = training.fit(
        model,
        [((x, w), torch.full((4,), 100.0))],
        epochs=1,
        optimizer=opt,
        loss_fn=nn.MSELoss(),
        metric=None,
        clip_grad_norm=0.5,
        device="cpu",
        desc="clipped",
        unit="step",
    )
    assert model.a.item() == pytest.approx(0.5)  # gradient -400 rescaled to norm 0.5, one step of lr 1
    assert h.train_loss == [pytest.approx(100.0**2)]
    assert "step" in capsys.readouterr().err
    loss, metric = training.evaluate(model, [((x, w), torch.ones(4))], nn.MSELoss(), metric=None, device="cpu")
    assert loss == pytest.approx(0.0) and metric is None
    with pytest.raises(ValueError, match="clip_grad_norm"):
        training.fit(model, [((x, w), x)], epochs=1, optimizer=opt, loss_fn=nn.MSELoss(), clip_grad_norm=0.0)


def test_progress_bar_can_be_hidden(capsys):
    assert list(training.progress_bar(range(3), desc="hidden", unit="step", progress=False)) == [0, 1, 2]
    assert "hidden" not in capsys.readouterr().err


def test_evaluate_and_predict_compute_where_the_model_is(monkeypatch):
    """A model kept on the CPU while the course's device is elsewhere (a GPU): the batches go to the model, not
    to the course's device ("meta" stands in for it here)."""
    monkeypatch.setattr(training, "default_device", lambda: torch.device("meta"))
    model = nn.Linear(3, 2)
    X, y = torch.randn(10, 3), torch.tensor([0, 1] * 5)
    assert training.predict(model, X).shape == (10, 2)
    loss, acc = training.evaluate(model, [(X, y)])
    assert loss > 0 and 0 <= acc <= 1
    with pytest.raises((RuntimeError, NotImplementedError)):  # an explicit device still wins
        training.predict(model, X, device="meta")
