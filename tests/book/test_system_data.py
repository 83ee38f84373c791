"""The real Fashion-MNIST that the book builds on: the system copy verifies and loads, and a
truncated copy in NNBOOK_DATA stops the doctor, as the README promises. These need the data set
(``apt-get install dataset-fashion-mnist``), so they live here rather than in tests/unit."""

import os
import shutil
import subprocess
import sys

import pytest
import torch

from nnbook.engine import data as datasets

needs_system_copy = pytest.mark.skipif(not datasets.DEBIAN_FASHION.is_dir(),
                                       reason="dataset-fashion-mnist not installed")


@needs_system_copy
def test_debian_fashion_mnist_verifies_and_loads(monkeypatch, tmp_path):
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    data = datasets.load_fashion_mnist(download=False)
    assert data.source == str(datasets.DEBIAN_FASHION)
    assert data.X_train.shape == (60000, 28, 28) and data.X_test.shape == (10000, 28, 28)
    assert torch.bincount(data.y_test).tolist() == [1000] * 10
    assert data.classes[9] == "Ankle boot"


@needs_system_copy
def test_the_doctor_stops_on_a_truncated_copy_in_nnbook_data(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    shutil.copytree(datasets.DEBIAN_FASHION, raw)
    bad = raw / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:2000])
    before = bad.read_bytes(), bad.stat().st_mtime_ns
    env = {**os.environ, "NNBOOK_DATA": str(tmp_path), "NNBOOK_DEVICE": "cpu"}
    result = subprocess.run([sys.executable, "-m", "nnbook", "doctor"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{bad}: truncated gzip file" in result.stdout
    assert f"unset NNBOOK_DATA to use the system copy at {datasets.DEBIAN_FASHION}" in result.stdout
    assert (bad.read_bytes(), bad.stat().st_mtime_ns) == before
