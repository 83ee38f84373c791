"""The book's Sphinx extension. This entry point only registers; each feature is a module:

* :mod:`~nnbook.book.sphinxext.build_settings`: the settings checked, and relative folders made
  absolute for the pages' kernels, when the build starts (a wrong value stops it with its
  message alone);
* :mod:`~nnbook.book.sphinxext.fingerprints`: a page re-executes when a module it imports, the
  device or the planning mode changes (a hidden cell of digests; a cell that is not Python, or a
  device that is not there, stops the build);
* :mod:`~nnbook.book.sphinxext.assets`: plotly.js, MathJax and the live widgets' scripts served
  from the site itself, each once per page;
* :mod:`~nnbook.book.sphinxext.plotly_render`: kernels emit plotly figures as JSON, drawn
  interactive on the site and as PNG in the PDF;
* :mod:`~nnbook.book.sphinxext.provenance`: what computed each executed page, recorded in its
  kernel (:mod:`nnbook.book.kernel.provenance_record`) and shown under it;
* :mod:`~nnbook.book.sphinxext.execution_report`: ``{nnbook-execution-report}``, what each page
  and each training run cost;
* :mod:`~nnbook.book.sphinxext.whole_book`: what every page's build knows of the whole book;
* :mod:`~nnbook.book.sphinxext.book_map`: ``{nnbook-book-map}``, the introduction's map of the
  chapters;
* :mod:`~nnbook.book.sphinxext.teaching`: ``{lecture-track}`` and ``{track-estimates}``, the
  teaching page's lecture tracks, and the hand-out notebooks written when the build ends;
* :mod:`~nnbook.book.sphinxext.downloads`: a page's notebook downloads with its outputs and
  without the build's cells;
* :mod:`~nnbook.book.sphinxext.page_fixes`: the theme follows the reader's light or dark mode,
  bibliography entries are list items;
* :mod:`~nnbook.book.sphinxext.latex`: the PDF's parts, introduction and bibliography;
* :mod:`~nnbook.book.sphinxext.page_name`: the page being executed is named in its kernel's
  environment, so a failing claim names its page;
* :mod:`~nnbook.book.sphinxext.execution_cache`: the execution cache checked when the build
  starts: a damaged database or cached notebook is named in the build log and rebuilt;
* :mod:`~nnbook.book.sphinxext.completed_build`: a build that raised and warned nothing is marked
  complete, naming its pages: only then does ``cache prune`` trust the pages' records.

The myst-nb renderers are registered as entry points (pyproject.toml):
:mod:`~nnbook.book.sphinxext.plotly_render`, :mod:`~nnbook.book.sphinxext.widget_render` and
:mod:`~nnbook.book.sphinxext.image_alt`.
"""

from __future__ import annotations

from sphinx.application import Sphinx

from nnbook.book.sphinxext import (assets, book_map, build_settings, completed_build, downloads,
                                   execution_cache, execution_report, fingerprints, latex,
                                   page_fixes, page_name, plotly_render, provenance, teaching,
                                   whole_book)

FEATURES = (build_settings, fingerprints, execution_cache, assets, plotly_render, provenance,
            execution_report, whole_book, book_map, teaching, downloads, page_fixes, latex,
            page_name, completed_build)


def setup(app: Sphinx) -> dict:
    for feature in FEATURES:
        feature.setup(app)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
