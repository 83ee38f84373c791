"""The activation functions' figure, built on :mod:`nnbook.neurons`.

Kept apart from the neuron models (:class:`nnbook.neurons.Step`), as every figure of the book is.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.neurons import activations
from nnbook.plotting import PALETTE, style


def activation_figure(title: str, z_range: tuple[float, float] = (-6.0, 6.0)) -> go.Figure:
    """Each activation (left) and its derivative (right); buttons show one family at a time."""
    z = np.linspace(*z_range, 601)
    acts = activations()
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("activation sigma(z)", "derivative sigma'(z)"))
    for i, act in enumerate(acts):
        colour = PALETTE[i % len(PALETTE)]
        for col, values in ((1, act.fn(z)), (2, act.derivative(z))):
            fig.add_trace(go.Scatter(x=z, y=values, mode="lines", name=act.name,
                                     legendgroup=act.name, showlegend=col == 1,
                                     line=dict(color=colour, width=2.5)),
                          row=1, col=col)
    families = {"all": None, "step": "step", "sigmoid": "sigmoid", "tanh": "tanh", "ReLU": "ReLU"}
    buttons = []
    for label, prefix in families.items():
        visible = [prefix is None or act.name.startswith(prefix) for act in acts for _ in (1, 2)]
        buttons.append(dict(label=label, method="update", args=[{"visible": visible}]))
    fig.update_layout(updatemenus=[dict(type="buttons", direction="right", x=0.5, xanchor="center",
                                        y=-0.22, yanchor="top", buttons=buttons, showactive=True)])
    fig.update_xaxes(title_text="z", range=list(z_range))
    fig.update_yaxes(range=[-1.2, 2.2], row=1, col=1)
    fig.update_yaxes(range=[-0.1, 1.1], row=1, col=2)
    return style(fig, title=title, height=460)
