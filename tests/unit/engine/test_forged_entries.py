"""An entry whose metrics were edited and whose digest was recomputed is not served where the
record holds its own evidence: the test accuracy and loss are recomputed from
its stored test outputs and the test labels."""

from __future__ import annotations

import pytest
import torch

from nnbook.engine import runs
from nnbook.engine.fit import TrainConfig
from nnbook.engine.runs import RunStore, train_cached
from nnbook.engine.tensor_data import TensorData
from nnbook.networks import mlp

CPU = torch.device("cpu")


def data() -> TensorData:
    g = torch.Generator().manual_seed(0)
    X, X_test = torch.randn(64, 2, generator=g), torch.randn(40, 2, generator=g)
    return TensorData(X, (X[:, 0] > 0).long(), X_test, (X_test[:, 0] > 0).long())


def train(store):
    return train_cached(lambda: mlp((2, 3, 2), seed=0), data(),
                        TrainConfig(num_epochs=2, batch_size=16), device=CPU, store=store,
                        name="forged")


def forge(store: RunStore, record, **changes) -> None:
    """Edit the record's metrics and history as a writer with access to the store could, and
    recompute its digest."""
    per_epoch = {"test_accuracy": "test_accuracies", "test_loss": "test_loss"}  # History's
    for name, value in changes.items():
        record.metrics[name] = value
        record.history[per_epoch[name]][-1] = value
    store.save(record)


@pytest.mark.parametrize("changes, why", [
    (dict(test_accuracy=0.999), "test accuracy 0.9990 is not what its own test outputs give"),
    (dict(test_loss=0.001), "test loss 0.001 is not what its own test outputs give"),
])
def test_an_edited_metric_with_a_recomputed_digest_is_trained_again(tmp_path, changes, why):
    store = RunStore(tmp_path / "runs")
    first = train(store)
    assert first.record.metrics["test_accuracy"] < 0.99  # two epochs of a tiny network
    forge(store, first.record, **changes)
    again = train(store)
    assert not again.from_cache
    assert again.record.metrics["test_accuracy"] != 0.999
    assert any(why in p for p in runs.reported_problems())


def test_an_honest_entry_is_served(tmp_path):
    store = RunStore(tmp_path / "runs")
    train(store)
    assert train(store).from_cache
