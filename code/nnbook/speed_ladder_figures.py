"""The figures of the speed ladder (:mod:`nnbook.speed_ladder`): the measured steps from a
``DataLoader`` loop to the book's engine, and the sentences on them, in words the measurements
choose. Apart from the ladder, so that restyling a figure never measures it again: its stored result is keyed on the
code it imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnbook.engine.plan import Plan
from nnbook.speed_ladder import Measured
from nnbook.plotting import PALETTE, style


def ablation_figure(results: Sequence[Measured], budget_s: float, *,
                    title: str | None = None) -> go.Figure:
    """Two bar charts over the variants: training images per second, and test accuracy after
    the same ``budget_s`` seconds of training at that speed. A skipped variant keeps its place,
    labelled "skipped"."""
    labels = [f"{i}. {m.name}" for i, m in enumerate(results, 1)]
    speed = [m.images_per_second if m.ran else None for m in results]
    accuracy = [100 * m.test_accuracy if m.ran else None for m in results]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=(
        "training images per second", f"test accuracy after {budget_s:.0f} s of training"))
    fig.add_trace(go.Bar(
        x=labels, y=speed, marker_color=PALETTE[0], showlegend=False,
        text=[f"{v:,.0f}" if m.ran else "" for v, m in zip(speed, results)],
        textposition="outside", hovertemplate="%{x}<br>%{y:,.0f} images/s<extra></extra>"),
        row=1, col=1)
    fig.add_trace(go.Bar(
        x=labels, y=accuracy, marker_color=PALETTE[2], showlegend=False,
        text=[f"{v:.1f}%" if m.ran else "" for v, m in zip(accuracy, results)],
        textposition="outside", cliponaxis=False,
        hovertemplate="%{x}<br>%{y:.2f}%<extra></extra>"),
        row=1, col=2)
    top = max((v for v in speed if v is not None), default=1.0)
    fig.update_yaxes(title_text="images per second", range=[0, 1.18 * top], row=1, col=1)
    for label, m in zip(labels, results):
        if not m.ran:  # no bar: say why at its foot, in both panels
            for axis in ("", "2"):
                fig.add_annotation(x=label, xref=f"x{axis}", y=0.02, yref=f"y{axis} domain",
                                   text="skipped", showarrow=False, yanchor="bottom",
                                   textangle=-90)
    fig.update_yaxes(range=[0, 100], row=1, col=2)  # from zero: a gap is its true size
    fig.update_yaxes(title_text="test accuracy (%)", row=1, col=2)
    fig.update_xaxes(tickangle=-30)
    return style(fig, title=title, height=460)


def _speed(plan: Plan, **change) -> float | None:
    """The images per second the planner measured for ``plan`` changed by ``change`` (None if it
    did not time that candidate)."""
    seconds = plan.seconds_per_step.get(replace(plan, **change).label())
    return plan.batch_size / seconds if seconds and plan.batch_size else None


def precision_note(plan: Plan) -> str:
    """One sentence on the precision the book's run computes in here, from the engine's own
    measurements (``plan``, as :func:`nnbook.engine.fit.plan_for` gave it): true on any machine."""
    bf16, fp32 = _speed(plan, precision="bfloat16"), _speed(plan, precision="float32")
    if plan.autocast:
        measured = (f" (it measured {bf16:,.0f} images a second against {fp32:,.0f} in "
                    "float32)" if bf16 and fp32 else "")
        return f"Here the engine computes the forward pass in bfloat16{measured}."
    if bf16 and fp32:
        return (f"Here bfloat16 ran at {bf16:,.0f} images a second against {fp32:,.0f} in "
                "float32, so the engine stays in float32 and the bfloat16 variant is skipped.")
    if plan.how == "fixed":
        return "This build fixes the engine to float32, so the bfloat16 variant is skipped."
    return ("This processor has no bfloat16 arithmetic of its own: torch would emulate it, many "
            "times slower than float32, so the engine does not even try it, stays in float32, "
            "and the bfloat16 variant is skipped.")


def _rate_change(factor: float) -> str:
    """What a step did to the rate, in words chosen by the measured ``factor``."""
    if factor >= 1.05:
        return f"multiplies the rate by {factor:.2f}"
    if factor > 0.95:
        return f"leaves it about where it was (a factor of {factor:.2f})"
    return f"slows it (a factor of {factor:.2f})"


def step_factors(results: Sequence[Measured]) -> str:
    """One sentence on what each step that ran did to the speed, against the last one that ran
    before it, and which step gained most: true whichever steps ran and whichever way they
    went."""
    ran = [(i, m) for i, m in enumerate(results, 1) if m.ran]
    steps = [(i, m.name, m.images_per_second / prev.images_per_second)
             for (_, prev), (i, m) in zip(ran, ran[1:])]
    if not steps:
        return ""
    parts = [f'"{name}" (variant {i}) {_rate_change(factor)}' for i, name, factor in steps]
    text = "Of the steps, " + (", ".join(parts[:-1]) + " and " if len(parts) > 1 else "")
    text += parts[-1] + "."
    i, name, factor = max(steps, key=lambda step: step[2])
    if len(steps) > 1 and factor >= 1.05:
        text += f' The largest gain comes from "{name}".'
    return text


def _numbers(numbers: Sequence[int]) -> str:
    """1; 1 and 2; 1, 2 and 3."""
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def speed_only(results: Sequence[Measured]) -> str:
    """One sentence on the variants between the first and the last that ran: they learn as the
    first does, so what sets their accuracy apart from its is how many images their speed fits
    into the budget (and bfloat16's rounding, for that variant). "More" or "fewer" only where
    every one of them saw more, or fewer, images than the first."""
    first = results[0]
    middle = [(i, m) for i, m in enumerate(results, 1) if m.ran and 1 < i < len(results)]
    if not middle:
        return ""
    numbers = [i for i, _ in middle]
    one = len(middle) == 1
    who = f"Variant {numbers[0]} trains" if one else f"Variants {_numbers(numbers)} train"
    if all(m.images > first.images for _, m in middle):
        amount = "only on more images in the same time"
    elif all(m.images < first.images for _, m in middle):
        amount = "only on fewer images in the same time"
    else:
        amount = "each only on as many images as its speed fits into the same time"
    half = [i for i, m in middle if m.precision == "bfloat16 autocast"]
    rounding = "" if not half else (
        " in bfloat16" if one else f", variant {_numbers(half)} in bfloat16")
    cause = "its speed alone" if one else "their speed alone"
    if half:
        cause = ("its speed and bfloat16's rounding" if one else
                 f"their speed, and for variant {_numbers(half)} bfloat16's rounding")
    whose = "its" if one else "their"
    return (f"{who} with variant 1's batch size, rate and loss{rounding}, {amount}: what sets "
            f"{whose} accuracy apart from variant 1's is {cause}.")


def verdict(engine: Measured, first: Measured, *, tie: float = 0.005) -> str:
    """How the engine's network compares with the first variant's (a ``DataLoader`` loop's) after
    the same time, in words chosen by the measured accuracies: within ``tie`` of each other
    they are "about as good"."""
    gap = engine.test_accuracy - first.test_accuracy
    if gap > tie:
        return "the better network of the two"
    if gap >= -tie:
        return ("about as good a network: in so short a time, its speed and its fewer, larger "
                "steps about cancel out")
    return ("a worse network: in so short a time, its larger batches make too few steps for its "
            "speed to make up for them")
