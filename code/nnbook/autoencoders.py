"""Autoencoders: a convolutional network trained to reproduce its input through a narrow code.

The encoder squeezes a 28x28 image into ``code_size`` numbers; the decoder rebuilds the image from
them. Nothing else tells the network what to keep, so the code ends up holding whatever helps to
redraw the image: shape, thickness, brightness. Everything here works on float images of shape
(N, 1, 28, 28) in [0, 1], as
:meth:`nnbook.engine.tensor_data.TensorData.from_images` makes them (see :func:`autoencoder_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nnbook.engine.data import ImageData
from nnbook.engine.fit import TrainConfig, predict
from nnbook.engine.runs import Run, RunStore, train_cached
from nnbook.engine.tensor_data import TensorData


class ConvAutoencoder(nn.Module):
    """Two stride-2 convolutions down to a ``code_size`` vector, and their
    mirror image back up."""

    def __init__(
        self, code_size: int = 32, channels: tuple[int, int] = (16, 32)
    ):
        super().__init__()
        if code_size < 1:
            raise ValueError(f"code_size must be at least 1, not {code_size}")
        c1, c2 = channels
        self.code_size = code_size
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1),  # (B, c1, 14, 14)
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),  # (B, c2, 7, 7)
            nn.ReLU(),
            nn.Flatten(),  # (B, c2*7*7)
            nn.Linear(c2 * 7 * 7, code_size),  # (B, code_size): no activation
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, c2 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (c2, 7, 7)),  # (B, c2, 7, 7)
            nn.ConvTranspose2d(
                c2, c1, 3, stride=2, padding=1, output_padding=1
            ),  # (B, c1, 14, 14)
            nn.ReLU(),
            nn.ConvTranspose2d(
                c1, 1, 3, stride=2, padding=1, output_padding=1
            ),  # (B, 1, 28, 28)
            nn.Sigmoid(),  # pixel intensities in [0, 1]
        )

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        return self.encoder(X)

    def decode(self, Z: torch.Tensor) -> torch.Tensor:
        return self.decoder(Z)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(X))


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def _batched(fn, X: torch.Tensor, device: torch.device, batch_size: int = 1024) -> torch.Tensor:
    """``fn`` over ``X`` in batches on ``device``; the result comes back on the CPU."""
    return torch.cat([fn(X[i:i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)])


def encode(model: ConvAutoencoder, X: torch.Tensor) -> torch.Tensor:
    """The codes (N, code_size) of images (N, 1, 28, 28), on the CPU."""
    model.eval()
    return _batched(model.encode, X, _device_of(model))


def decode(model: ConvAutoencoder, Z: torch.Tensor) -> torch.Tensor:
    """The images (N, 1, 28, 28) decoded from codes (N, code_size), on the CPU."""
    model.eval()
    return _batched(model.decode, Z.float(), _device_of(model))


def reconstruct(model: ConvAutoencoder, X: torch.Tensor) -> torch.Tensor:
    """Each image passed through the code and back, on the CPU."""
    return predict(model, X).cpu()


def reconstruction_error(model: ConvAutoencoder, X: torch.Tensor) -> float:
    """Mean squared error per pixel between images and their reconstructions (pixels in [0, 1])."""
    return float(F.mse_loss(reconstruct(model, X), X.cpu()))


# ---------------------------------------------------------------------------------------------
# Training (cached by the book's engine)


def autoencoder_data(images: ImageData, *, n_train: int | None = None,
                     n_test: int | None = None) -> TensorData:
    """An image data set as an autoencoder sees it: float images whose targets are themselves.
    Only the first ``n_train`` / ``n_test`` images of each split when given."""
    d = TensorData.from_images(images, n_train=n_train, n_test=n_test)
    return TensorData(d.X, d.X, d.X_test, d.X_test)


def train_autoencoder(code_size: int, data: TensorData, config: TrainConfig, *,
                      store: RunStore | None = None, device: torch.device | None = None) -> Run:
    """A :class:`ConvAutoencoder` with a ``code_size`` code, trained by the book's engine with the
    mean squared error between input and output, or loaded from the run store.

    The run's ``history.test_loss`` is the reconstruction error on ``data.X_test`` after each
    epoch, and ``test_outputs`` holds the test images' reconstructions.
    """
    return train_cached(partial(ConvAutoencoder, code_size), data, config, loss_fn=F.mse_loss,
                        name=f"autoencoder-{code_size}", store=store, device=device)


def pca_reconstruction_error(X_train: torch.Tensor, X_test: torch.Tensor, k: int) -> float:
    """Per-pixel squared error of the best *linear* code of size ``k``: principal components of
    the training images, fitted exactly by an SVD, applied to the test images."""
    A = X_train.flatten(1).double()  # (N, 784)
    mean = A.mean(dim=0)
    _, _, Vh = torch.linalg.svd(A - mean, full_matrices=False)  # rows of Vh: principal directions
    V = Vh[:k].T  # (784, k)
    B = X_test.flatten(1).double() - mean
    return float(((B @ V @ V.T - B) ** 2).mean())


# ---------------------------------------------------------------------------------------------
# The latent space


def code_lattice(Z: torch.Tensor, n: int = 12, quantile: float = 0.02) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """A regular ``n`` by ``n`` lattice over the bulk of two-dimensional codes ``Z`` (from the
    ``quantile`` to the ``1 - quantile`` of each coordinate). Returns the axes ``u1``, ``u2`` and
    the lattice's codes (n*n, 2), row by row from the top (largest z2) down."""
    if Z.ndim != 2 or Z.shape[1] != 2:
        raise ValueError(f"code_lattice needs two-dimensional codes, got shape {tuple(Z.shape)}")
    lo = torch.quantile(Z.float(), quantile, dim=0)
    hi = torch.quantile(Z.float(), 1 - quantile, dim=0)
    u1 = torch.linspace(float(lo[0]), float(hi[0]), n)
    u2 = torch.linspace(float(hi[1]), float(lo[1]), n)  # top row first, as in a picture
    z2, z1 = torch.meshgrid(u2, u1, indexing="ij")  # each (n, n)
    codes = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)  # (n*n, 2)
    return u1.numpy(), u2.numpy(), codes


def interpolate(
    model: ConvAutoencoder, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 9
) -> torch.Tensor:
    """Decode ``steps`` evenly spaced points on the straight line between the
    codes of two images (each (1, 28, 28)). The first and last images are the
    decodings of ``x_a`` and ``x_b``."""
    if steps < 2:
        raise ValueError(f"steps must be at least 2, not {steps}")
    Z = encode(model, torch.stack([x_a, x_b]))  # (2, code_size)
    t = torch.linspace(0.0, 1.0, steps).unsqueeze(1)  # (steps, 1)
    # (1 - t) z_a + t z_b is exactly z_a at t = 0 and exactly z_b at t = 1.
    return decode(model, (1 - t) * Z[0] + t * Z[1])  # (steps, 1, 28, 28)


def crossfade(x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 9) -> torch.Tensor:
    """The same straight line taken in pixel space: a blend of the two images."""
    t = torch.linspace(0.0, 1.0, steps).reshape(-1, 1, 1, 1)
    return (1 - t) * x_a + t * x_b  # (steps, 1, 28, 28)


def class_means(Z: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The mean code of each class, (num_classes, code_size)."""
    counts = torch.bincount(y, minlength=num_classes)
    if (counts == 0).any():
        raise ValueError(f"every class needs at least one code; counts are {counts.tolist()}")
    sums = torch.zeros(num_classes, Z.shape[1], dtype=Z.dtype).index_add_(0, y, Z)
    return sums / counts.unsqueeze(1).to(Z.dtype)


def nearest_class(Z: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """For each code, the class whose mean code is closest (Euclidean)."""
    return torch.cdist(Z.float(), means.float()).argmin(dim=1)


@dataclass(frozen=True)
class Arithmetic:
    """One piece of latent arithmetic: ``code = start + (plus - minus)``, decoded."""

    description: str
    code: torch.Tensor  # (code_size,)
    image: torch.Tensor  # (1, 28, 28)
    landed_in: int  # the class whose mean is nearest to the decoded image's own code


def latent_arithmetic(model: ConvAutoencoder, start: torch.Tensor, plus: torch.Tensor,
                      minus: torch.Tensor, means: torch.Tensor, description: str = "") -> Arithmetic:
    """Decode ``start + plus - minus`` (three codes), then encode the result again and report
    which class mean it lies nearest: a check of what the arithmetic produced, made by the
    autoencoder itself."""
    code = start + (plus - minus)
    image = decode(model, code.unsqueeze(0))  # (1, 1, 28, 28)
    landed = int(nearest_class(encode(model, image), means)[0])
    return Arithmetic(description, code, image[0], landed)
