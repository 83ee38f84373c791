"""The autoencoder chapter's sweep and figures, built on :mod:`nnbook.autoencoders`.

Kept apart from the models and their training, so that a figure can change without touching the
code that the cached runs are keyed on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from nnbook.autoencoders import (Arithmetic, ConvAutoencoder, crossfade, decode, interpolate,
                                 latent_arithmetic, pca_reconstruction_error, train_autoencoder)
from nnbook.engine.fit import TrainConfig
from nnbook.engine.runs import Run
from nnbook.engine.tensor_data import TensorData
from nnbook.images import ImageFigure, image_grid
from nnbook.plotting import PALETTE, line_figure, style

TrainFn = Callable[[int, TensorData, TrainConfig], Run]


# ---------------------------------------------------------------------------------------------
# How small can the code be?


@dataclass(frozen=True)
class CodeSizeSweep:
    """Test reconstruction errors (mean squared, per pixel) of an autoencoder and of PCA, by the
    size of the code: the autoencoder's after its training, PCA's exact."""

    code_sizes: tuple[int, ...]
    autoencoder_errors: tuple[float, ...]
    pca_errors: tuple[float, ...]
    n_train: int  # the training images both were fitted on

    def autoencoder_error(self, code_size: int) -> float:
        return self.autoencoder_errors[self.code_sizes.index(code_size)]

    def pca_error(self, code_size: int) -> float:
        return self.pca_errors[self.code_sizes.index(code_size)]

    @property
    def crossover(self) -> int | None:
        """The smallest code size at which PCA's error is below the autoencoder's; None if never."""
        return next((k for k, ae, pca in zip(self.code_sizes, self.autoencoder_errors,
                                             self.pca_errors) if pca < ae), None)


def code_size_sweep(data: TensorData, config: TrainConfig, code_sizes: Sequence[int], *,
                    train: TrainFn = train_autoencoder) -> CodeSizeSweep:
    """One autoencoder per code size, trained by ``train(code_size, data, config)`` (by default
    :func:`nnbook.autoencoders.train_autoencoder`, which loads a stored run when there is one),
    against PCA with as many components, both measured on ``data.X_test``."""
    sizes = tuple(int(k) for k in code_sizes)
    if not sizes or min(sizes) < 1:
        raise ValueError(f"need one or more positive code sizes, got {code_sizes}")
    autoencoder_errors = tuple(float(train(k, data, config).history.test_loss[-1]) for k in sizes)
    pca_errors = tuple(pca_reconstruction_error(data.X, data.X_test, k) for k in sizes)
    return CodeSizeSweep(sizes, autoencoder_errors, pca_errors, n_train=len(data.X))


def code_size_figure(sweep: CodeSizeSweep, *, title: str) -> go.Figure:
    """Both errors against the code size, on logarithmic axes."""
    fig = line_figure({"convolutional autoencoder": (sweep.code_sizes, sweep.autoencoder_errors),
                       "PCA (linear)": (sweep.code_sizes, sweep.pca_errors)},
                      title=title, x_title="code size (numbers per image)",
                      y_title="test error (mean squared, per pixel)", log_y=True)
    # Ticks at the sizes trained: plain decades would label only 10 of 2 to 64.
    return fig.update_xaxes(type="log", tickvals=list(sweep.code_sizes))


# ---------------------------------------------------------------------------------------------
# Panels of images


# ---------------------------------------------------------------------------------------------
# Where things are in the map of two-dimensional codes
#
# The box is the one code_lattice draws: from the 2% to the 98% quantile of each coordinate, z1
# left to right and z2 bottom to top. A fraction (0, 0) is its bottom left corner.

CORNERS = {"top left": (0, 1), "top right": (1, 1), "bottom left": (0, 0), "bottom right": (1, 0)}


def box_fractions(Z: torch.Tensor, points: torch.Tensor, quantile: float = 0.02) -> torch.Tensor:
    """Where ``points`` (n, 2) lie in the box of the codes ``Z`` (N, 2), as fractions of its
    width and height: (0, 0) at the bottom left, (1, 1) at the top right."""
    lo = torch.quantile(Z.float(), quantile, dim=0)
    hi = torch.quantile(Z.float(), 1 - quantile, dim=0)
    return (points.float() - lo) / (hi - lo)  # (n, 2)


def place_words(fraction: Sequence[float], margin: float = 0.15) -> str:
    """A place in the box in words, as a reader of the figure says it: "on the left",
    "at the top right", "in the middle". A side is named only ``margin`` away from the centre."""
    fx, fy = float(fraction[0]), float(fraction[1])
    horizontal = "left" if fx < 0.5 - margin else "right" if fx > 0.5 + margin else ""
    vertical = "bottom" if fy < 0.5 - margin else "top" if fy > 0.5 + margin else ""
    if horizontal and vertical:
        return f"at the {vertical} {horizontal}"
    if vertical:
        return f"at the {vertical}"
    return f"on the {horizontal}" if horizontal else "in the middle"


def group_places(Z: torch.Tensor, y: torch.Tensor, classes: Sequence[str],
                 groups: dict[str, Sequence[str]]) -> dict[str, str]:
    """For each named group of classes, where the mean code of its images lies, in words."""
    places = {}
    for name, members in groups.items():
        mask = torch.isin(y, torch.tensor([classes.index(m) for m in members]))
        places[name] = place_words(box_fractions(Z, Z[mask].mean(dim=0, keepdim=True))[0])
    return places


def corner_shares(Z: torch.Tensor, size: float = 0.25) -> dict[str, float]:
    """The share of the codes ``Z`` in each corner square of the box (``size`` of its width and
    height on each side): a corner no code reaches is one the decoder was never trained on."""
    f = box_fractions(Z, Z)
    shares = {}
    for name, (right, top) in CORNERS.items():
        in_x = f[:, 0] > 1 - size if right else f[:, 0] < size
        in_y = f[:, 1] > 1 - size if top else f[:, 1] < size
        shares[name] = float((in_x & in_y).float().mean())
    return shares


def nearest_distance(images: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """For each image (n, 1, 28, 28), the mean squared difference per pixel to the most similar
    image of ``X``: small for an image that looks like a real one, larger for a blend of two."""
    d2 = torch.cdist(images.flatten(1).float(), X.flatten(1).float()) ** 2  # (n, N)
    return d2.min(dim=1).values / images[0].numel()


def first_of_class(y: torch.Tensor, label: int) -> int:
    """The index of the first example with this label."""
    hits = (y == label).nonzero()
    if len(hits) == 0:
        raise ValueError(f"no example has the label {label}")
    return int(hits[0])


def reconstruction_figure(X: torch.Tensor, X_hat: torch.Tensor, y: torch.Tensor,
                          classes: Sequence[str], *, n: int = 10, suptitle: str) -> ImageFigure:
    """``n`` images spread evenly through ``X`` (one every ``len(X) // n``), titled with their
    class, above their reconstructions ``X_hat``."""
    if not len(X) == len(X_hat) == len(y):
        raise ValueError(f"need one reconstruction and one label per image: {len(X)} images, "
                         f"{len(X_hat)} reconstructions, {len(y)} labels")
    if not 1 <= n <= len(X):
        raise ValueError(f"cannot show {n} of {len(X)} images")
    idx = torch.arange(n) * (len(X) // n)  # (n,)
    images = torch.cat([X[idx], X_hat[idx]])
    titles = [classes[int(y[i])] for i in idx] + ["reconstructed"] * n
    return image_grid(list(images), titles, ncols=n, size=1.3, value_range=(0, 1),
                      suptitle=suptitle)


def interpolation_figure(model: ConvAutoencoder, pairs: Sequence[tuple[torch.Tensor, torch.Tensor]],
                         *, steps: int = 8, suptitle: str) -> ImageFigure:
    """For each pair of images (each (1, 28, 28)), a row walking through the code from one to the
    other (:func:`nnbook.autoencoders.interpolate`), then the same walk in pixels (a cross-fade)."""
    rows, titles = [], []
    for x_a, x_b in pairs:
        rows += [interpolate(model, x_a, x_b, steps), crossfade(x_a, x_b, steps)]
        titles += ["latent"] + [""] * (steps - 1) + ["pixels"] + [""] * (steps - 1)
    return image_grid(list(torch.cat(rows)), titles, ncols=steps, size=1.2, value_range=(0, 1),
                      suptitle=suptitle)


def class_analogies(model: ConvAutoencoder, means: torch.Tensor, classes: Sequence[str],
                    questions: Sequence[tuple[str, str, str]]) -> list[Arithmetic]:
    """Latent arithmetic on class means, asked by class name: each question ``(start, plus,
    minus)`` decodes mean(start) + (mean(plus) - mean(minus))."""
    index = {name: i for i, name in enumerate(classes)}
    return [latent_arithmetic(model, means[index[s]], means[index[p]], means[index[m]], means,
                              f"{s} + ({p} - {m})") for s, p, m in questions]


def arithmetic_figure(model: ConvAutoencoder, means: torch.Tensor, classes: Sequence[str],
                      questions: Sequence[tuple[str, str, str]], *, suptitle: str,
                      ) -> ImageFigure:
    """One row per question: the three decoded class means, then the decoded result, titled
    with the class the autoencoder files it under."""
    index = {name: i for i, name in enumerate(classes)}
    panels, titles = [], []
    for (s, p, m), result in zip(questions, class_analogies(model, means, classes, questions)):
        panels += [decode(model, means[[index[s], index[p], index[m]]]), result.image.unsqueeze(0)]
        titles += [f"mean {s}", f"+ mean {p}", f"- mean {m}", f"= {classes[result.landed_in]}?"]
    return image_grid(list(torch.cat(panels)), titles, ncols=4, size=1.6, value_range=(0, 1),
                      suptitle=suptitle)


def latent_scatter(Z: torch.Tensor, y: torch.Tensor, classes: tuple[str, ...], *,
                   title: str) -> go.Figure:
    """Every image as a point at its two-dimensional code, one colour (and legend entry) per class."""
    Z, y = np.asarray(Z, dtype=np.float64), np.asarray(y)
    if Z.ndim != 2 or Z.shape[1] != 2:
        raise ValueError(f"latent_scatter draws two-dimensional codes, got shape {Z.shape}")
    fig = go.Figure()
    for label, name in enumerate(classes):
        mask = y == label
        fig.add_trace(go.Scatter(
            x=Z[mask, 0].round(3), y=Z[mask, 1].round(3), mode="markers", name=name,
            marker=dict(size=4, color=PALETTE[label % len(PALETTE)], opacity=0.6),
            hovertemplate="z1=%{x:.2f}<br>z2=%{y:.2f}<extra>" + name + "</extra>",
        ))
    fig.update_xaxes(title_text="z1")
    fig.update_yaxes(title_text="z2")
    fig.update_layout(legend=dict(itemsizing="constant"))
    return style(fig, title=title, height=560)
