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


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX), so autocast pays off."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    cpu_mod = getattr(torch._C, "_cpu", None)
    for name in probes:
        probe = getattr(cpu_mod, name, None)
        if probe is not None and probe():
            return True
    if platform.system() == "Linux":
        try:
            with open("/proc/cpuinfo") as f:
                flags = f.read()
        except OSError:
            return False
        return " avx512_bf16" in flags or " amx_bf16" in flags
    return False


def bf16_supported(device: torch.device) -> bool:
    """Whether ``device`` has native bfloat16 arithmetic (not merely emulated): a fact for
    reports. Whether bfloat16 autocast is *faster* is measured by the planner
    (:mod:`nnbook.engine.plan`): on an Intel Xeon with AVX-512 BF16 it gained nothing."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_has_bf16()
    return False


def autocast_bf16(device: torch.device) -> bool:
    """Whether torch's autocast can run bfloat16 on ``device`` at all: always on the CPU, on
    GPUs that support bfloat16. Where it can, the planner times it."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu"


def device_name(device: torch.device) -> str:
    """A human-readable name: the GPU's model, or the CPU's."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"CPU ({name}, {os.cpu_count()} cores)"


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
