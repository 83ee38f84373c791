"""The execution cache checked before a build reads it: a damaged part is reported and rebuilt,
never a crash.

myst-nb keeps each page's executed notebook in jupyter-cache (``_build/.jupyter_cache``): a SQLite
database, ``global.db``, whose records point to ``executed/<hash>/base.ipynb``. Neither checks
what it reads, so a truncated notebook or database (an interrupted copy, a CI cache restored
from a killed job) broke every later build with a raw traceback from deep inside Sphinx. So when
the builder starts (``builder-inited``, after myst-nb has set the cache's folder), in the ``cache``
execution mode:

* a database that SQLite cannot read, or that lacks jupyter-cache's tables, takes the whole cache
  with it (its records are the only index of the notebooks): the folder is moved aside to
  ``<folder>.damaged`` (replacing an older one) and every page executes again;
* a record whose notebook is missing or does not read as a notebook (read as myst-nb will read
  it) is removed with its folder: that page executes again.

Each is named in the build log, with the file, at INFO level: the damaged part is rebuilt and
nothing is wrong with the book, so it must not fail the strict build. Reading every cached
notebook costs about 0.1 s a build for the book's sixteen pages.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

DATABASE = "global.db"  # jupyter_cache.cache.db.DB_NAME
DAMAGED = ".damaged"  # the suffix of a damaged cache's folder, moved aside


def database_problem(database: Path) -> str:
    """Why jupyter-cache cannot use ``database`` ('' when it can): SQLite's own check, then the
    tables jupyter-cache reads."""
    from jupyter_cache.cache.db import OrmBase

    try:
        with closing(sqlite3.connect(database)) as connection:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                return f"SQLite's check says: {verdict}"
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as err:  # "file is not a database", "disk image is malformed"
        return f"SQLite cannot read it: {err}"
    missing = sorted(set(OrmBase.metadata.tables) - tables)
    return f"its tables {', '.join(missing)} are missing" if missing else ""


def notebook_problem(path: Path) -> str:
    """Why ``path`` cannot be read as myst-nb reads a cached notebook ('' when it can)."""
    try:
        # as jupyter_cache's get_cache_bundle reads it, for myst-nb
        nbformat.reads(path.read_text(encoding="utf8"), nbformat.NO_CONVERT)
    except FileNotFoundError:
        return "it is missing"
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as err:
        # nbformat's NotJSONError is a ValueError; a notebook without its version, a KeyError
        return f"it does not read as a notebook ({type(err).__name__}: {str(err)[:120]})"
    return ""


def repair(folder: Path) -> list[str]:
    """Check the jupyter-cache in ``folder`` and set aside what is damaged (see the module's
    docstring). Returns what it found and did, one message each, for the build log."""
    database = folder / DATABASE
    if not database.is_file():
        return []  # no cache yet, or one jupyter-cache will start afresh
    problem = database_problem(database)
    if problem:
        aside = folder.with_name(folder.name + DAMAGED)
        if aside.exists():
            shutil.rmtree(aside)
        folder.rename(aside)
        return [f"the execution cache's database {database} is damaged ({problem}): the cache "
                f"was moved aside to {aside}, and every page executes again"]
    from jupyter_cache import get_cache
    from jupyter_cache.cache.db import NbCacheRecord

    cache = get_cache(folder)
    found = []
    for record in NbCacheRecord.records_all(cache.db):
        # where jupyter_cache's _get_notebook_path_cache puts a record's notebook
        notebook = folder / "executed" / record.hashkey / "base.ipynb"
        problem = notebook_problem(notebook)
        if problem:
            shutil.rmtree(notebook.parent, ignore_errors=True)
            NbCacheRecord.remove_records([record.pk], cache.db)
            found.append(f"the execution cache's notebook {notebook} (of {record.uri}) is "
                         f"damaged: {problem}; its record was removed, and the page executes "
                         "again")
    return found


def on_builder_inited(app: Sphinx) -> None:
    config = app.env.mystnb_config
    if config.execution_mode != "cache" or not config.execution_cache_path:
        return
    for message in repair(Path(config.execution_cache_path)):
        logger.info(message)


def setup(app: Sphinx) -> None:
    # After myst-nb's own builder-inited handler, which sets the cache's folder.
    app.connect("builder-inited", on_builder_inited, priority=900)
