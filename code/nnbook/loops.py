"""The training loop every PyTorch tutorial starts from, written as the lectures wrote it.

Data reaches a model through two objects. A ``Dataset`` answers ``len(dataset)`` and
``dataset[i]``, one example at a time (:class:`XORDataset` is one, written by hand;
``TensorDataset`` and torchvision's ``FashionMNIST`` are others). A ``DataLoader`` draws
examples from it and stacks them into batches. :func:`train` makes one pass over the batches,
updating the model after each; :func:`test` measures the model without changing it;
:func:`train_and_test` alternates them for a number of epochs, printing the lecture's progress
lines.

:func:`run_baseline_loop` runs the lecture's own Fashion-MNIST training with these functions and
keeps the result, the trained weights and the printed lines, in the run store
(:mod:`nnbook.engine.runs`): a rebuild prints the same lines again without training.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from nnbook.engine.device import get_device, seeded
from nnbook.engine.fit import TrainConfig
from nnbook.engine.runs import (EntryError, RunRecord, RunStore, Trained, cached_run,
                                check_tensors, config_dict, describe_callable, expect_state,
                                requested_plan, state_tensors)
from nnbook.engine.tensor_data import dataset_digest
from nnbook.models import BASELINE_FASHION, FashionCNN

Log = Callable[[str], None]


class XORDataset(Dataset):
    """The XOR points as a data set: one (x, y) pair of tensors per index."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.X = torch.from_numpy(X)  # (n, 2) float64
        self.y = torch.from_numpy(y)  # (n,) int64

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X[i], self.y[i]


def train(dataloader, model, loss_fn, optimizer, *, log: Log = print,
          every: int = 100) -> float:
    """One pass over ``dataloader``, updating ``model`` after every batch.

    Prints the loss of every ``every``-th batch and returns the mean
    training loss of the pass. ``loss_fn`` averages over
    the batch (PyTorch's default).
    """
    size = len(dataloader.dataset)
    device = next(model.parameters()).device
    model.train()  # dropout on; batch norm uses the batch's statistics
    total = 0.0
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)  # forward pass: (B, classes) scores
        loss = loss_fn(pred, y)  # the batch's mean loss

        optimizer.zero_grad()  # .grad adds up: clear the last batch's
        loss.backward()  # backpropagation: d loss / d parameter in .grad
        optimizer.step()  # move every parameter against its .grad

        total += loss.item() * len(X)
        if batch % every == 0:
            current = batch * len(X)
            log(f"loss: {loss.item():>7f}  [{current:>5d}/{size:>5d}]")
    return total / size


def test(dataloader, model, loss_fn, *, log: Log = print
         ) -> tuple[float, float]:
    """The accuracy and the mean loss per example of ``model`` on
    ``dataloader``, printed and returned. Changes nothing."""
    size = len(dataloader.dataset)
    device = next(model.parameters()).device
    model.eval()  # dropout off; batch norm uses its running statistics
    test_loss, correct = 0.0, 0
    with torch.no_grad():  # record no graph: nothing here is differentiated
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item() * len(X)
            correct += (pred.argmax(1) == y).sum().item()
    test_loss /= size
    accuracy = correct / size
    log(f"Test Error: \n Accuracy: {100 * accuracy:>0.1f}%, "
        f"Avg loss: {test_loss:>8f} \n")
    return accuracy, test_loss


@dataclass(frozen=True)
class Epoch:
    """What one epoch of :func:`train_and_test` measured."""

    train_loss: float  # mean over the pass, as the weights moved
    test_loss: float
    test_accuracy: float
    seconds: float  # the training pass only


def train_and_test(train_dataloader, test_dataloader, model, loss_fn,
                   optimizer, epochs: int, *, log: Log = print) -> list[Epoch]:
    """``epochs`` passes of :func:`train`, each followed by :func:`test`."""
    results = []
    for t in range(epochs):
        log(f"Epoch {t + 1}\n-------------------------------")
        start = time.perf_counter()
        train_loss = train(train_dataloader, model, loss_fn, optimizer, log=log)
        seconds = time.perf_counter() - start
        accuracy, test_loss = test(test_dataloader, model, loss_fn, log=log)
        results.append(Epoch(train_loss, test_loss, accuracy, seconds))
    log("Done!")
    return results


# --- the lecture's run, kept in the run store ----------------------------------------------------


@dataclass
class BaselineRun:
    """The lecture's training run: the trained model (in evaluation mode), each epoch's
    results, and every line the loop printed."""

    model: nn.Module
    epochs: list[Epoch]
    lines: list[str]
    device: str
    from_cache: bool

    @property
    def test_accuracy(self) -> float:
        return self.epochs[-1].test_accuracy

    @property
    def train_seconds(self) -> float:
        return sum(e.seconds for e in self.epochs)


def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer as the lecture made it: torch's default implementation."""
    kind = torch.optim.Adam if config.optimizer == "adam" else torch.optim.SGD
    return kind(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def baseline_training(train_data: Dataset, test_data: Dataset, model: nn.Module,
                     config: TrainConfig, *, device: torch.device, log: Log = print
                     ) -> list[Epoch]:
    """The lecture's training of ``model``: :func:`train_and_test` over ``DataLoader`` s of
    ``config.batch_size`` in the data sets' own order, torch's default optimizer at a constant
    rate, cross-entropy; dropout draws from torch's generator seeded by ``config.seed``."""
    train_loader = DataLoader(train_data, batch_size=config.batch_size)
    test_loader = DataLoader(test_data, batch_size=config.batch_size)
    with seeded(config.seed, device):
        return train_and_test(train_loader, test_loader, model, nn.CrossEntropyLoss(),
                              _optimizer(model, config), config.num_epochs, log=log)


def run_baseline_loop(train_data: Dataset, test_data: Dataset,
                     config: TrainConfig = BASELINE_FASHION["config"], *,
                     model_fn: Callable[[], nn.Module] = FashionCNN,
                     device: torch.device | None = None, store: RunStore | None = None,
                     log: Log = print) -> BaselineRun:
    """The lecture's training (:func:`baseline_training`), or its stored run; either way the
    loop's lines are printed with ``log``.

    As in the lecture: ``DataLoader`` s of ``config.batch_size`` in the data sets' own order, the
    optimizer at a constant rate, float32, cross-entropy. ``config.seed`` fixes the initial
    weights and dropout. The key holds the configuration, both data sets' content and transforms,
    the code, the device, torch's threads and its version.
    """
    if config.schedule != "constant" or config.precision == "bfloat16":
        raise ValueError(f"the lecture's loop has a constant rate and runs in float32: {config}")
    device = device if device is not None else get_device()
    with seeded(config.seed, device):
        model = model_fn().to(device)
    expected = expect_state(model)
    parts = {"model_fn": describe_callable(model_fn), "architecture": repr(model),
             "config": config_dict(config), "train_data": dataset_digest(train_data),
             "test_data": dataset_digest(test_data)}

    def check(record: RunRecord) -> None:
        check_tensors(record, expected)
        epochs, lines = record.history.get("epochs"), record.history.get("lines")
        if not isinstance(lines, list) or not all(isinstance(s, str) for s in lines):
            raise EntryError("its printed lines are not a list of strings")
        if not isinstance(epochs, list) or len(epochs) != config.num_epochs:
            raise EntryError(f"it does not hold {config.num_epochs} epochs")
        try:
            last = Epoch(**epochs[-1])
        except TypeError as err:
            raise EntryError(f"its epochs do not read back ({err})") from None
        if record.metrics != {"test_accuracy": last.test_accuracy, "test_loss": last.test_loss}:
            raise EntryError("its metrics disagree with its epochs")

    def train() -> Trained:
        lines: list[str] = []

        def record_line(text: str) -> None:
            lines.append(text)
            log(text)

        epochs = baseline_training(train_data, test_data, model, config, device=device,
                                  log=record_line)
        last = epochs[-1]
        return Trained({"test_accuracy": last.test_accuracy, "test_loss": last.test_loss},
                       {"epochs": [asdict(e) for e in epochs], "lines": lines},
                       state_tensors(model), sum(e.seconds for e in epochs))

    cached = cached_run("baseline-loop", code=(model_fn, model, baseline_training), parts=parts,
                        plan=requested_plan(), device=device, train=train, check=check,
                        store=store)
    record = cached.record
    if cached.from_cache:
        model.load_state_dict(record.subset("weights"))
        for line in record.history["lines"]:
            log(line)
    model.eval()
    return BaselineRun(model, [Epoch(**e) for e in record.history["epochs"]],
                      list(record.history["lines"]), device.type, cached.from_cache)
