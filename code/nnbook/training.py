"""The book's one training loop.

The whole data set lives on the device as one tensor and each epoch slices shuffled minibatches
out of it, so no per-item Python work (decoding, collating) sits in the loop. Every chapter that
trains a model calls :func:`fit`; none writes its own loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from nnbook.device import get_device

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one run. Everything that changes the result belongs here."""

    num_epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"  # "adam" or "sgd"
    weight_decay: float = 0.0  # L2 penalty, as the optimizer's weight_decay
    schedule: str = "constant"  # "constant" or "onecycle" (warm up, then anneal)
    seed: int = 0  # seeds initialisation-independent randomness: shuffling, dropout

    def __post_init__(self):
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', not {self.optimizer!r}")
        if self.schedule not in ("constant", "onecycle"):
            raise ValueError(f"schedule must be 'constant' or 'onecycle', not {self.schedule!r}")
        if self.num_epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"num_epochs, batch_size and lr must be positive: {self}")


@dataclass
class History:
    """What a run leaves behind for the page: losses, accuracies, time and where it ran."""

    config: dict
    batch_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    test_accuracy: list[float] = field(default_factory=list)  # after each epoch, if test data given
    wall_time: float = 0.0  # seconds spent training (evaluation excluded)
    device: str = "cpu"
    precision: str = "float32"


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


@torch.no_grad()
def predict(model: torch.nn.Module, X: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The model's outputs for every row of ``X``, in evaluation mode, batch by batch."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outputs = [model(X[i:i + batch_size].to(device)) for i in range(0, len(X), batch_size)]
    model.train(was_training)
    return torch.cat(outputs)


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows whose highest-scoring class is the label."""
    y_hat = predict(model, X).argmax(dim=1).cpu()
    return float((y_hat == y.cpu()).float().mean())


def fit(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, config: TrainConfig, *,
        loss_fn: LossFn = F.cross_entropy, X_test: torch.Tensor | None = None,
        y_test: torch.Tensor | None = None, device: torch.device | None = None) -> History:
    """Train ``model`` in place on ``(X, y)`` and return its history.

    ``X`` and ``y`` are whole tensors (the data set); they are moved to the device once. The model
    keeps its dtype: a float64 model trains in float64. For an autoencoder pass ``y = X`` and a
    reconstruction loss.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    device = device if device is not None else get_device()
    model.to(device)
    X, y = X.to(device), y.to(device)
    optimizer = make_optimizer(model, config)
    steps_per_epoch = -(-len(X) // config.batch_size)
    scheduler = None
    if config.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, epochs=config.num_epochs, steps_per_epoch=steps_per_epoch)
    dtype = next(model.parameters()).dtype
    history = History(config=asdict(config), device=device.type, precision=str(dtype).removeprefix("torch."))
    generator = torch.Generator(device="cpu").manual_seed(config.seed)
    torch.manual_seed(config.seed)  # dropout and other in-model randomness
    model.train()
    for _ in range(config.num_epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X), generator=generator).to(device)
        total = torch.zeros((), device=device, dtype=torch.float64)
        for i in range(0, len(X), config.batch_size):
            idx = order[i:i + config.batch_size]
            loss = loss_fn(model(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.detach().double() * len(idx)
            history.batch_losses.append(loss.detach())
        history.epoch_losses.append(float(total) / len(X))
        history.wall_time += time.perf_counter() - start
        if X_test is not None and y_test is not None:
            history.test_accuracy.append(accuracy(model, X_test, y_test))
    history.batch_losses = [float(v) for v in history.batch_losses]
    model.eval()
    return history
