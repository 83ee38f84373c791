"""What builds the site and is not taught: the Sphinx extension, notebook generation, the doctor
and the quiz widget.

Only the site build (and a page's self-check, through :mod:`nnbook.book.quiz`) imports this room.
Its heavy imports (Sphinx, docutils, nbformat) stay in its submodules, so importing a concept
module never needs them.
"""
