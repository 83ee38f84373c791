"""The Sphinx extension names the page it reads in the environment a page's kernel inherits,
and a claim that fails in that page names it."""

import os
import subprocess
import sys
import textwrap

from nnbook.book.sphinxext.page_name import VARIABLE, name_the_page


def test_reading_a_page_names_it(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    name_the_page(None, "book/gans", ["# GANs"])
    assert os.environ[VARIABLE] == "book/gans"
    name_the_page(None, "book/autodiff", ["# Autodiff"])
    assert os.environ[VARIABLE] == "book/autodiff"


def test_a_process_started_after_the_page_is_read_sees_its_name(monkeypatch):
    """A kernel is such a process: its failing claim names the page."""
    monkeypatch.delenv(VARIABLE, raising=False)
    name_the_page(None, "book/gans", [])
    code = textwrap.dedent("""
        from nnbook.book.kernel.claims import claim
        claim(False, "the run collapsed", 0)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "A sentence of the page book/gans no longer holds: the run collapsed." in result.stderr
