"""Grids of images for the pages: samples with their labels, filters beside what they produce,
feature maps, and mistakes titled with the true and the predicted label.

Matplotlib draws these (plotly is for charts); every figure gets a suptitle, which is what a
reader of the page sees first. The figures are built without pyplot, so nothing global changes
and nothing is drawn twice: a cell that ends with one shows it as a PNG (:class:`ImageFigure`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import io

import numpy as np
import torch
from matplotlib.figure import Figure


class ImageFigure(Figure):
    """A matplotlib figure that a notebook displays as a PNG, with no pyplot state involved, and
    a sentence that says what it shows (``alt``): the PNG's alt text on the site, for a reader
    who cannot see it."""

    alt: str = ""

    def _repr_png_(self) -> tuple[bytes, dict] | bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        return (buffer.getvalue(), {"alt": self.alt}) if self.alt else buffer.getvalue()


def _subplots(nrows: int, ncols: int, figsize: tuple[float, float], **kwargs):
    # Constrained layout keeps every title clear of every image: it reserves room for a title
    # above its axes' box, and an image narrowed or shortened to keep its aspect stays inside
    # that box. tight_layout does not know about the aspect, and rows of square images with
    # two-line titles came out with the titles of one row printed over the images above.
    fig = ImageFigure(figsize=figsize, layout="constrained")
    fig.get_layout_engine().set(w_pad=GAP, h_pad=GAP)
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kwargs)


GAP = 4 / 72  # inches of white around each panel and its title (4 points, 6 pixels in a page)
TITLE_SIZE = 11  # points


def _title_height(titles: Sequence[str] | None) -> float:
    """Inches that the tallest title takes above its image, so the figure is made tall enough
    for its rows of images and their titles (the layout then keeps them apart)."""
    lines = max((t.count("\n") + 1 for t in titles or () if t), default=0)
    return lines * TITLE_SIZE * 1.25 / 72 + (GAP if lines else 0)


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


def describe_grid(suptitle: str, n: int, ncols: int, titles: Sequence[str] | None = None,
                  what: str = "images", titled: str = "") -> str:
    """A figure of ``n`` images in rows of ``ncols``, in words: its title, how the images are
    laid out and what each is titled (``titled`` says what the titles are, such as "with its
    label"), the titles themselves where they are few enough to read out."""
    nrows = math.ceil(n / ncols)
    layout = (f"{n} {what}" if nrows == 1 else
              f"{n} {what} in {nrows} rows of {min(n, ncols)}")
    text = f"{suptitle.rstrip('.')}: {layout}"
    named = [" ".join(t.split()) for t in titles or () if t]
    if named:
        text += f", each {titled}" if titled else ", titled"
        if len(named) <= 16:
            text += ": " + "; ".join(named)
    return text + "."


def image_grid(images: Sequence, titles: Sequence[str] | None = None, *, ncols: int = 5,
               suptitle: str, size: float = 1.8, cmap: str = "gray", symmetric: bool = False,
               value_range: tuple[float, float] | None = None, alt: str | None = None,
               ) -> ImageFigure:
    """Images in a grid, each with an optional title. ``symmetric`` centres the colour scale on
    zero (for kernels and signed feature maps: red positive, blue negative).

    By default each image is stretched to its own darkest and brightest value. Pass
    ``value_range=(0, 1)`` for images on a common scale (reconstructions, generated samples), so
    that a faint image looks faint instead of being stretched to full contrast. ``alt`` says what
    the figure shows (default: :func:`describe_grid` of its title, layout and titles)."""
    n = len(images)
    nrows = math.ceil(n / ncols)
    fig, axes = _subplots(nrows, ncols,
                          (size * ncols, (size + _title_height(titles)) * nrows + 0.6))
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
            ax.set_title(titles[k], fontsize=TITLE_SIZE)
    fig.suptitle(suptitle)
    fig.alt = alt if alt is not None else describe_grid(suptitle, n, ncols, titles)
    return fig


def labelled_samples(X: torch.Tensor, y: torch.Tensor, classes: Sequence[str], *, n: int = 10,
                     seed: int = 0, ncols: int = 5, suptitle: str) -> ImageFigure:
    """``n`` images drawn at random (reproducibly) from ``X``, titled with their labels."""
    idx = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:n]
    titles = [classes[int(y[i])] for i in idx]
    return image_grid([X[i] for i in idx], titles, ncols=ncols, suptitle=suptitle,
                      alt=describe_grid(suptitle, len(idx), ncols, titles,
                                        titled="titled with its label"))


def misclassified_grid(X: torch.Tensor, y: torch.Tensor, y_hat: torch.Tensor,
                       classes: Sequence[str], *, n: int = 12, seed: int = 0, ncols: int = 6,
                       suptitle: str) -> ImageFigure:
    """Up to ``n`` wrongly classified images, drawn at random, titled "true / predicted"."""
    wrong = torch.nonzero(y.cpu() != y_hat.cpu()).flatten()
    if len(wrong) == 0:  # matplotlib would fail on a grid of zero rows, less clearly
        raise ValueError("every image is classified correctly: there is no mistake to show")
    pick = wrong[torch.randperm(len(wrong), generator=torch.Generator().manual_seed(seed))[:n]]
    titles = [f"{classes[int(y[i])]}\n→ {classes[int(y_hat[i])]}" for i in pick]
    taken = [f"{classes[int(y[i])]} taken for {classes[int(y_hat[i])]}" for i in pick]
    return image_grid([X[i] for i in pick], titles, ncols=ncols, suptitle=suptitle, size=1.9,
                      alt=describe_grid(suptitle, len(pick), ncols, taken,
                                        what="misclassified images",
                                        titled="titled with its true and predicted label"))


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
    fig.alt = (f"{suptitle.rstrip('.')}: for each of {len(results)} filters ("
               f"{', '.join(results)}), its kernel with its numbers written in, above the "
               "image it produces.")
    return fig


# --- a drawn digit as MNIST's digits were made ----------------------------------------------------
#
# MNIST's digits were size-normalised to fit a 20 x 20 box, keeping their aspect ratio, with
# anti-aliasing, then placed in a 28 x 28 field so that their centre of mass sits at its centre
# (LeCun et al., 1998). The digit pad on the mnist_mynet page does the same in JS
# (_static/widgets/digit_pad.js, mnistLike), step for step, and a test compares the two.

MNIST_SIZE = 28  # the field
MNIST_BOX = 20  # the box the digit's longer side is scaled to


def _round_half_up(x: float) -> int:
    """Rounding as JS's Math.round does it (Python's round sends halves to even)."""
    return int(np.floor(x + 0.5))


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): how much of each input cell each output cell averages, when ``n_in`` cells
    are resampled to ``n_out`` cells of equal length covering the same interval (a box filter:
    each output is the mean of the input over its span, partial cells counting in part)."""
    span = n_in / n_out
    weights = np.zeros((n_out, n_in))
    for i in range(n_out):
        start, stop = i * span, (i + 1) * span
        for k in range(int(np.floor(start)), min(n_in, int(np.ceil(stop)))):
            overlap = min(stop, k + 1) - max(start, k)
            if overlap > 0:
                weights[i, k] = overlap / span
    return weights


def mnist_like(drawing) -> np.ndarray:
    """A drawing (H, W) of ink in [0, 1] as an MNIST digit (28, 28) in [0, 1]: its bounding box
    scaled to fit 20 x 20 (aspect ratio kept, area-averaged), then shifted by whole pixels so that
    its centre of mass is at the centre of the field. A blank drawing stays blank."""
    drawing = np.asarray(drawing, dtype=np.float64)
    out = np.zeros((MNIST_SIZE, MNIST_SIZE))
    rows, cols = np.nonzero(drawing > 0)
    if len(rows) == 0:
        return out
    box = drawing[rows.min():rows.max() + 1, cols.min():cols.max() + 1]  # (bh, bw)
    bh, bw = box.shape
    scale = MNIST_BOX / max(bh, bw)
    oh, ow = max(1, _round_half_up(bh * scale)), max(1, _round_half_up(bw * scale))
    small = area_weights(bh, oh) @ box @ area_weights(bw, ow).T  # (oh, ow)
    mass = small.sum()
    cy = (small.sum(axis=1) * np.arange(oh)).sum() / mass
    cx = (small.sum(axis=0) * np.arange(ow)).sum() / mass
    centre = (MNIST_SIZE - 1) / 2  # 13.5: between the two middle pixels
    top, left = _round_half_up(centre - cy), _round_half_up(centre - cx)
    # A lopsided digit may be pushed partly out of the field; what falls outside is lost.
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(MNIST_SIZE, top + oh), min(MNIST_SIZE, left + ow)
    out[r0:r1, c0:c1] = small[r0 - top:r1 - top, c0 - left:c1 - left]
    return np.clip(out, 0.0, 1.0)
