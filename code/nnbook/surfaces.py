"""Decision surfaces: a model's P(y = 1 | x) over a grid of the plane, drawn under the data.

The plotly counterpart of scikit-learn's ``DecisionBoundaryDisplay``: any chapter passes any
prediction function and gets the same figure.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.grids import PredictFn, surface_values
from nnbook.plotting import class_scatter, style, surface_colours


def decision_surface(predict_fn: PredictFn, X: np.ndarray | None = None, y: np.ndarray | None = None,
                     *, bounds: tuple[float, float] = (-10.0, 10.0), resolution: int = 100,
                     title: str | None = None, colorbar_title: str = "P(y = 1)",
                     names: tuple[str, str] = ("y = 0", "y = 1"), show_scale: bool = True,
                     ) -> go.Figure:
    """A filled contour of ``predict_fn`` over the square ``bounds``, with the data on top."""
    u, Z = surface_values(predict_fn, bounds, resolution)
    contour = go.Contour(
        x=u, y=u, z=Z, zmin=0.0, zmax=1.0, **surface_colours(colorbar_title),
        contours=dict(start=0.0, end=1.0, size=0.1), showscale=show_scale, name="model",
        hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>p=%{z:.3f}<extra></extra>",
    )
    traces = [contour]
    if X is not None:
        if y is None:
            raise ValueError("pass the labels y together with the points X")
        traces += class_scatter(X, y, names)
    fig = go.Figure(traces)
    # constrain="domain": to stay square the plot narrows; the axes keep to ``bounds``, which
    # the contour fills, instead of widening past it and leaving bands without colour.
    fig.update_xaxes(title_text="x1", range=list(bounds), constrain="domain")
    fig.update_yaxes(title_text="x2", range=list(bounds), constrain="domain")
    return style(fig, title=title, square=True, height=460)


def surface_panels(predict_fns: dict[str, PredictFn], X: np.ndarray, y: np.ndarray, *,
                   title: str, cols: int = 2, colorbar_title: str = "P(y = 1)",
                   bounds: tuple[float, float] = (-10.0, 10.0), resolution: int = 60,
                   ) -> go.Figure:
    """Surfaces of :func:`decision_surface` side by side, one per named function, data on each.

    The panels share one colour scale (0 to 1) and show it once; the legend sits below them.
    """
    names = list(predict_fns)
    if not names:
        raise ValueError("pass at least one prediction function")
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.08,
                        vertical_spacing=0.12)
    for i, name in enumerate(names):
        panel = decision_surface(predict_fns[name], bounds=bounds, resolution=resolution,
                                 show_scale=i == 0, colorbar_title=colorbar_title)
        row, col = divmod(i, cols)
        for trace in panel.data:
            fig.add_trace(trace, row=row + 1, col=col + 1)
        for trace in class_scatter(X, y):
            trace.showlegend = i == 0
            trace.marker.size = 5
            fig.add_trace(trace, row=row + 1, col=col + 1)
    fig.update_xaxes(range=list(bounds), title_text="x1")
    fig.update_yaxes(range=list(bounds))
    fig.update_yaxes(title_text="x2", col=1)  # once per row: between panels it meets the plots
    return style(fig, title=title, height=360 * rows + 40)

