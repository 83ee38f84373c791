import dataclasses
import subprocess
import sys

import pytest

from nnbook.book.tools import doctor
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


@pytest.mark.parametrize("name, value, allowed", [
    ("NNBOOK_PROGRESS", "maybe", "1, 0"),  # read only when a run trains: the doctor said "ok"
    ("NNBOOK_PLAN", "bogus", "auto, fixed, measure"),
])
def test_doctor_reports_a_setting_it_cannot_take(monkeypatch, capsys, name, value, allowed):
    for check in ("check_device", "check_dot", "check_store"):
        monkeypatch.setattr(doctor, check, lambda: doctor.Check("other", True, "fine"))
    monkeypatch.setattr(doctor, "check_dataset", lambda spec, required: doctor.Check(
        spec.name, True, "fine"))
    monkeypatch.setenv(name, value)
    assert doctor.main() == 1
    out = capsys.readouterr().out
    bad = next(line for line in out.splitlines() if line.startswith("BAD"))
    assert bad.split()[1] == "settings" and f"${name} is {value!r}" in bad and allowed in bad


def test_doctor_shows_the_settings_it_read(monkeypatch):
    monkeypatch.setenv("NNBOOK_PROGRESS", "0")
    monkeypatch.setenv("NNBOOK_PLAN", "fixed")
    check = doctor.check_settings()
    assert check.ok and check.detail == "NNBOOK_PLAN fixed, NNBOOK_PROGRESS off"


@pytest.fixture
def only_data(monkeypatch, tiny):
    """The doctor with the tiny data set in Fashion-MNIST's place, and a device and dot that pass
    (those are tested above), so that its verdict is about data alone."""
    monkeypatch.setattr(datasets, "FASHION_MNIST", tiny.spec)
    monkeypatch.setattr(doctor, "check_device", lambda: doctor.Check("device", True, "cpu"))
    monkeypatch.setattr(doctor, "check_dot", lambda: doctor.Check("graphviz dot", True, "dot"))
    return tiny


def test_doctor_fails_on_a_truncated_file_in_nnbook_data_with_the_loaders_message(only_data,
                                                                                  capsys):
    tiny = only_data
    tiny.write(tiny.system)  # a good copy that must not hide the bad one
    bad = tiny.write(tiny.chosen) / "t10k-labels-idx1-ubyte.gz"
    tiny.truncate(bad)
    before = tiny.snapshot(bad)
    assert doctor.main() == 1
    out = capsys.readouterr().out
    assert f"{bad}: truncated gzip file" in out
    with pytest.raises(datasets.DataFolderError) as err:  # what the book's page would raise
        datasets.load(tiny.spec, download=False)
    printed = [line.strip() for line in out.splitlines()]
    for line in str(err.value).splitlines():  # the same text, line by line
        assert any(p.endswith(line.strip()) for p in printed), line
    assert tiny.snapshot(bad) == before


def test_doctor_without_nnbook_data_lists_every_place_it_looked(only_data, monkeypatch, capsys):
    tiny = only_data
    monkeypatch.delenv("NNBOOK_DATA")
    tiny.write(tiny.system)
    assert doctor.main() == 0
    out = capsys.readouterr().out
    assert f"data folder {tiny.default}: not found" in out
    assert f"system copy {tiny.system}: four files verified" in out
    assert f"data folder {tiny.default.parent.parent / 'MNIST' / 'raw'}: not found" in out


def test_doctor_without_nnbook_data_names_a_bad_file_it_passed_over(only_data, monkeypatch,
                                                                   capsys):
    tiny = only_data
    monkeypatch.delenv("NNBOOK_DATA")
    bad = tiny.write(tiny.default) / "train-images-idx3-ubyte.gz"
    tiny.truncate(bad)
    tiny.write(tiny.system)
    assert doctor.main() == 0  # another verified copy is fine without NNBOOK_DATA
    out = capsys.readouterr().out
    assert f"{bad}: truncated gzip file" in out
    assert f"system copy {tiny.system}: four files verified" in out


def test_command_line_exits_non_zero_on_a_bad_copy_in_nnbook_data(tmp_path):
    bad = tmp_path / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\x1f\x8b")  # the first two bytes of a gzip file, and nothing else
    env = {"NNBOOK_DATA": str(tmp_path), "NNBOOK_DEVICE": "cpu", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "nnbook", "doctor"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{bad}: truncated gzip file" in result.stdout
    assert bad.read_bytes() == b"\x1f\x8b"
