"""Shared figure styling, so every chapter's plots look alike and follow the site's theme.

Figures are plain plotly ``go.Figure`` objects. In the book build the kernel uses plotly's
``plotly_mimetype`` renderer, and :mod:`nnbook.book.sphinxext.plotly_render` turns that JSON into a
``<div>`` drawn by the site's local copy of plotly.js (or a PNG for the PDF).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# One colour per class, picked to stay distinguishable for colour-blind readers and on dark backgrounds.
CLASS_COLOURS = ("#1f77b4", "#d62728")
CLASS_SYMBOLS = ("circle-open", "cross")
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def style(fig: go.Figure, *, title: str | None = None, width: int | None = None,
          height: int = 420, square: bool = False) -> go.Figure:
    """Apply the book's layout: transparent background (dark mode), compact margins, a title.

    The title also becomes the figure's accessible name on the site.
    """
    fig.update_layout(
        template="plotly_white",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin=dict(l=60, r=20, t=60 if title else 30, b=50),
        height=height,
        legend=dict(bgcolor="rgba(0,0,0,0)"),
    )
    if width is not None:
        fig.update_layout(width=width)
    if title is not None:
        fig.update_layout(title=dict(text=title, x=0.5, xanchor="center"))
    if square:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def class_scatter(X: np.ndarray, y: np.ndarray, names: tuple[str, str] = ("y = 0", "y = 1"),
                  ) -> list[go.Scatter]:
    """Two scatter traces, circles for class 0 and crosses for class 1, as in the lecture figures."""
    X, y = np.asarray(X), np.asarray(y)
    traces = []
    for label in (1, 0):
        mask = y == label
        traces.append(go.Scatter(
            x=X[mask, 0], y=X[mask, 1], mode="markers", name=names[label],
            marker=dict(symbol=CLASS_SYMBOLS[label], size=8, color=CLASS_COLOURS[label],
                        line=dict(width=2, color=CLASS_COLOURS[label])),
            hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<extra>" + names[label] + "</extra>",
        ))
    return traces


def scatter_figure(X: np.ndarray, y: np.ndarray, *, title: str | None = None,
                   names: tuple[str, str] = ("y = 0", "y = 1")) -> go.Figure:
    """The raw data alone: what the reader sees before any model is fitted."""
    fig = go.Figure(class_scatter(X, y, names))
    fig.update_xaxes(title_text="x1")
    fig.update_yaxes(title_text="x2")
    return style(fig, title=title, square=True)


def log_axis(values: np.ndarray) -> dict:
    """Settings for a logarithmic axis labelled at powers of ten only, over whole decades.

    Plotly's own log ticks also label 2 and 5 inside each decade ("5 2 0.1 5 2 0.01"), and over
    less than a decade they fall back to labels such as 0.015; whole decades around the positive
    ``values`` give at least two plain labels.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        raise ValueError("a logarithmic axis needs at least one positive value")
    low, high = np.floor(np.log10(v.min())), np.ceil(np.log10(v.max()))
    return dict(type="log", range=[low, max(high, low + 1)], dtick=1, exponentformat="power")


def line_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], *, title: str | None = None,
                x_title: str = "", y_title: str = "", log_y: bool = False,
                height: int = 380) -> go.Figure:
    """Several named curves on one set of axes (losses, activations, errors)."""
    fig = go.Figure()
    for i, (name, (x, v)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=np.asarray(x), y=np.asarray(v), mode="lines", name=name,
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=2)))
    fig.update_xaxes(title_text=x_title)
    if log_y:
        values = np.concatenate([np.ravel(v) for _, v in curves.values()])
        fig.update_yaxes(title_text=y_title, **log_axis(values))
    else:
        fig.update_yaxes(title_text=y_title, type="linear")
    return style(fig, title=title, height=height)


def snapshot_slider(fig: go.Figure, snapshots: list[list], labels: list[str], *,
                    traces: list[int], prefix: str = "", titles: list[str] | None = None,
                    active: int = 0) -> go.Figure:
    """Replay a sequence of snapshots with a slider and a play button, as plotly frames.

    Each snapshot is a list of traces that replace ``fig.data[traces]`` (what a snapshot leaves
    out, such as colours, stays as in ``fig.data``); every other trace is drawn throughout.
    ``titles``, one per snapshot, replace the figure's title; ``active`` is the snapshot shown
    first, and the one a static image (the PDF) shows.
    """
    if len(snapshots) != len(labels) or (titles is not None and len(titles) != len(labels)):
        raise ValueError("need one label (and one title, if any) per snapshot")
    if any(len(snapshot) != len(traces) for snapshot in snapshots):
        raise ValueError(f"each snapshot must hold {len(traces)} traces, one per index in traces")
    if any(not 0 <= k < len(fig.data) for k in traces):
        raise ValueError(f"the figure has {len(fig.data)} traces; traces={traces}")
    frames = []
    for i, snapshot in enumerate(snapshots):
        layout = {"title": {"text": titles[i]}} if titles else {}
        frames.append(go.Frame(data=snapshot, traces=list(traces), name=str(i), layout=layout))
    fig.frames = frames
    for k, trace in zip(traces, snapshots[active]):
        fig.data[k].update(trace.to_plotly_json())
    if titles:
        fig.update_layout(title_text=titles[active])
    still = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    steps = [dict(method="animate", label=str(label), args=[[str(i)], still])
             for i, label in enumerate(labels)]
    play = dict(fromcurrent=True, frame=dict(duration=80, redraw=True),
                transition=dict(duration=0))
    fig.update_layout(
        sliders=[dict(active=active, steps=steps, currentvalue=dict(prefix=prefix),
                      pad=dict(t=50, l=90))],
        updatemenus=[dict(type="buttons", showactive=False, x=0, xanchor="left", y=0,
                          yanchor="top", pad=dict(t=60),
                          buttons=[dict(label="Play", method="animate", args=[None, play]),
                                   dict(label="Pause", method="animate",
                                        args=[[None], still])])])
    return fig
