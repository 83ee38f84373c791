"""Pages drawn from the whole book (the execution report, the book map): the pages that hold
them, rewritten on every build, and the tables and links they are made of.

A directive of such a page calls :func:`note_page` and leaves a placeholder node; a post-transform
fills it when the page is written, once every page has been read. :class:`WholeBookPages` keeps
the pages that hold one in the environment, merges what parallel readers noted, and has them
written again on every build, since what they show changes with any page.
"""

from __future__ import annotations

import posixpath

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment.collectors import EnvironmentCollector


def _pages(env) -> set[str]:
    if not hasattr(env, "nnbook_whole_book_docs"):
        env.nnbook_whole_book_docs = set()
    return env.nnbook_whole_book_docs


def note_page(env) -> None:
    """Note that the page being read holds a view of the whole book."""
    _pages(env).add(env.docname)


class WholeBookPages(EnvironmentCollector):
    """The pages that hold a view of the whole book, written again on every build."""

    def clear_doc(self, app: Sphinx, env, docname: str) -> None:
        _pages(env).discard(docname)

    def merge_other(self, app: Sphinx, env, docnames: set[str], other) -> None:
        _pages(env).update(_pages(other) & set(docnames))

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        pass  # the directives note their pages as they run

    def get_updated_docs(self, app: Sphinx, env) -> list[str]:
        return sorted(_pages(env))


def table(headers: list[str], rows: list[list[nodes.Node | str]], classes=()) -> nodes.table:
    """A table with a header row; a cell is a node or a string."""
    table = nodes.table(classes=["colwidths-auto", *classes])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for h in headers:
        row += nodes.entry("", nodes.paragraph("", h))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            para = nodes.paragraph("", "")
            para += cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
            row += nodes.entry("", para)
        body += row
    return table


def page_link(env, fromdoc: str, docname: str) -> nodes.Node:
    """A link from ``fromdoc`` to ``docname``, named by its title."""
    title = env.titles.get(docname)
    target = posixpath.relpath(docname, posixpath.dirname(fromdoc))
    ref = pending_xref("", refdoc=fromdoc, reftarget=target, reftype="doc",
                       refdomain="std", refexplicit=True, refwarn=True)
    ref += nodes.inline("", title.astext() if title is not None else docname)
    return ref


def setup(app: Sphinx) -> dict:
    app.add_env_collector(WholeBookPages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
