"""The single neuron: a weighted sum of the inputs followed by an activation function.

A perceptron uses the step function, output 1 if w . x + b > 0 and 0 otherwise, and with
hand-picked weights it computes logic gates. Modern neurons use smooth activations (sigmoid,
tanh, ReLU) whose derivatives let gradient descent adjust the weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

BINARY_INPUTS = ((0, 0), (0, 1), (1, 0), (1, 1))


def step(z: np.ndarray) -> np.ndarray:
    """The perceptron's activation: 1 where z > 0, else 0."""
    return (np.asarray(z) > 0).astype(np.float64)


def step_prime(z: np.ndarray) -> np.ndarray:
    """Zero wherever it exists (everywhere except z = 0, where the step jumps)."""
    return np.zeros_like(np.asarray(z, dtype=np.float64))


def sigmoid(z: np.ndarray, slope: float = 1.0) -> np.ndarray:
    """sigma(slope * z) = 1 / (1 + exp(-slope * z)); a larger slope approaches the step."""
    return 0.5 * (1.0 + np.tanh(0.5 * slope * np.asarray(z, dtype=np.float64)))  # no overflow


def sigmoid_prime(z: np.ndarray, slope: float = 1.0) -> np.ndarray:
    """d/dz sigma(slope * z) = slope * s * (1 - s), at most slope / 4 (at z = 0)."""
    s = sigmoid(z, slope)
    return slope * s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(np.asarray(z, dtype=np.float64))


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """1 - tanh(z)^2, at most 1 (at z = 0)."""
    return 1.0 - np.tanh(np.asarray(z, dtype=np.float64)) ** 2


def relu(z: np.ndarray) -> np.ndarray:
    """The rectified linear unit max(0, z)."""
    return np.maximum(0.0, np.asarray(z, dtype=np.float64))


def relu_prime(z: np.ndarray) -> np.ndarray:
    """1 for z > 0 and 0 for z < 0; at z = 0 we take 0, as PyTorch does."""
    return (np.asarray(z) > 0).astype(np.float64)


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivative, named for plots."""

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]


def activations() -> list[Activation]:
    """The activations the chapter compares: step, sigmoid at three slopes, tanh and ReLU."""
    acts = [Activation("step", step, step_prime)]
    for slope in (0.5, 1.0, 2.0):
        acts.append(Activation(f"sigmoid, slope {slope:g}", lambda z, a=slope: sigmoid(z, a),
                               lambda z, a=slope: sigmoid_prime(z, a)))
    acts += [Activation("tanh", tanh, tanh_prime), Activation("ReLU", relu, relu_prime)]
    return acts


class Step(torch.nn.Module):
    """The perceptron's activation as a PyTorch module: 1 where z > 0, else 0."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z > 0).to(z.dtype)


@dataclass(frozen=True)
class Perceptron:
    """A step-function neuron: output 1 if w . x + b > 0, else 0."""

    w: tuple[float, ...]
    b: float
    name: str = "perceptron"

    def __call__(self, X) -> np.ndarray:
        """Outputs (m,) for inputs (m, len(w)), or a single 0/1 for one input vector."""
        X = np.asarray(X, dtype=np.float64)
        return step(X @ np.asarray(self.w, dtype=np.float64) + self.b).astype(np.int64)

    def truth_table(self) -> dict[tuple[int, int], int]:
        """Its output for each of the binary inputs [0,0], [0,1], [1,0], [1,1]."""
        outputs = self(np.array(BINARY_INPUTS))
        return {x: int(o) for x, o in zip(BINARY_INPUTS, outputs)}

    def as_module(self) -> torch.nn.Sequential:
        """The same perceptron as a PyTorch model, Linear then :class:`Step`, in float64.

        Drawing it (:func:`nnbook.diagrams.neuron_diagram`) reads the weights from the model."""
        # skip_init: the weights are set below, so torch's random generator is left alone.
        linear = torch.nn.utils.skip_init(torch.nn.Linear, len(self.w), 1, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([self.w], dtype=torch.float64))
            linear.bias.fill_(self.b)
        return torch.nn.Sequential(linear, Step())

    def truth_string(self) -> str:
        """The four outputs in the order of BINARY_INPUTS, as the quiz writes them: "1,1,1,0"."""
        return ",".join(str(v) for v in self.truth_table().values())


NAND = Perceptron(w=(-2.0, -2.0), b=3.0, name="NAND")
AND = Perceptron(w=(1.0, 1.0), b=-1.5, name="AND")
OR = Perceptron(w=(1.0, 1.0), b=-0.5, name="OR")


def xor_from_gates(X) -> np.ndarray:
    """XOR as two layers of perceptrons: AND(OR(x), NAND(x)). No single perceptron computes it."""
    X = np.asarray(X, dtype=np.float64)
    hidden = np.column_stack([OR(X), NAND(X)])  # (m, 2): the first layer's outputs
    return AND(hidden)
