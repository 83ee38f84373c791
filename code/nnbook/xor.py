"""The XOR experiment: the lecture's network trained on XOR blobs, at the lecture's learning
rate and the book's, from several seeds, and replayed epoch by epoch.

The seeds of one rate train as one ensemble (:func:`nnbook.engine.runs.train_ensemble_cached`:
each member as its own run would train, in one pass of batched arithmetic), and the first
member's decision surface is kept after every epoch, so that the replay is that very run.

The network itself is :mod:`nnbook.networks`; the figures are :mod:`nnbook.xor_figures`; the
page's playground, which retraces these runs in the browser, gets its data from
:func:`nnbook.book.kernel.widgets.xor_playground_payload`. This module trains through the engine, so it
imports no figure module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from nnbook.grids import surface_grid, torch_predictor
from nnbook.networks import mlp
from nnbook.toy_data import ToyData, blobs
from nnbook.engine.fit import TrainConfig, fit, model_accuracy
from nnbook.engine.plan import using_threads
from nnbook.engine.runs import Run, RunStore, train_cached, train_ensemble_cached
from nnbook.engine.tensor_data import TensorData

XOR_LARGE_LR = 0.5  # the lecture's Adam learning rate for the XOR network
XOR_BOOK_LR = 0.05  # the book's: the results on the learning_features page say why


def xor_data(n_per_blob: int = 50, n_test_per_blob: int = 250,
             ) -> tuple[ToyData, ToyData]:
    """The XOR network's training points and, from another seed, its test
    points: four clouds of ``n_per_blob`` (and ``n_test_per_blob``) each."""
    return (blobs("xor", n_per_blob, seed=42),
            blobs("xor", n_test_per_blob, seed=4242))


def xor_config(lr: float = XOR_BOOK_LR, seed: int = 0) -> TrainConfig:
    """How the XOR network trains, at learning rate ``lr``: Adam with
    weight decay 0.0001 on minibatches of 10, for 200 epochs."""
    return TrainConfig(num_epochs=200, batch_size=10, lr=lr, optimizer="adam",
                       weight_decay=1e-4, seed=seed)


@dataclass
class XORResult:
    """The lecture's XOR network after training, with what the page reports about it."""

    model: torch.nn.Sequential
    X: np.ndarray  # the training points and labels, for the surfaces
    y: np.ndarray
    lr: float
    seed: int
    train_accuracy: float
    test_accuracy: float
    n_test: int
    epoch_losses: list[float]  # mean training loss of each epoch
    test_accuracies: list[float]  # test accuracy after each epoch
    wall_time: float

    def late(self, values: list[float]) -> list[float]:
        """The second half of a per-epoch list: where a run should have settled."""
        return values[len(values) // 2:]

    @property
    def lowest_late_accuracy(self) -> float:
        """The worst test accuracy after any epoch of the second half of training."""
        return min(self.late(self.test_accuracies))

    @property
    def highest_late_loss(self) -> float:
        """The highest mean training loss of any epoch in the second half of training."""
        return max(self.late(self.epoch_losses))

    @property
    def late_jumps(self) -> int:
        """Epochs of the second half whose mean loss is over ten times the run's lowest: how
        often training undoes what it had reached."""
        lowest = min(self.epoch_losses)
        return sum(loss > 10 * lowest for loss in self.late(self.epoch_losses))

    def epochs_to(self, target: float) -> int | None:
        """The first epoch (from 1) after which the test accuracy reached ``target``, if any."""
        return next((i + 1 for i, a in enumerate(self.test_accuracies) if a >= target), None)


def network(seed: int, *, hidden: int = 4, activation: str = "sigmoid") -> torch.nn.Sequential:
    """The lecture's network, 2 inputs, ``hidden`` units, 2 outputs, in float64, its initial
    weights fixed by ``seed``."""
    return mlp((2, hidden, 2), activation, seed=seed, dtype=torch.float64)


def _data() -> tuple[ToyData, ToyData, TensorData]:
    train, test = xor_data()
    return train, test, TensorData(torch.as_tensor(train.X), torch.as_tensor(train.y),
                                   torch.as_tensor(test.X), torch.as_tensor(test.y))


def _result(run: Run, data: TensorData, train: ToyData, config: TrainConfig) -> XORResult:
    model, history = run.model, run.history
    return XORResult(
        model=model, X=train.X, y=train.y, lr=config.lr, seed=config.seed,
        train_accuracy=model_accuracy(model, data.X, data.y),
        test_accuracy=model_accuracy(model, data.X_test, data.y_test),
        n_test=len(data.X_test), epoch_losses=history.epoch_losses,
        test_accuracies=history.test_accuracies, wall_time=history.wall_time)


def train_xor_network(hidden: int = 4, *, config: TrainConfig | None = None,
                      seed: int = 0, activation: str = "sigmoid",
                      device: torch.device | None = None,
                      store: RunStore | None = None) -> XORResult:
    """The lecture's network, 2 inputs, ``hidden`` units, 2 outputs, on XOR blobs.

    Cross-entropy on the two outputs, Adam on minibatches of 10, in float64 as
    in the lecture (:func:`xor_config`; the book's rate unless ``config`` says
    otherwise). The test data are fresh blobs from another seed, so the test
    accuracy, measured after every epoch, is about generalisation. ``seed``
    fixes the initial weights and the minibatch order; ``activation`` swaps
    the hidden units' sigmoid (an exercise trains a ReLU version). The run
    store keeps the run: trained once, it is loaded on the next build.
    """
    config = config if config is not None else xor_config(seed=seed)
    train, _, data = _data()
    model_fn = partial(network, seed, hidden=hidden, activation=activation)
    run = train_cached(model_fn, data, config, device=device, store=store,
                       name=f"xor-{hidden}-{activation}")
    return _result(run, data, train, config)


def surface_frame(ensemble, epoch: int, *, member: int = 0, resolution: int = 31,
                  bounds: tuple[float, float] = (-10.0, 10.0)) -> dict[str, torch.Tensor]:
    """P(cross | x) of one member of an ensemble over a ``resolution`` grid: a frame of the
    replay of its training (see :func:`train_xor_networks`)."""
    _, XX = surface_grid(bounds, resolution)
    predict = torch_predictor(ensemble.member(member), output="softmax", column=1)
    return {"frames": torch.as_tensor(predict(XX)).reshape(resolution, resolution)}


def train_xor_networks(seeds: Sequence[int], *, hidden: int = 4, lr: float = XOR_BOOK_LR,
                       activation: str = "sigmoid", num_epochs: int = 200,
                       device: torch.device | None = None, store: RunStore | None = None,
                       ) -> tuple[list[XORResult], np.ndarray]:
    """The network of :func:`train_xor_network` from each of ``seeds`` at rate ``lr``, trained as
    one ensemble (each member as its own run would train; the run store keeps them together).
    Also returns the first seed's decision surface on a 31 by 31 grid before training and after
    each epoch (epochs + 1, 31, 31): its replay."""
    configs = [replace(xor_config(lr, seed), num_epochs=num_epochs) for seed in seeds]
    train, _, data = _data()
    runs, recorded = train_ensemble_cached(
        partial(network, hidden=hidden, activation=activation), data, configs,
        name=f"xor-{hidden}-{activation}-seeds", record=surface_frame, device=device,
        store=store)
    results = [_result(run, data, train, config) for run, config in zip(runs, configs)]
    return results, recorded["frames"].numpy()


@dataclass
class RateSummary:
    """The XOR network trained at one learning rate from several seeds, in a few numbers."""

    lr: float
    seeds: int
    final_median: float  # test accuracy at the end of training: median, worst and best run
    final_worst: float
    final_best: float
    late_low_worst: float  # each run's lowest test accuracy in its second half: the range
    late_low_best: float  # over the runs
    late_loss_worst: float  # the highest epoch loss of any run's second half
    late_loss_best: float  # the lowest of the runs' highest second-half epoch losses
    epochs_to_95_median: float  # the epoch by which the median run first reached 95%
    #                             (the lower median, so an actual run's epoch; inf: never)
    runs_below_95_late: int  # runs whose test accuracy fell below 95% in their second half
    late_jumps_median: float  # median over the runs of XORResult.late_jumps


def summarise_rate(runs: Sequence[XORResult]) -> RateSummary:
    """What the page says about runs at one learning rate, computed from the runs."""
    if not runs or len({r.lr for r in runs}) != 1:
        raise ValueError("pass one or more runs, all at the same learning rate")
    finals = [r.test_accuracy for r in runs]
    late_lows = [r.lowest_late_accuracy for r in runs]
    late_losses = [r.highest_late_loss for r in runs]
    reached = sorted(np.inf if e is None else e for e in (r.epochs_to(0.95) for r in runs))
    return RateSummary(
        lr=runs[0].lr, seeds=len(runs), final_median=float(np.median(finals)),
        final_worst=min(finals), final_best=max(finals), late_low_worst=min(late_lows),
        late_low_best=max(late_lows), late_loss_worst=max(late_losses),
        late_loss_best=min(late_losses),
        epochs_to_95_median=float(reached[(len(runs) - 1) // 2]),
        runs_below_95_late=sum(low < 0.95 for low in late_lows),
        late_jumps_median=float(np.median([r.late_jumps for r in runs])))


def compare_rates(rates: Sequence[float] = (XOR_LARGE_LR, XOR_BOOK_LR), seeds: int = 10,
                  hidden: int = 4, num_epochs: int = 200, store: RunStore | None = None,
                  ) -> dict[float, list[XORResult]]:
    """The XOR network trained at each learning rate from seeds 0, 1, ..., ``seeds`` - 1.

    A seed fixes the initial weights and the batch order, so run ``s`` of every rate starts from
    the same weights and sees the same batches: only the rate differs. Each rate's seeds train
    as one ensemble (:func:`train_xor_networks`).
    """
    return {lr: train_xor_networks(range(seeds), hidden=hidden, lr=lr, num_epochs=num_epochs,
                                   store=store)[0]
            for lr in rates}


class EngineOrder(Sampler[int]):
    """The example order of :func:`nnbook.engine.fit.fit`, for a DataLoader.

    The engine shuffles with its own generator seeded by ``config.seed``. A
    DataLoader with ``shuffle=True`` first draws a seed for each epoch, so its
    order differs; with this sampler :func:`dataloader_sgd` sees the
    engine's batches, and the two loops can be compared weight for weight.
    """

    def __init__(self, n: int, seed: int):
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        order = torch.randperm(self.n, generator=self.generator)
        return iter(order.tolist())


def dataloader_sgd(model: torch.nn.Module, loss_fn, dataset: Dataset,
                   l2reg: float = 1e-5, lr: float = 1.0, nepochs: int = 200,
                   batch_size: int = 10,
                   sampler: Sampler | None = None) -> None:
    """A plain training loop over a DataLoader: an Adam step per minibatch.

    ``sampler`` replaces the loader's shuffling (see :class:`EngineOrder`).
    """
    loader = DataLoader(dataset, batch_size=batch_size,
                        shuffle=sampler is None, sampler=sampler)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=l2reg)
    for _ in range(nepochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            model.zero_grad()


def loop_difference(config: TrainConfig, hidden: int = 4) -> float:
    """The largest difference between the weights of the XOR network trained by the engine and
    by :func:`dataloader_sgd` with the engine's batch order, from the same initial weights.

    Both train on the CPU. Zero means the two loops make the same updates, bit for bit.
    """
    train, _ = xor_data()
    X, y = torch.as_tensor(train.X), torch.as_tensor(train.y)
    by_engine = mlp((2, hidden, 2), "sigmoid", seed=config.seed, dtype=torch.float64)
    by_hand = mlp((2, hidden, 2), "sigmoid", seed=config.seed, dtype=torch.float64)
    fit(by_engine, X, y, config, device=torch.device("cpu"))  # on the threads it plans
    # The DataLoader loop has no planner: one thread, which is what the planner finds for a
    # network of a handful of units (a second thread costs more than it saves).
    with using_threads(1):
        dataloader_sgd(by_hand, torch.nn.CrossEntropyLoss(),
                       torch.utils.data.TensorDataset(X, y), l2reg=config.weight_decay,
                       lr=config.lr, nepochs=config.num_epochs, batch_size=config.batch_size,
                       sampler=EngineOrder(len(X), config.seed))
    with torch.no_grad():
        return max(float((a - b).abs().max())
                   for a, b in zip(by_engine.parameters(), by_hand.parameters()))


@dataclass
class Replay:
    """A run of the XOR network with its decision surface after every epoch."""

    u: np.ndarray  # the grid's axis (resolution,)
    frames: np.ndarray  # (epochs + 1, resolution, resolution): P(cross) before training, then
    #                     after each epoch, Z[i, j] at (u[j], u[i]) as surface_values has it
    epoch_losses: list[float]
    test_accuracies: list[float]
    X: np.ndarray  # the training points and labels
    y: np.ndarray
    lr: float


def replay_run(lr: float = XOR_LARGE_LR, *, seeds: int = 10, hidden: int = 4,
               num_epochs: int = 200, store: RunStore | None = None) -> Replay:
    """The first seed's run of :func:`compare_rates` at rate ``lr`` (the same stored ensemble,
    nothing trained again), with its decision surface after every epoch."""
    results, frames = train_xor_networks(range(seeds), hidden=hidden, lr=lr,
                                         num_epochs=num_epochs, store=store)
    first = results[0]
    u, _ = surface_grid((-10.0, 10.0), frames.shape[-1])
    return Replay(u=u, frames=frames, epoch_losses=first.epoch_losses,
                  test_accuracies=first.test_accuracies, X=first.X, y=first.y, lr=lr)


@dataclass
class SurfaceShape:
    """Where the XOR network is sure of its answer, over the plane and on the test points."""

    unsure_share: float  # share of the plotted square where low < P(cross | x) < high
    unsure_test_share: float  # share of the test points where it is that unsure


def surface_shape(result: XORResult, low: float = 0.1, high: float = 0.9,
                  bounds: tuple[float, float] = (-10.0, 10.0), resolution: int = 201,
                  ) -> SurfaceShape:
    """Measure the decision surface the page draws: how much of the plane, and how many of the
    test points, fall where the network's P(cross | x) lies between ``low`` and ``high``."""
    predict = torch_predictor(result.model, output="softmax", column=1)
    _, XX = surface_grid(bounds, resolution)
    p_plane = predict(XX)
    p_test = predict(xor_data(n_test_per_blob=result.n_test // 4)[1].X)
    return SurfaceShape(unsure_share=float(((p_plane > low) & (p_plane < high)).mean()),
                        unsure_test_share=float(((p_test > low) & (p_test < high)).mean()))
