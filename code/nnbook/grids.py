"""A model's predictions over a grid of the plane: the numbers a decision surface draws.

Apart from :mod:`nnbook.surfaces` (the figures), so that the code that trains a model and records
its surface (:func:`nnbook.xor.surface_frame`) imports no figure module.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

PredictFn = Callable[[np.ndarray], np.ndarray]


def surface_grid(bounds: tuple[float, float] = (-10.0, 10.0), resolution: int = 100,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The grid's axis ``u`` (resolution,) and its points ``XX`` (resolution**2, 2), row-major in x2."""
    lo, hi = bounds
    if not lo < hi:
        raise ValueError(f"bounds must be (low, high) with low < high, got {bounds}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    u = np.linspace(lo, hi, resolution)
    x1, x2 = np.meshgrid(u, u)  # each (res, res); rows follow x2, columns follow x1
    return u, np.column_stack([x1.ravel(), x2.ravel()])


def surface_values(predict_fn: PredictFn, bounds: tuple[float, float] = (-10.0, 10.0),
                   resolution: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate ``predict_fn`` on the grid: returns ``u`` and ``Z`` with ``Z[i, j] = p(u[j], u[i])``."""
    u, XX = surface_grid(bounds, resolution)
    p = np.asarray(predict_fn(XX), dtype=np.float64)
    if p.shape != (len(XX),):
        raise ValueError(
            f"predict_fn must return one probability per row, shape ({len(XX)},); got {p.shape}. "
            "For a classifier with two outputs, pass a function that returns column 1."
        )
    return u, p.reshape(resolution, resolution)


def torch_predictor(model: torch.nn.Module, output: str = "softmax", column: int = 1) -> PredictFn:
    """Wrap a torch model as a numpy prediction function for :func:`decision_surface`.

    ``output`` says what the model returns: ``"softmax"`` (class logits, take the softmax's
    ``column``), ``"sigmoid"`` (one logit) or ``"probability"`` (already a probability).
    """
    if output not in ("softmax", "sigmoid", "probability"):
        raise ValueError(f"output must be 'softmax', 'sigmoid' or 'probability', not {output!r}")

    def predict(X: np.ndarray) -> np.ndarray:
        param = next(model.parameters())
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model(torch.as_tensor(X, dtype=param.dtype, device=param.device))
        finally:
            model.train(was_training)
        if output == "softmax":
            out = torch.softmax(out, dim=1)[:, column]
        elif output == "sigmoid":
            out = torch.sigmoid(out).reshape(-1)
        return out.reshape(-1).double().cpu().numpy()

    return predict
