"""The XOR experiment's figures: hidden units' and networks' surfaces, the replay of a run and the
playground's still, built on :mod:`nnbook.xor`.

Kept apart from the network and its training, so that a figure can change without touching the
code that the stored runs are keyed on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from nnbook.images import ImageFigure, image_grid
from nnbook.networks import unit_predictor
from nnbook.plotting import class_scatter, snapshot_slider, style, surface_colours
from nnbook.grids import surface_values, torch_predictor
from nnbook.surfaces import surface_panels
from nnbook.notation import readable
from nnbook.xor import RateSummary, Replay, XORResult


def hidden_unit_surfaces(result: XORResult, title: str) -> go.Figure:
    """Each hidden unit's activation over the plane: the features the XOR network learned."""
    units = result.model[0].out_features
    fns = {f"hidden unit {u + 1}": unit_predictor(result.model, u) for u in range(units)}
    return surface_panels(fns, result.X, result.y, title=title, colorbar_title="activation")


def xor_surfaces(results: dict[str, XORResult], title: str) -> go.Figure:
    """Several trained XOR networks' P(cross | x) side by side, one panel per named run."""
    fns = {name: torch_predictor(r.model, output="softmax", column=1)
           for name, r in results.items()}
    first = next(iter(results.values()))
    return surface_panels(fns, first.X, first.y, title=title, colorbar_title="P(cross)")


def replay_figure(replay: Replay, title: str, active: int | None = None) -> go.Figure:
    """The decision surface of ``replay``, one frame per epoch (0: before training) on a slider,
    with the epoch's loss and test accuracy in the title. ``active`` is the epoch shown first
    (default: the last, which the PDF shows).

    Each surface is stored as whole percentages, one byte per grid point (plotly sends NumPy
    arrays as typed arrays), so that 200 epochs of a 31 x 31 grid stay near 300 KB.
    """
    percent = np.rint(replay.frames * 100).astype(np.uint8)  # (epochs + 1, res, res)
    lo, step = float(replay.u[0]), float(replay.u[1] - replay.u[0])
    fig = go.Figure(go.Contour(
        x0=lo, dx=step, y0=lo, dy=step, zmin=0, zmax=100, **surface_colours("P(cross), %"),
        contours=dict(start=0, end=100, size=10), name="model",
        hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>P(cross)=%{z}%<extra></extra>"))
    fig.data[0].line.smoothing = 1.0
    for trace in class_scatter(replay.X, replay.y):
        trace.marker.size = 5
        fig.add_trace(trace)
    epochs = len(replay.frames) - 1
    titles = [f"{title}, before training"] + [
        f"{title}, epoch {e + 1}: loss {loss:.2g}, test accuracy {acc:.1%}"
        for e, (loss, acc) in enumerate(zip(replay.epoch_losses, replay.test_accuracies))]
    snapshot_slider(fig, [[go.Contour(z=Z)] for Z in percent],
                    [str(e) for e in range(epochs + 1)], traces=[0], prefix="epoch: ",
                    titles=titles, active=epochs if active is None else active)
    bounds = [replay.u[0], replay.u[-1]]
    fig.update_xaxes(title_text="x1", range=bounds, constrain="domain")
    fig.update_yaxes(title_text="x2", range=bounds, constrain="domain")
    return style(fig, square=True, height=600)  # the legend at the foot, under the slider


def playground_still(result: XORResult, resolution: int = 100) -> ImageFigure:
    """The trained network's P(cross | x) and its hidden units' activations as images: what the
    XOR playground shows, still, for the PDF (red 1, blue 0; x1 to the right, x2 up)."""
    model = result.model
    fns = {"P(cross | x)": torch_predictor(model, output="softmax", column=1)}
    fns |= {f"unit {u + 1}": unit_predictor(model, u) for u in range(model[0].out_features)}
    images = [surface_values(fn, resolution=resolution)[1][::-1] for fn in fns.values()]
    return image_grid(images, list(fns), ncols=len(images), size=1.6, cmap="RdBu_r",
                      value_range=(0, 1), suptitle="The playground after training, still")


def _percent(x: float) -> str:
    return f"{x:.1%}"


def _epochs(x: float) -> str:
    return "never" if math.isinf(x) else f"{x:.0f}"


# Each number of a RateSummary as the page's table names and writes it ("second half": the last
# half of the epochs, where a run should have settled).
RATE_ROWS = {
    "seeds": ("runs (seeds)", str),
    "final_median": ("final test accuracy: median run", _percent),
    "final_worst": ("final test accuracy: worst run", _percent),
    "final_best": ("final test accuracy: best run", _percent),
    "late_low_worst": ("lowest test accuracy in the second half: worst run", _percent),
    "late_low_best": ("lowest test accuracy in the second half: best run", _percent),
    "late_loss_worst": ("highest loss in the second half: worst run", readable),
    "late_loss_best": ("highest loss in the second half: best run", readable),
    "epochs_to_95_median": ("epochs to reach 95% test accuracy: median run", _epochs),
    "runs_below_95_late": ("runs below 95% in the second half", str),
    "late_jumps_median": ("epochs of the second half with the loss over 10 times its "
                          "lowest: median run", lambda x: f"{x:g}"),
}


def rate_table(summaries: Iterable[RateSummary]) -> pd.DataFrame:
    """The summaries over seeds side by side, one column per learning rate, one row per number,
    named in words and written as a person writes them (percentages, "never", no padding)."""
    summaries = list(summaries)
    columns = {f"rate {readable(s.lr)}": [format_(getattr(s, field))
                                          for field, (_, format_) in RATE_ROWS.items()]
               for s in summaries}
    return pd.DataFrame(columns, index=[label for label, _ in RATE_ROWS.values()])
