"""Log axes labelled at plain decades: the range covers whole decades around the data; the
snapshot slider shared by the GAN replay and the XOR network's training replay."""

import numpy as np
import plotly.graph_objects as go
import pytest

from nnbook.evaluation_figures import batch_loss_figure
from nnbook.engine.fit import History
from nnbook.plotting import line_figure, log_axis, snapshot_slider


@pytest.mark.parametrize(("values", "decades"), [
    ([0.0101, 0.045], [-2, -1]),  # less than a decade: still two labelled ticks
    ([1e-4, 2.0], [-4, 1]),
    ([1.0, 1.0], [0, 1]),
    ([0.0, -3.0, np.nan, 0.5, 7.0], [-1, 1]),  # what a log axis cannot show is left out
])
def test_log_axis_spans_whole_decades_around_the_positive_values(values, decades):
    axis = log_axis(np.array(values))
    assert axis["range"] == decades
    assert axis["type"] == "log" and axis["dtick"] == 1
    v = np.array(values)
    v = v[v > 0]
    assert 10.0 ** axis["range"][0] <= v.min() and v.max() <= 10.0 ** axis["range"][1]


def test_log_axis_needs_a_positive_value():
    with pytest.raises(ValueError, match="positive"):
        log_axis(np.array([0.0, -1.0]))


def test_line_figure_and_batch_losses_use_decade_axes():
    fig = line_figure({"a": ([1, 2], [0.5, 0.02]), "b": ([1, 2], [0.3, 0.2])}, log_y=True)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1
    assert list(fig.layout.yaxis.range) == [-2, 0]
    assert line_figure({"a": ([1, 2], [3, 4])}).layout.yaxis.type == "linear"
    losses = batch_loss_figure(History(config={}, batch_losses=[2.3, 0.4, 1e-4]), title="t")
    assert list(losses.layout.yaxis.range) == [-4, 1] and losses.layout.yaxis.dtick == 1


def two_traces():
    return go.Figure([go.Scatter(x=[0, 1], y=[0, 1], name="fixed"),
                      go.Scatter(x=[], y=[], name="moving", marker=dict(color="red"))])


def test_each_position_animates_to_its_own_frame_and_keeps_the_rest():
    fig = two_traces()
    snapshots = [[go.Scatter(x=[k], y=[k])] for k in range(3)]
    snapshot_slider(fig, snapshots, ["a", "b", "c"], traces=[1], titles=["t0", "t1", "t2"],
                    active=2)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["a", "b", "c"]
    assert [list(s.args[0]) for s in steps] == [[f.name] for f in fig.frames]
    assert [f.data[0].x for f in fig.frames] == [(0,), (1,), (2,)]
    assert all(f.traces == (1,) for f in fig.frames)  # the fixed trace is never replaced
    assert fig.data[1].x == (2,) and fig.data[1].marker.color == "red"  # active, styled
    assert fig.data[0].x == (0, 1)
    assert fig.layout.title.text == "t2" and fig.frames[0].layout.title.text == "t0"


@pytest.mark.parametrize("snapshots, labels, traces", [
    ([[go.Scatter()]], ["a", "b"], [1]),  # a label too many
    ([[go.Scatter(), go.Scatter()]], ["a"], [1]),  # two traces for one index
    ([[go.Scatter()]], ["a"], [5]),  # no such trace
])
def test_mismatches_are_refused(snapshots, labels, traces):
    with pytest.raises(ValueError):
        snapshot_slider(two_traces(), snapshots, labels, traces=traces)


# --- figures for people: on a phone, and data that stands out from its surface ------------------

LONG_TITLE = "The test images at their two-dimensional codes, coloured by label"


def _figures_with_legends():
    import torch

    from nnbook.autoencoders_figures import latent_scatter
    from nnbook.density import fit_class_conditional
    from nnbook.density_figures import generative_vs_discriminative_figure
    from nnbook.evaluation_figures import history_figure
    from nnbook.plotting import scatter_figure
    from nnbook.surfaces import decision_surface, surface_panels

    X = np.array([[-2.0, 1.0], [-1.0, -1.0], [-3.0, 0.5], [2.0, 1.0], [1.0, -2.0], [3.0, 0.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    p = lambda Z: 1 / (1 + np.exp(-Z[:, 0]))  # noqa: E731
    return {
        "scatter": scatter_figure(X, y, title="t"),
        "lines": line_figure({"a": ([1, 2], [3, 4]), "b": ([1, 2], [4, 3])}, title="t"),
        "surface": decision_surface(p, X, y, title="t", resolution=5),
        "panels": surface_panels({"a": p, "b": p}, X, y, title="t", resolution=5),
        "density (sets its own layout)": generative_vs_discriminative_figure(
            fit_class_conditional(X, y), p, X, y, title="t", n_samples=10),
        "latent codes (ten classes)": latent_scatter(torch.randn(30, 2), torch.arange(30) % 10,
                                                     tuple("abcdefghij"), title="t"),
        "history (two axes)": history_figure(History(config={}, epoch_losses=[1.0, 0.5],
                                                     test_accuracies=[0.5, 0.8]), title="t"),
    }


def test_every_legend_sits_in_rows_below_the_plot():
    beside = {}
    for name, fig in _figures_with_legends().items():
        legend = fig.layout.legend
        where = (legend.orientation, legend.yref, legend.y, legend.yanchor)
        if where != ("h", "container", 0, "bottom"):
            beside[name] = where
    assert not beside, f"legends not at the foot of the figure: {beside}"


def test_long_titles_wrap_to_a_phones_width_under_the_mode_bars_strip():
    from nnbook.plotting import MODEBAR, TITLE_CHARS, TITLE_LINE, style, wrap_title

    fig = style(go.Figure(go.Scatter(x=[0], y=[0])), title=LONG_TITLE, height=400)
    lines = fig.layout.title.text.split("<br>")
    assert " ".join(lines) == LONG_TITLE and len(lines) >= 2  # words, hyphenated ones whole
    assert all(len(line) <= TITLE_CHARS for line in lines), lines
    assert fig.layout.margin.t >= MODEBAR + len(lines) * TITLE_LINE
    assert fig.layout.title.yref == "container" and fig.layout.title.yanchor == "top"
    # plotly centres a block of lines on its first: the anchor sits half a line lower per line
    assert (1 - fig.layout.title.y) * 400 >= MODEBAR
    assert wrap_title("short") == "short"
    # A replay's titles (its frames') are wrapped too, and the margin holds the longest.
    replay = snapshot_slider(two_traces(), [[go.Scatter(x=[i])] for i in range(2)], ["a", "b"],
                             traces=[1], titles=["short", LONG_TITLE + " and then more words"])
    style(replay, height=400)
    frame_lines = replay.frames[1].layout.title.text.split("<br>")
    assert len(frame_lines) == 3 and all(len(line) <= TITLE_CHARS for line in frame_lines)
    assert replay.layout.margin.t >= MODEBAR + 3 * TITLE_LINE


def _rgb(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    colour = colour.strip()
    if colour.startswith("rgb"):  # plotly's "rgb(5,48,97)"
        return tuple(float(v) / 255 for v in colour[colour.index("(") + 1:-1].split(",")[:3])
    return to_rgb(colour)  # "#1f77b4", "white"


def _contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    def luminance(colour):
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in _rgb(colour)]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def test_the_data_stands_out_from_the_surface_at_its_own_class_end():
    """A blue circle sits where P(y = 1) is near 0 and a red cross where it is near 1: each
    must contrast with the surface there (3:1, WCAG's least for graphics), the surface must be
    opaque (else a dark page darkens it) and each marker ringed in a contrasting outline."""
    surface = _figures_with_legends()["surface"]
    contour = surface.data[0]
    scale = dict(contour.colorscale)  # position -> colour
    assert contour.opacity in (None, 1)
    found = {}
    for trace in surface.data[1:]:
        end = scale[0.0] if trace.name.endswith("0") else scale[1.0]
        on_surface = _contrast(trace.marker.color, end)
        outline = _contrast(trace.marker.color, trace.marker.line.color)
        if on_surface < 3 or outline < 3 or not trace.marker.line.width:
            found[trace.name] = (round(on_surface, 2), round(outline, 2))
    assert not found, f"marker against its class's end of the surface, and its outline: {found}"


def test_subplot_titles_are_wrapped_to_their_share_of_a_phone():
    from plotly.subplots import make_subplots

    from nnbook.plotting import SUBPLOT_TITLE_CHARS, SUBPLOT_TITLE_SIZE, style

    names = ("the lecture's rate, 0.5, seed 0", "the book's rate, 0.05, seed 0", "a third panel")
    fig = style(make_subplots(rows=1, cols=3, subplot_titles=names), title="Three panels")
    titles = [a for a in fig.layout.annotations if a.yanchor == "bottom"]
    assert [t.text.replace("<br>", " ") for t in titles] == list(names)  # only wrapped
    assert all(len(line) <= SUBPLOT_TITLE_CHARS // 3 for t in titles
               for line in t.text.split("<br>"))
    assert all(t.font.size == SUBPLOT_TITLE_SIZE for t in titles)
    assert fig.layout.margin.t > style(make_subplots(rows=1, cols=3), title="x").layout.margin.t
