"""The book's CNNs against the lecture's numbers, and the shape tracer against the real forward pass."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnbook.engine.device import seeded
from nnbook.models import (FashionCNN, MyNet, count_parameters, flat_features, shape_table,
                           trace_shapes)


def test_fashion_cnn_has_the_lecture_parameter_count_and_shapes():
    model = FashionCNN()
    assert count_parameters(model) == 1_475_338
    # By hand, layer by layer: conv weights and biases, batch norms' scale and shift, linears.
    assert count_parameters(model) == ((1 * 32 * 9 + 32) + 2 * 32 + (32 * 64 * 9 + 64) + 2 * 64
                                       + (2304 * 600 + 600) + (600 * 120 + 120) + (120 * 10 + 10))
    model.fc1.requires_grad_(False)  # frozen weights are not trained: they do not count
    assert count_parameters(model) == 1_475_338 - (2304 * 600 + 600)
    model.fc1.requires_grad_(True)
    assert model(torch.zeros(64, 1, 28, 28)).shape == (64, 10)
    steps = trace_shapes(model, torch.zeros(64, 1, 28, 28))
    shapes = {s.name: s.shape for s in steps}
    assert shapes["layer1.3"] == (64, 32, 14, 14)
    assert shapes["layer2.0"] == (64, 64, 12, 12)
    assert shapes["layer2.3"] == (64, 64, 6, 6)
    assert shapes["flatten"] == (64, 2304)
    assert shapes["fc3"] == (64, 10)
    assert sum(s.parameters for s in steps) == 1_475_338


def test_fashion_cnn_dropout_drops_units_not_whole_examples():
    model = FashionCNN().train()
    seen = {}
    model.fc1.register_forward_hook(lambda m, args, out: seen.update(fc1=out.detach()))
    model.fc2.register_forward_pre_hook(lambda m, args: seen.update(fc2=args[0].detach()))
    with seeded(0):  # dropout draws from torch's generator: leave the caller's as it was
        model(torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    # What fc2 receives is fc1's output with some units zeroed (and the rest scaled up).
    dropped = (seen["fc2"] == 0) & (seen["fc1"] != 0)
    kept = seen["fc2"] != 0
    torch.testing.assert_close(seen["fc2"][kept], seen["fc1"][kept] / (1 - 0.25))
    assert 0.15 < dropped.float().mean() < 0.35
    assert not dropped.all(dim=1).any()  # Dropout2d on (B, 600) would zero entire rows


def test_mynet_mystery_x_is_found_by_tracing():
    assert flat_features(MyNet()) == 2304 == 64 * 6 * 6
    wrong = MyNet(fc_in=1)
    with pytest.raises(RuntimeError, match="2304"):
        wrong(torch.zeros(2, 1, 28, 28))  # the error message names the real size
    steps = trace_shapes(wrong, torch.zeros(10, 1, 28, 28), stop_at="fc1")
    assert [s.name for s in steps] == ["conv1", "relu", "max_pool2d", "conv2", "relu",
                                       "max_pool2d", "flatten"]
    assert steps[-1].shape == (10, 2304)
    # a different image size gives a different X, found the same way
    assert flat_features(MyNet(), (1, 32, 32)) == 64 * 7 * 7


def test_mynet_matches_a_functional_reimplementation():
    with seeded(0):
        model = MyNet()
    x = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    h = F.max_pool2d(F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias, padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, model.conv2.weight, model.conv2.bias)), 2)
    expected = F.linear(h.flatten(1), model.fc1.weight, model.fc1.bias)
    torch.testing.assert_close(model(x), expected)
    assert count_parameters(model) == (1 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + (2304 * 10 + 10)


def test_trace_leaves_the_model_and_torch_as_they_were():
    model = FashionCNN().train()
    relu, flatten = F.relu, torch.flatten
    trace_shapes(model, torch.zeros(2, 1, 28, 28))
    assert model.training and F.relu is relu and torch.flatten is flatten
    assert not model.layer1[0]._forward_hooks and not model.layer1[0]._forward_pre_hooks
    with pytest.raises(ValueError, match="no module named"):
        trace_shapes(model, torch.zeros(2, 1, 28, 28), stop_at="fc9")


def test_shape_table_lists_every_step():
    steps = trace_shapes(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), torch.zeros(1, 1, 5, 5))
    table = shape_table(steps).splitlines()
    assert len(table) == 3 and "[1, 2, 3, 3]" in table[1] and "[1, 18]" in table[2]
    assert table[1].rstrip().endswith("20")


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("channels_last", [False, True])
def test_pooling_before_relu_computes_the_lectures_function_and_gradients(train, channels_last):
    """ReLU is monotone, so max-pooling first gives the same outputs and the same gradients."""
    torch.manual_seed(0)
    lecture = FashionCNN(pool_first=False, dropout=0.0)
    book = FashionCNN(pool_first=True, dropout=0.0)
    book.load_state_dict(lecture.state_dict())  # same names: only parameterless layers moved
    assert [type(m) for m in book.layer1] == [nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.ReLU]
    assert [type(m) for m in lecture.layer1] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d]
    x = torch.randn(16, 1, 28, 28)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
        for m in (lecture, book):
            m.to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (16,))
    outputs, grads = [], []
    for model in (lecture, book):
        model.train(train)
        out = model(x)
        F.cross_entropy(out, y).backward()
        outputs.append(out)
        grads.append({n: p.grad for n, p in model.named_parameters()})
    torch.testing.assert_close(outputs[1], outputs[0], rtol=0, atol=0)
    for name in grads[0]:
        torch.testing.assert_close(grads[1][name], grads[0][name], rtol=0, atol=0, msg=name)
    if train:  # the running statistics batch norm updates are the same too
        torch.testing.assert_close(book.state_dict(), lecture.state_dict(), rtol=0, atol=0)


def test_pooling_before_a_non_monotone_activation_would_not_be_the_same():
    """The reorder rests on monotonicity: with x -> -x in place of ReLU it changes the output."""
    x = torch.randn(2, 3, 8, 8)
    pooled_first = -F.max_pool2d(x, 2)
    pooled_after = F.max_pool2d(-x, 2)
    assert not torch.allclose(pooled_first, pooled_after)
