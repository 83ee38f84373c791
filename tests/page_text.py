"""The text of a book page that tests write: the front matter every page of the book opens with
(a MyST notebook for jupytext, run by the Python 3 kernel); and a tiny book's configuration."""

FRONT_MATTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def book_config(sphinx_config: str = "") -> str:
    """A tiny book's ``_config.yml``: pages executed through the execution cache, the book's
    Sphinx extension, and ``sphinx_config`` (lines of YAML) as Sphinx's configuration."""
    config = "".join(f"    {line}\n" for line in sphinx_config.splitlines())
    return ("title: tiny\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: cache\n"
            "sphinx:\n  extra_extensions: [nnbook.book.sphinxext]\n"
            + (f"  config:\n{config}" if config else ""))
