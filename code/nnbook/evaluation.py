"""How a trained classifier did: its confusion matrix, per-class accuracy and class
probabilities, counted in plain torch (tested against scikit-learn). The figures are in
:mod:`nnbook.evaluation_figures`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def confusion_matrix(y: torch.Tensor, y_hat: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts ``C[i, j]``: examples of true class ``i`` predicted as class ``j``."""
    y, y_hat = y.cpu().long(), y_hat.cpu().long()
    return torch.bincount(y * num_classes + y_hat, minlength=num_classes ** 2).reshape(
        num_classes, num_classes)


def class_probabilities(model: torch.nn.Module, X: torch.Tensor) -> torch.Tensor:
    """The softmax of a classifier's scores for a batch ``X`` (B, ...), in evaluation mode and
    without a graph, on the model's device and dtype: (B, classes) on the CPU."""
    parameter = next(model.parameters())
    model.eval()
    with torch.no_grad():
        scores = model(X.to(parameter.device, parameter.dtype))  # (B, classes)
    return torch.softmax(scores.float(), dim=1).cpu()


def per_class_accuracy(cm: torch.Tensor) -> torch.Tensor:
    """The share of each true class that was predicted correctly (the diagonal over row sums)."""
    return cm.diagonal().double() / cm.sum(dim=1).clamp(min=1).double()


def top_confusions(cm: torch.Tensor, classes: Sequence[str], k: int = 3) -> list[tuple[str, str, int]]:
    """The ``k`` most frequent mistakes as ``(true class, predicted class, count)``."""
    off = cm.clone()
    off.fill_diagonal_(0)
    values, flat = off.flatten().topk(k)
    n = cm.shape[0]
    return [(classes[int(i) // n], classes[int(i) % n], int(v)) for v, i in zip(values, flat)]


def smoothed_loss_floor(smoothing: float, num_classes: int) -> float:
    """The least cross-entropy any classifier can reach against label-smoothed targets: their
    entropy, reached by predicting exactly the smoothed distribution (0 without smoothing)."""
    if not 0.0 <= smoothing < 1.0 or num_classes < 2:
        raise ValueError(f"need 0 <= smoothing < 1 and 2 or more classes, not {smoothing}, "
                         f"{num_classes}")
    if smoothing == 0.0:
        return 0.0
    right, other = 1 - smoothing + smoothing / num_classes, smoothing / num_classes
    return float(-(right * np.log(right) + (num_classes - 1) * other * np.log(other)))
