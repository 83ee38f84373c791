"""The files of the book's two stores (runs and plans): written atomically, the leftovers of an
interrupted write removed, their size counted, a folder that cannot be written named, and the
problems a store meets reported once each (:class:`WarningLog`).

Every entry is written to a temporary file beside it, ``.<name>.<pid>.<random>.tmp``, then renamed
into place, so a reader sees the old entry or the new one, never half of one. A write that is killed
leaves its temporary file behind; the next save or load in that folder removes every temporary
file that no running process can still be writing (:func:`remove_stale_temporaries`).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from nnbook.engine import settings

TEMPORARY = ".*.tmp"  # the glob of a temporary file of an interrupted write
# The name of a run store entry (RunStore.path): the run's name, its characters kept to letters,
# digits, "-" and "_", then its 32-hex-digit key. Any other file in the folder is not the store's
# (a reader's own checkpoint, say): it is never counted as an entry, nor removed.
RUN_ENTRY = re.compile(r"[\w-]+-[0-9a-f]{32}\.pt")
# When this process started, near enough: a temporary file last written before it, by a process
# that is gone, belongs to no write in progress.
STARTED = time.time()


class WarningLog:
    """Problems met in this process (a damaged store entry, a plan in doubt, ...), each logged
    once as a warning on ``logger`` and kept, oldest first, for the build's report."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger
        self.messages: list[str] = []

    def __call__(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)
            self.logger.warning(message)


class StoreNotWritable(OSError):
    """A store's folder cannot be written: read-only, not ours, or full. The message names the
    folder and the setting that moves it (``NNBOOK_CACHE``)."""


def not_writable(folder: Path, err: OSError) -> StoreNotWritable:
    """The error to report for ``err`` met while writing into ``folder``."""
    why = ("the disk is full" if err.errno in (errno.ENOSPC, errno.EDQUOT)
           else "it is read-only" if err.errno == errno.EROFS
           else f"{err.strerror or err}")
    return StoreNotWritable(
        err.errno, f"cannot write to {folder} ({why}); set {settings.CACHE} to a writable folder "
                   f"with free space (now {settings.CACHE}={os.environ.get(settings.CACHE, '')!r})")


def _writer_alive(path: Path) -> bool:
    """Whether the process named in a temporary file's name is running (unknown: assume not)."""
    parts = path.name.rsplit(".", 3)  # .<name>.<pid>.<random>.tmp
    if len(parts) < 4 or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and is someone else's
        return True
    return True


def remove_stale_temporaries(folder: Path, started: float | None = None) -> list[Path]:
    """Remove the temporary files in ``folder`` that no write in progress can own: last written
    before ``started`` (default: when this process started) by a process that is not running.
    Returns what it removed; a file it cannot remove is left."""
    started = STARTED if started is None else started
    removed = []
    for path in folder.glob(TEMPORARY):
        try:
            if path.stat().st_mtime < started and not _writer_alive(path):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def replace_atomically(path: Path, make: Callable[[Path], None]) -> Path:
    """Put what ``make(tmp)`` creates at a temporary path beside ``path`` (a file, or a link) in
    place of ``path``, in one rename: a reader sees the old file or the new one, never half of
    one. A file's bytes reach the disk (fsync) before the rename; the temporary goes on any
    error, which is raised as it was."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        make(tmp)
        if not tmp.is_symlink():
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_file(path: Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``path`` atomically with ``write(file)`` (:func:`replace_atomically`)."""
    def make(tmp: Path) -> None:
        with open(tmp, "xb") as f:
            write(f)

    return replace_atomically(path, make)


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write a store's entry ``path`` with ``write(file)`` (:func:`write_file`), after removing the
    leftovers of interrupted writes in its folder. An ``OSError`` from the folder (read-only,
    full) becomes :class:`StoreNotWritable`, naming the folder and ``NNBOOK_CACHE``."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)
        return write_file(path, write)
    except StoreNotWritable:
        raise
    except OSError as err:
        raise not_writable(folder, err) from err


def writable_problem(folder: Path) -> str:
    """'' when a file can be created in ``folder`` (made if missing), else why not, naming the
    folder and ``NNBOOK_CACHE``. Nothing is left behind."""
    try:
        write_atomic(folder / ".nnbook-write-check", lambda f: f.write(b"ok"))
        (folder / ".nnbook-write-check").unlink()
    except StoreNotWritable as err:
        return str(err)
    return ""


@dataclass
class Usage:
    """What a store's folder holds."""

    files: int
    bytes: int
    temporaries: int

    def describe(self, what: str = "entries") -> str:
        text = f"{self.files} {what}, {self.bytes / 1e6:,.1f} MB"
        if self.temporaries:
            text += f", {self.temporaries} temporary files of interrupted writes"
        return text


def is_run_entry(name: str) -> bool:
    """Whether a file name is one the run store gives its entries (:data:`RUN_ENTRY`)."""
    return RUN_ENTRY.fullmatch(name) is not None


def run_entries(folder: Path) -> list[Path]:
    """The run store entries in ``folder``, sorted: its own files, and no other ``*.pt``."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.pt") if is_run_entry(p.name) and p.is_file())


def usage(folder: Path, pattern: str) -> Usage:
    """How many files matching ``pattern`` ``folder`` holds and their size, and its temporaries."""
    files = [p for p in folder.glob(pattern) if p.is_file()] if folder.is_dir() else []
    return _usage(folder, files)


def run_store_usage(folder: Path) -> Usage:
    """What the run store in ``folder`` holds: its entries (:func:`run_entries`) and temporaries."""
    return _usage(folder, run_entries(folder))


def _usage(folder: Path, files: list[Path]) -> Usage:
    temporaries = list(folder.glob(TEMPORARY)) if folder.is_dir() else []
    size = 0
    for path in files + temporaries:
        try:
            size += path.stat().st_size
        except OSError:
            continue
    return Usage(len(files), size, len(temporaries))
