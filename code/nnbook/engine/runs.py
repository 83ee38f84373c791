"""A disk cache of finished training runs, so an unchanged book trains nothing when rebuilt.

A run is stored under a key made of everything that determines its result: the model's source
code, the hyperparameters, the data's checksum, the torch version and the device type. Change any
of them and the key changes, so the run is redone. Entries are written atomically (a temporary
file, then a rename) and loaded with ``torch.load(weights_only=True)``; an entry that cannot be
read is reported and recomputed, never trusted and never a crash.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from nnbook.engine import settings

FORMAT = 1  # bump when the layout of stored payloads changes


class CorruptEntryWarning(UserWarning):
    """A cache entry could not be read and will be recomputed."""


def cache_root() -> Path:
    """``$NNBOOK_CACHE``, else ``~/.cache/nnbook/runs``."""
    return settings.run_store_root()


def source_of(obj: Any) -> str:
    """The source code of a class or function (for a module instance, of its class and bases
    defined outside torch), so that editing a model's definition changes the key."""
    cls = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    parts = []
    for klass in (cls.__mro__ if inspect.isclass(cls) else (cls,)):
        module = getattr(klass, "__module__", "")
        if module.startswith(("torch", "builtins")):
            continue
        try:
            parts.append(inspect.getsource(klass))
        except (OSError, TypeError):
            parts.append(f"{module}.{getattr(klass, '__qualname__', klass)}")
    return "\n".join(parts)


def run_key(parts: dict[str, Any]) -> str:
    """A stable digest of ``parts`` (anything JSON can write, after ``str`` on the rest)."""
    blob = json.dumps({"format": FORMAT, "torch": torch.__version__, **parts}, sort_keys=True,
                      default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class RunCache:
    """Payloads (dicts of tensors, numbers, strings and lists) stored one file per key."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else cache_root()

    def path(self, name: str, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
        return self.root / f"{safe}-{key}.pt"

    def load(self, name: str, key: str) -> dict | None:
        path = self.path(name, key)
        if not path.is_file():
            return None
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(payload, dict) or payload.get("_key") != key:
                raise ValueError("the file does not hold this run")
        except Exception as err:  # truncated, garbage, wrong pickle: all mean "recompute"
            warnings.warn(f"training cache entry {path} is unreadable ({type(err).__name__}: {err}); "
                          "the run will be redone and the entry replaced", CorruptEntryWarning,
                          stacklevel=2)
            return None
        return payload

    def store(self, name: str, key: str, payload: dict) -> Path:
        path = self.path(name, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                torch.save({**payload, "_key": key}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # atomic: readers see the old entry or the new, never half
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def get_or_compute(self, name: str, key_parts: dict[str, Any],
                       compute: Callable[[], dict]) -> tuple[dict, bool]:
        """The stored payload for ``key_parts``, or ``compute()``'s, stored. Returns
        ``(payload, from_cache)``."""
        key = run_key({"name": name, **key_parts})
        payload = self.load(name, key)
        if payload is not None:
            return payload, True
        payload = compute()
        self.store(name, key, payload)
        return payload, False
