"""Hand-written backpropagation against torch.autograd and finite differences, in float64."""

import pytest
import torch

from nnbook import backprop
from nnbook.backprop import (LOSSES, SGDConfig, autograd_gradients, epochs_to_fall,
                             gradient_checks, gradients, init_network, max_gradient_difference,
                             network_accuracy, numerical_gradient, numerical_gradient_gap,
                             one_hot, to_sequential, train_sgd)
from nnbook.engine.device import get_device
from nnbook.toy_data import blobs

DEVICE = get_device()

ARCHITECTURES = [(2, 4, 2), (3, 5, 4, 2), (1, 1), (6, 3, 7, 2, 4)]


def random_batch(sizes, batch_size, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(batch_size, sizes[0], generator=g, dtype=torch.float64)
    Y = torch.rand(batch_size, sizes[-1], generator=g, dtype=torch.float64)
    return X.to(DEVICE), Y.to(DEVICE)


def reference_gradients(layers, X, Y, loss):
    """Autograd through an independent formula: our own weights as leaves, torch's own sigmoid."""
    params = [(l.W.clone().requires_grad_(True), l.b.clone().requires_grad_(True)) for l in layers]
    a = X
    for W, b in params:
        a = torch.sigmoid(a @ W.T + b)
    if loss == "cross_entropy":
        value = -(Y * torch.log(a) + (1 - Y) * torch.log1p(-a)).sum() / len(X)
    else:
        value = 0.5 * ((a - Y) ** 2).sum() / len(X)
    flat = torch.autograd.grad(value, [t for pair in params for t in pair])
    return value, flat


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("batch_size", [1, 5, 32])
@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_backprop_equals_autograd(sizes, batch_size, loss):
    layers = init_network(sizes, seed=batch_size)
    X, Y = random_batch(sizes, batch_size, seed=len(sizes))
    value, grads = gradients(layers, X, Y, loss)
    ref_value, ref = reference_gradients(layers, X, Y, loss)
    torch.testing.assert_close(value, ref_value, rtol=0, atol=1e-12)
    ours = [t for g in grads for t in (g.W, g.b)]
    for mine, theirs in zip(ours, ref):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-10)
    # The same through nn.Linear/nn.Sigmoid and PyTorch's own loss functions.
    for mine, theirs in zip(grads, autograd_gradients(layers, X, Y, loss)):
        torch.testing.assert_close(mine.W, theirs.W, rtol=0, atol=1e-10)
        torch.testing.assert_close(mine.b, theirs.b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("loss", LOSSES)
def test_missing_activation_derivative_is_caught(loss):
    """Forgetting sigma'(z) (here: replacing it by 1) must fail the very same comparison."""
    sizes = (3, 5, 4, 2)
    layers = init_network(sizes, seed=0)
    X, Y = random_batch(sizes, 8)
    _, wrong = gradients(layers, X, Y, loss, sigmoid_prime=lambda z: torch.ones_like(z))
    _, ref = reference_gradients(layers, X, Y, loss)
    with pytest.raises(AssertionError):
        for mine, theirs in zip([t for g in wrong for t in (g.W, g.b)], ref):
            torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-10)
    assert max_gradient_difference(list(sizes), 8, loss,
                                   sigmoid_prime=lambda z: torch.ones_like(z)) > 1e-3
    assert max_gradient_difference(list(sizes), 8, loss) < 1e-10


@pytest.mark.parametrize("loss", LOSSES)
def test_a_slightly_wrong_derivative_is_caught(loss):
    """A plausible wrong formula, s (1 - s)^2 instead of s (1 - s), fails the comparison."""
    def squared_too_often(z):
        return torch.sigmoid(z) * (1 - torch.sigmoid(z)) ** 2

    sizes = (2, 4, 2)
    layers = init_network(sizes)
    X, Y = random_batch(sizes, 4)
    _, grads = gradients(layers, X, Y, loss, sigmoid_prime=squared_too_often)
    _, ref = reference_gradients(layers, X, Y, loss)
    assert max(float((m - t).abs().max()) for m, t in
               zip([t for g in grads for t in (g.W, g.b)], ref)) > 1e-4


@pytest.mark.parametrize("loss", LOSSES)
def test_output_error_is_the_derivative_of_the_loss_by_z(loss):
    """delta^N = dL/dz^N, which autograd computes through torch.sigmoid and the loss itself."""
    sizes = (3, 4, 5)
    layers = init_network(sizes, seed=2)
    X, Y = random_batch(sizes, 6, seed=5)
    cache = backprop.forward(layers, X)
    z = cache.zs[-1].clone().requires_grad_(True)
    (dL_dz,) = torch.autograd.grad(backprop.loss_value(torch.sigmoid(z), Y, loss), z)
    torch.testing.assert_close(backprop.output_error(cache, Y, loss), dL_dz, rtol=0, atol=1e-14)


def test_the_cross_entropy_output_error_needs_no_derivative():
    """sigma' cancels in the cross-entropy's delta^N: a wrong sigma' changes the squared error's
    output error, and the cross-entropy's not at all. Hidden layers still use it."""
    sizes = (3, 4, 5)
    layers = init_network(sizes, seed=2)
    X, Y = random_batch(sizes, 6, seed=5)
    cache = backprop.forward(layers, X)
    ones = lambda z: torch.ones_like(z)  # noqa: E731
    torch.testing.assert_close(
        backprop.output_error(cache, Y, "cross_entropy", sigmoid_prime=ones),
        backprop.output_error(cache, Y, "cross_entropy"), rtol=0, atol=0)
    assert not torch.allclose(backprop.output_error(cache, Y, "squared", sigmoid_prime=ones),
                              backprop.output_error(cache, Y, "squared"))


def test_gradient_checks_cover_every_combination_and_catch_a_wrong_derivative():
    architectures = [(1, 1), (3, 5, 2)]
    checks = gradient_checks(architectures, batch_sizes=(1, 7))
    assert [(c.layer_sizes, c.batch_size, c.loss) for c in checks] == [
        (sizes, batch, loss) for sizes in architectures for batch in (1, 7) for loss in LOSSES]
    assert max(c.max_difference for c in checks) < 1e-12
    wrong = gradient_checks(architectures, batch_sizes=(7,),
                            sigmoid_prime=lambda z: torch.ones_like(z))
    caught = {(c.layer_sizes, c.loss): c.max_difference > 1e-3 for c in wrong}
    # Without a hidden layer the cross-entropy never multiplies by sigma': nothing to catch.
    assert caught == {((1, 1), "cross_entropy"): False, ((1, 1), "squared"): True,
                      ((3, 5, 2), "cross_entropy"): True, ((3, 5, 2), "squared"): True}


def test_finite_differences_agree():
    sizes = (2, 3, 2)
    layers = init_network(sizes, seed=3)
    X, Y = random_batch(sizes, 6)
    _, grads = gradients(layers, X, Y, "cross_entropy")
    for layer, j, k in [(0, 0, 1), (0, 2, 0), (1, 1, 2)]:
        numeric = numerical_gradient(layers, X, Y, "cross_entropy", layer, j, k)
        assert abs(numeric - float(grads[layer].W[j, k])) < 1e-8


def test_numerical_gradient_gap_is_small_for_backprop_and_large_for_a_wrong_backward():
    sizes = (3, 4, 2)
    layers = init_network(sizes, seed=2, device=DEVICE)
    X, Y = random_batch(sizes, 6)
    assert numerical_gradient_gap(layers, X, Y, "squared") < 1e-8
    wrong = numerical_gradient_gap(layers, X, Y, "squared",
                                   sigmoid_prime=lambda z: torch.ones_like(z))
    assert wrong > 1e-3
    # The gap is the largest over all weights: at least the gap of one weight checked by hand.
    _, grads = gradients(layers, X, Y, "squared", sigmoid_prime=lambda z: torch.ones_like(z))
    one = abs(numerical_gradient(layers, X, Y, "squared", 1, 1, 2) - float(grads[1].W[1, 2]))
    assert wrong >= one


def test_epochs_to_fall_finds_the_end_of_a_plateau():
    assert epochs_to_fall([1.0, 0.99, 0.95, 0.89, 0.5]) == 4
    assert epochs_to_fall([1.0, 0.5], fraction=0.5) is None  # below, not at
    assert epochs_to_fall([2.0, 1.5], fraction=0.8) == 2
    assert epochs_to_fall([1.0, 1.0, 1.0]) is None


def test_to_sequential_computes_the_same_function():
    layers = init_network((3, 4, 2), seed=1)
    X, _ = random_batch((3, 4, 2), 5)
    torch.testing.assert_close(to_sequential(layers)(X), backprop.forward(layers, X).output)


def test_cross_entropy_output_error_stays_finite_when_saturated():
    layers = init_network((1, 1))
    layers[0].W.fill_(100.0)
    X = torch.tensor([[10.0]], dtype=torch.float64, device=DEVICE)
    _, grads = gradients(layers, X, torch.tensor([[0.0]], dtype=torch.float64), "cross_entropy")
    assert torch.isfinite(grads[0].W).all() and float(grads[0].W) == pytest.approx(10.0)


def test_sgd_learns_xor():
    train = blobs("xor", 50, seed=42)
    test = blobs("xor", 100, seed=4242)
    X, y = torch.as_tensor(train.X), torch.as_tensor(train.y)
    layers = init_network((2, 4, 2), seed=0)
    losses = train_sgd(layers, X, one_hot(y, 2), SGDConfig(lr=1.0, batch_size=10, num_epochs=100))
    assert losses[-1] < 0.1 * losses[0]
    assert network_accuracy(layers, torch.as_tensor(test.X), torch.as_tensor(test.y)) >= 0.97


def test_layers_live_on_the_requested_device():
    layers = init_network((2, 3, 1), device=torch.device("cpu"))
    assert all(l.W.device.type == "cpu" and l.b.device.type == "cpu" for l in layers)
    assert init_network((2, 3, 1))[0].W.device.type == DEVICE.type
    # The same seed gives the same weights wherever they live.
    torch.testing.assert_close(init_network((2, 3, 1), seed=4)[0].W.cpu(),
                               init_network((2, 3, 1), seed=4, device=torch.device("cpu"))[0].W)


def test_sgd_step_is_the_update_rule():
    """One full-batch epoch equals w - lr * grad, computed separately."""
    layers = init_network((2, 3, 2), seed=2)
    X, Y = random_batch((2, 3, 2), 4)
    _, grads = gradients(layers, X, Y, "squared")
    expected = [l.W - 0.5 * g.W for l, g in zip(layers, grads)]
    train_sgd(layers, X, Y, SGDConfig(lr=0.5, batch_size=4, num_epochs=1, loss="squared"))
    for l, e in zip(layers, expected):
        torch.testing.assert_close(l.W, e)
