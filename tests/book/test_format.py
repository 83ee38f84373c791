"""Code on the pages fits the text column: every page's code cells are as ``ruff format`` writes
them at 80 characters, and every line of library code a page literal-includes is at most 80
characters long."""

from __future__ import annotations

import ast
import re
from pathlib import Path


from book_helpers import REPO
from nnbook.__main__ import main as cli
from nnbook.book.tools.format import LINE_LENGTH, format_page, format_pages
from nnbook.book.page_source import page_cells

BADLY_FORMATTED = """---
kernelspec:
  name: python3
---

# A page

```{code-cell} ipython3
:tags: [remove-cell]

result = some_function(first_argument_is_long, second_argument_is_long, third=333)
```

```{code-cell} ipython3
---
mystnb:
  image:
    alt: "A figure"
---
x = {'a':1,
     'b':2}
```

```{code-cell} ipython3
%xmode   Minimal
```
"""


def write_page(root: Path, text: str) -> Path:
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/page\n", encoding="utf-8")
    (root / "book").mkdir()
    page = root / "book" / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_a_badly_formatted_page_fails_the_check_and_is_then_formatted(tmp_path):
    page = write_page(tmp_path, BADLY_FORMATTED)
    assert cli(["format", "--check", "--root", str(tmp_path)]) == 1
    assert page.read_text(encoding="utf-8") == BADLY_FORMATTED, "--check wrote the page"

    assert cli(["format", "--root", str(tmp_path)]) == 0
    text = page.read_text(encoding="utf-8")
    assert ("result = some_function(\n"
            "    first_argument_is_long, second_argument_is_long, third=333\n)") in text
    assert 'x = {"a": 1, "b": 2}\n```' in text
    # The MyST options, the text around the cells and the IPython magic are untouched.
    assert text.startswith(BADLY_FORMATTED.split("result =")[0])
    assert ':tags: [remove-cell]\n\nresult' in text
    assert '---\nmystnb:\n  image:\n    alt: "A figure"\n---\nx = ' in text
    assert "%xmode   Minimal" in text
    assert cli(["format", "--check", "--root", str(tmp_path)]) == 0
    assert format_page(text) == text


def test_code_cells_are_found_after_their_options_and_before_their_fence():
    lines = BADLY_FORMATTED.split("\n")
    bodies = [lines[slice(*c.span)] for c in page_cells(BADLY_FORMATTED) if c.kind == "code"]
    assert bodies == [
        ["result = some_function(first_argument_is_long, second_argument_is_long, third=333)"],
        ["x = {'a':1,", "     'b':2}"],
        ["%xmode   Minimal"],
    ]


def test_every_pages_code_cells_are_formatted_to_the_column():
    unformatted = format_pages(REPO, check=True)
    assert not unformatted, (f"code cells not formatted to {LINE_LENGTH} characters in "
                             f"{[str(p.relative_to(REPO)) for p in unformatted]}: "
                             "run `.venv/bin/python -m nnbook format`")


# --- library code shown with {literalinclude} ------------------------------------------------------

INCLUDE = re.compile(r"^(`{3,}|~{3,})\{literalinclude\}\s+(?P<path>\S+)\n(?P<options>(?::.*\n)*)",
                     re.MULTILINE)


def literal_includes() -> list[tuple[Path, str, dict[str, str]]]:
    found = []
    for page in sorted((REPO / "book").glob("*.md")):
        for match in INCLUDE.finditer(page.read_text(encoding="utf-8")):
            options = dict(re.match(r":([\w-]+):\s*(.*)", line).groups()
                           for line in match["options"].splitlines())
            found.append((page, match["path"], options))
    return found


def test_literal_included_library_code_fits_the_column():
    from nnbook.book.reading import included_source

    includes = literal_includes()
    assert len(includes) > 30, "the pages' literalincludes were not found"
    long = {}
    for page, path, options in includes:
        shown = options.get("pyobject") or f"{options}"
        # the code as the page shows it: :pyobject:, :lines:, :start-at: ... and :dedent:
        code = included_source((page.parent / path).resolve(), options)
        for number, line in enumerate(code.splitlines(), 1):
            if len(line) > LINE_LENGTH:
                key = f"{Path(path).name} {shown} (on {page.name})"
                long.setdefault(key, []).append(f"line {number}: {len(line)} characters")
    assert not long, (f"literal-included lines longer than {LINE_LENGTH} characters:\n"
                      + "\n".join(f"{k}: {v}" for k, v in long.items()))


def test_literal_included_library_code_is_python_as_shown():
    """A selection by line numbers (FashionCNN's class without its docstring, ``:lines: 1,15-``)
    still shows whole statements after the library's code has moved."""
    import textwrap

    from nnbook.book.reading import included_source

    broken = []
    for page, path, options in literal_includes():
        if not path.endswith(".py"):
            continue
        code = textwrap.dedent(included_source((page.parent / path).resolve(), options))
        try:
            ast.parse(code)
        except SyntaxError as error:
            broken.append(f"{page.name}: {path} {options}: {error}")
    assert not broken, "\n".join(broken)
