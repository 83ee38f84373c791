"""The training loop: it learns, it is reproducible without touching the global generator, and
it casts only where it should."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nnbook.engine.fit as training
from nnbook.engine.fit import (Callback, TrainConfig, autocast_dtype, evaluate, fit,
                              model_accuracy, plan_space, wants_progress_bar)
from nnbook.engine.plan import Plan

CPU = torch.device("cpu")


class SmallCNN(nn.Module):
    """A few thousand parameters: enough to beat chance on Fashion-MNIST within a second."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 4)  # (B, 8, 7, 7)
        return self.fc(self.drop(torch.flatten(x, 1)))


class TinyAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 784),
                                 nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))

    def forward(self, x):
        return self.net(x)


@pytest.fixture(scope="module")
def fashion_slice(images):
    """Synthetic images in place of a data set: the loop must learn them as it would clothes."""
    return images


def test_fit_lowers_the_loss_and_beats_chance(fashion_slice):
    torch.manual_seed(0)
    model = SmallCNN()
    d = fashion_slice
    history = fit(model, d.X, d.y, TrainConfig(num_epochs=3, batch_size=64, lr=3e-3,
                                               schedule="onecycle"),
                  X_test=d.X_test, y_test=d.y_test, device=CPU)
    assert history.epoch_losses[-1] < 0.7 * history.epoch_losses[0]
    assert history.test_accuracies[-1] > 0.6  # chance is 0.1
    assert len(history.batch_losses) == 3 * 19 and len(history.epoch_times) == 3
    assert history.epoch_times == sorted(history.epoch_times) and history.wall_time > 0
    plan = Plan.from_dict(history.plan)  # the layout the planner chose, recorded as used
    assert plan.how in ("measured", "stored") and history.channels_last == plan.channels_last
    assert history.n_train == 1200
    assert model_accuracy(model, d.X_test, d.y_test) == pytest.approx(history.test_accuracies[-1],
                                                              abs=1e-6)
    assert history.seconds_to(0.6) is not None and history.seconds_to(1.01) is None


def test_two_runs_with_the_same_seed_are_identical_on_the_cpu(fashion_slice):
    d = fashion_slice
    config = TrainConfig(num_epochs=2, batch_size=100, lr=1e-3, seed=3)
    histories = []
    for _ in range(2):
        torch.manual_seed(7)
        model = SmallCNN()
        h = fit(model, d.X[:600], d.y[:600], config, X_test=d.X_test[:200], y_test=d.y_test[:200],
                device=CPU)
        histories.append((h.batch_losses, h.epoch_losses, h.test_accuracies, model.fc.weight.clone()))
    assert histories[0][:3] == histories[1][:3]
    torch.testing.assert_close(histories[0][3], histories[1][3], rtol=0, atol=0)
    # and a different seed shuffles differently
    torch.manual_seed(7)
    other = fit(SmallCNN(), d.X[:600], d.y[:600], TrainConfig(num_epochs=2, batch_size=100, seed=4),
                device=CPU)
    assert other.batch_losses != histories[0][0]


def test_float64_models_are_never_autocast():
    torch.manual_seed(0)
    X = torch.randn(64, 2, dtype=torch.float64)
    y = (X[:, 0] * X[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    history = fit(model, X, y, TrainConfig(num_epochs=2, batch_size=16, precision="bfloat16"),
                  device=CPU)
    assert history.precision == "float64" and not history.channels_last
    assert history.plan["precision"] == "float64"
    assert model[0].weight.dtype == torch.float64
    assert autocast_dtype(SmallCNN().double(), Plan(precision="bfloat16")) is None
    assert autocast_dtype(SmallCNN(), Plan(precision="bfloat16")) is torch.bfloat16


def test_bfloat16_is_a_candidate_only_for_float32_image_batches_where_it_is_native(monkeypatch):
    images, flat = torch.zeros(2, 1, 28, 28), torch.zeros(2, 784)
    monkeypatch.setattr(training, "bf16_supported", lambda device: True)
    space = plan_space(SmallCNN(), images, CPU)
    assert space.precisions == ("float32", "bfloat16") and space.channels_last == (True, False)
    flat_space = plan_space(nn.Linear(784, 10), flat, CPU)  # toy dense data: exact float32
    assert flat_space.precisions == ("float32",) and flat_space.channels_last == (False,)
    assert plan_space(SmallCNN().double(), images.double(), CPU).precisions == ("float64",)
    requested = plan_space(SmallCNN(), images, CPU, "float32")
    assert requested.precisions == ("float32",) and requested.requested == ("precision",)
    assert plan_space(nn.Linear(784, 10), flat, CPU, "bfloat16").precisions == ("bfloat16",)
    monkeypatch.setattr(training, "bf16_supported", lambda device: False)
    assert plan_space(SmallCNN(), images, CPU).precisions == ("float32",)


def test_autocast_run_reports_its_precision_and_keeps_float32_weights(fashion_slice):
    d = fashion_slice
    model = SmallCNN()
    history = fit(model, d.X[:256], d.y[:256],
                  TrainConfig(num_epochs=1, batch_size=64, precision="bfloat16"), device=CPU)
    assert history.precision == "bfloat16 autocast"
    assert history.plan["precision"] == "bfloat16" and history.plan["requested"] == ["precision"]
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(isinstance(v, float) for v in history.batch_losses)


def test_autoencoder_without_labels_gets_a_test_loss_and_no_accuracy(fashion_slice):
    d = fashion_slice
    torch.manual_seed(0)
    model = TinyAutoencoder()
    history = fit(model, d.X[:512], d.X[:512], TrainConfig(num_epochs=3, batch_size=64, lr=3e-3),
                  loss_fn=F.mse_loss, X_test=d.X_test[:100], y_test=d.X_test[:100], device=CPU)
    assert history.test_accuracies == [] and len(history.test_loss) == 3
    assert history.test_loss[-1] < history.test_loss[0]
    expected = F.mse_loss(training.predict(model, d.X_test[:100]), d.X_test[:100])
    assert history.test_loss[-1] == pytest.approx(float(expected), rel=1e-5)


def test_config_is_validated():
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="float16")
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig(schedule="cosine")
    with pytest.raises(ValueError, match="rows"):
        fit(nn.Linear(2, 2), torch.zeros(3, 2), torch.zeros(2, dtype=torch.long), TrainConfig(),
            device=CPU)


def test_progress_follows_argument_then_environment(monkeypatch):
    monkeypatch.setenv("NNBOOK_PROGRESS", "0")
    assert wants_progress_bar(True) is True and wants_progress_bar() is False
    monkeypatch.setenv("NNBOOK_PROGRESS", "1")
    assert wants_progress_bar() is True and wants_progress_bar(False) is False


def test_fit_never_reseeds_the_global_generator(fashion_slice):
    d = fashion_slice
    model = SmallCNN()  # dropout draws from the generator while it trains
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit(model, d.X[:200], d.y[:200], TrainConfig(num_epochs=1, batch_size=50, seed=9),
        device=CPU)
    assert torch.equal(torch.rand(3), expected)  # the caller's random stream is untouched


def test_callbacks_see_every_batch_and_epoch(fashion_slice):
    d = fashion_slice
    seen = {"batches": 0, "epochs": [], "end": 0}

    class Recorder(Callback):
        def on_batch_end(self, state):
            seen["batches"] += 1
            assert state.batch_loss is not None and state.batch_loss.ndim == 0

        def on_epoch_end(self, state, history):
            seen["epochs"].append(history.epoch_losses[-1])

        def on_train_end(self, state, history):
            seen["end"] += 1

    history = fit(SmallCNN(), d.X[:250], d.y[:250], TrainConfig(num_epochs=2, batch_size=100),
                  device=CPU, callbacks=[Recorder()])
    assert seen == {"batches": 6, "epochs": history.epoch_losses, "end": 1}


def test_evaluate_matches_a_direct_computation(fashion_slice):
    d = fashion_slice
    torch.manual_seed(0)
    model = SmallCNN().eval()
    loss, acc = evaluate(model, d.X_test, d.y_test)
    with torch.no_grad():
        logits = model(d.X_test)
    assert loss == pytest.approx(float(F.cross_entropy(logits, d.y_test)), rel=1e-5)
    assert acc == pytest.approx(float((logits.argmax(1) == d.y_test).float().mean()))
    assert evaluate(model, d.X_test, torch.rand(len(d.X_test), 10), F.mse_loss)[1] is None


def test_label_smoothing_trains_on_the_smoothed_loss_and_tests_on_the_plain_one(cpu):
    torch.manual_seed(0)
    X, y = torch.randn(64, 3), torch.randint(0, 4, (64,))
    model = torch.nn.Linear(3, 4)
    config = TrainConfig(num_epochs=1, batch_size=64, lr=1e-9, label_smoothing=0.2)
    history = fit(model, X, y, config, X_test=X, y_test=y, device=cpu, progress=False)
    with torch.no_grad():
        logits = model(X)
    smoothed = float(torch.nn.functional.cross_entropy(logits, y, label_smoothing=0.2))
    plain = float(torch.nn.functional.cross_entropy(logits, y))
    assert history.batch_losses[0] == pytest.approx(smoothed, rel=1e-5)
    assert history.test_loss[0] == pytest.approx(plain, rel=1e-5)
    assert smoothed != pytest.approx(plain, rel=1e-3)


def test_label_smoothing_needs_cross_entropy(cpu):
    config = TrainConfig(num_epochs=1, label_smoothing=0.1)
    with pytest.raises(ValueError, match="label_smoothing needs loss_fn=F.cross_entropy"):
        fit(torch.nn.Linear(2, 2), torch.randn(4, 2), torch.randn(4, 2), config,
            loss_fn=torch.nn.functional.mse_loss, device=cpu, progress=False)
