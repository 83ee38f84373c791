"""The page being executed, named in the environment its kernel inherits.

myst-nb starts a fresh kernel for each page it executes, while Sphinx reads that page; the kernel
inherits the build's environment. Naming the page there (``NNBOOK_PAGE``) lets code that runs in
the page say which page it is in without the page saying so: a failing claim names its page
(:mod:`nnbook.book.kernel.claims`).
"""

from __future__ import annotations

import os

VARIABLE = "NNBOOK_PAGE"


def name_the_page(app, docname: str, source: list[str]) -> None:
    """On ``source-read``: the page read next is ``docname``."""
    os.environ[VARIABLE] = docname


def setup(app) -> None:
    app.connect("source-read", name_the_page)
