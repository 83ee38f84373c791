"""The figures of the speed ladder (:mod:`nnbook.speed_ladder`): the measured steps from the
lecture's loop to the book's engine, and the sentence on what bfloat16 did. Apart from the
ladder, so that restyling a figure never measures it again: its stored result is keyed on the
code it imports."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.speed_ladder import Measured
from nnbook.plotting import PALETTE, style


def ablation_figure(results: Sequence[Measured], budget_s: float, *,
                    title: str | None = None) -> go.Figure:
    """Two bar charts over the variants: training images per second, and test accuracy after
    ``budget_s`` seconds of training. A skipped variant keeps its place, labelled "skipped"."""
    labels = [f"{i}. {m.name}" for i, m in enumerate(results, 1)]
    ran = [m for m in results if m.ran]
    speed = [m.images_per_second if m.ran else None for m in results]
    accuracy = [100 * m.test_accuracy if m.ran else None for m in results]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=(
        "training images per second", f"test accuracy after {budget_s:g} s of training"))
    fig.add_trace(go.Bar(
        x=labels, y=speed, marker_color=PALETTE[0], showlegend=False,
        text=[f"{v:,.0f}" if m.ran else "" for v, m in zip(speed, results)],
        textposition="outside", hovertemplate="%{x}<br>%{y:,.0f} images/s<extra></extra>"),
        row=1, col=1)
    fig.add_trace(go.Bar(
        x=labels, y=accuracy, marker_color=PALETTE[2], showlegend=False,
        text=[f"{v:.1f}%" if m.ran else "" for v, m in zip(accuracy, results)],
        textposition="outside", hovertemplate="%{x}<br>%{y:.2f}%<extra></extra>"),
        row=1, col=2)
    top = max((v for v in speed if v is not None), default=1.0)
    fig.update_yaxes(title_text="images per second", range=[0, 1.18 * top], row=1, col=1)
    for label, m in zip(labels, results):
        if not m.ran:  # no bar: say why at its foot, in both panels
            for axis in ("", "2"):
                fig.add_annotation(x=label, xref=f"x{axis}", y=0.02, yref=f"y{axis} domain",
                                   text="skipped", showarrow=False, yanchor="bottom",
                                   textangle=-90)
    if ran:
        # Accuracies differ by a few points: the axis starts below the lowest so that they show.
        low = min(100 * m.test_accuracy for m in ran)
        high = max(100 * m.test_accuracy for m in ran)
        fig.update_yaxes(range=[5 * math.floor((low - 5) / 5), min(100.0, high + 3)],
                         row=1, col=2)
    fig.update_yaxes(title_text="test accuracy (%)", row=1, col=2)
    fig.update_xaxes(tickangle=-30)
    return style(fig, title=title, height=460)


def bf16_note(with_bf16: Measured, without: Measured, pays: float = 1.1) -> str:
    """One sentence on what bfloat16 autocast (rung 4) did against the rung before it: measured,
    so that it holds on the machine that built the page."""
    if not with_bf16.ran:
        return ("This device cannot autocast to bfloat16, so variant 4 was skipped and "
                "variant 5 trains in float32.")
    factor = with_bf16.images_per_second / without.images_per_second
    if factor >= pays:
        return (f"Here bfloat16 pays: it multiplies the rate by {factor:.2f}, so this "
                "processor computes 16-bit floats faster than 32-bit ones.")
    return (f"Here bfloat16 gains little or nothing (a factor of {factor:.2f}): this "
            "processor has no faster arithmetic for it in these layers. The engine's planner "
            "times both precisions before each run and takes bfloat16 only where it is faster.")
