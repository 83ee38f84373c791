"""The two-dimensional teaching data: four Gaussian blobs centred at (+-3, +-3).

Two labellings of the same points: ``"separable"`` (y = 1 where x1 > 0) and ``"xor"``
(y = 1 where exactly one coordinate is positive). Both are drawn from one seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CENTRES = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * 3.0  # one blob per quadrant
LABELLINGS = ("separable", "xor")


@dataclass(frozen=True)
class ToyData:
    """Points ``X`` of shape (n, 2) with binary labels ``y`` of shape (n,)."""

    X: np.ndarray
    y: np.ndarray
    labelling: str


def blobs(labelling: str = "separable", n_per_blob: int = 50, seed: int = 42) -> ToyData:
    """Draw ``n_per_blob`` standard-normal points around each quadrant centre, then label them."""
    if labelling not in LABELLINGS:
        raise ValueError(f"labelling must be one of {LABELLINGS}, not {labelling!r}")
    if n_per_blob < 1:
        raise ValueError(f"n_per_blob must be at least 1, not {n_per_blob}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4 * n_per_blob, 2)) + np.tile(CENTRES, (n_per_blob, 1))  # (4n, 2)
    X = X[rng.permutation(len(X))]
    if labelling == "separable":
        y = X[:, 0] > 0
    else:
        y = np.logical_xor(X[:, 0] > 0, X[:, 1] > 0)
    return ToyData(X=X, y=y.astype(np.int64), labelling=labelling)


def quadrant_features(X: np.ndarray) -> np.ndarray:
    """One-hot encode the quadrant of each point: the hand-engineered features
    for XOR.

    Columns are quadrants I to IV (counter-clockwise from x1 > 0, x2 > 0).
    Points on an axis belong to no quadrant and get an all-zero row.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    right, up = X[:, 0] > 0, X[:, 1] > 0
    left, down = X[:, 0] < 0, X[:, 1] < 0
    return np.column_stack(
        [right & up, left & up, left & down, right & down]
    ).astype(np.float64)


def product_feature(X: np.ndarray) -> np.ndarray:
    """The single feature x1 * x2, negative exactly where the signs differ
    (an exercise's solution).

    One column, shape (n, 1): enough for logistic regression to solve XOR.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    return (X[:, 0] * X[:, 1])[:, None]
