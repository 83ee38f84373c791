"""The universal-approximation figures, built on :mod:`nnbook.approximation`.

Kept apart from the networks and their training, as every figure of the book is: a module that
builds or trains a model imports no figure module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch

from nnbook.approximation import (INTERVAL, ApproxResult, deep_sawtooth_network,
                                  model_function, target)
from nnbook.plotting import PALETTE, line_figure, style


def fits_figure(results: Sequence[ApproxResult], title: str) -> go.Figure:
    """The target and each network's approximation on the interval."""
    x = np.linspace(*INTERVAL, 400)
    curves = {"target": (x, target(x))}
    curves |= {f"{r.width} hidden units": (x, model_function(r.model)(x)) for r in results}
    fig = line_figure(curves, title=title, x_title="x", y_title="f(x)", height=420)
    fig.data[0].line.update(color="black", width=4, dash="dot")
    return fig


def error_figure(results: Sequence[ApproxResult], title: str) -> go.Figure:
    """Worst-case and RMS error against the width, on log-log axes."""
    widths = [r.width for r in results]
    fig = line_figure({"worst-case error": (widths, [r.max_error for r in results]),
                       "RMS error": (widths, [r.rms_error for r in results])},
                      title=title, x_title="hidden units", y_title="error", log_y=True)
    fig.update_traces(mode="lines+markers")
    fig.update_xaxes(type="log", tickvals=widths)
    return fig


def sawtooth_figure(depth: int, shallow: torch.nn.Module, title: str) -> go.Figure:
    """The deep net's exact sawtooth next to a trained shallow net (from :func:`budget_fit`)."""
    x = np.linspace(0.0, 1.0, 1025)
    deep = model_function(deep_sawtooth_network(depth))(x)
    units = shallow[0].out_features
    fig = go.Figure([
        go.Scatter(x=x, y=deep, mode="lines", name=f"deep: {depth} layers of 2 ReLUs",
                   line=dict(color=PALETTE[0], width=3)),
        go.Scatter(x=x, y=model_function(shallow)(x), mode="lines",
                   name=f"shallow: 1 layer of {units} ReLUs, trained",
                   line=dict(color=PALETTE[1], width=2)),
    ])
    fig.update_xaxes(title_text="x")
    fig.update_yaxes(title_text="output")
    return style(fig, title=title, height=400)
