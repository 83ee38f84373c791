"""Fully connected networks: building them (:func:`mlp`), counting their parameters from the
layer sizes (:func:`n_mlp_parameters`), looking inside them.

A network is described by its layer sizes, inputs first: ``(2, 4, 2)`` is two inputs, one hidden
layer of four units and two outputs. Between two layers of sizes n_in and n_out sit an
(n_out, n_in) weight matrix and n_out biases.

The network alone: the XOR experiment that trains it is :mod:`nnbook.xor`, its figures
:mod:`nnbook.xor_figures`. A stored run's key holds the code its model's module imports, so this
module imports no figure module: redrawing a figure retrains nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.fx

ACTIVATIONS: dict[str, Callable[[], torch.nn.Module]] = {
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
}


def _check_sizes(layer_sizes: Sequence[int]) -> list[int]:
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least an input and an output size, all positive; got {sizes}")
    return sizes


def n_mlp_parameters(layer_sizes: Sequence[int], bias: bool = True) -> int:
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
