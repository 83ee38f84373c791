"""Fixtures every test may use: the CPU, a run store of its own, a guard against training, and
small synthetic images that stand in for a data set."""

from __future__ import annotations

import pytest
import torch

from nnbook.engine import fit as fit_module
from nnbook.engine.fit import TensorData
from nnbook.engine.runs import RunStore


@pytest.fixture
def cpu() -> torch.device:
    return torch.device("cpu")


@pytest.fixture
def store(tmp_path) -> RunStore:
    """An empty run store in a temporary folder (never the reader's ~/.cache)."""
    return RunStore(tmp_path / "runs")


@pytest.fixture
def no_training(monkeypatch):
    """Call it to make any further training fail the test: for checking that a run came from the
    store. The engine's loop, the cached runs, the GANs and the lectures' loop are all guarded."""
    import nnbook.engine.runs as runs
    import nnbook.gan as gan
    import nnbook.loops as loops

    def refuse(*args, **kwargs):
        raise AssertionError("a run was trained where it should have been loaded")

    def arm():
        monkeypatch.setattr(runs, "fit", refuse)
        monkeypatch.setattr(fit_module, "train_epoch", refuse)
        monkeypatch.setattr(gan, "train_gan", refuse)
        monkeypatch.setattr(loops, "train", refuse)  # the lectures' loop
        monkeypatch.setattr(loops, "test", refuse)

    return arm


@pytest.fixture
def tinylib(tmp_path, monkeypatch):
    """A package ``tinylib`` on the path, for the fingerprint tests: alpha imports beta; gamma
    imports nothing."""
    pkg = tmp_path / "lib" / "tinylib"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "alpha.py").write_text("from tinylib.beta import MESSAGE\n")
    (pkg / "beta.py").write_text("MESSAGE = 'first'\n")
    (pkg / "gamma.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    return pkg


def synthetic_images(n: int, *, seed: int = 0, n_classes: int = 10) -> tuple[torch.Tensor,
                                                                            torch.Tensor]:
    """``n`` noisy 28x28 images in [0, 1], shape (n, 1, 28, 28), with labels: class ``k`` is a
    bright square in the ``k``-th of ten places, so a small network can learn them in seconds."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(n_classes, (n,), generator=g)
    X = 0.1 * torch.rand(n, 1, 28, 28, generator=g)
    for k in range(n_classes):
        row, col = 2 + 6 * (k // 4), 2 + 6 * (k % 4)  # ten places on a 4-by-3 grid
        X[y == k, :, row:row + 5, col:col + 5] += 0.8
    return X.clamp_(0, 1), y


@pytest.fixture(scope="session")
def images() -> TensorData:
    """1,200 synthetic training and 300 test images with labels (see :func:`synthetic_images`)."""
    X, y = synthetic_images(1200, seed=0)
    X_test, y_test = synthetic_images(300, seed=1)
    return TensorData(X, y, X_test, y_test)


@pytest.fixture(scope="session")
def make_images():
    """:func:`synthetic_images`, for tests that need their own size or seed."""
    return synthetic_images
