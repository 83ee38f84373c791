"""A page's provenance record: written by the kernel that executed the page, read back by the
build (:mod:`nnbook.book.sphinxext.provenance`) and by ``python -m nnbook cache prune``.

The build adds one-line hidden cells to each executed page that call this module in its kernel:

* :func:`start`, before the first code cell of a page that trains: the run store's and the
  planner's problems go to the build log, through the record, and not into the page;
* :func:`glue_record`, after the last: the device, its name, the precision, the torch version,
  the git commit, the time, the training runs the page loaded or trained (the run store's
  :func:`~nnbook.engine.runs.events`) and the problems the store and the planner met, glued as
  one JSON string under :data:`GLUE_KEY`.

Because the record is made in the kernel, a page served from the execution cache keeps the record
of the run that really produced its outputs. This module imports neither the run store nor the
planner: a page that does not train must not have them in its fingerprint, so what they hold is
read from ``sys.modules``, where the page put them if it used them.
"""

from __future__ import annotations

import ast
import json
import logging
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

GLUE_KEY = "nnbook_provenance"  # the record's name in myst-nb's glue data
ENGINE_MODULES = ("nnbook.engine.runs", "nnbook.engine.plan")  # they log and keep problems


def start() -> None:
    """Keep the engine's problems (a damaged store entry, a stale plan) out of the page's output:
    they reach the build log through the record."""
    for name in ENGINE_MODULES:
        logger = logging.getLogger(name)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def runs_used(events: Iterable) -> dict[str, str]:
    """Each store entry named by ``events`` (:class:`~nnbook.engine.runs.RunEvent`), "trained"
    if the process trained it at least once, else "loaded"; sorted by entry."""
    runs: dict[str, str] = {}
    for event in events:
        if event.how == "trained":
            runs[event.entry] = "trained"
        else:
            runs.setdefault(event.entry, "loaded")
    return dict(sorted(runs.items()))


def _engine_module(name: str):
    return sys.modules.get(name)  # None when the page never imported it


def run_problems() -> list[str]:
    """The problems the run store and the planner met in this process, oldest first."""
    problems: list[str] = []
    for name in ENGINE_MODULES:
        problems += getattr(_engine_module(name), "reported_problems", list)()
    return problems


def _git(*args: str, cwd: Path | None = None) -> str:
    """What ``git`` prints (in ``cwd``, else the current folder); "" where it fails."""
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd,
                              timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def record() -> dict:
    """What computed this page, from inside its kernel."""
    import torch

    from nnbook.engine.device import describe

    info = describe()
    runs = _engine_module("nnbook.engine.runs")
    return {
        "device": info.device,
        "device_name": info.name,
        "bf16": info.bf16,
        "dtype": str(torch.get_default_dtype()).removeprefix("torch."),
        "torch": info.torch_version,
        "commit": _git("rev-parse", "--short=12", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "executed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "runs": runs_used(runs.events() if runs is not None else ()),
        "run_problems": run_problems(),
    }


def glue_record() -> None:
    """Glue :func:`record` for the build to read back (:func:`read_record`)."""
    from myst_nb import glue

    glue(GLUE_KEY, json.dumps(record()), display=False)


def read_record(glue_file: Path) -> dict | None:
    """The record :func:`glue_record` glued, from myst-nb's glue file of an executed page; None
    when the page has none.

    (Read from the glue file, not the executed notebook: myst-nb writes a page served from the
    execution cache without its outputs, but its glue data always comes from the cached run.)
    """
    if not glue_file.is_file():
        return None
    entry = json.loads(glue_file.read_text(encoding="utf-8")).get(GLUE_KEY)
    if not entry:
        return None
    text = entry.get("data", {}).get("text/plain")  # glue stores the string's repr
    return json.loads(ast.literal_eval(text)) if text else None
