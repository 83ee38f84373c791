import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from nnbook.linear import accuracy, fit_logistic
from nnbook.toy_data import blobs, quadrant_features


def test_separable_data_is_learned():
    data = blobs("separable")
    model = fit_logistic(data.X, data.y)
    assert accuracy(data.y, model.predict(data.X)) >= 0.97
    assert abs(model.w[0]) > 5 * abs(model.w[1])  # only x1 matters


def test_xor_defeats_a_line_but_not_quadrant_features():
    data = blobs("xor")
    linear = fit_logistic(data.X, data.y)
    assert accuracy(data.y, linear.predict(data.X)) <= 0.70
    engineered = fit_logistic(data.X, data.y, features=quadrant_features)
    assert accuracy(data.y, engineered.predict(data.X)) >= 0.97


@pytest.mark.parametrize("l2", [1e-2, 1.0])
def test_matches_scikit_learn_optimum(l2):
    # Same objective: mean log-loss + l2/2 ||w||^2  <=>  C = 1 / (l2 * n) in scikit-learn.
    data = blobs("xor", seed=3)
    ours = fit_logistic(data.X, data.y, l2=l2)
    ref = LogisticRegression(C=1.0 / (l2 * len(data.X)), tol=1e-12, max_iter=10_000).fit(data.X, data.y)
    np.testing.assert_allclose(ours.w, ref.coef_[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.b, ref.intercept_[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(data.X), ref.predict_proba(data.X)[:, 1], atol=1e-6)


def test_bad_labels_and_shapes_are_explained():
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        fit_logistic(np.zeros((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="shapes differ"):
        accuracy(np.zeros(3), np.zeros(4))
