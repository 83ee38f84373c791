"""Figures for the backpropagation chapter, apart from :mod:`nnbook.backprop`, which trains."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch

from nnbook.plotting import PALETTE, style


def hex_to_rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def cosine_figure(cosines: dict[str, dict[int, torch.Tensor]], *, title: str | None = None,
                  height: int = 400) -> go.Figure:
    """The cosine between minibatch gradients and the full gradient against the batch size:
    per named state of the network, the median over the draws as a line and the middle 80% of
    the draws (10th to 90th percentile) as a band around it."""
    fig = go.Figure()
    for i, (name, by_size) in enumerate(cosines.items()):
        sizes = np.array(sorted(by_size))
        values = [by_size[m].double().cpu().numpy() for m in sizes]
        low, median, high = (np.array([np.percentile(v, q) for v in values])
                             for q in (10, 50, 90))
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=np.concatenate([sizes, sizes[::-1]]),
                                 y=np.concatenate([high, low[::-1]]), fill="toself", mode="lines",
                                 fillcolor=hex_to_rgba(colour, 0.18), line=dict(width=0),
                                 hoverinfo="skip", showlegend=False, legendgroup=name))
        fig.add_trace(go.Scatter(x=sizes, y=median, mode="lines+markers", name=name,
                                 legendgroup=name, line=dict(color=colour, width=2),
                                 hovertemplate="m = %{x}<br>median cosine %{y:.2f}"
                                 "<extra></extra>"))
    # A tick at each batch size drawn (1, 2, 5, 10, ...), not plotly's labels inside decades.
    fig.update_xaxes(title_text="minibatch size m", type="log", tickmode="array",
                     tickvals=[int(m) for m in sizes], ticktext=[str(int(m)) for m in sizes])
    fig.update_yaxes(title_text="cosine with the full gradient", range=[-1.05, 1.05])
    return style(fig, title=title, height=height)
