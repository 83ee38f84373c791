"""Every setting the book reads from the environment, in one place, read when asked for.

Nothing here is read at import time, so a test or a notebook can change a variable and the next
call sees it. Each function names the variable it reads; the README's table lists them all. One
rule for every setting with a fixed set of values (:func:`choice`): unset means the default, and
an unknown value is a :class:`SettingError` naming the allowed ones. :func:`setting_problems`
checks them all at once, for the doctor and for a build before it starts.

A folder setting (``NNBOOK_DATA``, ``NNBOOK_CACHE``) that is a relative path is relative to the
directory the command was started in, and every path returned here is absolute. A build makes them
absolute in its own environment when it starts (:func:`make_paths_absolute`): its pages' kernels,
which run in the pages' folder, then use the same folders as the build, the doctor and the cache
command.

=====================  ==================================================================
``NNBOOK_DEVICE``      ``cpu`` or ``cuda``; unset: CUDA when available
``NNBOOK_DATA``        a folder of data sets in torchvision's layout; unset: the data folder
``NNBOOK_CACHE``       where finished training runs are stored (and, in ``plans/``, plans)
``NNBOOK_PLAN``        ``fixed``: no planning, the default plan (reproducible benchmarks);
                       ``measure``: measure the plan again; unset or ``auto``: stored or measured
``NNBOOK_PROGRESS``    ``1`` or ``0``: force the training progress bar on or off; unset: automatic
``NNBOOK_CLAIMS_LOG``  a file to which every claim checked adds a line: page, sentence, value
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
CLAIMS_LOG = "NNBOOK_CLAIMS_LOG"
PLAN_MODES = ("auto", "fixed", "measure")
PROGRESS_VALUES = {"1": True, "0": False}
PATHS = (DATA, CACHE)  # the settings that name a folder


class SettingError(ValueError):
    """A setting has a value it cannot take: the message names the variable, its value and the
    values it may take."""


def _get(name: str) -> str:
    return os.environ.get(name, "").strip()


def _absolute(value: str) -> Path:
    """A folder setting's value as an absolute path, relative to the current directory."""
    return Path(os.path.abspath(Path(value).expanduser()))


def make_paths_absolute() -> dict[str, str]:
    """Set each folder setting (:data:`PATHS`) that is relative to its absolute path in
    ``os.environ``, against the current directory, so that processes started from here in other
    folders (a page's kernel runs in the page's folder) use the same folder. Returns the settings
    it changed and their new values."""
    changed = {}
    for name in PATHS:
        value = _get(name)
        if value and os.environ[name] != str(_absolute(value)):
            os.environ[name] = changed[name] = str(_absolute(value))
    return changed


def cache_home() -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``: where the book keeps what it downloads and trains."""
    return Path(_get("XDG_CACHE_HOME") or Path.home() / ".cache")


def requested_device() -> str:
    """What ``$NNBOOK_DEVICE`` asks for, lower-cased ('' when unset)."""
    return _get(DEVICE).lower()


def data_override() -> Path | None:
    """``$NNBOOK_DATA`` when it is set: the one folder the reader chose for data sets."""
    value = _get(DATA)
    return _absolute(value) if value else None


def data_root() -> Path:
    """``$NNBOOK_DATA``, else ``~/.cache/nnbook/data``."""
    return data_override() or cache_home() / "nnbook" / "data"


def run_store_root() -> Path:
    """``$NNBOOK_CACHE``, else ``~/.cache/nnbook/runs``."""
    value = _get(CACHE)
    return _absolute(value) if value else cache_home() / "nnbook" / "runs"


def plan_store_root() -> Path:
    """``$NNBOOK_CACHE/plans``, else ``~/.cache/nnbook/plans``: where the engine keeps the plan it
    measured for each machine and problem (next to the runs, whose keys hold the plan)."""
    value = _get(CACHE)
    return _absolute(value) / "plans" if value else cache_home() / "nnbook" / "plans"


def choice(name: str, allowed: tuple[str, ...], default: str, unset: str = "") -> str:
    """``$name``, lower-cased, if it is one of ``allowed``; ``default`` when unset; anything else
    is a :class:`SettingError` naming the variable, its value and the allowed values."""
    value = _get(name).lower()
    if not value:
        return default
    if value not in allowed:
        raise SettingError(f"${name} is {_get(name)!r}, but it must be one of "
                           f"{', '.join(allowed)} (or unset{unset})")
    return value


def claims_log() -> Path | None:
    """``$NNBOOK_CLAIMS_LOG``, absolute: where each claim checked is written down (to compare a
    claim's margin across machines); None when unset."""
    value = _get(CLAIMS_LOG)
    return Path(value).expanduser().absolute() if value else None


def plan_mode() -> str:
    """``$NNBOOK_PLAN``: "auto" (unset), "fixed" or "measure"; anything else is an error."""
    return choice(PLAN, PLAN_MODES, "auto", ", which is auto")


def progress_override() -> bool | None:
    """``$NNBOOK_PROGRESS``: True for ``1``, False for ``0``, None when unset (automatic); anything
    else is an error."""
    value = choice(PROGRESS, tuple(PROGRESS_VALUES), "", ", which is automatic")
    return PROGRESS_VALUES[value] if value else None


def setting_problems() -> list[str]:
    """What is wrong with the settings that take one of a fixed set of values (none: []), each
    checked now: ``NNBOOK_PROGRESS`` is otherwise read only when a run trains. (The device is
    checked where it is chosen, :func:`nnbook.engine.device.get_device`.)"""
    problems = []
    for read in (plan_mode, progress_override):
        try:
            read()
        except SettingError as err:
            problems.append(str(err))
    return problems


def in_jupyter_server() -> bool:
    """Whether the kernel was started by a Jupyter server (someone is watching it)."""
    return "JPY_SESSION_NAME" in os.environ
