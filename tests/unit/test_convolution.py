"""Hand-written convolution and pooling against torch.nn.functional and hand-computed cases."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnbook.convolution import (KERNELS, apply_filter, conv_output_size, conv_parameters,
                                convolve2d, dense_parameters, feature_maps, max_pool2d,
                                shift_sensitivity)


def test_hand_computed_case():
    image = torch.arange(16.0).reshape(4, 4)  # rows 0..3, 4..7, 8..11, 12..15
    kernel = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    # every window: top-left minus bottom-right = -5
    torch.testing.assert_close(convolve2d(image, kernel), torch.full((3, 3), -5.0))
    ones = torch.ones(3, 3)
    # the sum of each 3x3 neighbourhood with zero padding, counted by hand for the corners
    out = apply_filter(torch.ones(4, 4), ones)
    assert out[0, 0] == 4 and out[0, 1] == 6 and out[1, 1] == 9
    torch.testing.assert_close(convolve2d(image, ones), torch.tensor([[45.0, 54.0], [81.0, 90.0]]))


def test_not_flipped_so_it_is_cross_correlation():
    image = torch.zeros(3, 3)
    image[1, 1] = 1.0
    kernel = torch.arange(9.0).reshape(3, 3)
    # an impulse returns the kernel rotated by 180 degrees: the kernel is not flipped
    torch.testing.assert_close(apply_filter(image, kernel), kernel.flip(0, 1))


@pytest.mark.parametrize("padding,stride,k", [(0, 1, 3), (1, 1, 3), (2, 2, 5), (0, 3, 2)])
def test_matches_torch_conv2d(padding, stride, k):
    torch.manual_seed(0)
    image, kernel = torch.randn(13, 11, dtype=torch.float64), torch.randn(k, k, dtype=torch.float64)
    expected = F.conv2d(image[None, None], kernel[None, None], padding=padding, stride=stride)[0, 0]
    got = convolve2d(image, kernel, padding=padding, stride=stride)
    torch.testing.assert_close(got, expected)
    assert got.shape == (conv_output_size(13, k, padding, stride), conv_output_size(11, k, padding, stride))


def test_classic_kernels():
    torch.manual_seed(1)
    image = torch.rand(10, 10)
    torch.testing.assert_close(apply_filter(image, KERNELS["identity"]), image)
    flat = torch.full((6, 6), 0.3)
    interior = apply_filter(flat, KERNELS["edge detection"])[1:-1, 1:-1]
    torch.testing.assert_close(interior, torch.zeros(4, 4))  # no edges on a flat region
    blurred = apply_filter(image, KERNELS["blur"])
    torch.testing.assert_close(blurred[4, 4], image[3:6, 3:6].mean())
    step = torch.zeros(5, 6)
    step[:, 3:] = 1.0  # a vertical edge between columns 2 and 3
    response = apply_filter(step, KERNELS["vertical edges"])[1:-1]
    assert (response[:, 2:4] == 4).all() and (response[:, [1, 4]] == 0).all()


def test_max_pool_matches_torch_and_a_hand_case():
    image = torch.tensor([[1.0, 2.0, 5.0, 0.0],
                          [3.0, 4.0, 1.0, 1.0],
                          [0.0, 0.0, 2.0, 9.0],
                          [7.0, 0.0, 3.0, 1.0]])
    torch.testing.assert_close(max_pool2d(image), torch.tensor([[4.0, 5.0], [7.0, 9.0]]))
    torch.manual_seed(0)
    x = torch.randn(15, 12)
    for size, stride in ((2, 2), (3, 2), (3, 3)):
        torch.testing.assert_close(max_pool2d(x, size, stride),
                                   F.max_pool2d(x[None, None], size, stride)[0, 0])


def test_parameter_counts_match_pytorch_layers():
    assert dense_parameters(100, 10) == 1010 == sum(p.numel() for p in nn.Linear(100, 10).parameters())
    assert conv_parameters(1, 10, 3) == 100 == sum(p.numel() for p in nn.Conv2d(1, 10, 3).parameters())
    assert conv_parameters(32, 64, 3) == sum(p.numel() for p in nn.Conv2d(32, 64, 3).parameters())


def test_pooling_makes_feature_maps_less_sensitive_to_shifts():
    torch.manual_seed(0)
    image = torch.zeros(28, 28)
    image[6:22, 8:20] = 1.0  # a bright rectangle: strong edges
    before, after = shift_sensitivity(image, KERNELS["edge detection"])
    assert 0 < after < before


def test_feature_maps_are_the_layer_output():
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3, padding=1)
    image = torch.rand(28, 28)
    maps = feature_maps(conv, image)
    assert maps.shape == (4, 28, 28)
    expected = apply_filter(image, conv.weight[2, 0].detach()) + conv.bias[2].detach()
    torch.testing.assert_close(maps[2], expected, rtol=1e-5, atol=1e-5)
