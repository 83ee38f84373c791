"""Page fingerprints (nnbook.book.sphinxext.fingerprints): which modules a page's cells import,
read the way myst-nb and IPython read them, and the hidden cell that changes when one of them
does."""

from __future__ import annotations

import pytest
from sphinx.errors import ExtensionError

from nnbook.book.sphinxext.fingerprints import (FINGERPRINT_MARK, CodeCell, cell_imports,
                                                code_cells, fingerprint_cell)
from nnbook.engine.definitions import reached_digests
from nnbook.engine.sources import closure
from page_text import FRONT_MATTER


# The imports cell carries a tag and spreads an import over three lines; the second cell has a
# YAML option block; the third starts with a magic and runs a shell command.
PAGE = FRONT_MATTER + """
# A page

```{code-cell} ipython3
:tags: [hide-input]

from tinylib.alpha import (MESSAGE,
                           MESSAGE as M2)
```

Some prose.

```{code-cell} ipython3
---
mystnb:
  image:
    alt: "a figure"
---
import tinylib.gamma
```

```{code-cell} ipython3
%xmode Minimal
!echo hello
files = !ls
import os
```
"""


def page_modules(text: str) -> dict:
    names = set().union(*(cell_imports(c, "page.md") for c in code_cells(text)))
    return closure(names, ["tinylib"])


def test_cells_are_read_without_their_options():
    cells = code_cells(PAGE)
    assert [c.number for c in cells] == [1, 2, 3]
    assert cells[0].tags == ("hide-input",)
    assert cells[0].source.startswith("from tinylib.alpha import (MESSAGE,")
    assert cells[1].source == "import tinylib.gamma"  # no YAML block left
    assert PAGE.splitlines()[cells[1].line - 1].startswith("```{code-cell}")


def test_a_tagged_cell_with_a_parenthesised_import_keeps_its_modules(tinylib):
    # The former regex kept ":tags:" in the cell, so it failed to parse, and the line scan that
    # followed lost the import spread over two lines: alpha and beta fell out of the fingerprint.
    assert list(page_modules(PAGE)) == ["tinylib", "tinylib.alpha", "tinylib.beta",
                                        "tinylib.gamma"]


def test_magics_and_shell_escapes_are_no_syntax_errors():
    cell = code_cells(PAGE)[2]
    assert cell_imports(cell, "page.md") == {"os"}


def test_a_cell_that_is_not_python_names_its_page_and_cell():
    page = PAGE + "\n```{code-cell} ipython3\nfrom tinylib.alpha import (MESSAGE,\n```\n"
    broken = code_cells(page)[-1]
    with pytest.raises(ExtensionError, match=r"book/page\.md: code cell 4 \(line \d+\)"):
        cell_imports(broken, "book/page.md")


def test_a_cell_meant_to_raise_may_be_invalid_python():
    cell = CodeCell(1, 10, "def f(:\n    pass", ("raises-exception",))
    assert cell_imports(cell, "page.md") == set()  # a cell that does not compile runs nothing


def test_pages_that_are_not_notebooks_have_no_cells():
    assert code_cells("# Glossary\n\n```{code-cell}\nimport os\n```\n") == []


def test_the_fingerprint_holds_the_device_type_and_the_code_the_page_runs(tinylib):
    def cell(device: str = "cpu") -> str:
        digests = reached_digests(["from tinylib.alpha import MESSAGE\nprint(MESSAGE)"],
                                  ["tinylib"])
        return fingerprint_cell(digests, device, torch_version="2.14.1")

    first = cell()
    assert FINGERPRINT_MARK in first and ":tags: [remove-cell]" in first
    assert "# device cpu" in first
    assert "# tinylib.beta " in first
    assert cell("cuda") != first
    assert cell() == first

    beta = tinylib / "beta.py"
    beta.write_text("# what the page prints\nMESSAGE = 'first'  # for now\n")
    assert cell() == first  # a comment re-executes nothing
    beta.write_text("MESSAGE = 'second'\n")
    assert cell() != first
