"""Universal approximation: error falls with width; the sawtooth networks are exact."""

import numpy as np
import pytest

from nnbook.approximation import (ApproxConfig, budget_fit, count_linear_pieces,
                                  deep_sawtooth_network, depth_table, fit_width, model_function,
                                  sawtooth, shallow_sawtooth_network)


def test_error_falls_with_width():
    config = ApproxConfig(num_epochs=600)
    results = [fit_width(w, config) for w in (1, 4, 16)]
    max_errors = [r.max_error for r in results]
    assert max_errors[0] > max_errors[1] > max_errors[2]
    assert max_errors[2] < 0.1 < max_errors[0]
    assert [r.parameters for r in results] == [sum(p.numel() for p in r.model.parameters())
                                               for r in results]


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 7])
def test_sawtooth_networks_are_exact(depth):
    x = np.linspace(0, 1, 4097)
    expected = sawtooth(x, depth)
    np.testing.assert_allclose(model_function(deep_sawtooth_network(depth))(x), expected, atol=1e-9)
    np.testing.assert_allclose(model_function(shallow_sawtooth_network(depth))(x), expected,
                               atol=1e-9)
    assert count_linear_pieces(lambda t: sawtooth(t, depth)) == 2 ** depth
    assert count_linear_pieces(model_function(deep_sawtooth_network(depth))) == 2 ** depth


def test_depth_table_counts():
    for row in depth_table((2, 5, 8)):
        deep = deep_sawtooth_network(row.depth)
        shallow = shallow_sawtooth_network(row.depth)
        assert row.deep_parameters == sum(p.numel() for p in deep.parameters())
        assert row.shallow_parameters == sum(p.numel() for p in shallow.parameters())
        assert row.pieces == 2 ** row.depth


def test_shallow_net_on_the_deep_budget_cannot_follow_the_teeth():
    units, max_error, model = budget_fit(4, ApproxConfig(num_points=257, num_epochs=300))
    budget = sum(p.numel() for p in deep_sawtooth_network(4).parameters())
    assert sum(p.numel() for p in model.parameters()) <= budget
    assert model[0].out_features == units
    # u ReLUs give at most u + 1 pieces, far fewer than the 16 of the sawtooth.
    assert count_linear_pieces(model_function(model)) <= units + 1
    assert max_error > 0.25


def test_count_linear_pieces_on_known_functions():
    assert count_linear_pieces(lambda t: 3 * t + 1) == 1
    assert count_linear_pieces(lambda t: np.abs(t - 0.3)) == 2
