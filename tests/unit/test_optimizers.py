"""The optimisers written out (nnbook.optimizers) against torch.optim's own steps, and the
valley they cross."""

import numpy as np
import pytest
import torch

from nnbook.optimizers import adam, descend, gradient_descent, momentum, valley


def torch_path(make, start, gradient, steps):
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make([theta])
    points = [theta.detach().numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        theta.grad = torch.from_numpy(gradient(theta.detach().numpy()))
        optimizer.step()
        points.append(theta.detach().numpy().copy())
    return np.array(points)


@pytest.mark.parametrize("rule, settings, make", [
    (gradient_descent, {"lr": 0.05}, lambda p: torch.optim.SGD(p, lr=0.05)),
    (momentum, {"lr": 0.02, "beta": 0.9}, lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9)),
    (adam, {"lr": 0.1}, lambda p: torch.optim.Adam(p, lr=0.1)),
])
def test_each_rule_takes_torchs_steps(rule, settings, make):
    bowl = valley(25.0)
    start = np.array([-2.5, 1.0])
    ours = descend(rule, bowl.gradient, start, 60, **settings).points
    np.testing.assert_allclose(ours, torch_path(make, start, bowl.gradient, 60), rtol=1e-10,
                               atol=1e-12)


def test_the_valley_and_its_gradient():
    bowl = valley(10.0)
    theta = np.array([2.0, -1.0])
    assert bowl(theta) == pytest.approx(0.5 * (4 + 10))
    eps = 1e-6
    numeric = [(bowl(theta + eps * e) - bowl(theta - eps * e)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(bowl.gradient(theta), numeric, rtol=1e-6)


def test_steps_to_reads_when_a_path_settles():
    path = descend(gradient_descent, valley(1.0).gradient, np.array([1.0, 1.0]), 10, lr=0.5)
    # Each step halves the point: within 0.01 of the minimum from the 8th step (sqrt(2)/2^8).
    assert path.steps_to(0.01, np.zeros(2)) == 8
    assert path.steps_to(1e-9, np.zeros(2)) is None
    assert descend(gradient_descent, valley(1.0).gradient, np.zeros(2), 3,
                   lr=0.5).steps_to(0.1, np.zeros(2)) == 0
