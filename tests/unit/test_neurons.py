"""Perceptron truth tables, and activation derivatives checked against torch.autograd."""

import numpy as np
import pytest
import torch

from nnbook import neurons, neurons_figures
from nnbook.neurons import AND, NAND, OR, BINARY_INPUTS, Perceptron, xor_from_gates


def test_nand_truth_table():
    # NAND by hand: 0 only when both inputs are 1.
    assert NAND.truth_table() == {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): 0}
    assert NAND.truth_string() == "1,1,1,0"


@pytest.mark.parametrize("gate, expected", [(AND, "0,0,0,1"), (OR, "0,1,1,1")])
def test_other_gates(gate, expected):
    assert gate.truth_string() == expected


def test_step_is_strict_at_zero():
    # The lecture's perceptron outputs 0 when w . x + b = 0 exactly.
    assert Perceptron(w=(1.0, 1.0), b=-1.0)(np.array([1, 0])) == 0
    assert Perceptron(w=(1.0, 1.0), b=-1.0)(np.array([1, 1])) == 1


def test_xor_needs_two_layers():
    X = np.array(BINARY_INPUTS)
    np.testing.assert_array_equal(xor_from_gates(X), [0, 1, 1, 0])
    # No single perceptron on a coarse grid of weights computes XOR.
    grid = np.linspace(-3, 3, 13)
    for w1 in grid:
        for w2 in grid:
            for b in grid:
                assert Perceptron((w1, w2), b).truth_string() != "0,1,1,0"


REFERENCES = {
    "sigmoid, slope 0.5": lambda z: torch.sigmoid(0.5 * z),
    "sigmoid, slope 1": torch.sigmoid,
    "sigmoid, slope 2": lambda z: torch.sigmoid(2 * z),
    "tanh": torch.tanh,
    "ReLU": torch.relu,
    "step": lambda z: (z > 0).double(),
}


@pytest.mark.parametrize("act", neurons.activations(), ids=lambda a: a.name)
def test_activation_and_derivative_match_torch(act):
    z = torch.linspace(-7, 7, 281, dtype=torch.float64)
    z = z[z != 0]  # the step and ReLU have no derivative at 0
    z.requires_grad_(True)
    reference = REFERENCES[act.name](z)
    torch.testing.assert_close(torch.as_tensor(act.fn(z.detach().numpy())), reference.detach())
    if reference.requires_grad:
        (grad,) = torch.autograd.grad(reference.sum(), z)
    else:  # the step: piecewise constant, derivative 0 wherever it exists
        grad = torch.zeros_like(z)
    torch.testing.assert_close(torch.as_tensor(act.derivative(z.detach().numpy())), grad)


def test_sigmoid_does_not_overflow():
    assert neurons.sigmoid(np.array([-1000.0]))[0] == 0.0
    assert neurons.sigmoid(np.array([1000.0]))[0] == 1.0


def test_activation_figure_has_every_curve_and_working_buttons():
    fig = neurons_figures.activation_figure("activations")
    acts = neurons.activations()
    assert len(fig.data) == 2 * len(acts)
    buttons = fig.layout.updatemenus[0].buttons
    relu_visible = [b for b in buttons if b.label == "ReLU"][0].args[0]["visible"]
    shown = {fig.data[i].name for i, v in enumerate(relu_visible) if v}
    assert shown == {"ReLU"}
    assert fig.layout.title.text == "activations"


@pytest.mark.parametrize("gate", [NAND, AND, OR], ids=lambda g: g.name)
def test_perceptron_as_a_pytorch_module(gate):
    state = torch.random.get_rng_state()
    module = gate.as_module()
    assert torch.equal(state, torch.random.get_rng_state())  # no random initialisation used
    X = torch.tensor(BINARY_INPUTS, dtype=torch.float64)
    np.testing.assert_array_equal(module(X).squeeze(1).numpy(), gate(np.array(BINARY_INPUTS)))
    assert module[0].weight.tolist() == [list(gate.w)] and module[0].bias.item() == gate.b
