"""A page's source read in one place (nnbook.book.page_source): its cells as myst-nb reads them,
the structure of its markdown, the table of contents, its front matter, the chapters it needs,
and the lectures the teaching page declares."""

import re

import pytest

from nnbook.book.page_source import (PageSourceError, front_matter, lectures, markdown_events,
                                     page_blocks, page_cells, page_facts, toc_pages)
from nnbook.engine import sources

PAGE = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
---

# Title

Some *prose*.

```{code-cell} ipython3
---
mystnb:
  image:
    alt: a figure
---


x = 1
```

```{code-cell} ipython3
:tags: [remove-cell, slide]

y = 2
```
"""


def test_cells_are_read_as_myst_nb_reads_them_with_where_their_code_sits():
    cells = page_cells(PAGE)
    lines = PAGE.split("\n")
    assert [c.kind for c in cells] == ["markdown", "code", "code"]
    code = cells[1:]
    assert [c.source.strip() for c in code] == ["x = 1", "y = 2"]
    assert code[1].tags == ("remove-cell", "slide")
    # the YAML options, the :tags: line and the blank lines after them are not the code
    assert [lines[slice(*c.span)] for c in code] == [["x = 1"], ["y = 2"]]
    assert lines[code[0].line - 1] == "```{code-cell} ipython3"  # the opening fence, 1-based
    markdown = cells[0]
    assert lines[markdown.line - 1] == "# Title"


MARKDOWN = """(label)=
## Section

% a comment
Text with a {ref}`role`.

::::{exercise} Its title
:label: ex-1

Do it.

$$
a = b
$$ (eq-a)

```python
print(1)
```
::::

:::{solution} ex-1
    indented = "code"

# not a heading: inside a block
:::

:::
a colon fence without a name holds markdown
:::"""


def test_the_markdowns_structure_nesting_options_and_literal_blocks():
    events = list(markdown_events(MARKDOWN, first_line=10))
    kinds = [(e.kind, e.block.name if e.block else None, len(e.blocks)) for e in events
             if e.kind != "prose" or e.text.strip()]
    assert kinds == [
        ("target", None, 0), ("heading", None, 0), ("comment", None, 0), ("prose", None, 0),
        ("open", "exercise", 0), ("prose", None, 1), ("math", None, 1), ("literal", "", 1),
        ("close", "exercise", 0),
        ("open", "solution", 0), ("indented", None, 1), ("prose", None, 1),
        ("close", "solution", 0),
        ("open", "", 0), ("prose", None, 1), ("close", "", 0),
    ]
    heading = events[1]
    assert (heading.text, heading.level, heading.line) == ("Section", 2, 11)
    exercise = next(e.block for e in events if e.kind == "open")
    assert exercise.argument == "Its title" and exercise.options == {"label": "ex-1"}
    math = next(e for e in events if e.kind == "math")
    assert math.text.strip() == "a = b" and math.raw == "$$\na = b\n$$"  # the label is not kept
    code = next(e.block for e in events if e.kind == "literal")
    assert (code.language, code.content) == ("python", ["print(1)"])
    # a block's content is every line between its fences, nested blocks' included
    assert "print(1)" in exercise.content and "Do it." in exercise.content
    assert ":label: ex-1" not in exercise.content


def test_a_directives_options_may_be_a_yaml_block():
    events = list(markdown_events(":::{note} A title\n---\nclass: dropdown\nname: n\n---\nText.\n:::"))
    note = events[0].block
    assert note.options == {"class": "dropdown", "name": "n"}
    assert [e.text for e in events if e.kind == "prose"] == ["Text."]


def test_a_target_labels_what_follows():
    events = list(markdown_events("(my-label)=\n## Title"))
    assert [(e.kind, e.text) for e in events] == [("target", "my-label"), ("heading", "Title")]


def test_the_blocks_of_a_page_by_name():
    page = PAGE + "\n" + MARKDOWN + "\n"
    (solution,) = page_blocks(page, "solution")
    assert solution.argument == "ex-1" and '    indented = "code"' in solution.content
    assert page_blocks(page, "glossary") == []


def test_the_table_of_contents_lists_its_files_in_reading_order(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: book/one\n      - file: book/two.ipynb\n")
    assert toc_pages(tmp_path) == [tmp_path / "book" / "intro.md", tmp_path / "book" / "one.md",
                                   tmp_path / "book" / "two.ipynb"]
    with pytest.raises(PageSourceError, match="not found: run this from the book's root"):
        toc_pages(tmp_path / "book")


def test_no_other_module_walks_the_page_grammar():
    # One reader of page source: fences, directives and myst-nb's notebook reader appear in
    # page_source alone, and every other module consumes its reading.
    grammar = re.compile(r"`\{3,\}|:\{3,\}|read_myst_markdown_notebook\(")
    walkers = sorted(path.relative_to(sources.package_dir()).as_posix()
                     for path in sources.package_dir().rglob("*.py")
                     if path.name != "page_source.py" and grammar.search(path.read_text()))
    assert walkers == []


def test_front_matter_is_the_yaml_between_the_opening_lines():
    text = "---\nkernelspec:\n  name: python3\nnnbook:\n  needs: [a, b]\n---\n\n# Title\n"
    assert front_matter(text) == {"kernelspec": {"name": "python3"},
                                  "nnbook": {"needs": ["a", "b"]}}
    assert front_matter("# No front matter\n---\n") == {}
    assert front_matter("---\nnot: closed\n") == {}


def test_the_facts_must_be_a_mapping(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("---\nnnbook: [needs]\n---\n")
    with pytest.raises(PageSourceError, match="must be a mapping"):
        page_facts(page)
    page.write_text("# Nothing declared\n")
    assert page_facts(page) == {}


def test_lectures_come_from_the_teaching_pages_front_matter_in_their_own_order(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    for name in ("b", "a"):
        (book / f"{name}.md").write_text(f"# {name}\n")
    (book / "teaching.md").write_text(
        "---\nnnbook:\n  lectures:\n    - name: one\n      title: One\n"
        "      pages: [b, a]\n---\n# Teaching\n")
    (lecture,) = lectures(tmp_path)
    assert (lecture.name, lecture.title, lecture.pages) == ("one", "One", ("b", "a"))
    (book / "teaching.md").write_text(
        "---\nnnbook:\n  lectures:\n    - name: one\n      title: One\n"
        "      pages: [b, gone]\n---\n")
    with pytest.raises(PageSourceError, match="gone"):
        lectures(tmp_path)
    (book / "teaching.md").write_text("---\nnnbook:\n  lectures:\n    - name: one\n---\n")
    with pytest.raises(PageSourceError, match="a name, a title and its pages"):
        lectures(tmp_path)
    (book / "teaching.md").unlink()
    assert lectures(tmp_path) == ()
