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


def _cpu(monkeypatch, flags: str, capability: str, onednn: str | None = None) -> None:
    """This process on a CPU with ``flags``, as torch's ``capability`` sees it, under oneDNN's
    cap ``onednn`` (unset when None)."""
    monkeypatch.setattr(dev, "_cpu_info", lambda: {"flags": flags, "model name": "Test CPU"})
    monkeypatch.setattr(dev, "cpu_capability", lambda: capability)
    if onednn is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", onednn)


def test_bf16_is_native_only_where_the_cpu_has_it_and_neither_torch_nor_onednn_caps_it(
        monkeypatch):
    _cpu(monkeypatch, "fpu avx2 avx512f avx512_bf16", "AVX512")
    assert dev.cpu_has_bf16()
    _cpu(monkeypatch, "fpu avx2 amx_bf16 amx_tile", "AVX512")
    assert dev.cpu_has_bf16()
    # A Zen 3: AVX2 and no bfloat16 instructions at all.
    _cpu(monkeypatch, "fpu avx2 fma", "AVX2")
    assert not dev.cpu_has_bf16()
    # An AVX-512 BF16 CPU made to compute as an AVX2 one (ATEN_CPU_CAPABILITY=avx2 and
    # ONEDNN_MAX_CPU_ISA=AVX2): bfloat16 is emulated there.
    _cpu(monkeypatch, "fpu avx2 avx512f avx512_bf16", "AVX2", "AVX2")
    assert not dev.cpu_has_bf16()
    _cpu(monkeypatch, "fpu avx2 avx512f avx512_bf16", "AVX512", "avx512_core")
    assert not dev.cpu_has_bf16()
    _cpu(monkeypatch, "fpu avx2 avx512f avx512_bf16", "AVX512", "AVX512_CORE_AMX")
    assert dev.cpu_has_bf16()


def test_bf16_on_a_gpu_is_native_bf16_not_emulated(monkeypatch):
    asked = []

    def supported(including_emulation=True):
        asked.append(including_emulation)
        return False

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", supported)
    assert dev.bf16_supported(torch.device("cuda")) is False and asked == [False]


def test_machine_identity_tells_apart_what_changes_speed(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(dev, "usable_cores", lambda: 4)  # whatever cores this test runs on
    _cpu(monkeypatch, "fpu avx2 avx512f avx512_bf16", "AVX512")
    native = dev.machine_identity(cpu)
    assert native["bf16"] and native["capability"] == "AVX512"
    assert native["threads"] == torch.get_num_threads() and native["torch"] == torch.__version__
    _cpu(monkeypatch, "fpu avx2 avx512f avx512_bf16", "AVX2", "AVX2")
    capped = dev.machine_identity(cpu)  # the same processor's name, computing as an AVX2 one
    assert capped["name"] == native["name"] and capped != native
    assert not capped["bf16"] and capped["onednn_isa"] == "AVX2"
    monkeypatch.setattr(dev, "usable_cores", lambda: 1)  # taskset -c 0
    assert dev.machine_identity(cpu)["cores"] == 1 and dev.machine_identity(cpu) != capped
    assert dev.device_name(cpu) == "CPU (Test CPU, 1 core)"


def test_the_cores_are_those_this_process_may_use(monkeypatch):
    monkeypatch.setattr(dev.os, "sched_getaffinity", lambda pid: {0})
    assert dev.usable_cores() == 1
