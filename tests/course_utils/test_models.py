import pytest
import torch
from torch import nn

from course_utils import models, seed_everything, training


def test_lenet_shapes_and_parts():
    net = models.LeNet(channels=(16, 32), hidden=(64,), batchnorm=True, dropout=0.5)
    assert net(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert net.features(torch.zeros(2, 1, 8, 8)).shape == (2, 32, 2, 2)
    assert models.LeNet(n_classes=5)(torch.zeros(1, 1, 8, 8)).shape == (1, 5)
    with pytest.raises(ValueError):
        models.LeNet(in_size=10)
    with pytest.raises(ValueError):
        models.LeNet(dropout=1.0)


def test_mlp_and_linear():
    assert training.count_parameters(models.MLP(hidden=(256, 128))) == 64 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert models.linear_classifier()(torch.zeros(4, 1, 8, 8)).shape == (4, 10)
    with pytest.raises(ValueError):
        models.MLP(hidden=(0,))
    with pytest.raises(ValueError):
        models.linear_classifier(0)


def test_layer_summary_counts_and_shapes():
    rows = models.layer_summary(models.lenet5_1998(), (1, 32, 32))
    assert rows[0].kind == "Input" and rows[-1].shape == (10,)
    assert sum(r.params for r in rows) == 61_706
    dnn = models.layer_summary(models.typical_dnn(), (3, 128, 128))
    convs = [r for r in dnn if r.kind == "Conv2d"]
    assert [r.shape for r in convs] == [(6, 124, 124), (12, 60, 60), (20, 28, 28), (40, 12, 12)]
    assert sum(r.params for r in dnn) == 879_913
    table = models.summary_table(dnn)
    assert "879913" in table and "6x124x124" in table
    with pytest.raises(ValueError):
        models.layer_summary(nn.Linear(2, 2), (0,))
    with pytest.raises(ValueError):
        models.summary_table([])


def test_affine_images_shift_and_identity():
    x = torch.zeros(2, 1, 8, 8)
    x[:, 0, 2, 3] = 1
    assert torch.allclose(models.affine_images(x, 0, 0, 0), x, atol=1e-6)
    right = models.affine_images(x, 1, 0, 0)
    assert right[0, 0, 2, 4] == pytest.approx(1.0) and right.sum().item() == pytest.approx(2.0)
    down = models.affine_images(x, torch.tensor([0.0, 0.0]), torch.tensor([1.0, 2.0]), 0)
    assert down[0, 0, 3, 3] == pytest.approx(1.0) and down[1, 0, 4, 3] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        models.affine_images(torch.zeros(8, 8), 1, 0, 0)


def test_random_affine_only_in_training():
    aug = models.RandomAffine(1.0, 10.0)
    x = torch.rand(4, 1, 8, 8)
    seed_everything(0)
    assert not torch.allclose(aug.train()(x), x)
    assert torch.equal(aug.eval()(x), x)
    with pytest.raises(ValueError):
        models.RandomAffine(-1)


def test_init_normal_fan_in():
    net = models.init_normal_fan_in_(nn.Sequential(nn.Linear(400, 300), nn.Conv2d(4, 200, 5)))
    assert net[0].weight.std().item() == pytest.approx(1 / 20, rel=0.05)
    assert net[1].weight.std().item() == pytest.approx(1 / 10, rel=0.05)
    assert net[0].bias.abs().max() == 0


def test_frozen_stays_in_eval_and_untrained():
    bn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    frozen = models.Frozen(bn)
    model = nn.Sequential(frozen, nn.Flatten(), nn.Linear(2 * 6 * 6, 3)).train()
    assert not bn.training and frozen.training
    assert training.count_parameters(model) == 2 * 36 * 3 + 3
    before = bn[1].running_mean.clone()
    model(torch.rand(5, 1, 8, 8))
    assert torch.equal(bn[1].running_mean, before)


def test_train_classifier_learns_and_validates():
    seed_everything(0)
    X = torch.randn(200, 1, 8, 8)
    y = (X.mean(dim=(1, 2, 3)) > 0).long()
    h = models.train_classifier(
        models.linear_classifier(n_classes=2), X, y, epochs=20, lr=0.05, X_val=X, y_val=y, progress=False, device="cpu"
    )
    assert h.val_metric[-1] > 0.9
    with pytest.raises(ValueError):
        models.train_classifier(models.linear_classifier(), X, y, epochs=1, X_val=X)
    with pytest.raises(ValueError):
        models.train_classifier(models.Frozen(nn.Linear(64, 2)), X, y, epochs=1)


def test_generative_models_shapes():
    ae = models.Autoencoder(code_dim=2)
    x = torch.rand(5, 64)
    assert ae.encode(x).shape == (5, 2) and ae(x).shape == (5, 64)
    assert ((ae(x) > 0) & (ae(x) < 1)).all()
    G = models.mlp_generator(8, 64, out_activation="sigmoid")
    D = models.mlp_discriminator(64)
    assert G(torch.randn(3, 8)).shape == (3, 64) and D(torch.rand(3, 1, 8, 8)).shape == (3, 1)
    with pytest.raises(ValueError):
        models.mlp_generator(8, 2, out_activation="relu")
    with pytest.raises(ValueError):
        models.Autoencoder(code_dim=0)


def test_few_shot_sample_draws_k_per_class_and_relabels():
    X = torch.arange(60, dtype=torch.float32).reshape(60, 1, 1, 1)
    y = torch.arange(60) % 10
    X_few, y_few = models.few_shot_sample(X, y, k=3, seed=1, classes=range(5, 8))
    assert X_few.shape == (9, 1, 1, 1) and y_few.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    original = X_few.flatten().long() % 10  # each X holds its own index, so its label is index % 10
    assert original.tolist() == [5, 5, 5, 6, 6, 6, 7, 7, 7]
    assert len(set(X_few.flatten().tolist())) == 9  # without replacement
    again, _ = models.few_shot_sample(X, y, k=3, seed=1, classes=range(5, 8))
    other, _ = models.few_shot_sample(X, y, k=3, seed=2, classes=range(5, 8))
    assert torch.equal(again, X_few) and not torch.equal(other, X_few)
    with pytest.raises(ValueError):
        models.few_shot_sample(X, y, k=7, seed=0)  # only 6 examples per class
    with pytest.raises(ValueError):
        models.few_shot_sample(X, y, k=0, seed=0)


def test_few_shot_contenders_freeze_only_the_transfer_backbone():
    backbone = models.LeNet(channels=(16, 32), hidden=(64,), batchnorm=True).features
    nets = models.few_shot_contenders(backbone, n_classes=4)
    assert set(nets) == {"transfer", "from scratch"}
    x = torch.rand(3, 1, 8, 8)
    assert all(net(x).shape == (3, 4) for net in nets.values())
    assert training.count_parameters(nets["transfer"]) == 128 * 64 + 64 + 64 * 4 + 4  # only the new head
    assert training.count_parameters(nets["from scratch"]) > training.count_parameters(nets["transfer"])
    assert not any(p.requires_grad for p in backbone.parameters())


def test_template_accuracy_nearest_class_mean():
    X_few = torch.tensor([[0.0, 0.0], [0.0, 0.2], [5.0, 5.0], [5.0, 4.8]])
    y_few = torch.tensor([0, 0, 1, 1])
    X_eval = torch.tensor([[0.5, 0.5], [4.0, 4.0], [1.0, 0.0], [0.0, 1.0]])
    assert models.template_accuracy(X_few, y_few, X_eval, torch.tensor([0, 1, 0, 1]), 2) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        models.template_accuracy(X_few, y_few, X_eval, torch.tensor([0, 1, 0, 1]), 3)  # class 2 has no example


def test_compare_few_shot_is_seeded_and_scores_every_draw():
    seed_everything(0)
    X = torch.rand(40, 1, 8, 8) * 16
    y = torch.arange(40) % 2
    X[y == 1, :, :4] += 8  # class 1: a brighter top half
    backbone = models.LeNet(channels=(16, 32), hidden=(64,), batchnorm=True).features
    run = lambda: models.compare_few_shot(
        backbone,
        X,
        y,
        X,
        y,
        k=3,
        draws=2,
        seed=1,
        classes=range(2),  # noqa: E731
        epochs=3,
        device="cpu",
    )
    accs = run()
    assert set(accs) == {"transfer", "from scratch", "pixel templates"}
    assert all(len(a) == 2 and all(0 <= v <= 1 for v in a) for a in accs.values())
    assert run() == accs  # same seed, same numbers
    assert min(accs["pixel templates"]) > 0.9
    with pytest.raises(ValueError):
        models.compare_few_shot(backbone, X, y, X, y, k=3, draws=0)
