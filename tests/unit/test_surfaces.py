import numpy as np
import pytest
import torch

from nnbook.grids import surface_grid, surface_values, torch_predictor
from nnbook.surfaces import decision_surface, surface_panels


def test_grid_covers_the_square_row_major_in_x2():
    u, XX = surface_grid((-10, 10), 5)
    np.testing.assert_allclose(u, [-10, -5, 0, 5, 10])
    assert XX.shape == (25, 2)
    np.testing.assert_allclose(XX[:5, 0], u)  # first row: x1 sweeps, x2 fixed at its minimum
    np.testing.assert_allclose(XX[:5, 1], -10)


def test_values_are_indexed_z_row_x2_column_x1():
    u, Z = surface_values(lambda X: (X[:, 0] > 0).astype(float), (-1, 1), 4)
    # Z[i, j] = p(x1 = u[j], x2 = u[i]): the right half is 1 in every row.
    np.testing.assert_array_equal(Z, np.tile([0, 0, 1, 1], (4, 1)))
    _, Z2 = surface_values(lambda X: (X[:, 1] > 0).astype(float), (-1, 1), 4)
    np.testing.assert_array_equal(Z2, Z.T)


def test_figure_carries_the_surface_and_the_points():
    X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    y = np.array([1, 0])
    fig = decision_surface(lambda P: 1 / (1 + np.exp(-P[:, 0])), X, y, bounds=(-3, 3),
                           resolution=7, title="t")
    contour = fig.data[0]
    assert contour.type == "contour" and (contour.zmin, contour.zmax) == (0.0, 1.0)
    np.testing.assert_allclose(np.asarray(contour.z)[0, 3], 0.5)  # x1 = 0 -> p = 1/2
    scatters = [t for t in fig.data if t.type == "scatter"]
    assert sorted(len(t.x) for t in scatters) == [1, 1]
    assert list(fig.layout.xaxis.range) == [-3, 3] and fig.layout.title.text == "t"


def test_wrong_prediction_shape_is_explained():
    with pytest.raises(ValueError, match="one probability per row"):
        surface_values(lambda X: np.zeros((len(X), 2)), resolution=3)
    with pytest.raises(ValueError, match="labels y"):
        decision_surface(lambda X: np.zeros(len(X)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="low < high"):
        surface_grid((1, 1))


def test_torch_predictor_takes_the_softmax_column_and_restores_mode():
    model = torch.nn.Linear(2, 2).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
        model.bias.zero_()
    model.train()
    p = torch_predictor(model)(np.array([[0.0, 5.0], [2.0, -1.0]]))
    np.testing.assert_allclose(p, [0.5, 1 / (1 + np.exp(-2.0))])
    assert model.training


def test_panels_put_each_function_on_its_own_axes_with_the_data():
    X = np.array([[1.0, 1.0], [-1.0, 1.0], [2.0, -3.0]])
    y = np.array([0, 1, 1])
    fns = {"left": lambda P: 1 / (1 + np.exp(-P[:, 0])), "right": lambda P: (P[:, 1] > 0) * 1.0,
           "third": lambda P: np.full(len(P), 0.3)}
    fig = surface_panels(fns, X, y, title="three", bounds=(-2, 2), resolution=5)
    contours = [t for t in fig.data if t.type == "contour"]
    assert [c.xaxis for c in contours] == ["x", "x2", "x3"]  # one panel per function, in order
    for contour, fn in zip(contours, fns.values()):
        np.testing.assert_allclose(np.asarray(contour.z), surface_values(fn, (-2, 2), 5)[1])
    assert [c.showscale for c in contours] == [True, False, False]  # one shared colour bar
    assert [a.text for a in fig.layout.annotations] == list(fns)
    for axis in ("x", "x2", "x3"):
        points = [t for t in fig.data if t.type == "scatter" and t.xaxis == axis]
        assert sorted(len(t.x) for t in points) == [1, 2]  # both classes, every point
    assert sum(bool(t.showlegend) for t in fig.data if t.type == "scatter") == 2
    assert list(fig.layout.xaxis3.range) == list(fig.layout.yaxis2.range) == [-2, 2]
