"""Fixtures every test may use: the CPU, a run store of its own, a guard against training, and
small synthetic images that stand in for a data set."""

from __future__ import annotations

import textwrap

import pytest
import torch

from nnbook.engine.runs import RunStore
from nnbook.engine.tensor_data import TensorData


@pytest.fixture(autouse=True)
def _global_generator_left_as_it_was():
    """Every test runs on a fork of torch's global generator: what a test seeds or draws there is
    gone when it ends, so no test's random numbers depend on which tests ran before it."""
    with torch.random.fork_rng(devices=[]):
        yield


@pytest.fixture
def cpu() -> torch.device:
    return torch.device("cpu")


@pytest.fixture
def store(tmp_path) -> RunStore:
    """An empty run store in a temporary folder (never the reader's ~/.cache)."""
    return RunStore(tmp_path / "runs")


@pytest.fixture
def no_training(monkeypatch):
    """Call it to make any further training of a cached run fail the test: for checking that a
    run came from the store. Every kind of cached run (the engine's, ensembles, GANs, the
    lectures' loops, the speed ladder) trains through one function, which this guards."""
    import nnbook.engine.runs as runs

    def refuse(*args, **kwargs):
        raise AssertionError("a run was trained where it should have been loaded")

    def arm():
        monkeypatch.setattr(runs, "run_training", refuse)

    return arm


@pytest.fixture
def tinylib(tmp_path, monkeypatch):
    """A package ``tinylib`` on the path, for the import-closure and fingerprint tests: alpha
    imports beta; gamma imports beta relatively; typed imports delta only for the type checker,
    and epsilon in the ``else`` branch, which does run."""
    pkg = tmp_path / "lib" / "tinylib"
    pkg.mkdir(parents=True)
    files = {
        "__init__.py": "",
        "alpha.py": "from tinylib.beta import MESSAGE\n",
        "beta.py": "MESSAGE = 'first'\n",
        "gamma.py": "from . import beta as _b\nVALUE = 1\n",
        "delta.py": "import numpy\n",
        "epsilon.py": "",
        "typed.py": """\
            from __future__ import annotations

            import typing
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from tinylib.delta import numpy
            if typing.TYPE_CHECKING:
                import tinylib.delta
            else:
                import tinylib.epsilon
            """,
    }
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text))
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
