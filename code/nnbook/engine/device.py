"""Which device the book computes on, what it is, and its random generators.

CUDA is used when it is present, the CPU otherwise. ``NNBOOK_DEVICE=cpu`` or ``NNBOOK_DEVICE=cuda``
overrides the choice; asking for CUDA where there is none is an error, never a silent fallback.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from nnbook.engine import settings

ENV_VAR = settings.DEVICE
CHOICES = ("cpu", "cuda")


class DeviceError(RuntimeError):
    """The requested device cannot be used."""


def get_device(requested: str | None = None) -> torch.device:
    """Return the device the book computes on.

    ``requested`` wins over ``$NNBOOK_DEVICE``, which wins over auto-detection.
    """
    choice = requested if requested is not None else settings.requested_device()
    if not choice:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    choice = choice.lower()
    if choice not in CHOICES:
        source = "the argument" if requested is not None else f"${ENV_VAR}"
        raise DeviceError(
            f"{source} is {choice!r}, but the book runs on 'cpu' or 'cuda'. "
            f"Set {ENV_VAR}=cpu or {ENV_VAR}=cuda, or unset it to pick automatically."
        )
    if choice == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            f"CUDA was requested ({ENV_VAR}=cuda or device='cuda') but torch {torch.__version__} "
            "sees no CUDA device. Unset NNBOOK_DEVICE (or set it to 'cpu') to run on the CPU, "
            "or install a CUDA build of torch on a machine with an NVIDIA GPU."
        )
    return torch.device(choice)


def cuda_indices(device: torch.device) -> list[int]:
    """The CUDA device whose generator :func:`torch.random.fork_rng` must save, if any."""
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


@contextmanager
def seeded(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Run the block with torch's global generators (the CPU's, and ``device``'s on CUDA)
    seeded by ``seed``, then put them back as they were: a run is reproducible without reseeding
    anybody else's random numbers."""
    with torch.random.fork_rng(devices=cuda_indices(device or torch.device("cpu"))):
        torch.manual_seed(seed)
        yield


# oneDNN's instruction-set caps (ONEDNN_MAX_CPU_ISA) below bfloat16 arithmetic: under one of
# them, oneDNN emulates bfloat16 even on a processor that has it.
_ONEDNN_BELOW_BF16 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE",
                      "AVX512_CORE_VNNI"}


def _cpu_info() -> dict[str, str]:
    """The first processor's fields in ``/proc/cpuinfo`` ({} where there is none)."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor's block ends here
                name, _, value = line.partition(":")
                info[name.strip()] = value.strip()
    except OSError:
        pass
    return info


def cpu_capability() -> str:
    """The vector instructions torch's CPU kernels use here (``AVX2``, ``AVX512``, ...), as
    torch sees them: ``ATEN_CPU_CAPABILITY`` can lower it."""
    return torch.backends.cpu.get_cpu_capability()


def cpu_has_bf16() -> bool:
    """Whether torch computes bfloat16 natively on this CPU: the processor has AVX-512 BF16 or
    AMX, and neither torch's capability (``ATEN_CPU_CAPABILITY``) nor oneDNN's
    (``ONEDNN_MAX_CPU_ISA``) is capped below it. Elsewhere bfloat16 is emulated, many times
    slower than float32, and the planner does not even time it."""
    flags = set(_cpu_info().get("flags", "").split())
    if not flags & {"avx512_bf16", "amx_bf16"}:
        return False
    onednn = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    return cpu_capability().startswith("AVX512") and onednn not in _ONEDNN_BELOW_BF16


def bf16_supported(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 natively (not merely emulated). Only then does the
    planner (:mod:`nnbook.engine.plan`) time bfloat16 autocast; whether it is *faster* is what it
    measures."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        return cpu_has_bf16()
    return False


def usable_cores() -> int:
    """The CPUs this process may run on (``taskset`` and containers can give it fewer than the
    machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine_identity(device: torch.device) -> dict:
    """What a measured speed depends on beyond the code: the device's model, the CPU's model and
    generation, the instructions torch uses there and whether bfloat16 is native, the cores this
    process may use and torch's threads, and torch's version. A plan or a measurement made
    under another identity is never used here."""
    info = _cpu_info()
    identity = {"device": device.type, "name": device_name(device),
                "cpu": " ".join(info.get(k, "") for k in ("vendor_id", "cpu family", "model",
                                                          "stepping")).strip(),
                "capability": cpu_capability(),
                "onednn_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper(),
                "bf16": bf16_supported(device), "cores": usable_cores(),
                "threads": torch.get_num_threads(), "torch": torch.__version__}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        identity["gpu"] = f"{props.name}, sm {props.major}.{props.minor}, {props.total_memory}"
    return identity


def device_name(device: torch.device) -> str:
    """A human-readable name: the GPU's model, or the CPU's."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name = _cpu_info().get("model name") or platform.processor() or platform.machine()
    cores = usable_cores()
    return f"CPU ({name}, {cores} core{'s' if cores != 1 else ''})"


@dataclass(frozen=True)
class DeviceInfo:
    """What a page was computed on, for provenance blocks and the doctor."""

    device: str
    name: str
    bf16: bool
    torch_version: str


def describe(device: torch.device | None = None) -> DeviceInfo:
    device = device if device is not None else get_device()
    return DeviceInfo(device.type, device_name(device), bf16_supported(device), torch.__version__)
