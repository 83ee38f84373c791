"""The figures of :mod:`nnbook.autodiff`: the autograd graph as torchviz draws it, z and its
derivative, the error of finite differences against the step, and gradient descent's path."""

from __future__ import annotations

import warnings

import graphviz
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torchviz import make_dot

from nnbook.autodiff import compare_derivatives, z, z_derivative, z_minimiser
from nnbook.plotting import PALETTE, line_figure, style


def autograd_graph(output: torch.Tensor, params: dict[str, torch.Tensor], *,
                   title: str, show_saved: bool = False) -> graphviz.Digraph:
    """The autograd graph of ``output`` drawn by torchviz, with named tensors and a title.

    ``params`` names tensors for the drawing: leaves (blue boxes) and the output itself (green).
    The title becomes the graph's caption and its SVG ``<title>``, the accessible name on the site.
    """
    with warnings.catch_warnings():  # torchviz 0.0.3 compares versions with deprecated distutils
        warnings.simplefilter("ignore", DeprecationWarning)
        dot = make_dot(output, params=params, show_saved=show_saved)
    dot.name = title  # the <title> of the SVG's root group
    dot.attr(label=title, labelloc="t", fontsize="12", fontname="sans-serif")
    dot.attr(bgcolor="white")  # black edges stay visible in dark mode
    return dot


def derivative_figure(theta: torch.Tensor, *, title: str) -> go.Figure:
    """z over ``theta`` (top) and dz/dtheta below: the hand formula as a line, autograd as markers."""
    values = compare_derivatives(z, z_derivative, theta)
    with torch.no_grad():
        z_values = z(torch.as_tensor(theta, dtype=torch.float64)).numpy()
    t = values["theta"]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("z(θ)", "dz/dθ"))
    fig.add_trace(go.Scatter(x=t, y=z_values, mode="lines", name="z(θ)",
                             line=dict(color=PALETTE[0], width=3)), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=values["hand"], mode="lines", name="dz/dθ, hand formula",
                             line=dict(color=PALETTE[1], width=6)), row=2, col=1)
    stride = max(1, len(t) // 40)  # markers sparse enough to see the line under them
    fig.add_trace(go.Scatter(x=t[::stride], y=values["autograd"][::stride], mode="markers",
                             name="dz/dθ, autograd", marker=dict(color=PALETTE[2], size=7, symbol="x")),
                  row=2, col=1)
    t_min = z_minimiser()
    for row in (1, 2):
        fig.add_vline(x=t_min, line=dict(dash="dot", color="#7f7f7f"), row=row, col=1)
    fig.add_hline(y=0, line=dict(color="#7f7f7f", width=1), row=2, col=1)
    fig.update_xaxes(title_text="θ", row=2, col=1)
    fig.update_yaxes(title_text="z", row=1, col=1)
    fig.update_yaxes(title_text="dz/dθ", row=2, col=1)
    return style(fig, title=title, height=560)


def difference_error_figure(errors: dict[str, np.ndarray], *, title: str) -> go.Figure:
    """Error of forward and central differences against the step h, on log-log axes."""
    fig = go.Figure()
    for i, name in enumerate(("forward", "central")):
        fig.add_trace(go.Scatter(x=errors["h"], y=np.maximum(errors[name], 1e-18), mode="lines+markers",
                                 name=f"{name} difference", line=dict(color=PALETTE[i], width=2)))
    fig.update_xaxes(type="log", title_text="step h", exponentformat="power")
    fig.update_yaxes(type="log", title_text="absolute error", exponentformat="power")
    return style(fig, title=title, height=400)


def descent_figure(trajectories: dict[str, np.ndarray], *, title: str) -> go.Figure:
    """theta after every step of each named run of :func:`gradient_descent`, and the minimiser."""
    lengths = {len(t) for t in trajectories.values()}
    if len(lengths) != 1:
        raise ValueError(f"the runs must have the same number of steps, got lengths {lengths}")
    steps = np.arange(lengths.pop())
    curves = {name: (steps, np.asarray(t)) for name, t in trajectories.items()}
    curves["minimiser θ*"] = (steps, np.full(len(steps), z_minimiser()))
    return line_figure(curves, title=title, x_title="step", y_title="θ")
