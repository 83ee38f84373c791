"""What builds the site and is not taught, by where its code runs:

* :mod:`~nnbook.book.kernel`: what the pages import, run in their kernels;
* :mod:`~nnbook.book.sphinxext`: the Sphinx extension and myst-nb renderers, run by the build;
* :mod:`~nnbook.book.tools`: the command-line tools (slides, notebooks, hand-outs, format, cache,
  doctor, execute);
* beside them, what reads a page's source for the extension and the tools alike:
  :mod:`~nnbook.book.page_source`, :mod:`~nnbook.book.reading` and
  :mod:`~nnbook.book.plain_markdown`.

No concept or engine module imports this room. Its heavy imports (Sphinx, docutils, nbformat)
stay in the extension and the tools, so a page's kernel never needs them.
"""
