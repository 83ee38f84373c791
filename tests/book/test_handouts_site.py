"""The notebooks the build hands out, over the whole built book: a student's holds no solution,
no answer, none of the build's bookkeeping and no MyST that Jupyter would show as text, and runs
in a fresh kernel; an instructor's has the solutions and the build's outputs and stays out of
the published site; both install the library at the commit they were made from."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from myst_nb.core.read import read_myst_markdown_notebook

from book_helpers import REPO, is_executed
from nnbook.book.tools.handouts import solution_keys
from nnbook.book.tools.notebooks import repository

BOOKKEEPING = {"glue", "claim", "show_lesson_errors", "MultipleChoice"}
SITE_MACHINERY = ("nnbook.book.kernel.glue", "nnbook.book.kernel.claims", "nnbook.book.kernel.lesson_errors",
                  "nnbook.book.kernel.quiz", "nnbook.book.kernel.widgets", "myst_nb")
# What Jupyter would show as MyST's own text: roles, directive fences, targets, option lines.
MYST = re.compile(r"\{(glue|ref|term|cite|numref|doc|eq)[:\w]*\}`|^\s*(`{3,}|~{3,}|:{3,})\s*\{"
                  r"|:::|literalinclude|^\(\S+\)=\s*$|^:(label|class|pyobject):", re.M)


def executed_pages(build) -> list[str]:
    """The pages handed out: those that show code (not only compute what their text quotes)."""
    pages = []
    for page in build.pages:
        if is_executed(page):
            cells = read_myst_markdown_notebook((REPO / f"{page}.md").read_text()).cells
            if any(c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])
                   for c in cells):
                pages.append(page)
    return pages


def handout(build, audience: str, page: str) -> nbformat.NotebookNode:
    path = build.out / "_build" / "handouts" / audience / f"{Path(page).name}.ipynb"
    return nbformat.read(path, as_version=4)


def code_of(nb) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells[2:] if c.cell_type == "code"]  # after the note and the setup


def markdown_of(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def plain_solution_sentences(page: str) -> list[str]:
    """The sentences of a page's solutions that read the same in a hand-out (no role in them),
    long enough to be recognised anywhere else."""
    text = (REPO / f"{page}.md").read_text(encoding="utf-8")
    bodies = re.findall(r"^(`{3,})\{solution\}.*?\n(.*?)^\1\s*$", text, re.M | re.S)
    sentences = []
    for _, body in bodies:
        prose = re.sub(r"^(~~~|```).*?^\1\s*$", "\n\n", body, flags=re.M | re.S)
        for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", prose):
            words = sentence.split()
            if len(words) >= 8 and "{" not in sentence and not sentence.lstrip().startswith(":"):
                sentences.append(" ".join(words))
    return sentences


def flat(text: str) -> str:
    return " ".join(text.split())


def test_every_executed_page_is_handed_out_and_the_site_holds_the_students_set_only(built_book):
    pages = executed_pages(built_book)
    assert len(pages) >= 10
    for audience in ("student", "instructor"):
        folder = built_book.out / "_build" / "handouts" / audience
        assert sorted(p.stem for p in folder.glob("*.ipynb")) == sorted(
            Path(p).name for p in pages), audience
    site = built_book.html / "handouts"
    assert sorted(p.stem for p in (site / "student").glob("*.ipynb")) == sorted(
        Path(p).name for p in pages)
    assert not [p for p in built_book.html.rglob("*") if "instructor" in p.name], \
        "an instructor notebook (with solutions) reached the published site"


def test_the_teaching_page_links_the_students_notebooks_and_no_instructors(built_book):
    html = built_book.page_path("book/teaching").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="\.\./handouts/(\w+)/(\w+)\.ipynb"', html))
    assert linked and {audience for audience, _ in linked} == {"student"}
    for _, page in linked:
        assert (built_book.html / "handouts" / "student" / f"{page}.ipynb").is_file(), page
    assert "_build/handouts/instructor/" in html  # where an instructor finds the other set


@pytest.mark.parametrize("audience", ["student", "instructor"])
def test_no_handout_holds_bookkeeping_or_myst(built_book, audience):
    found = []
    for page in executed_pages(built_book):
        nb = handout(built_book, audience, page)
        for match in MYST.finditer(markdown_of(nb)):
            found.append(f"{page}: {match[0]!r}")
        for cell in code_of(nb):
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in BOOKKEEPING):
                    found.append(f"{page}: calls {node.func.id}")
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                        SITE_MACHINERY):
                    found.append(f"{page}: imports {node.module}")
            if "answer=" in cell.source:
                found.append(f"{page}: answer= in code")
    assert not found, found


def test_a_students_notebook_holds_no_solution_and_no_answer(built_book):
    checked = 0
    for page in executed_pages(built_book):
        student, instructor = (handout(built_book, a, page) for a in ("student", "instructor"))
        said, told = flat(markdown_of(student)), flat(markdown_of(instructor))
        assert "Solution." not in said and "*Answer:*" not in said, page
        assert all(c.outputs == [] for c in code_of(student)), page
        for sentence in plain_solution_sentences(page):
            assert sentence not in said, (page, sentence)
            assert sentence in told, (page, sentence)
            checked += 1
        text = (REPO / f"{page}.md").read_text(encoding="utf-8")
        assert told.count("**Solution.**") == text.count("{solution}"), page
        questions = [c for c in read_myst_markdown_notebook(text).cells
                     if c.cell_type == "code" and "MultipleChoice(" in c.source]
        assert told.count("*Answer:*") == said.count("**Self-check.**") == len(questions), page
    assert checked >= 20


@pytest.mark.parametrize("page, secret", [
    ("book/training_loops", "xor_model"),  # the XOR exercise's hidden cell is its solution
    ("book/backprop", "squared_losses"),  # the hidden cell behind both of its solutions
    ("book/backprop", "numerical_gradient_gap("),
])
def test_the_hidden_cells_behind_the_solutions_are_the_instructors_alone(built_book, page, secret):
    code = ["\n".join(c.source for c in code_of(handout(built_book, a, page)))
            for a in ("student", "instructor")]
    assert secret not in code[0] and secret in code[1]


def test_the_values_the_solutions_state_are_filled_in_for_the_instructor(built_book):
    for page in executed_pages(built_book):
        keys = solution_keys((REPO / f"{page}.md").read_text(encoding="utf-8"))
        told = markdown_of(handout(built_book, "instructor", page))
        assert not keys or "{glue" not in told, page


def test_every_instructors_notebook_has_the_builds_outputs(built_book):
    for page in executed_pages(built_book):
        code = code_of(handout(built_book, "instructor", page))
        shown = [c for c in code if c.outputs]
        assert shown, f"{page}: no outputs"


def test_a_handout_installs_the_library_at_the_commit_it_was_made_from(built_book):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout.strip()
    requirement = f"nnbook[pages] @ git+{repository(REPO).url}@{head}"
    for page in executed_pages(built_book):
        for audience in ("student", "instructor"):
            nb = handout(built_book, audience, page)
            assert f'"{requirement}"' in nb.cells[1].source, (page, audience)


def test_the_links_of_a_students_notebook_lead_into_the_site(built_book):
    site = repository(REPO).site
    missing, checked = [], 0
    for page in executed_pages(built_book):
        for url in re.findall(r"\]\((\S+?)\)", markdown_of(handout(built_book, "student", page))):
            if not url.startswith(site):
                continue
            parts = urlsplit(url[len(site):])
            target = built_book.html / parts.path
            if not target.is_file():
                missing.append(f"{page}: {url}")
            elif parts.fragment and f'id="{parts.fragment}"' not in target.read_text(
                    encoding="utf-8"):
                missing.append(f"{page}: {url} (no such anchor)")
            checked += 1
    assert checked >= 100 and not missing, missing


def test_a_students_notebook_runs_top_to_bottom_in_a_fresh_kernel(built_book, tmp_path):
    """What a student runs: the tensors page's notebook, in a fresh kernel where nnbook is
    installed, computes what the book's build computed."""
    from nbclient import NotebookClient

    nb = handout(built_book, "student", "book/tensors")
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = code_of(nb)
    for cell in code:  # errors only where the page shows one on purpose
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors or "raises-exception" in cell.metadata.get("tags", []), cell.source
    built = {c.source: c for c in code_of(handout(built_book, "instructor", "book/tensors"))}
    seeded = next(c for c in code if c.source.startswith("generator = torch.Generator()"))
    assert seeded.outputs[0]["data"]["text/plain"] == \
        built[seeded.source].outputs[0]["data"]["text/plain"]
