import dataclasses
import subprocess
import sys

from nnbook.book import doctor
from nnbook.engine import data as datasets


def test_doctor_passes_when_everything_is_there(monkeypatch, capsys):
    monkeypatch.delenv("NNBOOK_DEVICE", raising=False)
    monkeypatch.setattr(doctor, "run_checks", lambda: [doctor.Check("device", True, "cpu")])
    assert doctor.main() == 0
    assert "The book can be built." in capsys.readouterr().out


def test_doctor_fails_with_the_fix_when_fashion_mnist_is_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    missing = dataclasses.replace(datasets.FASHION_MNIST, system_dirs=(tmp_path / "nowhere",))
    monkeypatch.setattr(datasets, "FASHION_MNIST", missing)
    assert doctor.main() == 1
    out = capsys.readouterr().out
    assert "BAD" in out and "FashionMNIST" in out and "apt-get install dataset-fashion-mnist" in out
    assert str(tmp_path / "nowhere") in out


def test_doctor_fails_when_dot_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    assert doctor.check_dot().ok is False
    assert "graphviz" in doctor.check_dot().fix


def test_doctor_fails_on_an_impossible_device(monkeypatch):
    monkeypatch.setenv("NNBOOK_DEVICE", "cuda")
    monkeypatch.setattr(doctor, "get_device", lambda: (_ for _ in ()).throw(
        doctor.DeviceError("no CUDA")))
    assert doctor.check_device().ok is False


def test_command_line_exit_status(tmp_path):
    env = {"NNBOOK_DEVICE": "tpu", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "nnbook", "doctor"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "'cpu' or 'cuda'" in result.stdout
