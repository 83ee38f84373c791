"""A new chapter is a page and a line in the table of contents: added to a copy of the book, with
nothing else changed, it builds strictly and shows up in the book's map with a reading time, in a
deck of its own, and among the notebooks to hand out.

The copy starts from the execution cache of the session's build, so only the new page executes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from book_helpers import REPO
from page_text import FRONT_MATTER

pytestmark = pytest.mark.book

CHAPTER = FRONT_MATTER + textwrap.dedent("""\

    (a-new-chapter)=
    # A chapter nobody planned

    :::{admonition} What you will learn
    :class: tip
    - That a chapter is a page and a line in the table of contents.
    :::

    ## Adding numbers

    A sum, worked out by the kernel that executes this page:

    ```{code-cell} ipython3
    :tags: [slide]

    print("two and two make", 2 + 2)
    ```

    ## Exercises

    ```{exercise}
    :label: new-chapter-ex

    What do three and three make?
    ```

    ```{solution} new-chapter-ex
    :class: dropdown

        3 + 3
    ```
    """)


@pytest.fixture(scope="module")
def grown(built_book, tmp_path_factory):
    """A copy of the book with one chapter added (a page and a line in _toc.yml), built."""
    copy = tmp_path_factory.mktemp("grown") / "book-copy"
    copy.mkdir()
    shutil.copytree(REPO / "book", copy / "book",
                    ignore=shutil.ignore_patterns("_build", "*.ipynb_checkpoints"))
    for name in ("_config.yml", "references.bib", "package.json"):
        shutil.copy2(REPO / name, copy / name)
    for name in ("code", "node_modules"):
        os.symlink(REPO / name, copy / name)
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if p["caption"] != "Back matter")
    part["chapters"].append({"file": "book/a_new_chapter"})
    (copy / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (copy / "book" / "a_new_chapter.md").write_text(CHAPTER)
    out = copy.parent / "out"
    cache = built_book.out / "_build" / ".jupyter_cache"
    if cache.is_dir():  # only the new page executes
        shutil.copytree(cache, out / "_build" / ".jupyter_cache")
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(copy),
               "-W", "-n", "--keep-going", "--path-output", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=copy)
    return copy, out / "_build" / "html", result


def test_the_grown_book_builds_strictly(grown):
    _, _, result = grown
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]


def test_the_new_chapter_is_in_the_map_with_its_reading_time(grown):
    from bs4 import BeautifulSoup

    _, html, result = grown
    assert result.returncode == 0
    assert "two and two make 4" in (html / "book" / "a_new_chapter.html").read_text()
    # the map is on the root page, book/intro (index.html only redirects to it)
    soup = BeautifulSoup((html / "book" / "intro.html").read_text(), "html.parser")
    row = next(tr for tr in soup.select("table tr") if "A chapter nobody planned" in tr.text)
    assert "min" in row.text  # its reading time
    assert row.find("a", href=lambda h: h and "a_new_chapter.html" in h)


def test_the_new_chapter_has_a_deck_and_notebooks_to_hand_out(grown, tmp_path):
    copy, html, result = grown
    assert result.returncode == 0
    decks = tmp_path / "slides"
    made = subprocess.run([sys.executable, "-m", "nnbook", "slides", "--root", str(copy),
                           "--site", str(html), "--out", str(decks), "--no-pdf"],
                          capture_output=True, text=True, cwd=copy)
    assert made.returncode == 0, made.stderr
    deck = (decks / "a_new_chapter.html").read_text()
    assert "two and two make 4" in deck
    # the students' notebook is on the site; the instructor's, with the solutions, beside it only
    assert (html / "handouts" / "student" / "a_new_chapter.ipynb").is_file()
    assert not (html / "handouts" / "instructor").exists()
    assert (html.parent / "handouts" / "instructor" / "a_new_chapter.ipynb").is_file()
