import numpy as np
import pytest
from scipy.stats import multivariate_normal

from nnbook.density import (ClassConditionalDensity, GaussianMixture2, fit_class_conditional,
                            fit_gaussian)
from nnbook.density_figures import generative_vs_discriminative_figure
from nnbook.linear import accuracy, fit_logistic
from nnbook.toy_data import blobs


@pytest.fixture(scope="module")
def data():
    return blobs("separable", n_per_blob=50, seed=42)


def test_fit_gaussian_is_the_maximum_likelihood_estimate():
    X = np.random.default_rng(0).normal(size=(300, 2)) @ np.array([[2.0, 0.5], [0.0, 1.0]]) + 3.0
    g = fit_gaussian(X)
    np.testing.assert_allclose(g.means[0], X.mean(axis=0))
    np.testing.assert_allclose(g.covariances[0], np.cov(X.T, bias=True))
    np.testing.assert_allclose(g.weights, [1.0])


def test_log_density_matches_scipy_for_a_mixture():
    mix = GaussianMixture2(weights=np.array([0.3, 0.7]),
                           means=np.array([[0.0, 1.0], [2.0, -1.0]]),
                           covariances=np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.4, 0.0], [0.0, 2.0]]]))
    X = np.random.default_rng(1).normal(size=(50, 2)) * 2
    expected = np.log(0.3 * multivariate_normal(mix.means[0], mix.covariances[0]).pdf(X)
                      + 0.7 * multivariate_normal(mix.means[1], mix.covariances[1]).pdf(X))
    np.testing.assert_allclose(mix.log_density(X), expected, rtol=1e-10)


def test_posterior_is_bayes_rule(data):
    model = fit_class_conditional(data.X, data.y)
    X = np.random.default_rng(2).uniform(-8, 8, size=(40, 2))
    p = [model.priors[c] * multivariate_normal(model.densities[c].means[0],
                                               model.densities[c].covariances[0]).pdf(X)
         for c in (0, 1)]
    np.testing.assert_allclose(model.predict_proba(X), p[1] / (p[0] + p[1]), rtol=1e-8)
    np.testing.assert_allclose(model.density(X), p[0] + p[1], rtol=1e-8)
    # As a classifier the generative model does as well as logistic regression on these data.
    assert accuracy(data.y, (model.predict_proba(data.X) > 0.5).astype(int)) >= 0.97


def test_samples_follow_the_fitted_model(data):
    model = fit_class_conditional(data.X, data.y)
    X_new, y_new = model.sample(20000, seed=0)
    assert X_new.shape == (20000, 2) and set(np.unique(y_new)) == {0, 1}
    np.testing.assert_allclose(np.bincount(y_new) / len(y_new), model.priors, atol=0.02)
    for c in (0, 1):
        np.testing.assert_allclose(X_new[y_new == c].mean(axis=0), model.densities[c].means[0], atol=0.1)
        np.testing.assert_allclose(np.cov(X_new[y_new == c].T), model.densities[c].covariances[0],
                                   rtol=0.05, atol=0.1)
    again, _ = model.sample(20000, seed=0)
    np.testing.assert_array_equal(X_new, again)  # seeded


def test_two_components_per_class_find_the_two_blobs(data):
    one = fit_class_conditional(data.X, data.y, n_components=1)
    two = fit_class_conditional(data.X, data.y, n_components=2)
    ll = lambda m: float(m.log_joint(data.X)[np.arange(len(data.y)), data.y].mean())  # noqa: E731
    assert ll(two) > ll(one) + 0.5
    # The crosses (x1 > 0) are the blobs at (3, 3) and (3, -3): two components land on them.
    centres = sorted(two.densities[1].means.round().tolist())
    np.testing.assert_allclose(centres, [[3, -3], [3, 3]], atol=1.0)


def test_bad_labels_are_refused():
    with pytest.raises(ValueError, match="labels"):
        fit_class_conditional(np.zeros((4, 2)), np.array([1, 2, 1, 2]))


def test_figure_has_densities_samples_and_the_surface(data):
    model = fit_class_conditional(data.X, data.y)
    logistic = fit_logistic(data.X, data.y)
    fig = generative_vs_discriminative_figure(model, logistic.predict_proba, data.X, data.y,
                                              n_samples=120, title="t")
    contours = [t for t in fig.data if t.type == "contour"]
    scatters = [t for t in fig.data if t.type == "scatter"]
    assert len(contours) == 3  # two class densities and the probability surface
    assert sum(len(t.x) for t in scatters if t.xaxis == "x") == 120  # the sampled points
    assert sum(len(t.x) for t in scatters if t.xaxis == "x2") == len(data.X)  # the real data
    assert fig.layout.title.text == "t"
    assert isinstance(model, ClassConditionalDensity)
