"""Tensors and the two ways to write a network in PyTorch: as a module, or as plain functions.

The example network has the XOR network's shape: 2 inputs, 4 sigmoid hidden units and 2 output
scores. :class:`TinyNet` owns its parameters; :func:`tiny_net_functional` owns nothing and takes every
weight as an argument. Given the same numbers they compute the same outputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def tensor_facts(t: torch.Tensor) -> dict:
    """The four attributes that say what a tensor is and where it lives."""
    return {"shape": tuple(t.shape), "dtype": str(t.dtype), "device": str(t.device),
            "requires_grad": t.requires_grad}


class TinyNet(nn.Module):
    """A two-layer network as a module; layers with weights are submodules."""

    def __init__(self, n_in: int = 2, n_hidden: int = 4, n_out: int = 2):
        super().__init__()
        # Assigning a module registers its parameters under the attribute's
        # name: hidden.weight (n_hidden, n_in), hidden.bias (n_hidden,), ...
        self.hidden = nn.Linear(n_in, n_hidden)
        self.output = nn.Linear(n_hidden, n_out)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        A = torch.sigmoid(self.hidden(X))  # (B, n_hidden); no weights here
        return self.output(A)  # (B, n_out): one score per class


def tiny_net_functional(X: torch.Tensor,
                        params: dict[str, torch.Tensor]) -> torch.Tensor:
    """The same network, functional: no state, every weight passed in."""
    Z = F.linear(X, params["hidden.weight"], params["hidden.bias"])
    A = torch.sigmoid(Z)  # (B, n_hidden)
    W, b = params["output.weight"], params["output.bias"]
    return F.linear(A, W, b)  # (B, n_out)


def init_tiny_params(n_in: int = 2, n_hidden: int = 4, n_out: int = 2, *,
                     generator: torch.Generator | None = None,
                     dtype: torch.dtype = torch.float32,
                     device: torch.device | None = None,
                     ) -> dict[str, torch.Tensor]:
    """Fresh parameters for ``tiny_net_functional``, drawn as nn.Linear does.

    ``nn.Linear`` draws weights and biases uniformly from +-1/sqrt(fan_in).
    With the functional API, creating, keeping and moving them is our job.
    """
    layers = (("hidden", n_in, n_hidden), ("output", n_hidden, n_out))
    params = {}
    for name, fan_in, fan_out in layers:
        bound = 1 / math.sqrt(fan_in)
        shapes = (("weight", (fan_out, fan_in)), ("bias", (fan_out,)))
        for suffix, shape in shapes:
            u = torch.rand(shape, generator=generator, dtype=dtype)  # in [0, 1)
            values = ((2 * u - 1) * bound).to(device)
            params[f"{name}.{suffix}"] = values.requires_grad_(True)
    return params


def parameter_rows(model: nn.Module) -> list[dict]:
    """One row per parameter tensor of ``model``: its name, shape, number of entries, dtype, device."""
    return [{"name": name, "shape": tuple(p.shape), "entries": p.numel(), "dtype": str(p.dtype),
             "device": str(p.device), "requires_grad": p.requires_grad}
            for name, p in model.named_parameters()]


def parameter_counts(models: dict[str, nn.Module]) -> dict[str, int]:
    """The number of parameters of each named model: every entry of every tensor it learns.

    ``model.parameters()`` lists a tensor shared by two layers once, so it is counted once;
    frozen parameters count too.
    """
    return {name: sum(p.numel() for p in model.parameters()) for name, model in models.items()}


def mlp_functional(X: torch.Tensor, weights: list[torch.Tensor],
                   biases: list[torch.Tensor], activation=torch.relu,
                   ) -> torch.Tensor:
    """A fully connected network of any depth in the functional API.

    ``activation`` follows every layer but the last, whose scores are returned.
    """
    if len(weights) != len(biases) or not weights:
        raise ValueError(f"need one bias per weight matrix, got {len(weights)} "
                         f"weights and {len(biases)} biases")
    A = X
    for i, (W, b) in enumerate(zip(weights, biases)):
        A = F.linear(A, W, b)  # (B, W.shape[0])
        if i < len(weights) - 1:
            A = activation(A)
    return A
