"""benchmarks/gpu_check.py on the CPU: its argument handling, its preparation step and its
training report (the GPU run itself needs a GPU; see benchmarks/README.md)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_names_its_commands_and_refuses_others():
    help_text = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True,
                               text=True)
    assert help_text.returncode == 0
    assert all(name in help_text.stdout for name in ("prepare", "run", "train"))
    wrong = subprocess.run([sys.executable, str(SCRIPT), "fly"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


def test_the_wheels_are_the_pinned_versions(gpu_check, tmp_path):
    pins = gpu_check.pins(SCRIPT.parents[1] / "requirements.txt",
                          SCRIPT.parents[1] / "requirements-test.txt")
    assert set(pins) == set(gpu_check.WHEELS)
    assert all(pin.startswith(f"{name}==") for name, pin in pins.items())
    (tmp_path / "r.txt").write_text("numpy==1.0\n")
    with pytest.raises(SystemExit, match="pin no version of"):
        gpu_check.pins(tmp_path / "r.txt")


def test_prepare_gathers_the_library_tests_and_data(gpu_check, tmp_path):
    data = gpu_check.fashion_folder() is not None
    out = gpu_check.prepare(tmp_path / "bundle", wheels=False, data=data)
    assert (out / "code" / "nnbook" / "models.py").is_file()
    assert not (out / "code" / "nnbook" / "book" / "sphinxext" / "static").exists()
    assert all((out / name).is_file() for name in gpu_check.TESTS)
    assert (out / "gpu_check.py").is_file()
    if data:
        assert all((out / "data" / "FashionMNIST" / "raw" / name).is_file()
                   for name in gpu_check.DATA_FILES)


def test_run_installs_from_the_folder_only_and_trains_on_cuda(gpu_check, tmp_path, capsys):
    assert gpu_check.run(tmp_path, dry_run=True) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "--system-site-packages" in lines[0] and "--no-index" in lines[1]
    assert "test_cuda.py" in lines[2] and lines[3].endswith("gpu_check.py train")
    env = gpu_check.environment(tmp_path)
    assert env["NNBOOK_DEVICE"] == "cuda" and env["PYTHONPATH"] == str(tmp_path / "code")


def test_train_reports_the_plan_and_the_time_to_the_target(gpu_check, monkeypatch):
    if gpu_check.fashion_folder() is None:
        pytest.skip("Fashion-MNIST is not on this machine")
    monkeypatch.setenv("NNBOOK_DEVICE", "cpu")
    monkeypatch.setenv("NNBOOK_PLAN", "fixed")
    report = gpu_check.train(n_train=512, n_test=256, target=0.3)
    assert report["device"] == "cpu" and "fixed" in report["plan"]
    assert report["seconds_to_target"] is not None
    assert 0.3 <= report["final_accuracy"] <= 1
    json.dumps(report)
