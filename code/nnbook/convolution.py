"""Filters, convolution and pooling written out by hand, to check against PyTorch's layers.

A filter slides a small square *kernel* over an image; each output pixel is the sum of the
products of the kernel's entries with the pixels under it, the kernel centred on the target
pixel. Deep-learning libraries call this convolution, although strictly it is cross-correlation:
the kernel is not flipped. :func:`convolve2d` computes exactly what ``torch.nn.functional.conv2d``
does for one image and one kernel; :func:`max_pool2d` what ``F.max_pool2d`` does.
"""

from __future__ import annotations

import torch

# Classic 3x3 kernels (the examples of Wikipedia's "Kernel (image processing)" article).
KERNELS: dict[str, torch.Tensor] = {
    "identity": torch.tensor([[0., 0., 0.],
                              [0., 1., 0.],
                              [0., 0., 0.]]),
    "blur": torch.full((3, 3), 1 / 9),  # box blur: the mean of the 3x3 neighbourhood
    "edge detection": torch.tensor([[-1., -1., -1.],
                                    [-1., 8., -1.],
                                    [-1., -1., -1.]]),  # zero on flat regions, large at edges
    "vertical edges": torch.tensor([[-1., 0., 1.],
                                    [-2., 0., 2.],
                                    [-1., 0., 1.]]),  # Sobel: left-to-right brightness changes
}


def conv_output_size(
    n: int, kernel_size: int, padding: int = 0, stride: int = 1
) -> int:
    """The output length along one axis:
    ``(n + 2*padding - kernel_size) // stride + 1``."""
    return (n + 2 * padding - kernel_size) // stride + 1


def convolve2d(
    image: torch.Tensor,
    kernel: torch.Tensor,
    *,
    padding: int = 0,
    stride: int = 1,
) -> torch.Tensor:
    """Apply ``kernel`` (k, k) to ``image`` (H, W): the sum of products at every
    position.

    Zero padding of ``padding`` pixels is added on every side first;
    ``padding = k // 2`` keeps the size. Written as a sum over the k*k kernel
    entries of shifted copies of the image, which is the definition read the
    other way round and needs no loop over pixels.
    """
    if (
        image.ndim != 2
        or kernel.ndim != 2
        or kernel.shape[0] != kernel.shape[1]
    ):
        raise ValueError(
            f"expected an (H, W) image and a square (k, k) kernel, got "
            f"{tuple(image.shape)} and {tuple(kernel.shape)}"
        )
    k = kernel.shape[0]
    x = torch.nn.functional.pad(image, (padding,) * 4)  # (H + 2p, W + 2p)
    out_h = conv_output_size(image.shape[0], k, padding, stride)
    out_w = conv_output_size(image.shape[1], k, padding, stride)
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"a {k}x{k} kernel does not fit in a {tuple(image.shape)} image "
            f"with padding {padding}"
        )
    out = torch.zeros(
        out_h, out_w, dtype=torch.promote_types(image.dtype, kernel.dtype)
    )
    for i in range(k):
        for j in range(k):
            # Pixel (r, c) of the output sees input pixel
            # (r*stride + i, c*stride + j).
            window = x[
                i : i + stride * (out_h - 1) + 1 : stride,
                j : j + stride * (out_w - 1) + 1 : stride,
            ]
            out += kernel[i, j] * window
    return out


def apply_filter(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``kernel`` applied with zero padding so that the result has the image's size."""
    return convolve2d(image, kernel, padding=kernel.shape[0] // 2)


def max_pool2d(image: torch.Tensor, size: int = 2, stride: int | None = None) -> torch.Tensor:
    """The largest value in each ``size`` x ``size`` window, windows ``stride`` apart (default:
    ``size``, so they tile the image). Rows and columns that do not fill a window are dropped."""
    stride = stride or size
    out_h = conv_output_size(image.shape[0], size, 0, stride)
    out_w = conv_output_size(image.shape[1], size, 0, stride)
    out = torch.full((out_h, out_w), float("-inf"), dtype=image.dtype)
    for i in range(size):
        for j in range(size):
            window = image[i:i + stride * (out_h - 1) + 1:stride, j:j + stride * (out_w - 1) + 1:stride]
            out = torch.maximum(out, window)
    return out


def dense_parameters(n_inputs: int, n_units: int) -> int:
    """Weights and biases of a fully connected layer: one weight per input per unit, one bias per unit."""
    return n_inputs * n_units + n_units


def conv_parameters(in_channels: int, out_channels: int, kernel_size: int) -> int:
    """Weights and biases of a convolutional layer: one k x k kernel per input map per output map,
    one bias per output map. The image's size does not appear: the kernel is shared by every position."""
    return in_channels * out_channels * kernel_size * kernel_size + out_channels


def shift_sensitivity(image: torch.Tensor, kernel: torch.Tensor, *, shift: int = 1,
                      pool: int = 2) -> tuple[float, float]:
    """How much a feature map changes when the image moves ``shift`` pixels to the right, before
    and after ``pool`` x ``pool`` max pooling, each as a relative change ``|a - b| / |a|``.

    Max pooling keeps a window's largest response wherever in the window it sits, so small
    shifts change its output less.
    """
    if shift < 1:
        raise ValueError(f"shift must be a positive number of pixels, not {shift}")
    moved = torch.zeros_like(image)
    moved[:, shift:] = image[:, :-shift]  # the image moved right, a blank column entering
    a, b = apply_filter(image, kernel).relu(), apply_filter(moved, kernel).relu()
    before = float((a - b).norm() / a.norm())
    pa, pb = max_pool2d(a, pool), max_pool2d(b, pool)
    after = float((pa - pb).norm() / pa.norm())
    return before, after


def feature_maps(conv: torch.nn.Conv2d, image: torch.Tensor) -> torch.Tensor:
    """The maps a (trained) convolutional layer makes of one (H, W) image: (out_channels, H', W')."""
    weight = conv.weight
    with torch.no_grad():
        x = image.to(weight.device, weight.dtype)[None, None]  # (1, 1, H, W)
        return conv(x)[0].float().cpu()
