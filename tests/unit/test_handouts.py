"""The notebooks to hand out: the student set keeps the exercises and loses every solution, the
instructor set keeps both, and `python -m nnbook notebooks` writes them beside the launch
notebooks, for the book's own pages too."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from nnbook.__main__ import main as cli
from nnbook.book.notebooks import (handout_notebook, repository, toc_pages, write_handouts,
                                   write_notebooks)
from page_text import FRONT_MATTER

REPO = Path(__file__).resolve().parents[2]

PAGE = FRONT_MATTER + """
# A page

```{code-cell} ipython3
x = 6 * 7
```

## Exercises

```{exercise} Multiply
:label: ex-mul

What is six times seven?
```

````{solution} ex-mul
:class: dropdown

It is forty-two, the answer to everything.

```python
print(6 * 7)
```
````

```{exercise}
:label: ex-two

A second question without a title.
```

```{solution} ex-two
:class: dropdown

The second secret answer.
```

## Self-check

```{code-cell} ipython3
MultipleChoice("q?", ["a", "b"], answer="a", explanation="because")
```
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "_config.yml").write_text(
        "title: t\nrepository:\n  url: https://github.com/someone/somebook\n  branch: dev\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/page\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "page.md").write_text(PAGE)
    return tmp_path


def text_of(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def test_the_student_notebook_keeps_the_exercises_and_loses_every_solution(book):
    nb = handout_notebook(book / "book" / "page.md", repository(book), book, "student")
    text = text_of(nb)
    assert "**Exercise: Multiply**" in text and "What is six times seven?" in text
    assert "A second question without a title." in text
    for secret in ("forty-two", "print(6 * 7)", "second secret", "{solution}", "Solution"):
        assert secret not in text, secret
    assert "x = 6 * 7" in text  # the page's code stays
    quiz = next(c for c in nb.cells if "MultipleChoice(" in c.source)
    assert quiz.metadata["jupyter"]["source_hidden"]  # its code names the answer


def test_the_instructor_notebook_has_the_solutions_readable_in_jupyter(book):
    nb = handout_notebook(book / "book" / "page.md", repository(book), book, "instructor")
    text = text_of(nb)
    assert "**Solution.**" in text and "forty-two" in text and "print(6 * 7)" in text
    assert "second secret" in text
    assert "{solution}" not in text and "{exercise}" not in text and ":label:" not in text
    quiz = next(c for c in nb.cells if "MultipleChoice(" in c.source)
    assert "jupyter" not in quiz.metadata


def test_make_notebooks_writes_both_sets_and_leaves_the_launch_notebooks_as_they_were(book):
    assert cli(["notebooks", "--root", str(book)]) == 0
    launch = (book / "book" / "page.ipynb").read_text()
    assert "forty-two" in launch  # the launch notebook is the page, solutions and all
    for audience in ("student", "instructor"):
        path = book / "_build" / "handouts" / audience / "page.ipynb"
        nbformat.validate(nbformat.read(path, as_version=4))
    assert write_notebooks(book) == []  # the hand-outs do not make the launch notebook stale


def solution_sentences(page: Path) -> list[str]:
    """The sentences of a page's solutions, long enough to be recognised anywhere else."""
    text = page.read_text(encoding="utf-8")
    bodies = re.findall(r"^(`{3,})\{solution\}.*?\n(.*?)^\1\s*$", text, re.M | re.S)
    sentences = []
    for _, body in bodies:
        prose = re.sub(r"^(~~~|```).*?^\1\s*$", "\n\n", body, flags=re.M | re.S)
        for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", prose):
            words = sentence.split()
            if len(words) >= 8 and not sentence.lstrip().startswith(":"):
                sentences.append(" ".join(words))
    return sentences


def test_no_solution_of_the_book_reaches_a_students_notebook(tmp_path):
    written = write_handouts(REPO, tmp_path)
    pages = [p for p in toc_pages(REPO) if (tmp_path / "student" / f"{p.stem}.ipynb").is_file()]
    assert len(pages) >= 10 and len(written) == 2 * len(pages)
    checked = 0
    for page in pages:
        student = nbformat.read(tmp_path / "student" / f"{page.stem}.ipynb", as_version=4)
        instructor = nbformat.read(tmp_path / "instructor" / f"{page.stem}.ipynb", as_version=4)
        said = " ".join(" ".join(c.source.split()) for c in student.cells)
        told = " ".join(" ".join(c.source.split()) for c in instructor.cells)
        for sentence in solution_sentences(page):
            assert sentence not in said, (page.name, sentence)
            assert sentence in told, (page.name, sentence)
            checked += 1
    assert checked >= 20
