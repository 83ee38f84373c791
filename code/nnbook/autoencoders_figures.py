"""The autoencoder chapter's sweep and figures, built on :mod:`nnbook.autoencoders`.

Kept apart from the models and their training, so that a figure can change without touching the
code that the cached runs are keyed on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
import torch

from nnbook.autoencoders import (Arithmetic, ConvAutoencoder, crossfade, decode, interpolate,
                                 latent_arithmetic, pca_reconstruction_error, train_autoencoder)
from nnbook.engine.fit import TensorData, TrainConfig
from nnbook.engine.runs import Run
from nnbook.images import ImageFigure, image_grid
from nnbook.plotting import line_figure

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
    return fig.update_xaxes(type="log")


# ---------------------------------------------------------------------------------------------
# Panels of images


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
