"""How far a minibatch's gradient points from the full gradient (backprop's SGD section): the
cosines are 1 for the whole data set, their average direction is the full gradient's, and the
figure draws one band and one median line per state of the network."""

import numpy as np
import pytest
import torch

from nnbook.backprop import (flat_gradient, gradients, init_network, minibatch_cosines,
                             one_hot)
from nnbook.backprop_figures import cosine_figure
from nnbook.toy_data import blobs


@pytest.fixture
def xor():
    data = blobs("xor", n_per_blob=10, seed=0)
    return torch.as_tensor(data.X), one_hot(torch.as_tensor(data.y), 2)


def test_the_whole_data_set_points_exactly_along_the_full_gradient(xor):
    X, Y = xor
    cosines = minibatch_cosines(init_network((2, 4, 2), seed=0), X, Y, (len(X),), draws=3)
    torch.testing.assert_close(cosines[len(X)], torch.ones(3, dtype=torch.float64))


def test_single_examples_average_to_the_full_gradient(xor):
    # The full gradient is the mean of the examples' gradients: a minibatch is unbiased.
    X, Y = xor
    layers = init_network((2, 4, 2), seed=0)
    full = flat_gradient(gradients(layers, X, Y)[1])
    each = torch.stack([flat_gradient(gradients(layers, X[i:i + 1], Y[i:i + 1])[1])
                        for i in range(len(X))])
    torch.testing.assert_close(each.mean(0), full)


def test_larger_minibatches_point_closer_to_the_full_gradient(xor):
    X, Y = xor
    cosines = minibatch_cosines(init_network((2, 4, 2), seed=0), X, Y, (1, 10, 30), draws=100)
    medians = [float(cosines[m].median()) for m in (1, 10, 30)]
    assert medians == sorted(medians) and medians[-1] > 0.9
    assert all(c.shape == (100,) and c.abs().max() <= 1 + 1e-12 for c in cosines.values())


def test_a_batch_size_outside_the_data_is_refused(xor):
    X, Y = xor
    with pytest.raises(ValueError, match="batch sizes"):
        minibatch_cosines(init_network((2, 4, 2), seed=0), X, Y, (0, 5))


def test_the_figure_has_a_band_and_a_median_line_per_state(xor):
    X, Y = xor
    layers = init_network((2, 4, 2), seed=0)
    cosines = minibatch_cosines(layers, X, Y, (1, 5, 40), draws=20)
    fig = cosine_figure({"start": cosines, "again": cosines}, title="Cosines")
    bands = [t for t in fig.data if t.fill == "toself"]
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(bands) == len(lines) == 2
    assert all(b.mode == "lines" for b in bands)  # a band has no dots at its edges
    np.testing.assert_array_equal(lines[0].x, [1, 5, 40])
    np.testing.assert_allclose(lines[0].y, [float(np.percentile(cosines[m].numpy(), 50))
                                            for m in (1, 5, 40)])
    assert fig.layout.xaxis.type == "log"
