"""Logistic regression, fitted with torch so it reads as the one-neuron network it is.

The model is P(y = 1 | x) = sigmoid(w . phi(x) + b), where phi is the identity or any feature map
(for example :func:`nnbook.toy_data.quadrant_features`). It minimises the mean log-loss plus
``l2 / 2 * ||w||^2`` with L-BFGS in float64, which is the same optimum scikit-learn's
``LogisticRegression(C=1 / (l2 * n))`` finds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

FeatureFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class LogisticModel:
    """A fitted logistic regression: weights ``w``, bias ``b`` and the feature map it expects."""

    w: np.ndarray
    b: float
    features: FeatureFn | None = None

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        Phi = self.features(np.asarray(X)) if self.features else np.asarray(X, dtype=np.float64)
        return Phi @ self.w + self.b

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) for each row of ``X``."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X) > 0.5).astype(np.int64)

    def transition_width(self, low: float = 0.1, high: float = 0.9) -> float:
        """How far apart, across the boundary, P(y = 1 | x) is ``low`` and
        ``high``.

        Along the boundary's normal the score w.x + b grows by ||w|| per unit
        of distance, and P = p where the score is logit(p) = log(p / (1 - p)):
        the band is (logit(high) - logit(low)) / ||w|| wide. Only for a model
        of the raw coordinates: a feature map bends the band.
        """
        if self.features is not None:
            raise ValueError("a feature map bends the band: no single width")
        if not 0 < low < high < 1:
            raise ValueError(f"need 0 < low < high < 1, got {low}, {high}")
        norm = float(np.linalg.norm(self.w))
        if norm == 0:
            raise ValueError("with w = 0, P is the same everywhere: no band")
        logit_high, logit_low = (np.log(p / (1 - p)) for p in (high, low))
        return float((logit_high - logit_low) / norm)


def fit_logistic(X: np.ndarray, y: np.ndarray, *, features: FeatureFn | None = None,
                 l2: float = 1e-2, max_iter: int = 200) -> LogisticModel:
    """Fit by L-BFGS on the penalised mean log-loss (a convex problem: one optimum)."""
    Phi = features(np.asarray(X)) if features else np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if Phi.ndim != 2 or len(Phi) != len(y):
        raise ValueError(f"need X of shape (n, d) and y of shape (n,), got {Phi.shape} and {y.shape}")
    if not set(np.unique(y)) <= {0, 1}:
        raise ValueError(f"labels must be 0 or 1, got {np.unique(y)}")
    Phi_t = torch.as_tensor(Phi, dtype=torch.float64)
    y_t = torch.as_tensor(y, dtype=torch.float64)
    w = torch.zeros(Phi.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, tolerance_grad=1e-10,
                                  tolerance_change=1e-12, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(Phi_t @ w + b, y_t)
        loss = loss + 0.5 * l2 * (w @ w)
        loss.backward()
        return loss

    optimizer.step(closure)
    return LogisticModel(w=w.detach().numpy().copy(), b=float(b.detach()), features=features)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of predictions equal to the labels."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {y_true.shape} and {y_pred.shape}")
    return float((y_true == y_pred).mean())


def log_loss_gradient(
    w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, l2: float = 0.0
) -> tuple[np.ndarray, float]:
    """The gradient of the penalised mean log-loss, in closed form (an
    exercise's solution).

    With p = sigmoid(X w + b):
    dL/dw = X^T (p - y) / n + l2 w and dL/db = mean(p - y).
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    residual = (
        1.0 / (1.0 + np.exp(-(X @ w + b))) - y
    )  # (n,): predicted minus observed
    return X.T @ residual / len(X) + l2 * np.asarray(w), float(residual.mean())
