"""The notebooks to hand out, on a small book built here: the student's has the page's text as
Jupyter shows Markdown (values filled in, links into the site, included code inlined,
directives written out), its code without the build's bookkeeping, and no solution anywhere;
the instructor's has the solutions, the cells behind them and the build's outputs; both
install the library at the commit they were made from."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from nnbook.__main__ import main as cli
from nnbook.book.tools.handouts import CodeCell, ExecutedBook, handout_notebook, write_handouts
from nnbook.book.tools.notebooks import Repository, repository, toc_pages, write_notebooks
from nnbook.book.plain_markdown import BookLinks, MarkdownError, PageText, plain_markdown
from page_text import FRONT_MATTER

COMMIT = "0123456789abcdef0123456789abcdef01234567"

PAGE = FRONT_MATTER + """
(a-page)=
# A page

:::{admonition} What you will learn
:class: tip
What a {term}`tensor` is, after {cite:p}`someone2020`.
:::

```{code-cell} ipython3
import math
```

```{code-cell} ipython3
:tags: [remove-cell]

import json  # a visible cell uses it

x = 0  # a visible cell defines it again before any cell reads it
from nnbook.book.kernel.claims import claim
from nnbook.book.kernel.glue import glue
from nnbook.book.kernel.lesson_errors import show_lesson_errors

show_lesson_errors()
```

```{code-cell} ipython3
x = 6 * 7
print(json.dumps({"x": x}))
```

```{code-cell} ipython3
:tags: [remove-cell]

share = x / 100
glue("share", share)
claim(share < 1, "the share is below one", share)
for name in ("a", "bc"):
    glue(f"n_{name}", len(name))
```

The share is {glue:text}`share:.1%`, and `bc` has {glue:text}`n_bc` letters; in the code span
`{glue:text}` stays as written. Back to {ref}`the top <a-page>`.

```{literalinclude} ../lib.py
:pyobject: double
```

```{literalinclude} ../lib.py
:start-at: def triple
:end-at: return
:dedent: 4
```

::::{tab-set}
:::{tab-item} In this book
The book's way.
:::
:::{tab-item} The lecture's code
The lecture's way.
:::
::::

```{margin} A margin note
Beside the text.
```

:::{div} slide
What the slide shows.
:::

## Exercises

```{exercise} Multiply
:label: ex-mul

What is six times seven?
```

```{code-cell} ipython3
:tags: [remove-cell]

secret = 6 * 7  # what the solution states
glue("secret", secret)
claim(secret == x, "the secret is x", secret)
```

````{solution} ex-mul
:class: dropdown

It is {glue:text}`secret`, the answer to everything.

```python
print(6 * 7)
```
````

## Self-check

```{code-cell} ipython3
:tags: [remove-input]

from nnbook.book.kernel.quiz import MultipleChoice

MultipleChoice("How much is x?", [str(x), str(x + 1)], answer=str(x),
               explanation="The cell computed it.")
```
"""

GLOSSARY = """(glossary)=
# Glossary

```{glossary}
Tensor
  An array that knows its device.
```
"""

REFERENCES = """(references)=
# References

```{bibliography}
```
"""

BIB = """@article{someone2020,
  author = {Someone, Ada and Other, Bob},
  title = {A title}, journal = {J}, year = {2020}
}
"""

LIB = '''def double(x):
    """Twice x."""
    return 2 * x


class Maths:
    def triple(self, x):
        return 3 * x
'''


def execute_as_myst_nb(page: Path, root: Path) -> None:
    """Execute ``page`` in a fresh kernel and keep what a build keeps: the executed notebook
    (as the build's execution cache serves it, with every output) and the glued values
    (myst-nb's glue file, written by myst-nb's own code)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_nb.ext.glue import extract_glue_data
    from nbclient import NotebookClient

    nb = read_myst_markdown_notebook(page.read_text(), path=str(page))
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(page.parent)}}).execute()
    folder = root / "_build" / "jupyter_execute" / "book"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{page.stem}.ipynb")
    glue = extract_glue_data(nbformat.from_dict(json.loads(nbformat.writes(nb))),
                             [0] * len(nb.cells), None)
    (folder / f"{page.stem}.glue.json").write_text(json.dumps(glue))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A book of one page with code (and a glossary and references), built once."""
    root = tmp_path_factory.mktemp("book")
    (root / "_config.yml").write_text(
        "title: t\nrepository:\n  url: https://github.com/someone/somebook\n  branch: dev\n"
        "bibtex_bibfiles:\n  - references.bib\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/page\nchapters:\n"
                                   "  - file: book/glossary\n  - file: book/references\n")
    (root / "book").mkdir()
    (root / "book" / "page.md").write_text(PAGE)
    (root / "book" / "glossary.md").write_text(GLOSSARY)
    (root / "book" / "references.md").write_text(REFERENCES)
    (root / "references.bib").write_text(BIB)
    (root / "lib.py").write_text(LIB)
    execute_as_myst_nb(root / "book" / "page.md", root)
    return root


@pytest.fixture
def book(built, tmp_path) -> Path:
    """A copy of the built book, for a test that changes it."""
    import shutil

    shutil.copytree(built, tmp_path / "book")
    return tmp_path / "book"


def handouts(root: Path, commit: str = COMMIT) -> dict[str, nbformat.NotebookNode]:
    written = write_handouts(root, root / "out", commit=commit).written
    return {path.parent.name: nbformat.read(path, as_version=4) for path in written}


@pytest.fixture(scope="module")
def student(built) -> nbformat.NotebookNode:
    return handouts(built)["student"]


@pytest.fixture(scope="module")
def instructor(built) -> nbformat.NotebookNode:
    return handouts(built)["instructor"]


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def code(nb) -> list[str]:
    return [c.source for c in nb.cells[2:] if c.cell_type == "code"]


def test_a_student_keeps_the_visible_code_and_the_hidden_statements_it_needs(student):
    # The hidden imports of json, claim and glue: json stays (the next cell prints with it), the
    # rest is bookkeeping, and x is defined again before it is read; the cell that glues the
    # share, and the one behind the solution, go.
    assert code(student) == ["import math", "import json  # a visible cell uses it",
                             'x = 6 * 7\nprint(json.dumps({"x": x}))']
    assert all(c.outputs == [] for c in student.cells if c.cell_type == "code")


def test_a_student_gets_no_solution_no_answer_and_no_bookkeeping(student):
    text = json.dumps(student)
    for secret in ("the answer to everything", "print(6 * 7)", "secret", "Solution",
                   "answer=", "*Answer:*", "The cell computed it", "glue(", "claim(",
                   "show_lesson_errors", "nnbook.book", "MultipleChoice"):
        assert secret not in text, secret
    assert "**Exercise: Multiply**\n\nWhat is six times seven?" in markdown(student)


def test_the_questions_are_asked_in_markdown_with_their_computed_options(student):
    question = student.cells[-1]
    assert question.cell_type == "markdown"
    assert question.source == "**Self-check.** How much is x?\n\n- 42\n- 43"


def test_the_text_is_plain_markdown_with_the_builds_values(student):
    text = markdown(student)
    assert "The share is 42.0%, and `bc` has 2 letters" in text  # the format spec, as myst-nb
    assert "in the code span\n`{glue:text}` stays as written" in text  # code spans untouched
    site = "https://someone.github.io/somebook/"
    assert f"[tensor]({site}book/glossary.html#term-Tensor)" in text
    assert f"([Someone and Other, 2020]({site}book/references.html))" in text
    assert f"[the top]({site}book/page.html#a-page)" in text
    assert '```python\ndef double(x):\n    """Twice x."""\n    return 2 * x\n```' in text
    assert "```python\ndef triple(self, x):\n    return 3 * x\n```" in text  # dedented
    assert "**In this book**\n\nThe book's way.\n\n**The lecture's code**\n\nThe lecture's way." \
        in text
    assert "> **A margin note**\n>\n> Beside the text." in text
    assert "What the slide shows." in text
    for myst in ("{glue:text}`share", "{term}", "{cite", "{ref}", ":::", "```{", "literalinclude",
                 "(a-page)=", ":label:", ":class:"):
        assert myst not in text, myst


def test_the_instructor_has_the_solutions_the_cells_behind_them_and_the_outputs(instructor):
    text = markdown(instructor)
    assert "**Solution.**\n\nIt is 42, the answer to everything." in text
    assert "print(6 * 7)" in text
    behind = code(instructor)
    assert "secret = 6 * 7  # what the solution states" in behind  # glue and claim gone
    assert not any("glue" in c or "claim" in c or "share" in c for c in behind)
    printed = next(c for c in instructor.cells if c.cell_type == "code" and "print(" in c.source)
    assert printed.outputs[0]["text"] == '{"x": 42}\n'
    assert "*Answer:* 42. The cell computed it." in text


def test_a_handout_installs_the_library_at_the_commit_it_was_made_from(student, instructor):
    for nb in (student, instructor):
        setup = nb.cells[1].source
        assert f'"nnbook[pages] @ git+https://github.com/someone/somebook@{COMMIT}"' in setup
        assert nb.metadata["nnbook"]["commit"] == COMMIT
    assert "@dev" not in json.dumps(student)


def test_the_commit_is_the_repositorys_head(book):
    def git(*args):
        return subprocess.run(["git", *args], cwd=book, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x")
    result = write_handouts(book, book / "out")
    assert result.commit == git("rev-parse", "HEAD") and not result.dirty
    nb = nbformat.read(result.written[0], as_version=4)
    assert f"@{result.commit}\"" in nb.cells[1].source


def test_a_page_changed_since_the_build_gets_no_handouts(book):
    write_handouts(book, book / "out", commit=COMMIT)
    page = book / "book" / "page.md"
    page.write_text(page.read_text().replace("x = 6 * 7", "x = 6 * 9"))
    result = write_handouts(book, book / "out", commit=COMMIT)
    assert result.written == [] and not list((book / "out").rglob("*.ipynb"))
    assert len(result.skipped) == 1 and "book/page.md changed since the book was built" in \
        result.skipped[0]


def test_the_site_gets_the_student_notebooks_only(book):
    site = book / "_build" / "html" / "handouts"
    (site / "instructor").mkdir(parents=True)
    (site / "instructor" / "page.ipynb").write_text("an earlier build's")
    write_handouts(book, book / "_build" / "handouts", site=site, commit=COMMIT)
    assert [p.relative_to(site).as_posix() for p in site.rglob("*.ipynb")] == ["student/page.ipynb"]
    assert (book / "_build" / "handouts" / "instructor" / "page.ipynb").is_file()


def test_make_notebooks_writes_the_launch_notebooks_and_the_handouts(book, capsys):
    assert cli(["notebooks", "--root", str(book)]) == 0
    assert "the answer to everything" in (book / "book" / "page.ipynb").read_text()
    for audience in ("student", "instructor"):
        path = book / "_build" / "handouts" / audience / "page.ipynb"
        nbformat.validate(nbformat.read(path, as_version=4))
    assert write_notebooks(book) == []  # the hand-outs do not make the launch notebooks stale
    assert "instructor" in capsys.readouterr().out


def test_without_a_build_make_notebooks_says_where_the_handouts_come_from(book, capsys):
    import shutil

    shutil.rmtree(book / "_build")
    assert cli(["notebooks", "--root", str(book)]) == 0
    assert "make book" in capsys.readouterr().out
    assert not (book / "_build" / "handouts").exists()


# --- the code without bookkeeping -----------------------------------------------------------------

def kept(source: str, needed: set[str] | None = None) -> str:
    cell = CodeCell.of(source)
    if needed is not None:
        cell.keep_only(needed)
    return cell.text()


def test_bookkeeping_goes_at_any_depth_and_what_only_did_bookkeeping_with_it():
    source = ("from nnbook.book.kernel.glue import glue, readable\n"
              "for k in (1, 2):\n    glue(f'k{k}', k)\n"
              "if x:\n    # why it is glued\n    glue('x', x)\nelse:\n    y = 1\n"
              "claim(True, 'true')\nprint(readable(0.5))")
    assert kept(source) == ("from nnbook.book.kernel.glue import readable\n"
                            "if x:\n    pass\nelse:\n    y = 1\nprint(readable(0.5))")


def test_a_hidden_cell_keeps_what_a_later_cell_reads_and_what_that_needs():
    source = ("import torch\nimport numpy as np  # unused\n"
              "# the data\ndata = torch.ones(3) * scale\ntotal = data.sum()\n"
              "glue('total', total)\nsettings.option = 3\n")
    assert kept(source, {"data", "print"}) == (
        "import torch\n# the data\ndata = torch.ones(3) * scale")
    assert kept(source, {"settings"}) == "settings.option = 3"  # a change to a name it needs
    # what an earlier cell must then provide: what the kept code reads and does not bind
    assert CodeCell.of(source).keep_only({"data", "print"}) == {"scale", "print"}


def test_later_definitions_make_earlier_ones_unneeded():
    from nnbook.book.tools.handouts import _unconditional_bindings

    assert _unconditional_bindings(ast.parse("a, b = 1, 2").body[0]) == {"a", "b"}
    assert _unconditional_bindings(ast.parse("a = b = f(c)").body[0]) == {"a", "b"}
    assert _unconditional_bindings(ast.parse("a.x, b[0] = 1, 2").body[0]) == set()
    assert _unconditional_bindings(ast.parse("if c:\n    a = 1").body[0]) == set()
    assert _unconditional_bindings(ast.parse("from m import f as g").body[0]) == {"g"}


# --- the text -------------------------------------------------------------------------------------

def page_text(tmp_path, **glue) -> PageText:
    return PageText(page=tmp_path / "book" / "page.md",
                    glue={k: {"data": {"text/plain": repr(v)}} for k, v in glue.items()},
                    links=BookLinks(site="https://x.github.io/y/"))


@pytest.mark.parametrize("role, value, shown", [
    ("{glue:text}`v:.1%`", 0.4567, "45.7%"),
    ("{glue:text}`v:,`", 1234567, "1,234,567"),
    ("{glue:text}`v:.2f`", 3.14159, "3.14"),
    ("{glue:text}`v`", "5.6 × 10⁻¹⁷", "5.6 × 10⁻¹⁷"),  # a string glued as text, no quotes
    ("{glue}`v`", 7, "7"),
])
def test_a_glued_value_is_written_as_the_site_writes_it(tmp_path, role, value, shown):
    assert plain_markdown(f"is {role}.", page_text(tmp_path, v=value)) == f"is {shown}."


def test_what_cannot_be_written_plainly_is_an_error_that_names_the_page(tmp_path):
    text = page_text(tmp_path, v=1)
    with pytest.raises(MarkdownError, match=r"page\.md: no value glued as 'w'.*make book"):
        plain_markdown("{glue:text}`w`", text)
    with pytest.raises(MarkdownError, match="no page of the book has the label 'nowhere'"):
        plain_markdown("{ref}`nowhere`", text)
    with pytest.raises(MarkdownError, match=r"literalinclude.*missing\.py"):
        plain_markdown("```{literalinclude} ../missing.py\n```", text)


def test_displayed_maths_and_code_blocks_stay_as_they_are(tmp_path):
    text = page_text(tmp_path)
    source = "$$\na = {b}`c`\n$$ (eq-label)\n\n~~~python\nx = 1  # {glue:text}`v`\n~~~"
    assert plain_markdown(source, text) == (
        "$$\na = {b}`c`\n$$\n\n~~~python\nx = 1  # {glue:text}`v`\n~~~")


@pytest.mark.parametrize("config, site", [
    ("", "https://someone.github.io/somebook/"),
    ("html:\n  baseurl: https://book.example.org/nn\n", "https://book.example.org/nn/"),
])
def test_the_sites_address_is_github_pages_unless_the_config_names_one(tmp_path, config, site):
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/someone/somebook\n" + config)
    assert repository(tmp_path).site == site


def test_a_pages_repository_is_served_at_the_owners_root(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/Someone/someone.github.io\n")
    assert repository(tmp_path).site == "https://someone.github.io/"
    repo = Repository("https://github.com/a/b", "main")
    assert repo.at(COMMIT).pip_requirement.endswith(f"@{COMMIT}")
    assert repo.pip_requirement.endswith("@main")


def test_every_page_of_the_table_of_contents_is_read(built):
    pages = toc_pages(built)
    assert [p.stem for p in pages] == ["page", "glossary", "references"]
    assert handout_notebook(pages[1], built, repository(built), BookLinks(site=""),
                            ExecutedBook.in_build(built / "_build"), "student") is None


def test_a_figure_is_a_markdown_image_of_the_file_at_the_handouts_version(tmp_path):
    text = PageText(page=tmp_path / "book" / "page.md", links=BookLinks(site="s/"),
                    files="https://raw.githubusercontent.com/a/b/0123/")
    source = "```{figure} ../images/plot.png\n:alt: A rising line\n\nThe loss, falling.\n```"
    assert plain_markdown(source, text) == (
        "![A rising line](https://raw.githubusercontent.com/a/b/0123/images/plot.png)\n\n"
        "*The loss, falling.*")
