import numpy as np
import pytest

from nnbook.toy_data import CENTRES, blobs, quadrant_features


@pytest.mark.parametrize("labelling", ["separable", "xor"])
def test_shapes_and_balance(labelling):
    data = blobs(labelling, n_per_blob=50, seed=42)
    assert data.X.shape == (200, 2) and data.y.shape == (200,)
    assert set(np.unique(data.y)) == {0, 1}
    # Four clouds of 50 around (+-3, +-3): each quadrant holds about a quarter of the points.
    counts = [np.sum((np.sign(data.X) == np.sign(c)).all(axis=1)) for c in CENTRES]
    assert all(40 <= c <= 60 for c in counts), counts
    assert abs(data.y.mean() - 0.5) < 0.1


def test_labels_follow_their_rules():
    sep, xor = blobs("separable"), blobs("xor")
    np.testing.assert_array_equal(sep.y, sep.X[:, 0] > 0)
    np.testing.assert_array_equal(xor.y, (xor.X[:, 0] > 0) != (xor.X[:, 1] > 0))


def test_same_points_under_both_labellings_and_seeded():
    np.testing.assert_array_equal(blobs("separable", seed=1).X, blobs("xor", seed=1).X)
    np.testing.assert_array_equal(blobs("xor", seed=1).X, blobs("xor", seed=1).X)
    assert not np.array_equal(blobs("xor", seed=1).X, blobs("xor", seed=2).X)


def test_blob_means_are_near_the_centres():
    data = blobs("separable", n_per_blob=2000, seed=0)
    for c in CENTRES:
        mask = (np.sign(data.X) == np.sign(c)).all(axis=1)
        np.testing.assert_allclose(data.X[mask].mean(axis=0), c, atol=0.15)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="labelling must be one of"):
        blobs("circles")
    with pytest.raises(ValueError, match="at least 1"):
        blobs(n_per_blob=0)


def test_quadrant_features_one_hot():
    X = np.array([[1.0, 2.0], [-1.0, 2.0], [-1.0, -2.0], [1.0, -2.0], [0.0, 1.0]])
    expected = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(quadrant_features(X), expected)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        quadrant_features(np.zeros((3, 3)))


def test_one_product_feature_solves_xor():
    from nnbook.linear import accuracy, fit_logistic
    from nnbook.toy_data import product_feature

    data = blobs("xor")
    np.testing.assert_array_equal(product_feature(np.array([[2.0, -3.0]])), [[-6.0]])
    model = fit_logistic(data.X, data.y, features=product_feature)
    assert accuracy(data.y, model.predict(data.X)) >= 0.97
    assert model.w[0] < 0  # crosses are where the product is negative
