"""Log axes labelled at plain decades: the range covers whole decades around the data; the
snapshot slider shared by the GAN replay and the XOR network's training replay."""

import numpy as np
import plotly.graph_objects as go
import pytest

from nnbook.evaluation import batch_loss_figure
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
