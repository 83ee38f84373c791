"""Fully connected networks: building them, counting their parameters, looking inside them.

A network is described by its layer sizes, inputs first: ``(2, 4, 2)`` is two inputs, one hidden
layer of four units and two outputs. Between two layers of sizes n_in and n_out sit an
(n_out, n_in) weight matrix and n_out biases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from nnbook.surfaces import decision_surface, surface_panels, torch_predictor
from nnbook.toy_data import blobs
from nnbook.engine.fit import TrainConfig, accuracy, fit

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
    book's 2-core build machine). Tiny models therefore train on one thread.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _check_sizes(layer_sizes: Sequence[int]) -> list[int]:
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least an input and an output size, all positive; got {sizes}")
    return sizes


def count_parameters(layer_sizes: Sequence[int], bias: bool = True) -> int:
    """The number of weights (and biases) of a fully connected network with these layer sizes.

    Each pair of consecutive layers contributes n_in * n_out weights and n_out biases.
    """
    sizes = _check_sizes(layer_sizes)
    return sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def layer_shapes(layer_sizes: Sequence[int], names: Sequence[str] | None = None,
                 ) -> list[dict[str, object]]:
    """One row per weight matrix: its name, shape (n_out, n_in), bias length and parameter count.

    With examples as columns, as in A1 = sigma(W X), a matrix of shape (n_out, n_in) maps a
    layer's n_in activations to the next layer's n_out weighted inputs.
    """
    sizes = _check_sizes(layer_sizes)
    names = list(names) if names is not None else [f"W{l}" for l in range(1, len(sizes))]
    if len(names) != len(sizes) - 1:
        raise ValueError(f"need {len(sizes) - 1} names for {len(sizes) - 1} weight matrices")
    return [{"matrix": name, "shape": (n_out, n_in), "bias": n_out,
             "parameters": count_parameters((n_in, n_out))}
            for name, n_in, n_out in zip(names, sizes[:-1], sizes[1:])]


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


@dataclass
class XORResult:
    """The seeds' XOR network after training, with what the page reports about it."""

    model: torch.nn.Sequential
    X: np.ndarray  # the training points and labels, for the surfaces
    y: np.ndarray
    train_accuracy: float
    test_accuracy: float
    n_test: int
    epoch_losses: list[float]
    wall_time: float


def train_xor_network(hidden: int = 4, *, config: TrainConfig | None = None, n_per_blob: int = 50,
                      n_test_per_blob: int = 250, seed: int = 0, activation: str = "sigmoid",
                      device: torch.device | None = None) -> XORResult:
    """The seeds' network, 2 inputs, ``hidden`` sigmoid units, 2 outputs, trained on XOR blobs.

    ``activation`` swaps the hidden units' activation (an exercise trains a ReLU version).

    Cross-entropy on the two outputs, Adam on minibatches of 10, in float64 as in the lecture. The
    test data are fresh blobs from another seed, so the test accuracy measures generalisation.
    ``seed`` fixes the initial weights and the minibatch order.
    """
    config = config if config is not None else TrainConfig(
        num_epochs=200, batch_size=10, lr=0.05, optimizer="adam", weight_decay=1e-4, seed=seed)
    train, test = blobs("xor", n_per_blob, seed=42), blobs("xor", n_test_per_blob, seed=4242)
    X, y = torch.as_tensor(train.X), torch.as_tensor(train.y)
    X_test, y_test = torch.as_tensor(test.X), torch.as_tensor(test.y)
    model = mlp((2, hidden, 2), activation, seed=seed, dtype=torch.float64)
    with few_threads():
        history = fit(model, X, y, config, loss_fn=torch.nn.functional.cross_entropy, device=device)
    return XORResult(model=model, X=train.X, y=train.y, train_accuracy=accuracy(model, X, y),
                     test_accuracy=accuracy(model, X_test, y_test), n_test=len(X_test),
                     epoch_losses=history.epoch_losses, wall_time=history.wall_time)


def xor_surface(result: XORResult, title: str) -> go.Figure:
    """The trained XOR network's P(cross | x) over the plane, with its training data."""
    return decision_surface(torch_predictor(result.model, output="softmax", column=1), result.X,
                            result.y, title=title)


def hidden_unit_surfaces(result: XORResult, title: str) -> go.Figure:
    """Each hidden unit's activation over the plane: the features the XOR network learned."""
    units = result.model[0].out_features
    fns = {f"hidden unit {u + 1}": unit_predictor(result.model, u) for u in range(units)}
    return surface_panels(fns, result.X, result.y, title=title, colorbar_title="activation")
