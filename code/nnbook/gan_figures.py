"""What the GAN chapter measures and draws about a finished run, built on :mod:`nnbook.gan`.

Kept apart from the models and the adversarial loop, so that a summary or a figure can change
without touching the code that the stored runs are keyed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from nnbook.gan import GANHistory, ModeReport, RingTarget, mmd2, mode_report, to_unit
from nnbook.images import ImageFigure, image_grid
from nnbook.plotting import PALETTE, line_figure, snapshot_slider, style

def favoured_modes(reports: Sequence[ModeReport]) -> tuple[int, ...]:
    """The modes that held the most samples at some snapshot, in the order they first did.

    A snapshot with no sample near any mode favours none; a tie goes to the lower mode.
    A generator that hops from mode to mode, the sign of mode collapse, favours many in turn.
    """
    favoured: list[int] = []
    for report in reports:
        if sum(report.counts) == 0:
            continue
        top = max(range(report.n_modes), key=lambda m: (report.counts[m], -m))
        if top not in favoured:
            favoured.append(top)
    return tuple(favoured)


def crowding(points: torch.Tensor, radius: float) -> float:
    """The largest share of ``points`` (n, 2) within ``radius`` of any one of them: near 1 when
    a generator maps most of its noise to one small patch, wherever that patch is."""
    within = torch.cdist(points.float(), points.float()) <= radius  # (n, n)
    return int(within.sum(dim=1).max()) / len(points)


@dataclass(frozen=True)
class RingRunSummary:
    """How close a ring GAN's samples came to the target, over all its snapshots."""

    mmd_start: float  # MMD² to a target sample before training
    mmd_end: float  # ... and after it
    near_end: float  # share of the final samples near some mode
    covered_end: int  # modes covered by the final samples (see ModeReport.modes_covered)
    max_covered: int  # the most modes covered at any snapshot
    max_near: float  # the largest share near a mode at any snapshot
    max_mode_share: float  # the largest share near any single mode at any snapshot
    max_crowding: float  # the largest crowding (see crowding) at any snapshot after the first
    crowding_radius: float  # the radius it was measured with: six of the target's std
    favoured: int  # how many different modes held the most samples at some snapshot
    collapsed: bool  # whether the final samples miss modes


def summarise_ring_run(history: GANHistory, target: RingTarget) -> RingRunSummary:
    """The numbers the chapter quotes about a run on ``target``, from its snapshots.

    Crowding skips the first snapshot: an untrained generator maps all noise near one point.
    """
    metrics = snapshot_metrics(history, target)
    radius = 6 * target.std
    reports = [mode_report(points, target) for points in history.snapshots]
    final = reports[-1]
    return RingRunSummary(
        mmd_start=metrics["mmd2"][0], mmd_end=metrics["mmd2"][-1], near_end=final.share_near,
        covered_end=final.modes_covered, max_covered=max(metrics["modes_covered"]),
        max_near=max(r.share_near for r in reports),
        max_mode_share=max(max(r.counts) / len(points)
                           for r, points in zip(reports, history.snapshots)),
        max_crowding=max(crowding(points, radius) for points in history.snapshots[1:]),
        crowding_radius=radius, favoured=len(favoured_modes(reports)),
        collapsed=final.collapsed)


def late_coverage(history: GANHistory, target: RingTarget) -> tuple[int, int]:
    """How steadily a run covers the ring: of the snapshots of the last third of its training
    (the second number), at how many (the first) were all modes covered."""
    late = history.snapshots[-(len(history.snapshots) // 3):]
    covered = sum(mode_report(points, target).modes_covered == target.n_modes
                  for points in late)
    return covered, len(late)


def steadiest(runs: Sequence, target: RingTarget):
    """Of ``runs`` (each with a ``history``, in seed order), the one that covered every mode at
    the most snapshots of the last third of its training; the first such run on a tie."""
    return max(runs, key=lambda run: late_coverage(run.history, target)[0])


def collapses(history: GANHistory, target: RingTarget) -> bool:
    """Whether a run shows mode collapse as the chapter describes it: it ends with modes
    uncovered, at times maps most of its noise to one small patch (crowding above one half),
    lands at no snapshot more than half its samples near a mode, and favours at least two modes
    in turn."""
    summary = summarise_ring_run(history, target)
    return (summary.collapsed and summary.max_crowding > 0.5 and summary.max_near < 0.5
            and summary.favoured >= 2)


def sampling_floor(target: RingTarget, n: int = 1000, seeds: tuple[int, int] = (2, 3)) -> float:
    """MMD² between two independent samples of ``n`` points of the target itself: what a
    perfect generator would score against a sample of that size."""
    a, b = (target.sample(n, torch.Generator().manual_seed(seed)) for seed in seeds)
    return mmd2(a, b)


def distance_figure(history: GANHistory, target: RingTarget, *, title: str) -> go.Figure:
    """The MMD² to the target and the share of samples near a mode, at every snapshot."""
    metrics = snapshot_metrics(history, target)
    return line_figure({"MMD² to the target": (metrics["step"], metrics["mmd2"]),
                        "share of samples near a mode": (metrics["step"], metrics["share_near"])},
                       title=title, x_title="training step",
                       y_title="MMD² / share of samples")


def snapshot_grid(history: GANHistory, *, n: int = 8, suptitle: str) -> ImageFigure:
    """The first ``n`` images of every snapshot, one row per snapshot (the same noise in every
    row), each row titled with its training step."""
    rows = torch.cat([to_unit(s[:n]) for s in history.snapshots])  # (S * n, 1, 28, 28)
    titles = [f"step {step}" if j == 0 else "" for step in history.snapshot_steps
              for j in range(n)]
    return image_grid(list(rows), titles, ncols=n, size=1.0, value_range=(0, 1),
                      suptitle=suptitle)


def snapshot_figure(history: GANHistory, target: RingTarget, *, title: str, max_points: int = 600,
                    ) -> go.Figure:
    """The generator's samples at each snapshot, one slider position per snapshot, over the
    modes of the target, opening at the last. Every snapshot uses the same noise, so a point
    can be followed."""
    snaps = history.snapshots[:, :max_points].numpy()
    centres = target.centres.numpy()
    lim = target.radius * 1.6
    theta = np.linspace(0, 2 * np.pi, 40)
    fig = go.Figure()
    for c in centres:  # a circle of 3 standard deviations around each mode: "near a mode"
        fig.add_trace(go.Scatter(x=c[0] + 3 * target.std * np.cos(theta),
                                 y=c[1] + 3 * target.std * np.sin(theta), mode="lines",
                                 line=dict(color=PALETTE[3], width=1), hoverinfo="skip",
                                 showlegend=bool((c == centres[0]).all()), name="target modes (3 std)"))
    snapshots = [[go.Scatter(x=points[:, 0].round(3), y=points[:, 1].round(3),
                             hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<extra>step " + str(step) + "</extra>")]
                 for step, points in zip(history.snapshot_steps, snaps)]
    fig.add_trace(go.Scatter(mode="markers", name="generated",
                             marker=dict(size=4, color=PALETTE[0], opacity=0.6)))
    # Open at the last step: where each run ends is what tells two runs apart at a glance.
    snapshot_slider(fig, snapshots, [str(step) for step in history.snapshot_steps],
                    traces=[len(fig.data) - 1], prefix="training step: ",
                    active=len(snapshots) - 1)
    fig.update_xaxes(title_text="x1", range=[-lim, lim])
    fig.update_yaxes(title_text="x2", range=[-lim, lim])
    return style(fig, title=title, square=True, height=620)


def snapshot_metrics(history: GANHistory, target: RingTarget, n_reference: int = 1000, seed: int = 1,
                     ) -> dict[str, list[float]]:
    """MMD to a fresh target sample and the mode report, at every snapshot."""
    reference = target.sample(n_reference, torch.Generator().manual_seed(seed))
    out = {"step": [], "mmd2": [], "share_near": [], "modes_covered": []}
    for step, points in zip(history.snapshot_steps, history.snapshots):
        report = mode_report(points, target)
        out["step"].append(step)
        out["mmd2"].append(mmd2(points, reference))
        out["share_near"].append(report.share_near)
        out["modes_covered"].append(report.modes_covered)
    return out
