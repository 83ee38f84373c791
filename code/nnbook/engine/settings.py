"""Every setting the book reads from the environment, in one place, read when asked for.

Nothing here is read at import time, so a test or a notebook can change a variable and the next
call sees it. Each function names the variable it reads; the README's table lists them all.

=====================  ==================================================================
``NNBOOK_DEVICE``      ``cpu`` or ``cuda``; unset: CUDA when available
``NNBOOK_DATA``        a folder of data sets in torchvision's layout; unset: the data folder
``NNBOOK_CACHE``       where finished training runs are stored (and, in ``plans/``, plans)
``NNBOOK_PLAN``        ``fixed``: no planning, the default plan (reproducible benchmarks);
                       ``measure``: measure the plan again; unset or ``auto``: stored or measured
``NNBOOK_PROGRESS``    ``1`` or ``0``: force the training progress bar on or off
=====================  ==================================================================
"""

from __future__ import annotations

import os
from pathlib import Path

DEVICE = "NNBOOK_DEVICE"
DATA = "NNBOOK_DATA"
CACHE = "NNBOOK_CACHE"
PROGRESS = "NNBOOK_PROGRESS"
PLAN = "NNBOOK_PLAN"
PLAN_MODES = ("auto", "fixed", "measure")


def _get(name: str) -> str:
    return os.environ.get(name, "").strip()


def cache_home() -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``: where the book keeps what it downloads and trains."""
    return Path(_get("XDG_CACHE_HOME") or Path.home() / ".cache")


def requested_device() -> str:
    """What ``$NNBOOK_DEVICE`` asks for, lower-cased ('' when unset)."""
    return _get(DEVICE).lower()


def data_override() -> Path | None:
    """``$NNBOOK_DATA`` when it is set: the one folder the reader chose for data sets."""
    value = _get(DATA)
    return Path(value).expanduser() if value else None


def data_root() -> Path:
    """``$NNBOOK_DATA``, else ``~/.cache/nnbook/data``."""
    return data_override() or cache_home() / "nnbook" / "data"


def run_store_root() -> Path:
    """``$NNBOOK_CACHE``, else ``~/.cache/nnbook/runs``."""
    value = _get(CACHE)
    return Path(value).expanduser() if value else cache_home() / "nnbook" / "runs"


def plan_store_root() -> Path:
    """``$NNBOOK_CACHE/plans``, else ``~/.cache/nnbook/plans``: where the engine keeps the plan it
    measured for each machine and problem (next to the runs, whose keys hold the plan)."""
    value = _get(CACHE)
    return Path(value).expanduser() / "plans" if value else cache_home() / "nnbook" / "plans"


def plan_mode() -> str:
    """``$NNBOOK_PLAN``: "auto" (unset), "fixed" or "measure"; anything else is an error."""
    value = _get(PLAN).lower() or "auto"
    if value not in PLAN_MODES:
        raise ValueError(f"${PLAN} is {_get(PLAN)!r}, but it must be one of "
                         f"{', '.join(PLAN_MODES)} (or unset, which is auto)")
    return value


def progress_override() -> bool | None:
    """``$NNBOOK_PROGRESS`` as a yes or no, or None when unset."""
    value = _get(PROGRESS)
    if not value:
        return None
    return value.lower() not in ("0", "false", "no", "off")


def in_jupyter_server() -> bool:
    """Whether the kernel was started by a Jupyter server (someone is watching it)."""
    return "JPY_SESSION_NAME" in os.environ
