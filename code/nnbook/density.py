"""A generative model of the two-dimensional teaching data: one Gaussian density per class.

A discriminative model such as logistic regression learns P(y | x) and nothing else. A generative
model learns how the inputs themselves are distributed, here P(x | y) for each class and the class
shares P(y), so it can *draw new points*; Bayes' rule turns it into a classifier as well.
Each class-conditional density is a mixture of ``n_components`` Gaussians (one by default, fitted in
closed form; more are fitted by expectation-maximisation with scikit-learn). Its figures are in
:mod:`nnbook.density_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class GaussianMixture2:
    """A mixture of Gaussians: ``weights`` (k,), ``means`` (k, d), ``covariances`` (k, d, d)."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    def log_density(self, X: np.ndarray) -> np.ndarray:
        """log p(x) for each row of ``X`` (n, d)."""
        X = np.asarray(X, dtype=np.float64)
        d = X.shape[1]
        terms = []
        for w, mu, cov in zip(self.weights, self.means, self.covariances):
            L = np.linalg.cholesky(cov)
            sol = np.linalg.solve(L, (X - mu).T)  # (d, n): L^-1 (x - mu)
            maha = (sol ** 2).sum(axis=0)  # squared Mahalanobis distance
            log_det = 2 * np.log(np.diag(L)).sum()
            terms.append(np.log(w) - 0.5 * (maha + log_det + d * np.log(2 * np.pi)))
        return np.logaddexp.reduce(np.stack(terms), axis=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` points: a component drawn by its weight, then a point from that Gaussian."""
        components = rng.choice(len(self.weights), size=n, p=self.weights)
        out = np.empty((n, self.means.shape[1]))
        for k in range(len(self.weights)):
            mask = components == k
            out[mask] = rng.multivariate_normal(self.means[k], self.covariances[k], size=int(mask.sum()))
        return out


@dataclass(frozen=True)
class ClassConditionalDensity:
    """P(y) (``priors``) and P(x | y) (one mixture per class): a model of the whole data."""

    priors: np.ndarray  # (num_classes,)
    densities: tuple[GaussianMixture2, ...]

    def log_joint(self, X: np.ndarray) -> np.ndarray:
        """log P(x, y) for every row of ``X`` and every class: (n, num_classes)."""
        return np.stack([np.log(p) + dens.log_density(X)
                         for p, dens in zip(self.priors, self.densities)], axis=1)

    def density(self, X: np.ndarray) -> np.ndarray:
        """p(x), the density of the inputs whatever their class."""
        return np.exp(np.logaddexp.reduce(self.log_joint(X), axis=1))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) by Bayes' rule: the generative model used as a classifier."""
        lj = self.log_joint(X)
        return np.exp(lj[:, 1] - np.logaddexp.reduce(lj, axis=1))

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` new labelled points: first a class from P(y), then a point from P(x | y)."""
        rng = np.random.default_rng(seed)
        y = rng.choice(len(self.priors), size=n, p=self.priors)
        X = np.empty((n, self.densities[0].means.shape[1]))
        for label, dens in enumerate(self.densities):
            mask = y == label
            X[mask] = dens.sample(int(mask.sum()), rng)
        return X, y.astype(np.int64)


def fit_gaussian(X: np.ndarray) -> GaussianMixture2:
    """The maximum-likelihood Gaussian: the sample mean and the (biased, 1/n)
    sample covariance."""
    X = np.asarray(X, dtype=np.float64)
    mu = X.mean(axis=0)
    cov = (X - mu).T @ (X - mu) / len(X)
    return GaussianMixture2(np.ones(1), mu[None], cov[None])


def fit_class_conditional(X: np.ndarray, y: np.ndarray, n_components: int = 1,
                          seed: int = 0) -> ClassConditionalDensity:
    """Fit P(y) by the class shares and P(x | y) by ``n_components`` Gaussians per class."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"need X of shape (n, d) and y of shape (n,), got {X.shape} and {y.shape}")
    labels = np.unique(y)
    if not np.array_equal(labels, np.arange(len(labels))):
        raise ValueError(f"labels must be 0, 1, ..., k-1; got {labels}")
    densities = []
    for label in labels:
        Xc = X[y == label]
        if n_components == 1:
            densities.append(fit_gaussian(Xc))
        else:
            from sklearn.mixture import GaussianMixture

            gm = GaussianMixture(n_components, covariance_type="full", random_state=seed).fit(Xc)
            densities.append(GaussianMixture2(gm.weights_, gm.means_, gm.covariances_))
    priors = np.bincount(y, minlength=len(labels)) / len(y)
    return ClassConditionalDensity(priors, tuple(densities))
