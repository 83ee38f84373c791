"""A page's fingerprint holds the definitions the page can reach (nnbook.engine.definitions), not
whole modules: on a small package written for each test, adding a function no page uses changes
no fingerprint, changing one a page can call changes that page's alone, and code that looks names
up itself counts whole."""

from __future__ import annotations

import os
import textwrap

import pytest

from nnbook.engine.definitions import reached_digests
from nnbook.book.sphinxext.fingerprints import fingerprint_cell

FILES = {
    "__init__.py": "from deflib.shapes import draw as reexported\n",
    "plot.py": """\
        MARGIN = 20


        def style(fig, margin=MARGIN):
            return fig + margin


        def other(fig):
            return fig * 2


        def factor():
            return 3
        """,
    "shapes.py": """\
        from deflib import plot
        from deflib.plot import style


        def draw(x):
            return style(x)


        def draw_other(x):
            return plot.other(x)


        def helper(x):
            return x + 1


        class Painter:
            def paint(self, x):
                return helper(x)


        def scaled(x, by=plot.factor()):
            return x * by
        """,
    "registry.py": """\
        def first():
            return 1


        def second():
            return 2


        def by_name(name):
            return globals()[name]()
        """,
}


@pytest.fixture
def deflib(tmp_path, monkeypatch):
    """A package ``deflib``: shapes draws with plot's functions; registry looks names up."""
    pkg = tmp_path / "lib" / "deflib"
    pkg.mkdir(parents=True)
    for name, text in FILES.items():
        (pkg / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    return pkg


def edit(path, old: str, new: str) -> None:
    """Replace ``old`` in the file, and move its time on (the parse cache keys on it)."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def fingerprint(*cells: str) -> str:
    return fingerprint_cell(reached_digests(cells, ["deflib"]), "cpu", torch_version="2.14.1")


DRAW = "from deflib.shapes import draw\ndraw(1)"
DRAW_OTHER = "from deflib.shapes import draw_other\ndraw_other(1)"


def test_an_unused_function_changes_no_fingerprint(deflib):
    before = fingerprint(DRAW), fingerprint(DRAW_OTHER)
    edit(deflib / "plot.py", "def other", "def unused(fig):\n    return style(fig)\n\n\ndef other")
    edit(deflib / "plot.py", "MARGIN = 20", "MARGIN = 20\nUNUSED = int(max(MARGIN, 2.5))")
    edit(deflib / "shapes.py", "class Painter", "def unused():\n    return 0\n\n\nclass Painter")
    assert (fingerprint(DRAW), fingerprint(DRAW_OTHER)) == before


@pytest.mark.parametrize(("cell", "path", "old", "new"), [
    (DRAW, "shapes.py", "return style(x)", "return style(x) + 1"),  # called directly
    (DRAW, "plot.py", "return fig + margin", "return fig - margin"),  # through another module
    (DRAW, "plot.py", "MARGIN = 20", "MARGIN = 24"),  # a module constant, as a default value
    ("from deflib.shapes import Painter\nPainter().paint(1)",  # a method's callee
     "shapes.py", "return x + 1", "return x + 2"),
    ("from deflib.shapes import scaled\nscaled(1)",  # a default argument's callee
     "plot.py", "return 3", "return 4"),
    ("import deflib.plot as p\np.style(1)", "plot.py", "return fig + margin", "return fig"),
    ("from deflib import plot\nplot.style(1)", "plot.py", "MARGIN = 20", "MARGIN = 21"),
    ("from deflib import reexported\nreexported(1)",  # through the package's re-export
     "plot.py", "return fig + margin", "return fig"),
])
def test_changing_code_a_page_can_call_changes_its_fingerprint(deflib, cell, path, old, new):
    before = fingerprint(cell)
    edit(deflib / path, old, new)
    assert fingerprint(cell) != before


def test_a_change_only_another_page_can_reach_leaves_this_page_cached(deflib):
    draws, draws_other = fingerprint(DRAW), fingerprint(DRAW_OTHER)
    alias = "import deflib.plot as p\np.style(1)"
    by_alias = fingerprint(alias)
    edit(deflib / "plot.py", "return fig * 2", "return fig * 3")
    assert fingerprint(DRAW_OTHER) != draws_other
    assert fingerprint(DRAW) == draws  # shapes.py and plot.py changed, not what draw runs
    assert fingerprint(alias) == by_alias  # p.style, not p.other


def test_a_name_a_page_imports_counts_when_it_goes_away(deflib):
    cell = "from deflib.plot import other"  # never called, but the import fails without it
    before = fingerprint(cell)
    edit(deflib / "plot.py", "def other(fig):\n    return fig * 2\n", "")
    assert fingerprint(cell) != before


@pytest.mark.parametrize("cell", [
    "from deflib.registry import by_name\nby_name('second')",  # globals() in the module
    "import deflib.plot as p\ngetattr(p, 'other')(1)",  # the module itself is used
    "from deflib.plot import *\nother(1)",
    "import deflib.plot\ndeflib.plot.other(1)",
])
def test_a_dynamic_lookup_counts_the_whole_module(deflib, cell):
    before = fingerprint(cell)
    edit(deflib / "registry.py", "return 2", "return 3")
    edit(deflib / "plot.py", "return fig * 2", "return fig * 3")
    assert fingerprint(cell) != before


def test_code_that_runs_on_import_counts_though_no_page_names_it(deflib):
    before = fingerprint(DRAW)
    edit(deflib / "plot.py", "MARGIN = 20", "MARGIN = 20\nprint('imported')")
    after = fingerprint(DRAW)
    assert after != before
    edit(deflib / "plot.py", "print('imported')", "print('imported!')")
    assert fingerprint(DRAW) != after
    after = fingerprint(DRAW)
    edit(deflib / "plot.py", "MARGIN = 20", "MARGIN = 20\nREGISTERED = open(__file__).close()")
    assert fingerprint(DRAW) != after  # an assignment that calls may do anything


def test_reached_names_lists_the_definitions_a_source_reaches(tinylib):
    from nnbook.engine.definitions import reached_names

    (tinylib / "zeta.py").write_text("LIMIT = 3\n\n\ndef used():\n    return LIMIT\n\n\n"
                                     "def unused():\n    return 0\n\n\nclass _Private:\n    pass\n")
    names = reached_names(["from tinylib.zeta import used\nused"], packages=("tinylib",))
    assert names["tinylib.zeta"] == ["LIMIT", "used"]
