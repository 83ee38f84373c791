"""Shared figure styling, so every chapter's plots look alike and follow the site's theme.

Figures are plain plotly ``go.Figure`` objects. In the book build the kernel uses plotly's
``plotly_mimetype`` renderer, and :mod:`nnbook.book.sphinxext.plotly_render` turns that JSON into a
``<div>`` drawn by the site's local copy of plotly.js (or a PNG for the PDF).
"""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

# One colour per class, picked to stay distinguishable for colour-blind readers and on dark backgrounds.
CLASS_COLOURS = ("#1f77b4", "#d62728")
CLASS_SYMBOLS = ("circle", "cross")
HALO = "white"  # the outline that lifts a marker off whatever it is drawn on
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")

# P(y = 1) from 0 to 1: pale blue, near white at 0.5, pale red. The ends are pale so that the
# data drawn on them, in the full CLASS_COLOURS, stands out (a contrast of 3:1 or more, the
# least that WCAG asks of graphics), and the surface is opaque, so that it reads the same on a
# light and on a dark page. Saturated ends (RdBu) hid blue circles on dark blue and red crosses
# on dark red.
SURFACE_COLOURSCALE = ((0.0, "#bcd6eb"), (0.5, "#f7f7f7"), (1.0, "#f7cbbf"))


def surface_colours(colorbar_title: str) -> dict:
    """A probability surface's colours (a ``go.Contour``'s settings): SURFACE_COLOURSCALE, opaque,
    and a slim colour bar that leaves a phone's figure most of its width for the plot."""
    return dict(colorscale=SURFACE_COLOURSCALE, opacity=1.0,
                line=dict(width=0.5, color="rgba(0, 0, 0, 0.3)"),  # the levels, faint
                colorbar=dict(title=dict(text=colorbar_title, side="right"), thickness=14))

# The font every figure's text is drawn in, named first so that it is the same on every machine.
# plotly measures each label as it draws it, and the font decides where labels go and whether they
# meet on a phone. Left to the machine, plotly's "Open Sans", verdana, arial, sans-serif was
# DejaVu Sans on one and Liberation Sans, 12% narrower, on another. The site ships Open Sans
# (_static/fonts, from the npm package @fontsource/open-sans, nnbook_figure_font in _config.yml)
# and draws a figure once it has loaded; so does kaleido for the PDF. plotly's own fallbacks
# follow, for a figure shown anywhere else (a notebook, Colab).
FIGURE_FONT = "Open Sans"
FONT_FAMILY = f'"{FIGURE_FONT}", verdana, arial, sans-serif'

# What a figure needs to stay whole in a phone's column (about 350 px wide).
TITLE_CHARS = 36  # a title line at TITLE_SIZE fits 300 px: a phone, in a "Going deeper" box
TITLE_SIZE = 16
TITLE_LINE = 21  # px per line of the title
MODEBAR = 36  # px kept free at the top for plotly's mode bar (28 px tall at 2 px from the top)
# Legends go below the plot, in rows, at the foot of the figure: plotly reserves their height
# under the x axis's title. Beside the plot (plotly's default) a legend took 40% of a phone's
# width and met colour bars.
LEGEND_BELOW = dict(orientation="h", x=0.5, xanchor="center", yref="container", y=0,
                    yanchor="bottom", bgcolor="rgba(0,0,0,0)", itemsizing="constant")
SUBPLOT_TITLE = 22  # px more at the top for each line of the subplots' titles


def wrap_title(text: str, width: int = TITLE_CHARS) -> str:
    """A title broken into lines of at most ``width`` characters with ``<br>`` (plotly never
    wraps a title: a long one is cut off at both sides on a phone). Existing breaks are kept."""
    return "<br>".join("<br>".join(textwrap.wrap(line, width, break_on_hyphens=False)) or line
                       for line in text.split("<br>"))


SUBPLOT_TITLE_SIZE = 13
# On a phone the plots take about three quarters of a figure's 350 px, shared by a row's panels.
SUBPLOT_TITLE_CHARS = int(TITLE_CHARS * 0.75 * TITLE_SIZE / SUBPLOT_TITLE_SIZE)


def _subplot_titles(fig: go.Figure) -> list:
    return [a for a in fig.layout.annotations if a.yref == "paper" and a.y is not None
            and a.yanchor == "bottom" and a.text and a.xref == "paper"]


def wrap_subplot_titles(fig: go.Figure) -> None:
    """Subplot titles at a smaller size, each wrapped to the share of a phone's width that its
    row's panels leave it, so that neighbouring titles never run into each other."""
    titles = _subplot_titles(fig)
    for a in titles:
        in_row = sum(1 for b in titles if abs(b.y - a.y) < 1e-9)
        a.text = wrap_title(a.text, max(10, SUBPLOT_TITLE_CHARS // in_row))
        a.font.size = SUBPLOT_TITLE_SIZE


def title_y(text: str, height: int) -> float:
    """Where a title's top goes so that it starts MODEBAR px below the figure's top edge.

    plotly anchors a title of several lines at its first line and then centres the block on
    it, which lifts the block by half a line (1.3 em) per extra line: that is added back.
    """
    extra_lines = text.count("<br>")
    return 1 - (MODEBAR + extra_lines * 1.3 * TITLE_SIZE / 2) / height


def title_layout(text: str, height: int, lines: int = 1, subplot_titles: int = 0) -> dict:
    """The layout of a wrapped title under the mode bar's strip, in a figure ``height`` px
    tall, and the top margin it needs for ``lines`` lines or as many as the title takes, and
    ``subplot_titles`` px for the subplots' titles above the plots."""
    text = wrap_title(text)
    lines = max(lines, text.count("<br>") + 1)
    return dict(title=dict(text=text, x=0.5, xanchor="center", yref="container",
                           y=title_y(text, height), yanchor="top", font=dict(size=TITLE_SIZE)),
                margin=dict(t=MODEBAR + lines * TITLE_LINE + 14 + subplot_titles))


def style(fig: go.Figure, *, title: str | None = None, width: int | None = None,
          height: int = 420, square: bool = False) -> go.Figure:
    """Apply the book's layout: the book's font, transparent background (dark mode), compact
    margins, a title wrapped to a phone's width under a strip for the mode bar, the legend below
    the plot.

    The title also becomes the figure's accessible name on the site. Without ``title``, a title
    the figure already has is laid out the same way, with room for the longest title of its
    frames (:func:`snapshot_slider`).
    """
    fig.update_layout(
        template="plotly_white",
        font=dict(family=FONT_FAMILY),  # every text inherits it: titles, ticks, legends, notes
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin=dict(l=60, r=20, t=MODEBAR + 10, b=50),
        height=height,
        legend=LEGEND_BELOW,
    )
    if width is not None:
        fig.update_layout(width=width)
    title = title if title is not None else fig.layout.title.text
    if title is not None:
        titled = [f for f in fig.frames if f.layout.title.text]
        for frame in titled:  # each frame's title under the strip, however many lines it has
            frame.layout.title.y = title_y(frame.layout.title.text, height)
        lines = max((f.layout.title.text.count("<br>") + 1 for f in titled), default=1)
        # make_subplots writes the subplots' titles as annotations just above the plots
        wrap_subplot_titles(fig)
        above = max((a.text.count("<br>") + 1 for a in fig.layout.annotations
                     if a.yref == "paper" and a.y is not None and a.y >= 1
                     and a.yanchor == "bottom" and a.text), default=0)
        fig.update_layout(**title_layout(title, height, lines, SUBPLOT_TITLE * above))
    if square:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def class_scatter(X: np.ndarray, y: np.ndarray, names: tuple[str, str] = ("y = 0", "y = 1"),
                  ) -> list[go.Scatter]:
    """Two scatter traces, circles for class 0 and crosses for class 1, as in the lecture figures,
    each marker filled in its class's colour and ringed in white, so that it stands out on a
    surface, on a white page and on a dark one."""
    X, y = np.asarray(X), np.asarray(y)
    traces = []
    for label in (1, 0):
        mask = y == label
        traces.append(go.Scatter(
            x=X[mask, 0], y=X[mask, 1], mode="markers", name=names[label],
            marker=dict(symbol=CLASS_SYMBOLS[label], size=9, color=CLASS_COLOURS[label],
                        line=dict(width=1, color=HALO)),
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
        layout = {"title": {"text": wrap_title(titles[i])}} if titles else {}
        frames.append(go.Frame(data=snapshot, traces=list(traces), name=str(i), layout=layout))
    fig.frames = frames
    for k, trace in zip(traces, snapshots[active]):
        fig.data[k].update(trace.to_plotly_json())
    if titles:
        fig.update_layout(title_text=wrap_title(titles[active]))
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
