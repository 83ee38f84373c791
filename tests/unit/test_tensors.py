"""The module and functional forms of the small network in nnbook.tensors compute the same thing."""

import pytest
import torch
import torch.nn as nn
from torch.testing import assert_close

from nnbook.engine.device import get_device
from nnbook.tensors import (TinyNet, init_tiny_params, mlp_functional, parameter_counts,
                            parameter_rows, tensor_facts, tiny_net_functional)


def test_tensor_facts():
    t = torch.rand(3, 4)
    assert tensor_facts(t) == {"shape": (3, 4), "dtype": "torch.float32", "device": "cpu", "requires_grad": False}
    facts = tensor_facts(torch.zeros(2, dtype=torch.float64, requires_grad=True))
    assert facts["dtype"] == "torch.float64" and facts["requires_grad"] is True


def test_tiny_net_parameters_match_pytorch_count():
    model = TinyNet()
    rows = parameter_rows(model)
    assert [r["name"] for r in rows] == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    assert [r["shape"] for r in rows] == [(4, 2), (4,), (2, 4), (2,)]
    assert sum(r["entries"] for r in rows) == sum(p.numel() for p in model.parameters()) == 22


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_functional_equals_module(dtype):
    torch.manual_seed(0)
    model = TinyNet().to(dtype)
    X = torch.randn(16, 2, dtype=dtype)
    params = dict(model.named_parameters())
    assert torch.equal(tiny_net_functional(X, params), model(X))
    assert_close(torch.func.functional_call(model, params, (X,)), model(X), rtol=0, atol=0)


def test_functional_and_module_give_the_same_gradients():
    torch.manual_seed(1)
    model = TinyNet().double()
    X = torch.randn(8, 2, dtype=torch.float64)
    model(X).sum().backward()
    params = {k: v.detach().clone().requires_grad_(True) for k, v in model.named_parameters()}
    tiny_net_functional(X, params).sum().backward()
    for name, p in model.named_parameters():
        assert_close(params[name].grad, p.grad)


def test_both_forms_are_linear_sigmoid_linear():
    """Against PyTorch's own modules, sharing the same two Linear layers."""
    torch.manual_seed(2)
    model = TinyNet()
    X = torch.randn(8, 2)
    reference = nn.Sequential(model.hidden, nn.Sigmoid(), model.output)(X)
    assert_close(model(X), reference)
    assert_close(tiny_net_functional(X, dict(model.named_parameters())), reference)


def test_init_tiny_params_is_seeded_and_bounded():
    a = init_tiny_params(generator=torch.Generator().manual_seed(0))
    b = init_tiny_params(generator=torch.Generator().manual_seed(0))
    assert list(a) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    for name in a:
        assert torch.equal(a[name], b[name]) and a[name].requires_grad
    assert a["hidden.weight"].abs().max() <= 1 / 2 ** 0.5  # fan_in 2
    assert a["output.weight"].abs().max() <= 1 / 2  # fan_in 4
    shapes = {k: tuple(v.shape) for k, v in a.items()}
    assert shapes == {k: tuple(v.shape) for k, v in TinyNet().named_parameters()}


def test_init_tiny_params_on_the_books_device():
    device = get_device()
    params = init_tiny_params(dtype=torch.float64, device=device)
    assert all(p.device.type == device.type and p.dtype == torch.float64 and p.is_leaf for p in params.values())
    out = tiny_net_functional(torch.zeros(3, 2, dtype=torch.float64, device=device), params)
    assert out.shape == (3, 2) and out.device.type == device.type


def test_mlp_functional_equals_sequential():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    X = torch.randn(10, 2)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    out = mlp_functional(X, [m.weight for m in linears], [m.bias for m in linears])
    assert_close(out, model(X), rtol=0, atol=0)
    sig = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 2))
    lin = [m for m in sig if isinstance(m, nn.Linear)]
    assert_close(mlp_functional(X, [m.weight for m in lin], [m.bias for m in lin], torch.sigmoid), sig(X))
    with pytest.raises(ValueError, match="one bias per weight"):
        mlp_functional(X, [lin[0].weight], [])


def test_parameter_counts_by_hand():
    tied = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 10, bias=False))
    tied[1].weight = tied[0].weight  # one (10, 4) matrix used twice: 40 numbers, not 80
    frozen = nn.Linear(3, 2)
    frozen.requires_grad_(False)
    counts = parameter_counts({"linear": nn.Linear(3, 2), "conv": nn.Conv2d(1, 4, 3),
                               "tied": tied, "frozen": frozen, "relu": nn.ReLU()})
    assert counts == {"linear": 3 * 2 + 2, "conv": 4 * 1 * 3 * 3 + 4, "tied": 10 * 4,
                      "frozen": 8, "relu": 0}
