"""The hand derivative, the graph walk, the torchviz drawing and the gradient checks of nnbook.autodiff."""

import re

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from nnbook import autodiff_figures
from nnbook.autodiff_figures import autograd_graph
from nnbook.autodiff import (BuggyZ, HandZ, autograd_derivative, backward_chain,
                             backward_graph_rows, central_difference, check_layer, compare_derivatives,
                             difference_errors, gradient_descent, microbatch_gradients, repeated_backward, reverse_sweep,
                             silu, silu_derivative, ulps_apart, xor_hidden_layer, z, z_derivative,
                             z_minimiser)

THETAS = torch.linspace(-6, 6, 241, dtype=torch.float64)
# The chain autograd records for z in torch 2.x, output first: (.)^2, 1 - (.), log, 1 + (.), exp, theta.
Z_CHAIN = ["PowBackward0", "RsubBackward1", "LogBackward0", "AddBackward0", "ExpBackward0", "AccumulateGrad"]


def theta_leaf(value=1.0):
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


def test_z_matches_its_definition_with_math():
    for t in (-3.0, 0.0, 1.0, 2.5):
        assert z(torch.tensor(t, dtype=torch.float64)).item() == pytest.approx((1 - np.log1p(np.exp(t))) ** 2, rel=1e-14)


def test_hand_derivative_equals_autograd_over_many_theta():
    assert_close(z_derivative(THETAS), autograd_derivative(z, THETAS), rtol=1e-13, atol=1e-14)


def test_hand_derivative_equals_central_difference_over_many_theta():
    # The central difference's error is about h^2 |f'''| + eps |f| / h: about 1e-9 at h = 1e-6 here.
    assert_close(z_derivative(THETAS), central_difference(z, THETAS, h=1e-6), rtol=0, atol=5e-9)


def test_the_seeds_value_at_theta_one():
    theta = theta_leaf(1.0)
    z(theta).backward()
    assert theta.grad.item() == pytest.approx(0.4580252880326174, rel=1e-15)
    assert z_derivative(torch.tensor(1.0, dtype=torch.float64)).item() == pytest.approx(0.4580252880326174, rel=1e-14)


def test_a_wrong_formula_is_caught_by_the_comparison():
    wrong = lambda t: -2 * (1 - torch.log(1 + torch.exp(t))) / (1 + torch.exp(t))  # noqa: E731
    with pytest.raises(AssertionError):
        assert_close(wrong(THETAS), autograd_derivative(z, THETAS), rtol=1e-13, atol=1e-14)


def test_compare_derivatives_returns_the_three_columns():
    values = compare_derivatives(z, z_derivative, torch.tensor([1.0, -2.0], dtype=torch.float64))
    assert set(values) == {"theta", "autograd", "hand", "finite difference"}
    np.testing.assert_allclose(values["autograd"], values["hand"], rtol=1e-13)
    np.testing.assert_allclose(values["finite difference"], values["hand"], atol=1e-8)
    assert values["autograd"][0] == pytest.approx(0.4580252880326174, rel=1e-14)


def test_z_is_smallest_where_the_derivative_vanishes():
    t = torch.tensor(z_minimiser(), dtype=torch.float64)
    assert abs(z_derivative(t).item()) < 1e-14
    assert z(t).item() < 1e-28
    assert z(t + 0.1).item() > 0 and z(t - 0.1).item() > 0


def test_central_difference_beats_forward_difference_at_moderate_steps():
    errors = difference_errors(z, z_derivative, 1.0, np.array([1e-2, 1e-3, 1e-4]))
    assert np.all(errors["central"] < errors["forward"])
    # Truncation errors: forward shrinks ~10x per decade of h, central ~100x.
    assert errors["forward"][0] / errors["forward"][1] == pytest.approx(10, rel=0.1)
    assert errors["central"][0] / errors["central"][1] == pytest.approx(100, rel=0.1)


def test_backward_chain_of_z():
    assert backward_chain(z(theta_leaf())) == Z_CHAIN


def test_graph_rows_describe_edges_and_saved_values():
    rows = backward_graph_rows(z(theta_leaf(1.0)))
    assert [r["depth"] for r in rows] == list(range(len(Z_CHAIN)))
    assert rows[0]["passes gradient to"] == "RsubBackward1"
    add = next(r for r in rows if r["node"] == "AddBackward0")
    assert add["passes gradient to"] == "ExpBackward0, None"  # the constant 1 needs no gradient
    pow_row = rows[0]["saved for backward"]
    assert "exponent = 2" in pow_row and f"self = {1 - np.log1p(np.e):.6g}" in pow_row
    assert rows[-1]["passes gradient to"] == "-" and "leaf tensor" in rows[-1]["saved for backward"]


def test_reverse_sweep_is_the_chain_rule():
    rows = reverse_sweep(1.0)
    assert [r["variable"] for r in rows] == ["z", "r", "w", "v", "u", "θ"]
    assert rows[0]["value"] == pytest.approx(z(torch.tensor(1.0, dtype=torch.float64)).item(), rel=1e-15)
    assert rows[-1]["value"] == 1.0
    assert rows[-1]["dz/d(variable)"] == pytest.approx(0.4580252880326174, rel=1e-14)
    running = 1.0
    for row in rows:  # each gradient is the one above it times the local derivative
        running *= row["local derivative"]
        assert row["dz/d(variable)"] == pytest.approx(running, rel=1e-14)


def test_graph_walk_visits_shared_nodes_once():
    a = theta_leaf(0.5)
    b = torch.exp(a)
    out = b * b + b  # the exp node feeds two consumers
    names = backward_chain(out)
    assert names.count("ExpBackward0") == 1 and names.count("AccumulateGrad") == 1
    assert names[0] == "AddBackward0"


def test_graph_walk_rejects_a_leaf():
    with pytest.raises(ValueError, match="no grad_fn"):
        backward_graph_rows(theta_leaf())


def test_torchviz_graph_is_an_svg_with_the_nodes_and_title():
    theta = theta_leaf()
    out = z(theta)
    dot = autograd_graph(out, {"theta": theta, "z": out}, title="Autograd graph of z")
    svg = dot.pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for name in Z_CHAIN:
        assert f">{name}</text>" in svg
    assert ">theta</text>" in svg and ">z</text>" in svg
    assert "<title>Autograd graph of z</title>" in svg
    # Node ids are memory addresses: count the node groups instead of trusting any id.
    assert len(re.findall(r'<g id="node\d+" class="node">', svg)) == len(Z_CHAIN) + 2  # + theta and z
    assert len(re.findall(r'<g id="edge\d+" class="edge">', svg)) == len(Z_CHAIN) + 1


def test_gradcheck_passes_for_z_and_the_hand_function():
    t = torch.linspace(-3, 3, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(z, (t,))
    assert torch.autograd.gradcheck(HandZ.apply, (t,))
    assert torch.autograd.gradgradcheck(z, (t,))


def test_gradcheck_catches_the_buggy_backward():
    t = torch.linspace(-3, 3, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(BuggyZ.apply, (t,), raise_exception=False) is False
    assert_close(BuggyZ.apply(t), z(t))  # the forward pass is right; only the backward is wrong


def test_gradcheck_of_the_xor_hidden_layer():
    layer = xor_hidden_layer(seed=0)
    assert [tuple(p.shape) for p in layer.parameters()] == [(4, 2), (4,)]
    assert all(p.dtype == torch.float64 for p in layer.parameters())
    assert isinstance(layer[0], nn.Linear) and isinstance(layer[1], nn.Sigmoid)
    X = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert check_layer(layer, X)


def test_gradcheck_of_a_layer_catches_a_wrong_backward():
    class BadSigmoid(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = torch.sigmoid(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y  # should be y * (1 - y)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 4).double()

        def forward(self, X):
            return BadSigmoid.apply(self.linear(X))

    X = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert check_layer(Layer(), X, raise_exception=False) is False


def test_xor_hidden_layer_is_seeded_without_touching_global_rng():
    state = torch.random.get_rng_state()
    a, b = xor_hidden_layer(seed=3), xor_hidden_layer(seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_repeated_backward_accumulates_unless_zeroed():
    rows = repeated_backward(1.0, num_calls=4)
    g = 0.4580252880326174
    for row in rows:
        k = row["backward call"]
        assert row["grad, never zeroed"] == pytest.approx(k * g, rel=1e-14)
        assert row["grad, zeroed before each call"] == pytest.approx(g, rel=1e-14)


def test_gradient_descent_converges_only_with_zeroing():
    good = gradient_descent(1.0, lr=0.5, num_steps=40, zero_grad=True)
    bad = gradient_descent(1.0, lr=0.5, num_steps=40, zero_grad=False)
    assert good[0] == bad[0] == 1.0 and len(good) == 41
    assert abs(good[-1] - z_minimiser()) < 1e-6
    # The summed gradients act like a velocity without friction: theta swings across the minimum
    # and back forever instead of settling.
    late = bad[-20:]
    assert late.max() - late.min() > 0.8
    assert late.min() < z_minimiser() < late.max()
    assert good[1] == pytest.approx(bad[1])  # the first step is the same


def test_gradient_descent_without_zeroing_steps_with_the_sum_of_gradients():
    bad = gradient_descent(1.0, lr=0.5, num_steps=3, zero_grad=False)
    grads = [z_derivative(torch.tensor(t, dtype=torch.float64)).item() for t in bad[:-1]]
    expected = bad[0] - 0.5 * np.cumsum(np.cumsum(grads))
    np.testing.assert_allclose(bad[1:], expected, rtol=1e-13)


def test_microbatch_gradients_equal_the_full_batch_gradient():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(12, 2, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (12,), generator=gen)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 2)).double()
    model.zero_grad()
    F.cross_entropy(model(X), y).backward()
    full = [p.grad.clone() for p in model.parameters()]
    for num_chunks in (1, 3, 5):  # 5 chunks of unequal size (3, 3, 2, 2, 2)
        for got, want in zip(microbatch_gradients(model, F.cross_entropy, X, y, num_chunks), full):
            assert_close(got, want, rtol=1e-12, atol=1e-14)


def test_silu_derivative_checked_three_ways():
    assert_close(silu(THETAS), F.silu(THETAS))
    values = compare_derivatives(silu, silu_derivative, THETAS)
    np.testing.assert_allclose(values["hand"], values["autograd"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(values["hand"], values["finite difference"], atol=1e-8)


def test_ulps_apart_counts_steps_of_the_float64_grid():
    assert ulps_apart(0.458, 0.458) == 0
    assert ulps_apart(-0.0, 0.0) == 0
    up = np.nextafter(1.0, 2.0)
    assert ulps_apart(1.0, up) == ulps_apart(up, 1.0) == 1
    assert ulps_apart(1.0, 1.0 + 4 * np.finfo(np.float64).eps) == 4
    # Across zero: the smallest negative and positive numbers are two steps apart.
    assert ulps_apart(np.nextafter(0.0, -1.0), np.nextafter(0.0, 1.0)) == 2
    # One step of the grid at 1 is 2**-52: a million steps are 2**-32 apart.
    assert ulps_apart(1.0, 1.0 + 2.0 ** -32) == 2 ** 20


def test_figures_have_titles_and_the_expected_traces():
    fig = autodiff_figures.derivative_figure(torch.linspace(-4, 4, 161, dtype=torch.float64), title="z and its derivative")
    assert fig.layout.title.text == "z and its derivative"
    names = [trace.name for trace in fig.data]
    assert names == ["z(θ)", "dz/dθ, hand formula", "dz/dθ, autograd"]
    np.testing.assert_allclose(fig.data[2].y, fig.data[1].y[::4], rtol=1e-13)
    errors = difference_errors(z, z_derivative, 1.0, np.logspace(-12, -1, 12))
    fig = autodiff_figures.difference_error_figure(errors, title="Finite-difference error")
    assert fig.layout.title.text == "Finite-difference error" and len(fig.data) == 2

    good = gradient_descent(1.0, lr=0.5, num_steps=5)
    bad = gradient_descent(1.0, lr=0.5, num_steps=5, zero_grad=False)
    fig = autodiff_figures.descent_figure({"zeroed": good, "never zeroed": bad}, title="descent")
    assert [t.name for t in fig.data] == ["zeroed", "never zeroed", "minimiser θ*"]
    assert list(fig.data[0].x) == list(range(6)) and list(fig.data[1].y) == list(bad)
    # log(e - 1), where log(1 + e^theta) = 1, worked out by hand
    np.testing.assert_allclose(fig.data[2].y, np.log(np.e - 1), rtol=1e-15)
    with pytest.raises(ValueError, match="same number of steps"):
        autodiff_figures.descent_figure({"a": good, "b": bad[:3]}, title="t")
