"""Parameter counts against PyTorch's own, the MLP builder, hidden units and the XOR network."""

import numpy as np
import pytest
import torch

from nnbook.networks import (count_parameters, few_threads, hidden_activations, layer_shapes, mlp,
                             train_xor_network, unit_predictor)


@pytest.mark.parametrize("sizes", [(2, 4, 2), (10, 10, 10, 10), (3, 4, 3, 1), (784, 128, 64, 10),
                                   (1, 1)])
def test_count_parameters_matches_torch(sizes):
    model = mlp(sizes)
    assert count_parameters(sizes) == sum(p.numel() for p in model.parameters())
    no_bias = torch.nn.Sequential(*[torch.nn.Linear(a, b, bias=False)
                                    for a, b in zip(sizes[:-1], sizes[1:])])
    assert count_parameters(sizes, bias=False) == sum(p.numel() for p in no_bias.parameters())


def test_layer_shapes_follow_the_weights():
    rows = layer_shapes((3, 4, 3, 1), names=("W", "U", "V"))
    model = mlp((3, 4, 3, 1))
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert [r["shape"] for r in rows] == [tuple(m.weight.shape) for m in linears]
    assert [r["parameters"] for r in rows] == [sum(p.numel() for p in m.parameters())
                                               for m in linears]


def test_mlp_structure_and_seed():
    model = mlp((2, 5, 3, 2), "tanh", seed=1)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]  # no activation on the logits
    torch.testing.assert_close(model[0].weight, mlp((2, 5, 3, 2), "tanh", seed=1)[0].weight)
    state = torch.random.get_rng_state()
    mlp((2, 3, 1), seed=5)
    assert torch.equal(state, torch.random.get_rng_state())  # the global generator is untouched
    with pytest.raises(ValueError):
        mlp((2, 3), "softplus")


def test_hidden_activations_are_the_first_layer_features():
    model = mlp((2, 3, 2), "sigmoid", seed=0, dtype=torch.float64)
    X = np.random.default_rng(0).standard_normal((7, 2))
    expected = torch.sigmoid(torch.as_tensor(X) @ model[0].weight.T + model[0].bias)
    np.testing.assert_allclose(hidden_activations(model, X), expected.detach().numpy())
    np.testing.assert_allclose(unit_predictor(model, 2)(X), expected[:, 2].detach().numpy())
    with pytest.raises(ValueError):
        hidden_activations(model, X, layer=2)


def test_few_threads_restores():
    before = torch.get_num_threads()
    with few_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_xor_network_learns_xor():
    result = train_xor_network(seed=0)
    assert result.test_accuracy >= 0.97
    assert result.train_accuracy >= 0.97
    assert result.epoch_losses[-1] < 0.1 * result.epoch_losses[0]
    assert next(result.model.parameters()).dtype == torch.float64
