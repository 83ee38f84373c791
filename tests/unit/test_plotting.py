"""Log axes labelled at plain decades: the range covers whole decades around the data."""

import numpy as np
import pytest

from nnbook.evaluation import batch_loss_figure
from nnbook.engine.fit import History
from nnbook.plotting import line_figure, log_axis


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
