"""Grids of images for the pages: samples with their labels, filters beside what they produce,
feature maps, and mistakes titled with the true and the predicted label.

Matplotlib draws these (plotly is for charts); every figure gets a suptitle, which is what a
reader of the page sees first. The figures are built without pyplot, so nothing global changes
and nothing is drawn twice: a cell that ends with one shows it as a PNG (:class:`ImageFigure`).
"""

from __future__ import annotations

from collections.abc import Sequence

import io

import numpy as np
import torch
from matplotlib.figure import Figure


class ImageFigure(Figure):
    """A matplotlib figure that a notebook displays as a PNG, with no pyplot state involved."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        return buffer.getvalue()


def _subplots(nrows: int, ncols: int, figsize: tuple[float, float], **kwargs):
    fig = ImageFigure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kwargs)


def _as_array(image) -> np.ndarray:
    if isinstance(image, torch.Tensor):
        image = image.detach().float().cpu().numpy()
    image = np.asarray(image, dtype=float)
    return image.reshape(image.shape[-2:]) if image.ndim > 2 else image  # drop (1, H, W)'s channel


def thumbnail(photo: np.ndarray, size: int = 28, *, invert: bool = True) -> torch.Tensor:
    """A photograph (H, W) or (H, W, 3), with values 0-255 or 0-1, as one input a Fashion-MNIST
    classifier takes: (1, 1, size, size), grey, in [0, 1]. ``invert`` makes dark things light, as
    the items of Fashion-MNIST are light on a black ground."""
    from skimage.color import rgb2gray
    from skimage.transform import resize

    image = np.asarray(photo, dtype=np.float64)
    if image.max() > 1:
        image = image / 255
    if image.ndim == 3:
        image = rgb2gray(image)  # (H, W)
    small = resize(image, (size, size), anti_aliasing=True)  # (size, size)
    if invert:
        small = 1 - small
    return torch.tensor(small, dtype=torch.float32)[None, None]  # (1, 1, size, size)


def image_grid(images: Sequence, titles: Sequence[str] | None = None, *, ncols: int = 5,
               suptitle: str, size: float = 1.8, cmap: str = "gray", symmetric: bool = False,
               value_range: tuple[float, float] | None = None) -> ImageFigure:
    """Images in a grid, each with an optional title. ``symmetric`` centres the colour scale on
    zero (for kernels and signed feature maps: red positive, blue negative).

    By default each image is stretched to its own darkest and brightest value. Pass
    ``value_range=(0, 1)`` for images on a common scale (reconstructions, generated samples), so
    that a faint image looks faint instead of being stretched to full contrast."""
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = _subplots(nrows, ncols, (size * ncols, size * nrows + 0.6))
    for ax in axes.flat:
        ax.axis("off")
    for k, (ax, image) in enumerate(zip(axes.flat, images)):
        array = _as_array(image)
        if symmetric:
            limit = float(np.abs(array).max()) or 1.0
            ax.imshow(array, cmap="RdBu_r", vmin=-limit, vmax=limit)
        elif value_range is not None:
            ax.imshow(array, cmap=cmap, vmin=value_range[0], vmax=value_range[1])
        else:
            ax.imshow(array, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[k], fontsize=11)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def labelled_samples(X: torch.Tensor, y: torch.Tensor, classes: Sequence[str], *, n: int = 10,
                     seed: int = 0, ncols: int = 5, suptitle: str) -> ImageFigure:
    """``n`` images drawn at random (reproducibly) from ``X``, titled with their labels."""
    idx = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:n]
    return image_grid([X[i] for i in idx], [classes[int(y[i])] for i in idx], ncols=ncols,
                      suptitle=suptitle)


def misclassified_grid(X: torch.Tensor, y: torch.Tensor, y_hat: torch.Tensor,
                       classes: Sequence[str], *, n: int = 12, seed: int = 0, ncols: int = 6,
                       suptitle: str) -> ImageFigure:
    """Up to ``n`` wrongly classified images, drawn at random, titled "true / predicted"."""
    wrong = torch.nonzero(y.cpu() != y_hat.cpu()).flatten()
    if len(wrong) == 0:  # matplotlib would fail on a grid of zero rows, less clearly
        raise ValueError("every image is classified correctly: there is no mistake to show")
    pick = wrong[torch.randperm(len(wrong), generator=torch.Generator().manual_seed(seed))[:n]]
    titles = [f"{classes[int(y[i])]}\n→ {classes[int(y_hat[i])]}" for i in pick]
    return image_grid([X[i] for i in pick], titles, ncols=ncols, suptitle=suptitle, size=1.9)


def _draw_kernel(ax, kernel: np.ndarray) -> None:
    limit = float(np.abs(kernel).max()) or 1.0
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (r, c), value in np.ndenumerate(kernel):
        text = f"{value:.2f}" if abs(value - round(value)) > 1e-9 else f"{int(round(value))}"
        ax.text(c, r, text, ha="center", va="center", fontsize=9,
                color="white" if abs(value) > 0.6 * limit else "black")
    ax.set_xticks([])
    ax.set_yticks([])


def filter_panels(image, results: dict[str, tuple], *, suptitle: str,
                  size: float = 2.6) -> ImageFigure:
    """One column per filter: its kernel (numbers written in), then the image it produces.

    ``results`` maps a filter's name to ``(kernel, filtered image)``.
    """
    n = len(results)
    fig, axes = _subplots(2, n, (size * n, 2 * size + 0.6),
                          gridspec_kw=dict(height_ratios=[1, 1.6]))
    for col, (name, (kernel, filtered)) in enumerate(results.items()):
        _draw_kernel(axes[0, col], _as_array(kernel))
        axes[0, col].set_title(f"{name} kernel", fontsize=10)
        axes[1, col].imshow(_as_array(filtered), cmap="gray")
        axes[1, col].axis("off")
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
