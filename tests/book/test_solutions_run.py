"""Every solution's code runs as the page shows it: after the page's visible cells only (the
student's notebook of the page), in a fresh kernel, with nothing the hidden cells imported.

Running a whole page again for its solutions would measure the speed ladder once more, so the
kernel runs the part of the visible cells the solutions need: from the last cell back, each
statement that binds a name a later kept statement reads (the slice the hand-outs use to keep
a hidden cell's definitions). A solution that reads what no visible cell defines fails here."""

from __future__ import annotations


import nbformat
import pytest

from book_helpers import REPO
from nnbook.book.tools.handouts import CodeCell, _unconditional_bindings, solution_code

pytestmark = pytest.mark.book

PAGES = sorted(p.stem for p in (REPO / "book").glob("*.md")
               if solution_code(p.read_text(encoding="utf-8")))


def test_the_pages_with_code_in_their_solutions_are_found():
    # A solution written as an indented block, a bare fence or a python fence is code; if the
    # parser missed them all, the test below would pass over nothing.
    assert len(PAGES) >= 8, PAGES


def needed_by(cells, sources: list[str]) -> list:
    """The code ``cells`` as far as ``sources``, run after them, need."""
    needed: set[str] = set()
    for source in reversed(sources):
        code = CodeCell.of(source)
        for stmt in reversed(code.statements):
            needed = (needed - _unconditional_bindings(stmt)) | code._reads(stmt)
    kept = []
    for cell in reversed([c for c in cells if c.cell_type == "code"]):
        code = CodeCell.of(cell.source)
        needed = code.keep_only(needed)
        if not code.empty:
            kept.insert(0, nbformat.v4.new_code_cell(code.text(), metadata=cell.metadata))
    return kept


def test_the_slice_keeps_what_a_solution_reads_and_drops_the_rest():
    cells = [nbformat.v4.new_code_cell(s) for s in (
        "import torch\nimport numpy as np", "x = torch.ones(3)\ny = np.zeros(2)",
        "slow = sum(range(10**9))", "z = x * 2")]
    kept = [c.source for c in needed_by(cells, ["print(z.sum())"])]
    assert kept == ["import torch", "x = torch.ones(3)", "z = x * 2"]


@pytest.mark.parametrize("page", PAGES)
def test_every_solution_runs_after_the_pages_visible_cells(built_book, page, tmp_path):
    from nbclient import NotebookClient

    path = built_book.out / "_build" / "handouts" / "student" / f"{page}.ipynb"
    nb = nbformat.read(path, as_version=4)
    solutions = solution_code((REPO / "book" / f"{page}.md").read_text(encoding="utf-8"))
    nb.cells = [nb.cells[1]] + needed_by(nb.cells[2:], [source for _, source in solutions])
    shown = len(nb.cells)
    for label, source in solutions:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["solution"] = label
        nb.cells.append(cell)
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    failed = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors and "raises-exception" not in cell.metadata.get("tags", []):
            where = (f"solution {cell.metadata['solution']}" if i >= shown
                     else f"the page's cell {i}")
            failed.append(f"{where}: {errors[0].ename}: {errors[0].evalue}\n{cell.source}")
    assert not failed, "\n\n".join(failed)
