"""Downloads: the executed notebook a reader downloads from a page holds its outputs and none of
the build's own cells (the fingerprint, :mod:`nnbook.book.sphinxext.fingerprints`, and the
provenance cells, :mod:`nnbook.book.sphinxext.provenance`)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from sphinx.application import Sphinx

from nnbook.book.sphinxext.fingerprints import FINGERPRINT_MARK
from nnbook.book.sphinxext.provenance import PROVENANCE_MARK


def is_hidden_cell(source: str) -> bool:
    """Whether a cell is one of the build's own cells (provenance, fingerprint)."""
    return source.lstrip().startswith((PROVENANCE_MARK, FINGERPRINT_MARK))


def executed_notebook(output_folder: Path, cache_path: Path,
                      docname: str) -> nbformat.NotebookNode | None:
    """The executed notebook of a page (``<output_folder>/<docname>.ipynb``, myst-nb's
    ``jupyter_execute``), with its outputs, without the build's own cells; None when the page
    was not executed there."""
    from jupyter_cache import get_cache

    path = Path(output_folder, docname + ".ipynb")
    if not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    # myst-nb writes pages served from the execution cache without outputs; take them from there.
    if Path(cache_path).is_dir():  # (get_cache would create one)
        try:
            _, nb = get_cache(str(cache_path)).merge_match_into_notebook(nb)
        except KeyError:
            pass
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and is_hidden_cell(c.source))]
    return nb


def downloadable_notebook(app: Sphinx, docname: str) -> nbformat.NotebookNode | None:
    """The executed notebook of a page, with its outputs, without the build's own cells."""
    config = app.env.mystnb_config
    return executed_notebook(Path(config.output_folder), Path(config.execution_cache_path),
                             docname)


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                         doctree) -> None:
    # Runs after sphinx-book-theme (priority 501) copied the executed notebook into _sources.
    source = context.get("ipynb_source")
    if source:
        nb = downloadable_notebook(app, pagename)
        if nb is not None:
            nbformat.write(nb, Path(app.outdir) / "_sources" / source)


def setup(app: Sphinx) -> None:
    app.connect("html-page-context", on_html_page_context, priority=900)
