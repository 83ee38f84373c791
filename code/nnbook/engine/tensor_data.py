"""What a run trains on, and the digests of content that key the run store.

:class:`TensorData` holds a run's training (and test) tensors with a checksum of their bytes;
:func:`tensor_digest` and :func:`dataset_digest` are how the store (:mod:`nnbook.engine.runs`)
turns tensors and data sets into the data half of a key: their content, never a label.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch.utils.data import Dataset, TensorDataset

if TYPE_CHECKING:
    from nnbook.engine.data import ImageData


def tensor_digest(*tensors: torch.Tensor | None) -> str:
    """A digest of the shapes, dtypes and bytes of ``tensors`` (None counts as a value)."""
    digest = hashlib.sha256()
    for t in tensors:
        if t is None:
            digest.update(b"none;")
            continue
        t = t.detach().cpu().contiguous()
        digest.update(f"{tuple(t.shape)}{t.dtype};".encode())
        digest.update(t.view(-1).view(torch.uint8).numpy().data)
    return digest.hexdigest()


def dataset_digest(dataset: Dataset) -> str:
    """A digest of what a map-style data set yields: its tensors, and for a torchvision data
    set its class, version and transforms (a PIL image becomes a tensor through them)."""
    if isinstance(dataset, TensorDataset):
        return tensor_digest(*dataset.tensors)
    data, targets = getattr(dataset, "data", None), getattr(dataset, "targets", None)
    if not (isinstance(data, torch.Tensor) and isinstance(targets, torch.Tensor)):
        raise TypeError(f"cannot digest a {type(dataset).__name__}: it is not a TensorDataset "
                        "and has no data and targets tensors")
    cls = type(dataset)
    package = sys.modules.get(cls.__module__.split(".")[0])
    parts = [tensor_digest(data, targets), f"{cls.__module__}.{cls.__qualname__}",
             str(getattr(package, "__version__", "")), repr(getattr(dataset, "transform", None)),
             repr(getattr(dataset, "target_transform", None))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class TensorData:
    """Training (and optionally test) tensors, with a checksum of their content."""

    X: torch.Tensor
    y: torch.Tensor
    X_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None

    @functools.cached_property
    def checksum(self) -> str:
        """A digest of the four tensors' content: what a run trains and is tested on."""
        return tensor_digest(self.X, self.y, self.X_test, self.y_test)

    @classmethod
    def from_images(cls, data: ImageData, *, n_train: int | None = None,
                    n_test: int | None = None) -> TensorData:
        """Float images in [0, 1] of shape ``(N, 1, 28, 28)`` and integer labels, optionally only
        the first ``n_train`` / ``n_test`` of each split."""
        def images(X):  # (N, 28, 28) uint8 -> (N, 1, 28, 28) float32 in [0, 1]
            return X.unsqueeze(1).float().div_(255)

        return cls(images(data.X_train[:n_train]), data.y_train[:n_train],
                   images(data.X_test[:n_test]), data.y_test[:n_test])
