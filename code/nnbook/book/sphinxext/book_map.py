"""The map of the book in the introduction: its parts and chapters, what each chapter needs, and
how long its core path takes to read (:mod:`nnbook.book.reading`).

``{nnbook-book-map}`` leaves a placeholder that is filled when the page is written, from the
pages' sources as they are then, so the reading times follow every edit of every chapter; the
page holding the map is written again on every build, like the execution report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

from nnbook.book.page_source import toc
from nnbook.book.reading import (CODE_LINES_PER_MINUTE, FIRST_NEEDS, WORDS_PER_MINUTE, Part,
                                 book_map)
from nnbook.book.sphinxext.whole_book import note_page, page_link, table


class BookMapNode(nodes.General, nodes.Element):
    """Placeholder, replaced by the map when the page is written."""


class BookMap(SphinxDirective):
    """``{nnbook-book-map}``, with ``:skip-parts:`` a comma-separated list of part captions."""

    option_spec = {"skip-parts": directives.unchanged}

    def run(self):
        note_page(self.env)
        skip = [p.strip() for p in self.options.get("skip-parts", "").split(",") if p.strip()]
        return [BookMapNode(skip_parts=skip)]


def duration(minutes: int) -> str:
    """``45 min`` or ``1 h 20 min``."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def map_nodes(parts: list[Part], link: Callable[[str], nodes.Node]) -> list[nodes.Node]:
    """The map as a table (part, chapter, what it needs, reading time) and a closing line with
    the total and the reading speeds; ``link(docname)`` makes a link to a chapter."""
    rows = []
    for part in parts:
        for i, chapter in enumerate(part.chapters):
            needs = nodes.inline()
            for j, docname in enumerate(chapter.needs):
                if j:
                    needs += nodes.Text(", ")
                needs += link(docname)
            if not chapter.needs:
                needs += nodes.Text(FIRST_NEEDS)
            rows.append([part.caption if i == 0 else "", link(chapter.docname), needs,
                         duration(chapter.minutes)])
    total = sum(c.minutes for part in parts for c in part.chapters)
    summary = nodes.paragraph("", "")
    summary += nodes.Text(
        f"In all, about {duration(total)} of reading. A reading time counts a chapter's core "
        f"path: its prose at {WORDS_PER_MINUTE} words a minute, its code at "
        f"{CODE_LINES_PER_MINUTE} lines a minute, and its equations and self-check questions; "
        "the exercises, the solutions and the \"Going deeper\" sections come on top.")
    return [table(["Part", "Chapter", "Read first", "Reading time"], rows,
                  classes=["nnbook-map-table"]), summary]


class BookMapTransform(SphinxPostTransform):
    default_priority = 8  # before the references are resolved, like the execution report

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(BookMapNode)):
            root = Path(self.env.srcdir)
            parts = book_map(root, toc(root), skip_parts=node["skip_parts"])
            docname = self.env.docname
            node.replace_self(map_nodes(parts, lambda d: page_link(self.env, docname, d)))


def setup(app: Sphinx) -> None:
    app.add_node(BookMapNode)
    app.add_directive("nnbook-book-map", BookMap)
    app.add_post_transform(BookMapTransform)
