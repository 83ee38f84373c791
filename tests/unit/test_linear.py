import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from nnbook.linear import LogisticModel, accuracy, fit_logistic, log_loss_gradient
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


def test_closed_form_gradient_matches_autograd():
    import torch

    data = blobs("xor", seed=5)
    rng = np.random.default_rng(0)
    w, b, l2 = rng.standard_normal(2), 0.3, 0.1
    grad_w, grad_b = log_loss_gradient(w, b, data.X, data.y, l2)
    w_t = torch.tensor(w, requires_grad=True)
    b_t = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    X_t, y_t = torch.tensor(data.X), torch.tensor(data.y, dtype=torch.float64)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(X_t @ w_t + b_t, y_t) \
        + 0.5 * l2 * (w_t @ w_t)
    loss.backward()
    np.testing.assert_allclose(grad_w, w_t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_b, b_t.grad.item(), rtol=1e-12)


def test_the_gradient_vanishes_at_the_fitted_optimum():
    data = blobs("separable")
    model = fit_logistic(data.X, data.y, l2=0.1)
    grad_w, grad_b = log_loss_gradient(model.w, model.b, data.X, data.y, l2=0.1)
    assert np.abs(grad_w).max() < 1e-6 and abs(grad_b) < 1e-6


def test_transition_width_by_hand():
    # P = sigmoid(2 x1): P = 0.9 at x1 = ln(9) / 2 and 0.1 at -ln(9) / 2, so the band is ln 9 wide.
    model = LogisticModel(w=np.array([2.0, 0.0]), b=0.7)
    assert model.transition_width() == pytest.approx(np.log(9), rel=1e-12)
    # logit(0.75) - logit(0.5) = ln 3
    assert model.transition_width(0.5, 0.75) == pytest.approx(np.log(3) / 2, rel=1e-12)


def test_transition_width_is_where_the_fitted_model_crosses_the_levels():
    """Walk along the boundary's normal and find where P passes 0.1 and 0.9 numerically."""
    from scipy.optimize import brentq

    data = blobs("separable")
    model = fit_logistic(data.X, data.y, l2=1.0)
    normal = model.w / np.linalg.norm(model.w)
    on_boundary = -model.b * normal / np.linalg.norm(model.w)  # w . x + b = 0

    def p_at(t):
        return model.predict_proba((on_boundary + t * normal)[None, :])[0]

    t_low = brentq(lambda t: p_at(t) - 0.1, -50, 50, xtol=1e-12)
    t_high = brentq(lambda t: p_at(t) - 0.9, -50, 50, xtol=1e-12)
    assert model.transition_width() == pytest.approx(t_high - t_low, rel=1e-9)
    # A stronger penalty means smaller weights and a wider band.
    assert model.transition_width() > fit_logistic(data.X, data.y, l2=1e-2).transition_width()


def test_transition_width_needs_raw_coordinates_and_levels_in_order():
    data = blobs("xor")
    with pytest.raises(ValueError, match="feature map"):
        fit_logistic(data.X, data.y, features=quadrant_features).transition_width()
    with pytest.raises(ValueError, match="low < high"):
        LogisticModel(w=np.array([1.0, 0.0]), b=0.0).transition_width(0.9, 0.1)
