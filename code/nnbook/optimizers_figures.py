"""The figure of :mod:`nnbook.optimizers`: optimisers' paths across a valley's contour lines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnbook.optimizers import Path, Valley
from nnbook.plotting import PALETTE, style


def paths_figure(paths: Sequence[Path], bowl: Valley, *, title: str,
                 bounds: tuple[float, float, float, float] = (-2.8, 0.6, -1.2, 1.2)
                 ) -> go.Figure:
    """Each path as a line of dots (one per step) over the contour lines of ``bowl``, with the
    minimum marked."""
    x0, x1, y0, y1 = bounds
    u, v = np.linspace(x0, x1, 161), np.linspace(y0, y1, 121)
    Z = np.array([[bowl(np.array([a, b])) for a in u] for b in v])
    fig = go.Figure(go.Contour(
        x=u, y=v, z=np.log10(Z + 1e-3), showscale=False, contours_coloring="lines",
        colorscale=[[0, "#9aa5b1"], [1, "#9aa5b1"]], ncontours=14, hoverinfo="skip",
        name="contour lines of the loss"))
    for i, path in enumerate(paths):
        fig.add_trace(go.Scatter(
            x=path.points[:, 0], y=path.points[:, 1], mode="lines+markers", name=path.name,
            line=dict(color=PALETTE[i], width=1.5), marker=dict(size=4, color=PALETTE[i]),
            hovertemplate=f"{path.name}<br>step %{{pointNumber}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="the minimum",
                             marker=dict(symbol="star", size=12, color="black")))
    fig.update_xaxes(title_text="θ₁ (along the valley)", range=[x0, x1])
    fig.update_yaxes(title_text="θ₂ (across)", range=[y0, y1])
    return style(fig, title=title, height=440)
