"""The book's bookkeeping stays out of what the reader sees, read from every page's source as
myst-nb reads it: no visible cell glues, claims or imports the tools for it, no visible cell
prints where a training run came from, and a page that raises an error on purpose trims it."""

import ast
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager
from myst_nb.core.read import read_myst_markdown_notebook

BOOK = Path(__file__).resolve().parents[3] / "book"
PAGES = sorted(p for p in BOOK.glob("*.md") if "```{code-cell}" in p.read_text())
BOOKKEEPING_CALLS = {"glue", "claim"}
BOOKKEEPING_MODULES = ("myst_nb", "nnbook.book.kernel.glue", "nnbook.book.kernel.claims")


def code_cells(page: Path):
    notebook = read_myst_markdown_notebook(page.read_text())
    for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        tags = cell.metadata.get("tags", [])
        python = TransformerManager().transform_cell(cell.source)  # %magics become calls
        yield number, tags, cell.source, ast.parse(python)


def visible(tags) -> bool:
    return "remove-cell" not in tags and "remove-input" not in tags


def bookkeeping(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in BOOKKEEPING_CALLS):
            found.append(f"calls {node.func.id}")
        modules = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                   else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        found += [f"imports {m}" for m in modules if m.startswith(BOOKKEEPING_MODULES)]
    return found


def test_the_pages_are_found():
    assert {"autodiff", "fashion_cnn", "tensors", "learning_features"} <= {p.stem for p in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_visible_cell_does_the_books_bookkeeping(page):
    """glue and claim, and their imports, live in remove-cell cells (README, "Adding a chapter")."""
    found = [f"code cell {n}: {what}" for n, tags, _, tree in code_cells(page)
             if visible(tags) for what in bookkeeping(tree)]
    assert not found, f"{page.name}: move these into a remove-cell cell: {found}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_cell_shows_a_value_it_computed_only_for_glue(page):
    """A cell whose output the reader sees never ends on a glue call: its value would show.
    (A claim that fails on purpose, tagged raises-exception, shows its error instead.)"""
    shown = ("remove-cell", "remove-output", "raises-exception")
    found = [f"code cell {n}" for n, tags, _, tree in code_cells(page)
             if not any(tag in tags for tag in shown) and tree.body
             and isinstance(last := tree.body[-1], ast.Expr) and bookkeeping(last)]
    assert not found, f"{page.name}: these cells end on a glue call: {found}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_visible_cells_print_no_training_plumbing(page):
    """Where a run came from (the run store) and the plan it ran on belong to the provenance
    below the page, not to what a training cell prints."""
    plumbing = ("from_cache", "plan_text")
    found = [f"code cell {n}: {word}" for n, tags, source, _ in code_cells(page)
             if visible(tags) for word in plumbing if word in source]
    assert not found, f"{page.name}: {found}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_an_error_shown_on_purpose_is_trimmed(page):
    """A page with a raises-exception cell calls show_lesson_errors in a hidden cell before it
    (instead of switching %xmode around each such cell)."""
    cells = list(code_cells(page))
    raising = [n for n, tags, _, _ in cells if "raises-exception" in tags]
    installed = [n for n, tags, source, _ in cells
                 if "remove-cell" in tags and "show_lesson_errors()" in source]
    assert not any("%xmode" in source for _, _, source, _ in cells)
    if raising:
        assert installed and installed[0] < raising[0], (
            f"{page.name}: call show_lesson_errors() in the hidden setup cell")


def imported_names(tree: ast.AST) -> dict[str, int]:
    """Each name an import statement binds, with its line."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node.lineno
    return names


def used_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_a_visible_import_is_used_by_the_code_the_reader_sees(page):
    """The imports a reader sees are those of the code a reader sees: a name that only hidden
    cells use is imported in a hidden cell."""
    cells = list(code_cells(page))
    seen = set()
    for _, tags, _, tree in cells:
        if visible(tags):
            seen |= used_names(tree)
    unused = [f"code cell {n}: {name}" for n, tags, _, tree in cells if visible(tags)
              for name in imported_names(tree) if name not in seen]
    assert not unused, f"{page.name}: imported where the reader sees it, used only out of sight: {unused}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_name_a_page_calls_for_its_bookkeeping_is_imported(page):
    """glue and claim are the book's own, imported by the page (myst-nb's glue writes NumPy
    reprs that the prose cannot format)."""
    imported, called = set(), set()
    for _, _, _, tree in code_cells(page):
        imported |= set(imported_names(tree))
        called |= {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                   and isinstance(node.func, ast.Name) and node.func.id in BOOKKEEPING_CALLS}
    assert called <= imported, f"{page.name} calls {sorted(called - imported)} without importing it"
