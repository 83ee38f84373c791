"""The text of a book page that tests write: the front matter every page of the book opens with
(a MyST notebook for jupytext, run by the Python 3 kernel)."""

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
