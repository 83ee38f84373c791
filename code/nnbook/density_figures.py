"""The figures of :mod:`nnbook.density`: the class densities as contours, and the generative
model's samples beside the discriminative model's probabilities."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.density import ClassConditionalDensity
from nnbook.grids import surface_grid
from nnbook.plotting import class_scatter, style
from nnbook.surfaces import decision_surface


def density_contours(model: ClassConditionalDensity, bounds: tuple[float, float] = (-10.0, 10.0),
                     resolution: int = 120, names: tuple[str, str] = ("y = 0", "y = 1"),
                     ) -> list[go.Contour]:
    """Line contours of P(x | y) for each class, in the class's colour."""
    from nnbook.plotting import CLASS_COLOURS

    u, XX = surface_grid(bounds, resolution)
    traces = []
    for label, dens in enumerate(model.densities):
        Z = np.exp(dens.log_density(XX)).reshape(resolution, resolution)
        top = float(Z.max())
        traces.append(go.Contour(
            x=u, y=u, z=Z, showscale=False, name=f"p(x | {names[label]})",
            contours=dict(coloring="lines", start=top * 0.05, end=top * 0.95, size=top * 0.15),
            colorscale=[[0, CLASS_COLOURS[label]], [1, CLASS_COLOURS[label]]], line=dict(width=1.5),
            hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>density=%{z:.4f}<extra>"
                          + names[label] + "</extra>",
        ))
    return traces


def generative_vs_discriminative_figure(model: ClassConditionalDensity, predict_proba,
                                        X: np.ndarray, y: np.ndarray, *, n_samples: int = 200,
                                        seed: int = 0, title: str,
                                        bounds: tuple[float, float] = (-10.0, 10.0)) -> go.Figure:
    """Left: the class densities and points *drawn from them*. Right: the discriminative model's
    P(y = 1 | x) over the real data. The same plane, two different questions."""
    X_new, y_new = model.sample(n_samples, seed=seed)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("generative: p(x | y),<br>new points",
                                        "discriminative:<br>P(y = 1 | x), data"))
    fig.update_annotations(font_size=13)
    for trace in density_contours(model, bounds):
        fig.add_trace(trace, row=1, col=1)
    for trace in class_scatter(X_new, y_new, names=("sampled y = 0", "sampled y = 1")):
        trace.marker.size = 6
        fig.add_trace(trace, row=1, col=1)
    for trace in decision_surface(predict_proba, X, y, bounds=bounds).data:
        if trace.type == "contour":
            trace.colorbar = dict(title=dict(text="P(y = 1)"), len=0.8)
        fig.add_trace(trace, row=1, col=2)
    fig.update_xaxes(range=list(bounds), title_text="x1")
    fig.update_yaxes(range=list(bounds))
    fig.update_yaxes(title_text="x2", col=1)  # between the panels it would meet the plots
    return style(fig, title=title, height=520)
