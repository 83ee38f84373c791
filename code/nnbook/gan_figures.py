"""What the GAN chapter measures and draws about a finished run, built on :mod:`nnbook.gan`.

Kept apart from the models and the adversarial loop, so that a summary or a figure can change
without touching the code that the stored runs are keyed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
import torch

from nnbook.gan import (GANHistory, ModeReport, RingTarget, mmd2, mode_report, snapshot_metrics,
                        to_unit)
from nnbook.images import ImageFigure, image_grid
from nnbook.plotting import line_figure


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


@dataclass(frozen=True)
class RingRunSummary:
    """How close a ring GAN's samples came to the target, over all its snapshots."""

    mmd_start: float  # MMD² to a target sample before training
    mmd_end: float  # ... and after it
    near_end: float  # share of the final samples near some mode
    covered_end: int  # modes covered by the final samples (see ModeReport.modes_covered)
    max_covered: int  # the most modes covered at any snapshot
    max_near: float  # the largest share near a mode at any snapshot
    favoured: int  # how many different modes held the most samples at some snapshot
    collapsed: bool  # whether the final samples miss modes


def summarise_ring_run(history: GANHistory, target: RingTarget) -> RingRunSummary:
    """The numbers the chapter quotes about a run on ``target``, from its snapshots."""
    metrics = snapshot_metrics(history, target)
    reports = [mode_report(points, target) for points in history.snapshots]
    final = reports[-1]
    return RingRunSummary(
        mmd_start=metrics["mmd2"][0], mmd_end=metrics["mmd2"][-1], near_end=final.share_near,
        covered_end=final.modes_covered, max_covered=max(metrics["modes_covered"]),
        max_near=max(r.share_near for r in reports), favoured=len(favoured_modes(reports)),
        collapsed=final.collapsed)


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
                       title=title, x_title="training step", y_title="value")


def snapshot_grid(history: GANHistory, *, n: int = 8, suptitle: str) -> ImageFigure:
    """The first ``n`` images of every snapshot, one row per snapshot (the same noise in every
    row), each row titled with its training step."""
    rows = torch.cat([to_unit(s[:n]) for s in history.snapshots])  # (S * n, 1, 28, 28)
    titles = [f"step {step}" if j == 0 else "" for step in history.snapshot_steps
              for j in range(n)]
    return image_grid(list(rows), titles, ncols=n, size=1.0, value_range=(0, 1),
                      suptitle=suptitle)
