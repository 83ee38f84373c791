"""``python -m nnbook cache [prune]``: what the run store and the plans hold, and removing what
the book no longer uses.

The store only grows: every change to a model, its data or the engine adds entries under new keys,
and the old ones stay. Which entries the book uses is known only by running its pages, so
``prune`` reads what the last build recorded: each executed page's provenance record names the
store entries its kernel loaded or trained (:mod:`nnbook.book.provenance_record`), and
myst-nb keeps that record for every page, executed or served from its cache, in
``_build/jupyter_execute/**/<page>.glue.json``. An entry that no page's record names is removed;
so are the temporary files of interrupted writes. Only the store's own files are entries
(``<name>-<key>.pt``, :data:`nnbook.engine.storage.RUN_ENTRY`): any other file in its folder, a
reader's checkpoint say, is never counted nor removed. An entry written after the last build (by a
notebook, say) is kept, and so are the plans, which are small and per machine. Without a build to
read, ``prune`` removes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnbook.book.provenance_record import read_record
from nnbook.engine import settings, storage

EXECUTED = Path("_build") / "jupyter_execute"  # under the book's folder


class NoBuildError(RuntimeError):
    """There is no build whose records say which entries the book uses."""


@dataclass
class BuildRecords:
    """The store entries the last build's pages used, and when that build wrote its records."""

    used: set[str]  # entry file names, such as ``xor-4-sigmoid-<key>.pt``
    pages: int  # pages with a provenance record
    written: float  # the newest record's modification time


def _record_runs(glue_file: Path) -> dict | None:
    """The ``runs`` of a page's provenance record, from myst-nb's glue file; None without one."""
    try:
        record = read_record(glue_file)
        return record.get("runs", {}) if record is not None else None
    except (OSError, ValueError, SyntaxError, AttributeError):
        return None


def build_records(root: Path) -> BuildRecords:
    """What the last build under ``root`` recorded; :class:`NoBuildError` if it recorded nothing."""
    folder = root / EXECUTED
    used, pages, written = set(), 0, 0.0
    for glue_file in sorted(folder.rglob("*.glue.json")) if folder.is_dir() else []:
        runs = _record_runs(glue_file)
        if runs is None:
            continue
        pages += 1
        used |= set(runs)
        written = max(written, glue_file.stat().st_mtime)
    if not pages:
        raise NoBuildError(f"no build of the book in {folder}: run `make book` first, so that its "
                           "pages record which store entries they use")
    return BuildRecords(used, pages, written)


def report() -> str:
    """The store's folders, what they hold and their size."""
    runs, plans = settings.run_store_root(), settings.plan_store_root()
    return "\n".join([
        f"run store  {runs} ({settings.CACHE}): {storage.run_store_usage(runs).describe()}",
        f"plans      {plans}: {storage.usage(plans, 'plan-*.json').describe('plans')}",
    ])


def unused_entries(root: Path) -> tuple[list[Path], BuildRecords]:
    """The store entries no page of the last build under ``root`` used and older than it."""
    records = build_records(root)
    store = settings.run_store_root()
    unused = [path for path in storage.run_entries(store)
              if path.name not in records.used and path.stat().st_mtime < records.written]
    return unused, records


def prune(root: Path, *, dry_run: bool = False) -> tuple[list[Path], int]:
    """Remove the entries :func:`unused_entries` finds, and stale temporary files. Returns what
    was (or, with ``dry_run``, would be) removed and the bytes it held."""
    unused, _ = unused_entries(root)
    store = settings.run_store_root()
    freed = sum(path.stat().st_size for path in unused)
    if not dry_run:
        for path in unused:
            path.unlink(missing_ok=True)
        if store.is_dir():
            for path in (settings.run_store_root(), settings.plan_store_root()):
                if path.is_dir():
                    storage.remove_stale_temporaries(path)
    return unused, freed
