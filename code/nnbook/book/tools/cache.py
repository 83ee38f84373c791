"""``python -m nnbook cache [prune]``: what the run store and the plans hold, and removing what
the book no longer uses.

The store only grows: every change to a model, its data or the engine adds entries under new keys,
and the old ones stay. Which entries the book uses is known only by running its pages, so
``prune`` reads what the last build recorded: each executed page's provenance record names the
store entries its kernel loaded or trained (:mod:`nnbook.book.kernel.provenance_record`), and
myst-nb keeps that record for every page, executed or served from its cache, in
``_build/jupyter_execute/**/<page>.glue.json``. An entry that no page's record names is removed;
so are the temporary files of interrupted writes. Only the store's own files are entries
(``<name>-<key>.pt``, :data:`nnbook.engine.storage.RUN_ENTRY`): any other file in its folder, a
reader's checkpoint say, is never counted nor removed.

The records are read only when the last build completed: raised nothing and warned nothing. A
build removes the mark of completion when it starts and writes it at its successful end
(:data:`COMPLETED`, by :mod:`nnbook.book.sphinxext.completed_build`), naming its pages. A build
that was killed or failed leaves records of its own, which would make entries the site uses look
unused; so without the mark, or with a record newer than it, ``prune`` removes nothing and says
why (:class:`NoBuildError`). An entry written after the last complete build started (by a
notebook, say) is kept, and so are the plans, which are small and per machine.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nnbook.book.kernel.provenance_record import read_record
from nnbook.engine import settings, storage

EXECUTED = Path("_build") / "jupyter_execute"  # under the book's folder
COMPLETED = "nnbook-build-completed.json"  # in EXECUTED: the mark of the last complete build
FORMAT = 1  # the layout of the mark


class NoBuildError(RuntimeError):
    """There is no complete build whose records say which entries the book uses."""


@dataclass
class BuildRecords:
    """The store entries the last complete build's pages used, and when that build ran."""

    used: set[str]  # entry file names, such as ``xor-4-sigmoid-<key>.pt``
    pages: int  # pages with a provenance record
    started: float  # when the build started: an entry written since is kept
    finished: float  # when it completed: no record it read is newer


def mark_started(folder: Path) -> None:
    """A build into ``folder`` (myst-nb's output folder) has begun: the last one's mark goes."""
    (folder / COMPLETED).unlink(missing_ok=True)


def mark_completed(folder: Path, pages: list[str], started: float) -> Path:
    """Mark the build that started at ``started`` complete, holding records of ``pages``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": FORMAT, "pages": sorted(pages), "started": started,
                       "finished": time.time()}, indent=1)
    return storage.write_file(folder / COMPLETED, lambda f: f.write(text.encode()))


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _completed(folder: Path) -> dict:
    """The mark of the last complete build into ``folder``; :class:`NoBuildError` without one."""
    path = folder / COMPLETED
    if not path.is_file():
        if folder.is_dir() and any(folder.rglob("*.glue.json")):
            raise NoBuildError(
                f"the last build of the book ({folder}) did not complete: it failed, warned (a "
                "strict build fails on a warning) or was stopped, so its pages' records do not "
                "say which store entries the site uses. Nothing was removed: run `make book` "
                "until it succeeds, then prune")
        raise NoBuildError(f"no build of the book in {folder}: run `make book` first, so that its "
                           "pages record which store entries they use")
    try:
        mark = json.loads(path.read_text(encoding="utf-8"))
        if mark.get("format") != FORMAT:
            raise ValueError(f"not of format {FORMAT}")
        pages, started, finished = mark["pages"], float(mark["started"]), float(mark["finished"])
        if not all(isinstance(page, str) for page in pages):
            raise ValueError("its pages are not page names")
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as err:
        raise NoBuildError(f"the mark of the last complete build, {path}, is unreadable ({err}). "
                           "Nothing was removed: run `make book`, then prune") from None
    return {"pages": pages, "started": started, "finished": finished}


def _record_runs(glue_file: Path) -> dict | None:
    """The ``runs`` of a page's provenance record, from myst-nb's glue file; None without one."""
    try:
        record = read_record(glue_file)
        return record.get("runs", {}) if record is not None else None
    except (OSError, ValueError, SyntaxError, AttributeError):
        return None


def build_records(root: Path) -> BuildRecords:
    """What the last complete build under ``root`` recorded; :class:`NoBuildError` if there is
    none, or if a record it names is missing or newer than the build."""
    folder = root / EXECUTED
    mark = _completed(folder)
    used: set[str] = set()
    for page in mark["pages"]:
        glue_file = folder / f"{page}.glue.json"
        runs = _record_runs(glue_file)
        if runs is None:
            raise NoBuildError(f"the record of page {page} is missing or unreadable ({glue_file}), "
                               f"though the build of {_when(mark['finished'])} wrote it. Nothing "
                               "was removed: run `make book`, then prune")
        if glue_file.stat().st_mtime > mark["finished"]:
            raise NoBuildError(f"the record of page {page} ({glue_file}) was written after the "
                               f"last complete build ({_when(mark['finished'])}), by a build "
                               "that did not complete. Nothing was removed: run `make book` "
                               "until it succeeds, then prune")
        used |= set(runs)
    return BuildRecords(used, len(mark["pages"]), mark["started"], mark["finished"])


def report() -> str:
    """The store's folders, what they hold and their size."""
    runs, plans = settings.run_store_root(), settings.plan_store_root()
    return "\n".join([
        f"run store  {runs} ({settings.CACHE}): {storage.run_store_usage(runs).describe()}",
        f"plans      {plans}: {storage.usage(plans, 'plan-*.json').describe('plans')}",
    ])


def unused_entries(root: Path) -> tuple[list[Path], BuildRecords]:
    """The store entries no page of the last complete build under ``root`` used, and older than
    that build."""
    records = build_records(root)
    store = settings.run_store_root()
    unused = [path for path in storage.run_entries(store)
              if path.name not in records.used and path.stat().st_mtime < records.started]
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
