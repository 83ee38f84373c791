import pytest
import torch

from nnbook.engine import device as dev


def test_auto_picks_cuda_when_available(monkeypatch):
    monkeypatch.delenv("NNBOOK_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.get_device().type == "cpu"


def test_env_override_to_cpu_wins_over_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("NNBOOK_DEVICE", "cpu")
    assert dev.get_device().type == "cpu"


def test_env_override_is_case_and_space_tolerant(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("NNBOOK_DEVICE", " CUDA ")
    assert dev.get_device().type == "cuda"


def test_asking_for_cuda_without_one_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("NNBOOK_DEVICE", "cuda")
    with pytest.raises(dev.DeviceError, match="sees no CUDA device") as err:
        dev.get_device()
    assert "NNBOOK_DEVICE" in str(err.value)


def test_unknown_device_names_the_choices(monkeypatch):
    monkeypatch.setenv("NNBOOK_DEVICE", "tpu")
    with pytest.raises(dev.DeviceError, match="'cpu' or 'cuda'"):
        dev.get_device()


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("NNBOOK_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.get_device("cpu").type == "cpu"


def test_bf16_on_cpu_follows_the_cpu_probe(monkeypatch):
    monkeypatch.setattr(dev, "cpu_has_bf16", lambda: False)
    assert dev.bf16_supported(torch.device("cpu")) is False
    monkeypatch.setattr(dev, "cpu_has_bf16", lambda: True)
    assert dev.bf16_supported(torch.device("cpu")) is True


def test_describe_reports_the_torch_version(monkeypatch):
    monkeypatch.delenv("NNBOOK_DEVICE", raising=False)
    info = dev.describe(torch.device("cpu"))
    assert info.device == "cpu" and info.torch_version == torch.__version__
    assert info.name.startswith("CPU")


def test_autocast_bf16_is_what_autocast_supports_not_a_cpu_flag(monkeypatch):
    monkeypatch.setattr(dev, "cpu_has_bf16", lambda: False)
    assert dev.autocast_bf16(torch.device("cpu")) is True  # the planner times it; no flag decides
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert dev.autocast_bf16(torch.device("cuda")) is False
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert dev.autocast_bf16(torch.device("cuda")) is True
