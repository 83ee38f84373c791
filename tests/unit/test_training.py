"""The training engine: it learns, it is reproducible, it casts only where it should, and its
cache returns stored runs, retrains on change and survives corrupt entries."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nnbook.engine.fit as training
from nnbook.engine.data import load_fashion_mnist
from nnbook.engine.runs import CorruptEntryWarning, RunCache
from nnbook.engine.fit import (History, TensorData, TrainConfig, accuracy, autocast_dtype, fit,
                             show_progress, train_cached)

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
def fashion_slice():
    return TensorData.from_images(load_fashion_mnist(download=False), n_train=2000, n_test=500)


def test_fit_lowers_the_loss_and_beats_chance(fashion_slice):
    torch.manual_seed(0)
    model = SmallCNN()
    d = fashion_slice
    history = fit(model, d.X, d.y, TrainConfig(num_epochs=3, batch_size=64, lr=3e-3,
                                               schedule="onecycle"),
                  X_test=d.X_test, y_test=d.y_test, device=CPU)
    assert history.epoch_losses[-1] < 0.7 * history.epoch_losses[0]
    assert history.test_accuracy[-1] > 0.6  # chance is 0.1
    assert len(history.batch_losses) == 3 * 32 and len(history.epoch_times) == 3
    assert history.epoch_times == sorted(history.epoch_times) and history.wall_time > 0
    assert history.channels_last and history.n_train == 2000
    assert accuracy(model, d.X_test, d.y_test) == pytest.approx(history.test_accuracy[-1], abs=1e-6)
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
        histories.append((h.batch_losses, h.epoch_losses, h.test_accuracy, model.fc.weight.clone()))
    assert histories[0][:3] == histories[1][:3]
    torch.testing.assert_close(histories[0][3], histories[1][3], rtol=0, atol=0)
    # and a different seed shuffles differently
    torch.manual_seed(7)
    other = fit(SmallCNN(), d.X[:600], d.y[:600], TrainConfig(num_epochs=2, batch_size=100, seed=4),
                device=CPU)
    assert other.batch_losses != histories[0][0]


def test_float64_models_are_never_autocast(monkeypatch):
    monkeypatch.setattr(training, "bf16_supported", lambda device: True)
    torch.manual_seed(0)
    X = torch.randn(64, 2, dtype=torch.float64)
    y = (X[:, 0] * X[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    history = fit(model, X, y, TrainConfig(num_epochs=2, batch_size=16, precision="bfloat16"),
                  device=CPU)
    assert history.precision == "float64" and not history.channels_last
    assert model[0].weight.dtype == torch.float64
    image_model = SmallCNN().double()
    assert autocast_dtype(image_model, torch.zeros(2, 1, 28, 28, dtype=torch.float64), CPU) is None


def test_autocast_only_for_float32_image_batches_on_bf16_hardware(monkeypatch):
    images, flat = torch.zeros(2, 1, 28, 28), torch.zeros(2, 784)
    monkeypatch.setattr(training, "bf16_supported", lambda device: True)
    assert autocast_dtype(SmallCNN(), images, CPU) is torch.bfloat16
    assert autocast_dtype(nn.Linear(784, 10), flat, CPU) is None  # toy dense data: exact float32
    assert autocast_dtype(SmallCNN(), images, CPU, "float32") is None
    monkeypatch.setattr(training, "bf16_supported", lambda device: False)
    assert autocast_dtype(SmallCNN(), images, CPU) is None
    assert autocast_dtype(nn.Linear(784, 10), flat, CPU, "bfloat16") is torch.bfloat16


def test_autocast_run_reports_its_precision_and_keeps_float32_weights(monkeypatch, fashion_slice):
    monkeypatch.setattr(training, "bf16_supported", lambda device: True)
    d = fashion_slice
    model = SmallCNN()
    history = fit(model, d.X[:256], d.y[:256], TrainConfig(num_epochs=1, batch_size=64), device=CPU)
    assert history.precision == "bfloat16 autocast"
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(isinstance(v, float) for v in history.batch_losses)


def test_autoencoder_without_labels_gets_a_test_loss_and_no_accuracy(fashion_slice):
    d = fashion_slice
    torch.manual_seed(0)
    model = TinyAutoencoder()
    history = fit(model, d.X[:512], d.X[:512], TrainConfig(num_epochs=3, batch_size=64, lr=3e-3),
                  loss_fn=F.mse_loss, X_test=d.X_test[:100], y_test=d.X_test[:100], device=CPU)
    assert history.test_accuracy == [] and len(history.test_loss) == 3
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
    assert show_progress(True) is True and show_progress() is False
    monkeypatch.setenv("NNBOOK_PROGRESS", "1")
    assert show_progress() is True and show_progress(False) is False


# --- the cache ---------------------------------------------------------------------------------


@pytest.fixture
def small_data(fashion_slice):
    d = fashion_slice
    return TensorData(d.X[:300], d.y[:300], d.X_test[:100], d.y_test[:100])


CONFIG = TrainConfig(num_epochs=2, batch_size=50, lr=2e-3)


def test_cache_returns_the_stored_run_without_training(tmp_path, small_data, monkeypatch):
    cache = RunCache(tmp_path)
    first = train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU)
    assert not first.from_cache and len(list(tmp_path.glob("SmallCNN-*.pt"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("the cached run was trained again")
    monkeypatch.setattr(training, "fit", no_training)
    second = train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU)
    assert second.from_cache
    assert second.history.batch_losses == first.history.batch_losses
    assert second.history.test_accuracy == first.history.test_accuracy
    torch.testing.assert_close(second.test_outputs, first.test_outputs)
    for a, b in zip(first.model.state_dict().values(), second.model.state_dict().values()):
        torch.testing.assert_close(a.cpu(), b.cpu())
    # the loaded model really is the trained one
    torch.testing.assert_close(training.predict(second.model, small_data.X_test), first.test_outputs)
    assert not second.model.training
    assert (second.test_predictions == first.test_outputs.argmax(1)).all()


def test_cache_retrains_when_anything_in_the_key_changes(tmp_path, small_data):
    cache = RunCache(tmp_path)
    base = train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU)
    changed_lr = train_cached(SmallCNN, small_data, TrainConfig(num_epochs=2, batch_size=50, lr=1e-3),
                              cache=cache, device=CPU)
    assert not changed_lr.from_cache
    assert changed_lr.history.batch_losses != base.history.batch_losses
    fewer = TensorData(small_data.X[:200], small_data.y[:200], small_data.X_test, small_data.y_test)
    assert fewer.checksum != small_data.checksum
    assert not train_cached(SmallCNN, fewer, CONFIG, cache=cache, device=CPU).from_cache
    assert not train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU,
                            loss_fn=lambda y_hat, y: F.cross_entropy(y_hat, y, label_smoothing=0.1)
                            ).from_cache
    assert train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU).from_cache
    assert len(list(tmp_path.glob("*.pt"))) == 4
    assert base.key_parts["loss_fn"] != train_cached(
        SmallCNN, small_data, TrainConfig(num_epochs=1), cache=cache, device=CPU,
        loss_fn=F.nll_loss).key_parts["loss_fn"]  # torch's own functions are told apart by name


def test_cache_recovers_from_a_corrupt_entry(tmp_path, small_data):
    cache = RunCache(tmp_path)
    first = train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU)
    (entry,) = tmp_path.glob("SmallCNN-*.pt")
    entry.write_bytes(entry.read_bytes()[:200])  # truncated, as by a crash mid-write elsewhere
    with pytest.warns(CorruptEntryWarning):
        again = train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU)
    assert not again.from_cache
    assert again.history.batch_losses == first.history.batch_losses  # same seed: same run
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorruptEntryWarning)
        assert train_cached(SmallCNN, small_data, CONFIG, cache=cache, device=CPU).from_cache


def test_cache_serves_autoencoders_without_labels(tmp_path, fashion_slice):
    d = fashion_slice
    data = TensorData(d.X[:256], d.X[:256], d.X_test[:50])  # no test targets at all
    run = train_cached(TinyAutoencoder, data, TrainConfig(num_epochs=1, batch_size=64),
                       loss_fn=F.mse_loss, name="ae", cache=RunCache(tmp_path), device=CPU)
    assert run.test_outputs.shape == (50, 1, 28, 28) and run.history.test_loss == []
    again = train_cached(TinyAutoencoder, data, TrainConfig(num_epochs=1, batch_size=64),
                         loss_fn=F.mse_loss, name="ae", cache=RunCache(tmp_path), device=CPU)
    assert again.from_cache
    torch.testing.assert_close(again.test_outputs, run.test_outputs)


def test_history_round_trips_through_a_dict():
    h = History(config={"lr": 0.1}, epoch_losses=[1.0, 0.5], test_accuracy=[0.5, 0.9],
                epoch_times=[2.0, 4.0], wall_time=4.0, n_train=10)
    from dataclasses import asdict
    assert History.from_dict({**asdict(h), "unknown": 1}) == h
    assert h.examples_per_second == pytest.approx(5.0)
    assert h.seconds_to(0.8) == 4.0
