"""The mark of a build that completed: what lets ``python -m nnbook cache prune`` trust the pages'
provenance records.

``cache prune`` removes the run store entries that no page's record names
(:mod:`nnbook.book.tools.cache`). The records are files that each page's execution writes, so a build
that was killed, or that failed on a page, leaves some records of its own beside the last good
build's: entries the site still uses would look unused, and a page that had loaded its runs just
before it failed would look like the whole book. So a build first removes the mark
(``builder-inited``), and writes it again only at its end (``build-finished``) when it raised
nothing and warned nothing (a strict build fails on a warning, a failing cell included), naming
the pages it holds a record of and when it started (:func:`nnbook.book.tools.cache.mark_completed`).
Without the mark, or with a record newer than it, ``prune`` refuses and says why.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from nnbook.book.tools import cache
from nnbook.book.sphinxext import provenance

logger = logging.getLogger(__name__)


def _records_folder(app: Sphinx) -> Path:
    """Where myst-nb writes each executed page's files, glue records included."""
    return Path(app.env.mystnb_config.output_folder)


def on_builder_inited(app: Sphinx) -> None:
    """A build has begun: until it completes, the last build's mark no longer holds."""
    cache.mark_started(_records_folder(app))


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Mark the build complete when it raised nothing and logged no warning."""
    # Sphinx counts every warning in _warncount; with --keep-going a strict build that warned
    # (a cell that raised, say) still ends here without an exception, and fails afterwards.
    if exception is not None or getattr(app, "_warncount", 1):
        return
    pages = sorted(provenance.records(app.env))
    cache.mark_completed(_records_folder(app), pages, provenance.build_started(app.env))


def setup(app: Sphinx) -> None:
    # After myst-nb's own builder-inited handler, which sets the output folder.
    app.connect("builder-inited", on_builder_inited, priority=900)
    # Last, so that a warning from another handler of build-finished counts.
    app.connect("build-finished", on_build_finished, priority=950)
