"""The figures of :mod:`nnbook.evaluation`: the confusion matrix, accuracy per class and the
training curves, styled with :func:`nnbook.plotting.style`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from nnbook.engine.fit import History
from nnbook.plotting import PALETTE, log_axis, style


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
