"""The Sphinx extension: dependency fingerprints, and the execution cache they keep fresh."""

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nnbook.book.sphinxext import FINGERPRINT_MARK, dependency_closure, fingerprint_cell
from nnbook.book.sphinxext.plotly_render import figure_html

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
{code}
```
"""


@pytest.fixture
def tinylib(tmp_path, monkeypatch):
    """A package ``tinylib`` with a chain alpha -> beta, and an unrelated gamma."""
    pkg = tmp_path / "lib" / "tinylib"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "alpha.py").write_text("from tinylib.beta import MESSAGE\n")
    (pkg / "beta.py").write_text("MESSAGE = 'first'\n")
    (pkg / "gamma.py").write_text("from . import beta as _b\nVALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    return pkg


def test_closure_follows_imports_transitively(tinylib):
    found = dependency_closure(["from tinylib.alpha import MESSAGE\nimport numpy"], ["tinylib"])
    assert list(found) == ["tinylib", "tinylib.alpha", "tinylib.beta"]


def test_closure_handles_relative_imports_and_from_package_import(tinylib):
    assert "tinylib.beta" in dependency_closure(["import tinylib.gamma"], ["tinylib"])
    assert "tinylib.gamma" in dependency_closure(["from tinylib import gamma"], ["tinylib"])
    assert dependency_closure(["import os"], ["tinylib"]) == {}


def test_closure_survives_cells_that_are_not_python(tinylib):
    found = dependency_closure(["%matplotlib inline\nfrom tinylib import alpha"], ["tinylib"])
    assert "tinylib.beta" in found


def test_fingerprint_changes_with_the_module_and_only_then(tinylib):
    modules = dependency_closure(["from tinylib import alpha"], ["tinylib"])
    first = fingerprint_cell(modules)
    assert FINGERPRINT_MARK in first and ":tags: [remove-cell]" in first
    assert fingerprint_cell(modules) == first
    (tinylib / "beta.py").write_text("MESSAGE = 'second'\n")
    assert fingerprint_cell(modules) != first


def test_plotly_html_is_labelled_and_safe():
    fig = {"data": [{"type": "scatter", "y": [1, 2]}],
           "layout": {"title": {"text": "A <b>title</b>"}, "height": 300}}
    out = figure_html(fig, "plotly-1")
    assert 'role="img" aria-label="A &lt;b&gt;title&lt;/b&gt;"' in out
    assert 'data-target="plotly-1"' in out and "min-height:300px" in out
    fig["layout"]["title"]["text"] = "</script><script>alert(1)</script>"
    assert "</script><script>" not in figure_html(fig, "p").split("application/json")[1][:-9]


def run_build(book: Path, out: Path, env: dict) -> subprocess.CompletedProcess:
    jb = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run([str(jb), "build", str(book), "-W", "-n", "--keep-going",
                           "--path-output", str(out)], env=env, capture_output=True, text=True)


def build(book: Path, out: Path, env: dict) -> str:
    result = run_build(book, out, env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def page_text(out: Path, name: str) -> str:
    return (out / "_build" / "html" / f"{name}.html").read_text()


def tiny_book(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text(textwrap.dedent("""\
        title: tiny
        only_build_toc_files: true
        execute:
          execute_notebooks: cache
        sphinx:
          extra_extensions: [nnbook.book.sphinxext]
          config:
            nnbook_tracked_packages: [tinylib]
            nb_execution_raise_on_error: true
        """))
    (book / "_toc.yml").write_text("format: jb-book\nroot: uses\nchapters:\n  - file: other\n")
    return book


def test_a_cell_that_raises_fails_the_build_with_its_traceback(tinylib, tmp_path):
    book = tiny_book(tmp_path)
    (book / "uses.md").write_text(PAGE.format(title="Uses", code="print('fine')"))
    (book / "other.md").write_text(PAGE.format(
        title="Other", code="def broken():\n    return 1 / 0\n\nbroken()"))
    result = run_build(book, tmp_path / "out", {**os.environ, "PYTHONPATH": str(tmp_path / "lib")})
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "ZeroDivisionError" in log and "broken()" in log  # the traceback, not just a verdict


def test_changing_an_imported_module_re_executes_only_its_pages(tinylib, tmp_path):
    book = tiny_book(tmp_path)
    # "uses" imports alpha (and so, through it, beta); "other" imports nothing tracked and prints
    # a fresh random token each time it really runs.
    (book / "uses.md").write_text(PAGE.format(
        title="Uses", code="from tinylib.alpha import MESSAGE\nprint('message:', MESSAGE)"))
    (book / "other.md").write_text(PAGE.format(
        title="Other", code="import uuid\nprint('token:', uuid.uuid4().hex)"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "lib")}
    out = tmp_path / "out"

    build(book, out, env)
    token = re.search(r"token: ([0-9a-f]{32})", page_text(out, "other")).group(1)
    assert "message: first" in page_text(out, "uses")
    assert FINGERPRINT_MARK not in page_text(out, "uses")  # the cell is hidden

    # Nothing changed: both pages come from the cache.
    log = build(book, out, env)
    assert "Executing notebook" not in log
    assert token in page_text(out, "other")

    # Change beta, which "uses" imports only through alpha. Make the new mtime unmistakable.
    beta = tinylib / "beta.py"
    beta.write_text("MESSAGE = 'second'\n")
    later = time.time() + 5
    os.utime(beta, (later, later))
    build(book, out, env)
    assert "message: second" in page_text(out, "uses")  # re-executed with the new module
    assert token in page_text(out, "other")  # untouched page stayed cached
