"""The map of the book ({nnbook-book-map}, nnbook.book.sphinxext.book_map) in a small Sphinx
project: a table of the parts and chapters with links, what each needs, and reading times that
follow an edit of a chapter on the next build."""

import textwrap
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

from nnbook.book.sphinxext.book_map import duration

FRONT = textwrap.dedent("""\
    ---
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---
    """)


def write_project(root: Path, first_words: int) -> None:
    (root / "book").mkdir(parents=True, exist_ok=True)
    (root / "conf.py").write_text(
        'extensions = ["myst_parser", "nnbook.book.sphinxext.book_map"]\n'
        'exclude_patterns = ["_build"]\n')
    (root / "_toc.yml").write_text(textwrap.dedent("""\
        root: index
        parts:
          - caption: Basics
            chapters:
              - file: book/first
              - file: book/second
          - caption: Back matter
            chapters:
              - file: book/glossary
        """))
    (root / "index.md").write_text(
        "# Index\n\n```{nnbook-book-map}\n:skip-parts: Back matter\n```\n\n"
        "```{toctree}\nbook/first\nbook/second\nbook/glossary\n```\n")
    (root / "book" / "first.md").write_text(FRONT + "# First\n\n" + "word " * first_words + "\n")
    (root / "book" / "second.md").write_text(FRONT + "# Second\n\n" + "word " * 10 + "\n")
    (root / "book" / "glossary.md").write_text("# Glossary\n")


def build(root: Path) -> str:
    with docutils_namespace():  # each build registers its nodes afresh, as a new process would
        app = Sphinx(str(root), str(root), str(root / "_build"),
                     str(root / "_build" / ".doctrees"), "html", status=None, warning=None,
                     warningiserror=True)
        app.build()
    return (root / "_build" / "index.html").read_text()


def test_the_map_links_every_chapter_and_follows_edits(tmp_path):
    write_project(tmp_path, first_words=990)
    html = build(tmp_path)
    assert 'href="book/first.html"' in html and 'href="book/second.html"' in html
    assert "Basics" in html and "Back matter" not in html and "Glossary" not in html.split(
        "nnbook-map-table")[1].split("</table>")[0]
    assert "<p>5 min</p>" in html  # 990 words and a title at 200 words a minute, rounded up
    # Only the chapter changes; the index is written again with the new time.
    (tmp_path / "book" / "first.md").write_text(FRONT + "# First\n\n" + "word " * 1990)
    assert "<p>10 min</p>" in build(tmp_path)


def test_durations_read_as_hours_and_minutes():
    assert [duration(m) for m in (5, 60, 95)] == ["5 min", "1 h", "1 h 35 min"]
