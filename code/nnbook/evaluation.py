"""How a trained classifier did: confusion matrix, per-class accuracy, and training curves.

The counting is plain torch (tested against scikit-learn); the figures are plotly, styled with
:func:`nnbook.plotting.style`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from nnbook.plotting import PALETTE, log_axis, style
from nnbook.engine.fit import History


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


def confusion_figure(cm: torch.Tensor, classes: Sequence[str], *, title: str) -> go.Figure:
    """The confusion matrix as a heatmap, counts written in, on a log-like colour scale so that the
    few mistakes are visible beside the many correct answers."""
    counts = cm.cpu().numpy()
    fig = go.Figure(go.Heatmap(
        z=np.log10(counts + 1), x=list(classes), y=list(classes), text=counts, texttemplate="%{text}",
        colorscale="Blues", showscale=False,
        hovertemplate="true %{y}<br>predicted %{x}<br>%{text} images<extra></extra>"))
    fig.update_xaxes(title_text="predicted class", tickangle=-40)
    fig.update_yaxes(title_text="true class", autorange="reversed")
    return style(fig, title=title, height=560)


def per_class_figure(acc: torch.Tensor, classes: Sequence[str], *, title: str) -> go.Figure:
    """Per-class accuracy as horizontal bars, worst class at the top."""
    order = torch.argsort(acc.cpu(), descending=True)
    fig = go.Figure(go.Bar(x=acc.cpu()[order].numpy(), y=[classes[int(i)] for i in order],
                           orientation="h", marker_color=PALETTE[0],
                           hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_xaxes(title_text="test accuracy", tickformat=".0%", range=[0, 1])
    return style(fig, title=title, height=400)


def history_figure(history: History, *, title: str) -> go.Figure:
    """Mean training loss (left axis) and test accuracy (right axis) after each epoch."""
    epochs = np.arange(1, len(history.epoch_losses) + 1)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=epochs, y=history.epoch_losses, name="training loss",
                             mode="lines+markers", line=dict(color=PALETTE[0], width=2)),
                  secondary_y=False)
    if history.test_accuracies:
        fig.add_trace(go.Scatter(x=epochs, y=history.test_accuracies, name="test accuracy",
                                 mode="lines+markers", line=dict(color=PALETTE[1], width=2)),
                      secondary_y=True)
    fig.update_xaxes(title_text="epoch", dtick=1)
    fig.update_yaxes(title_text="mean training loss", secondary_y=False)
    fig.update_yaxes(title_text="test accuracy", tickformat=".1%", secondary_y=True)
    return style(fig, title=title)


def batch_loss_figure(history: History, *, title: str, smooth: int = 50) -> go.Figure:
    """The loss of every minibatch (faint) and its running mean over ``smooth`` batches."""
    losses = np.asarray(history.batch_losses)
    steps = np.arange(1, len(losses) + 1)
    window = max(1, min(smooth, len(losses)))
    mean = np.convolve(losses, np.ones(window) / window, mode="valid")
    fig = go.Figure([
        go.Scatter(x=steps, y=losses, mode="lines", name="batch loss",
                   line=dict(color=PALETTE[0], width=1), opacity=0.35),
        go.Scatter(x=steps[window - 1:], y=mean, mode="lines", name=f"mean of {window} batches",
                   line=dict(color=PALETTE[1], width=2)),
    ])
    fig.update_xaxes(title_text="training step (one minibatch)")
    fig.update_yaxes(title_text="cross-entropy loss", **log_axis(losses))
    return style(fig, title=title)


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
