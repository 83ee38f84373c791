"""Fully connected networks: building them, counting their parameters, looking inside them.

A network is described by its layer sizes, inputs first: ``(2, 4, 2)`` is two inputs, one hidden
layer of four units and two outputs. Between two layers of sizes n_in and n_out sit an
(n_out, n_in) weight matrix and n_out biases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import numpy as np
import plotly.graph_objects as go
import torch
import torch.fx
from torch.utils.data import DataLoader, Dataset, Sampler

from nnbook.images import ImageFigure, image_grid
from nnbook.plotting import class_scatter, snapshot_slider, style
from nnbook.surfaces import (surface_grid, surface_panels, surface_values,
                             torch_predictor)
from nnbook.toy_data import ToyData, blobs
from nnbook.engine.fit import (Callback, TensorData, TrainConfig, accuracy, fit,
                               make_optimizer)
from nnbook.engine.plan import using_threads
from nnbook.engine.runs import RunStore, train_cached

ACTIVATIONS: dict[str, Callable[[], torch.nn.Module]] = {
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
}


@contextmanager
def few_threads(num_threads: int = 1) -> Iterator[None]:
    """Run a block with ``num_threads`` CPU threads, then restore the previous setting.

    A network with a handful of units does microseconds of arithmetic per step; on a busy CPU,
    waking a second thread for it costs far more than it saves (ten times slower, measured on the
    book's 2-core build machine). The engine's planner finds that by itself for every run of
    :func:`~nnbook.engine.fit.fit` (:mod:`nnbook.engine.plan`); this is for the loops that do not
    go through it, such as the lecture's hand-written loop in :func:`loop_difference`.
    """
    with using_threads(num_threads):
        yield


def _check_sizes(layer_sizes: Sequence[int]) -> list[int]:
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least an input and an output size, all positive; got {sizes}")
    return sizes


def count_parameters(layer_sizes: Sequence[int], bias: bool = True) -> int:
    """The number of weights (and biases) of a fully connected network with
    these layer sizes.

    Each pair of consecutive layers contributes n_in * n_out weights and n_out
    biases.
    """
    sizes = _check_sizes(layer_sizes)
    return sum(
        n_in * n_out + (n_out if bias else 0)
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    )


@dataclass(frozen=True)
class DenseLayer:
    """One fully connected layer of a model, as the forward pass uses it."""

    name: str  # the Linear module's path in the model: "0" in a Sequential, "fc1" in a Module
    linear: torch.nn.Linear
    after: tuple[str, ...]  # what the forward pass applies to its output: ("Sigmoid",), ()

    @property
    def n_in(self) -> int:
        return self.linear.in_features

    @property
    def n_out(self) -> int:
        return self.linear.out_features

    @property
    def parameters(self) -> int:
        """Weights and biases, counted from the tensors themselves."""
        return sum(p.numel() for p in self.linear.parameters())


# What a traced forward pass may do besides its Linear layers, by the name of the function or
# method it calls: activations are drawn, reshapes change nothing a diagram shows.
ACTIVATION_CALLS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "gelu": "GELU",
                    "softmax": "Softmax", "log_softmax": "LogSoftmax", "silu": "SiLU",
                    "leaky_relu": "LeakyReLU", "elu": "ELU", "softplus": "Softplus"}
RESHAPE_CALLS = {"flatten", "view", "reshape", "squeeze", "unsqueeze", "contiguous"}
RESHAPE_MODULES = (torch.nn.Flatten, torch.nn.Unflatten, torch.nn.Identity)


class LeafTracer(torch.fx.Tracer):
    """Traces a forward pass down to modules without submodules, our own included: a custom
    activation such as :class:`nnbook.neurons.Step` is one step, not the operations inside it."""

    def is_leaf_module(self, m: torch.nn.Module, module_qualified_name: str) -> bool:
        return next(m.children(), None) is None


def _traced_steps(model: torch.nn.Module) -> list[tuple[str, object]]:
    """The forward pass as (kind, what) steps in call order: ("linear", (path, module)) or
    ("then", name). Tracing (torch.fx) sees functional activations such as F.relu too."""
    if next(model.children(), None) is None:  # a lone layer: trace it as a one-step model
        model = torch.nn.Sequential(model)
    steps: list[tuple[str, object]] = []
    for node in LeafTracer().trace(model).nodes:
        if node.op in ("placeholder", "output"):
            continue
        if node.op == "call_module":
            module = model.get_submodule(node.target)
            if isinstance(module, torch.nn.Linear):
                steps.append(("linear", (node.target, module)))
            elif any(True for _ in module.parameters()):
                raise ValueError(f"{node.target} ({type(module).__name__}) has parameters but is "
                                 "not a Linear layer: only fully connected networks are drawn")
            elif not isinstance(module, RESHAPE_MODULES):
                steps.append(("then", type(module).__name__))
            continue
        name = node.target if isinstance(node.target, str) else node.target.__name__
        if node.op in ("call_function", "call_method") and name in ACTIVATION_CALLS:
            steps.append(("then", ACTIVATION_CALLS[name]))
        elif node.op not in ("call_function", "call_method") or name not in RESHAPE_CALLS:
            raise ValueError(f"the forward pass calls {name!r}, which a fully connected "
                             "network's diagram cannot show")
    return steps


def dense_layers(model: torch.nn.Module) -> list[DenseLayer]:
    """The Linear layers of ``model`` in the order its forward pass calls them, each with the
    activations applied to its output.

    Works for an ``nn.Sequential`` and for an ``nn.Module`` whose ``forward`` torch.fx can trace.
    Raises ValueError when the sizes do not chain (a layer's inputs must be the previous layer's
    outputs) or when the model holds anything but Linear layers and parameter-free steps.
    """
    layers: list[DenseLayer] = []
    for kind, what in _traced_steps(model):
        if kind == "linear":
            path, linear = what
            layers.append(DenseLayer(name=path, linear=linear, after=()))
        elif not layers:
            raise ValueError(f"{what} comes before the first Linear layer")
        else:
            last = layers[-1]
            layers[-1] = DenseLayer(last.name, last.linear, last.after + (what,))
    if not layers:
        raise ValueError("the model has no Linear layer")
    for before, layer in zip(layers[:-1], layers[1:]):
        if layer.n_in != before.n_out:
            raise ValueError(f"layer {layer.name} takes {layer.n_in} inputs, but layer "
                             f"{before.name} before it gives {before.n_out} outputs")
    if sum(layer.parameters for layer in layers) != sum(p.numel() for p in model.parameters()):
        raise ValueError("the model has parameters outside the Linear layers its forward uses")
    return layers


def weight_table(model: torch.nn.Module, names: Sequence[str] | None = None,
                 ) -> list[dict[str, object]]:
    """One row per weight matrix of ``model``: its name, shape, bias length and parameter count,
    all read from the model's tensors.

    PyTorch's ``Linear(n_in, n_out)`` stores an (n_out, n_in) weight: with examples as columns,
    as in A1 = sigma(W X), that matrix maps a layer's n_in activations to n_out weighted inputs.
    """
    layers = dense_layers(model)
    names = list(names) if names is not None else [f"W{i}" for i in range(1, len(layers) + 1)]
    if len(names) != len(layers):
        raise ValueError(f"need {len(layers)} names for {len(layers)} weight matrices")
    return [{"matrix": name, "shape": tuple(layer.linear.weight.shape),
             "bias": 0 if layer.linear.bias is None else layer.linear.bias.numel(),
             "parameters": layer.parameters}
            for name, layer in zip(names, layers)]


def mlp(layer_sizes: Sequence[int], activation: str = "sigmoid", *, seed: int | None = None,
        dtype: torch.dtype = torch.float32) -> torch.nn.Sequential:
    """A fully connected network: Linear, activation, ..., Linear (no activation on the output).

    The output layer gives scores (logits); the loss function turns them into probabilities.
    ``seed`` fixes the initial weights without touching the global random state.
    """
    sizes = _check_sizes(layer_sizes)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, not {activation!r}")
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        modules: list[torch.nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            modules.append(torch.nn.Linear(n_in, n_out, dtype=dtype))
            if i < len(sizes) - 2:
                modules.append(ACTIVATIONS[activation]())
    return torch.nn.Sequential(*modules)


def hidden_activations(model: torch.nn.Sequential, X: np.ndarray, layer: int = 1) -> np.ndarray:
    """The outputs of hidden layer ``layer`` (1 = first) for each row of ``X``: shape (m, units).

    These are the features the network has learned: what its later layers see instead of ``X``.
    """
    activations = [i for i, m in enumerate(model) if isinstance(m, tuple(ACTIVATIONS.values()))]
    if not 1 <= layer <= len(activations):
        raise ValueError(f"the model has {len(activations)} hidden layers, not a layer {layer}")
    param = next(model.parameters())
    head = model[:activations[layer - 1] + 1]
    with torch.no_grad():
        A = head(torch.as_tensor(X, dtype=param.dtype, device=param.device))  # (m, units)
    return A.double().cpu().numpy()


def unit_predictor(model: torch.nn.Sequential, unit: int, layer: int = 1,
                   ) -> Callable[[np.ndarray], np.ndarray]:
    """A function of (m, 2) points returning hidden unit ``unit``'s activation (m,), for surfaces.

    With sigmoid units the values lie in [0, 1], like a probability, so
    :func:`nnbook.surfaces.decision_surface` draws them on the same colour scale.
    """
    def predict(X: np.ndarray) -> np.ndarray:
        return hidden_activations(model, X, layer)[:, unit]

    return predict


XOR_LECTURE_LR = 0.5  # the lecture's Adam learning rate for the XOR network
XOR_BOOK_LR = 0.05  # the book's: the results on the learning_features page say why


def xor_data(n_per_blob: int = 50, n_test_per_blob: int = 250,
             ) -> tuple[ToyData, ToyData]:
    """The XOR network's training points and, from another seed, its test
    points: four clouds of ``n_per_blob`` (and ``n_test_per_blob``) each."""
    return (blobs("xor", n_per_blob, seed=42),
            blobs("xor", n_test_per_blob, seed=4242))


def xor_config(lr: float = XOR_BOOK_LR, seed: int = 0) -> TrainConfig:
    """The lecture's training of the XOR network, at learning rate ``lr``:
    Adam with weight decay 0.0001 on minibatches of 10, for 200 epochs."""
    return TrainConfig(num_epochs=200, batch_size=10, lr=lr, optimizer="adam",
                       weight_decay=1e-4, seed=seed)


def playground_setup(config: TrainConfig | None = None, hidden: int = 4,
                     hidden_sizes: Sequence[int] = range(1, 9), epochs: int | None = None,
                     ) -> dict:
    """What the page's XOR playground needs to retrace the book's runs in JavaScript.

    The training points and labels; for each size H in ``hidden_sizes``, the initial weights of
    ``mlp((2, H, 2), seed=config.seed)`` in float64, where :func:`train_xor_network` starts; the
    optimiser's settings as the engine's own optimiser holds them; and the engine's order of the
    examples for the first ``epochs`` epochs (default: all of ``config``'s), one row per epoch.
    ``hidden`` and ``config.lr`` are the playground's first settings. Arrays are NumPy arrays,
    for :func:`nnbook.book.widgets.show_widget` to export.
    """
    config = config if config is not None else xor_config()
    if config.optimizer != "adam" or config.schedule != "constant":
        raise ValueError("the playground trains with Adam at a constant rate, as the book does")
    epochs = config.num_epochs if epochs is None else epochs
    train, _ = xor_data()
    if len(train.X) > 256:
        raise ValueError("the example order is exported one byte per index: at most 256 points")
    weights = {}
    for size in hidden_sizes:
        first, _, last = mlp((2, size, 2), "sigmoid", seed=config.seed, dtype=torch.float64)
        weights[str(size)] = {"W1": first.weight.detach().numpy(),  # (H, 2)
                              "b1": first.bias.detach().numpy(),
                              "W2": last.weight.detach().numpy(),  # (2, H)
                              "b2": last.bias.detach().numpy()}
    group = make_optimizer(mlp((2, hidden, 2)), config).param_groups[0]  # the engine's settings
    sampler = EngineOrder(len(train.X), config.seed)  # the engine's shuffle, epoch after epoch
    orders = np.array([list(sampler) for _ in range(epochs)], dtype=np.uint8)  # (epochs, n)
    return {
        "X": np.asarray(train.X, dtype=np.float64), "y": np.asarray(train.y, dtype=np.uint8),
        "weights": weights, "orders": orders, "hidden": hidden, "seed": config.seed,
        "lr": config.lr, "weight_decay": group["weight_decay"], "batch_size": config.batch_size,
        "betas": list(group["betas"]), "eps": group["eps"],
    }


@dataclass
class XORResult:
    """The seeds' XOR network after training, with what the page reports about it."""

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


def train_xor_network(hidden: int = 4, *, config: TrainConfig | None = None,
                      n_per_blob: int = 50, n_test_per_blob: int = 250,
                      seed: int = 0, activation: str = "sigmoid",
                      device: torch.device | None = None,
                      store: RunStore | None = None) -> XORResult:
    """The seeds' network, 2 inputs, ``hidden`` units, 2 outputs, on XOR blobs.

    Cross-entropy on the two outputs, Adam on minibatches of 10, in float64 as
    in the lecture (:func:`xor_config`; the book's rate unless ``config`` says
    otherwise). The test data are fresh blobs from another seed, so the test
    accuracy, measured after every epoch, is about generalisation. ``seed``
    fixes the initial weights and the minibatch order; ``activation`` swaps
    the hidden units' sigmoid (an exercise trains a ReLU version). The run
    store keeps the run: trained once, it is loaded on the next build.
    """
    config = config if config is not None else xor_config(seed=seed)
    train, test = xor_data(n_per_blob, n_test_per_blob)
    data = TensorData(torch.as_tensor(train.X), torch.as_tensor(train.y),
                      torch.as_tensor(test.X), torch.as_tensor(test.y))
    network = partial(mlp, (2, hidden, 2), activation, seed=seed,
                      dtype=torch.float64)
    run = train_cached(network, data, config, device=device, store=store,
                       name=f"xor-{hidden}-{activation}")
    model, history = run.model, run.history
    return XORResult(
        model=model, X=train.X, y=train.y, lr=config.lr, seed=seed,
        train_accuracy=accuracy(model, data.X, data.y),
        test_accuracy=accuracy(model, data.X_test, data.y_test),
        n_test=len(data.X_test), epoch_losses=history.epoch_losses,
        test_accuracies=history.test_accuracy, wall_time=history.wall_time)


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


def compare_rates(rates: Sequence[float] = (XOR_LECTURE_LR, XOR_BOOK_LR), seeds: int = 10,
                  hidden: int = 4, store: RunStore | None = None,
                  ) -> dict[float, list[XORResult]]:
    """The XOR network trained at each learning rate from seeds 0, 1, ..., ``seeds`` - 1.

    A seed fixes the initial weights and the batch order, so run ``s`` of every rate starts from
    the same weights and sees the same batches: only the rate differs.
    """
    return {lr: [train_xor_network(hidden, config=xor_config(lr, seed), seed=seed, store=store)
                 for seed in range(seeds)]
            for lr in rates}


class EngineOrder(Sampler[int]):
    """The example order of :func:`nnbook.engine.fit.fit`, for a DataLoader.

    The engine shuffles with its own generator seeded by ``config.seed``. A
    DataLoader with ``shuffle=True`` first draws a seed for each epoch, so its
    order differs; with this sampler the lecture's loop sees the engine's
    batches, and the two loops can be compared weight for weight.
    """

    def __init__(self, n: int, seed: int):
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        order = torch.randperm(self.n, generator=self.generator)
        return iter(order.tolist())


def lecture_sgd(model: torch.nn.Module, loss_fn, dataset: Dataset,
                l2reg: float = 1e-5, lr: float = 1.0, nepochs: int = 200,
                batch_size: int = 10, sampler: Sampler | None = None) -> None:
    """The lecture's loop for the XOR network, with its defaults.

    ``sampler`` replaces the loader's own shuffling (see :class:`EngineOrder`).
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
    by :func:`lecture_sgd` with the engine's batch order, from the same initial weights.

    Both train on the CPU. Zero means the two loops make the same updates, bit for bit.
    """
    train, _ = xor_data()
    X, y = torch.as_tensor(train.X), torch.as_tensor(train.y)
    by_engine = mlp((2, hidden, 2), "sigmoid", seed=config.seed, dtype=torch.float64)
    by_hand = mlp((2, hidden, 2), "sigmoid", seed=config.seed, dtype=torch.float64)
    fit(by_engine, X, y, config, device=torch.device("cpu"))  # on the threads it plans
    with few_threads():  # the lecture's loop has no planner
        lecture_sgd(by_hand, torch.nn.CrossEntropyLoss(), torch.utils.data.TensorDataset(X, y),
                    l2reg=config.weight_decay, lr=config.lr, nepochs=config.num_epochs,
                    batch_size=config.batch_size, sampler=EngineOrder(len(X), config.seed))
    with torch.no_grad():
        return max(float((a - b).abs().max())
                   for a, b in zip(by_engine.parameters(), by_hand.parameters()))


def hidden_unit_surfaces(result: XORResult, title: str) -> go.Figure:
    """Each hidden unit's activation over the plane: the features the XOR network learned."""
    units = result.model[0].out_features
    fns = {f"hidden unit {u + 1}": unit_predictor(result.model, u) for u in range(units)}
    return surface_panels(fns, result.X, result.y, title=title, colorbar_title="activation")


def xor_surfaces(results: dict[str, XORResult], title: str) -> go.Figure:
    """Several trained XOR networks' P(cross | x) side by side, one panel per named run."""
    fns = {name: torch_predictor(r.model, output="softmax", column=1)
           for name, r in results.items()}
    first = next(iter(results.values()))
    return surface_panels(fns, first.X, first.y, title=title, colorbar_title="P(cross)")


class SurfaceRecorder(Callback):
    """Keeps the network's P(cross | x) on the points ``XX`` after every epoch of a run: the
    frames of a replay of its training."""

    def __init__(self, model: torch.nn.Module, XX: np.ndarray):
        self.predict = torch_predictor(model, output="softmax", column=1)
        self.XX = XX
        self.frames = [self.predict(XX)]  # before the first step: the initial weights

    def on_epoch_end(self, state, history) -> None:
        self.frames.append(self.predict(self.XX))


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


def replay_run(config: TrainConfig | None = None, hidden: int = 4, resolution: int = 31,
               bounds: tuple[float, float] = (-10.0, 10.0),
               device: torch.device | None = None) -> Replay:
    """Train the XOR network as :func:`train_xor_network` does (the same data, initial weights,
    batches and device) and keep its decision surface on a ``resolution`` grid after every
    epoch."""
    config = config if config is not None else xor_config()
    train, test = xor_data()
    model = mlp((2, hidden, 2), "sigmoid", seed=config.seed, dtype=torch.float64)
    u, XX = surface_grid(bounds, resolution)
    recorder = SurfaceRecorder(model, XX)
    history = fit(model, torch.as_tensor(train.X), torch.as_tensor(train.y), config,
                  X_test=torch.as_tensor(test.X), y_test=torch.as_tensor(test.y),
                  device=device, callbacks=[recorder], progress=False)
    frames = np.stack(recorder.frames).reshape(-1, resolution, resolution)
    return Replay(u=u, frames=frames, epoch_losses=history.epoch_losses,
                  test_accuracies=history.test_accuracy, X=train.X, y=train.y, lr=config.lr)


def replay_figure(replay: Replay, title: str, active: int | None = None) -> go.Figure:
    """The decision surface of ``replay``, one frame per epoch (0: before training) on a slider,
    with the epoch's loss and test accuracy in the title. ``active`` is the epoch shown first
    (default: the last, which the PDF shows).

    Each surface is stored as whole percentages, one byte per grid point (plotly sends NumPy
    arrays as typed arrays), so that 200 epochs of a 31 x 31 grid stay near 300 KB.
    """
    percent = np.rint(replay.frames * 100).astype(np.uint8)  # (epochs + 1, res, res)
    lo, step = float(replay.u[0]), float(replay.u[1] - replay.u[0])
    fig = go.Figure(go.Contour(
        x0=lo, dx=step, y0=lo, dy=step, zmin=0, zmax=100, colorscale="RdBu_r", opacity=0.75,
        contours=dict(start=0, end=100, size=10), line=dict(smoothing=1.0), name="model",
        colorbar=dict(title=dict(text="P(cross), %")),
        hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>P(cross)=%{z}%<extra></extra>"))
    for trace in class_scatter(replay.X, replay.y):
        trace.marker.size = 5
        fig.add_trace(trace)
    epochs = len(replay.frames) - 1
    titles = [f"{title}, before training"] + [
        f"{title}, epoch {e + 1}: loss {loss:.2g}, test accuracy {acc:.1%}"
        for e, (loss, acc) in enumerate(zip(replay.epoch_losses, replay.test_accuracies))]
    snapshot_slider(fig, [[go.Contour(z=Z)] for Z in percent],
                    [str(e) for e in range(epochs + 1)], traces=[0], prefix="epoch: ",
                    titles=titles, active=epochs if active is None else active)
    bounds = [replay.u[0], replay.u[-1]]
    fig.update_xaxes(title_text="x1", range=bounds, constrain="domain")
    fig.update_yaxes(title_text="x2", range=bounds, constrain="domain")
    style(fig, square=True, height=600)
    # Above the plot, where it meets neither the colour bar nor the slider below.
    fig.update_layout(legend=dict(orientation="h", x=0, y=1.01, yanchor="bottom"),
                      margin=dict(t=100))
    return fig


def playground_still(result: XORResult, resolution: int = 100) -> ImageFigure:
    """The trained network's P(cross | x) and its hidden units' activations as images: what the
    XOR playground shows, still, for the PDF (red 1, blue 0; x1 to the right, x2 up)."""
    model = result.model
    fns = {"P(cross | x)": torch_predictor(model, output="softmax", column=1)}
    fns |= {f"unit {u + 1}": unit_predictor(model, u) for u in range(model[0].out_features)}
    images = [surface_values(fn, resolution=resolution)[1][::-1] for fn in fns.values()]
    return image_grid(images, list(fns), ncols=len(images), size=1.6, cmap="RdBu_r",
                      value_range=(0, 1), suptitle="The playground after training, still")


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
