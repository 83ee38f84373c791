"""``python -m nnbook execute PAGE...``: run a page's cells in a fresh kernel, as the build does,
without building the book.

The build executes each page with myst-nb: the page's code cells, read by myst-nb's own reader,
in a fresh Python kernel whose working folder is the page's, with the page named in the kernel's
environment (``NNBOOK_PAGE``) so that a failing claim names it. This does the same for the pages
given, and stops at the first cell that raises, except in a cell tagged ``raises-exception`` (an
error shown on purpose), printing the end of its traceback. Nothing is written: no execution
cache, no site. It is what a writer runs after changing a page's code, and what the tests run to
execute a page on another kind of machine (under ``taskset``, a capped instruction set or load),
where the whole build would cost too much.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from nnbook.book.page_source import read_notebook
from nnbook.book.sphinxext.page_name import VARIABLE as PAGE_VARIABLE

TIMEOUT_S = 1800  # as _config.yml's execute.timeout


class PageFailed(RuntimeError):
    """A cell of a page raised where no error is shown on purpose."""


@dataclass(frozen=True)
class Executed:
    page: str  # as the build names it: book/training_loops
    seconds: float
    cells: int  # code cells run


def execute_page(path: Path, root: Path = Path("."), *, timeout: int = TIMEOUT_S) -> Executed:
    """Execute the page at ``path`` in a fresh kernel in its folder; :class:`PageFailed` with the
    end of the traceback when a cell raises that may not."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = path.resolve()
    page = path.relative_to(root.resolve()).with_suffix("").as_posix()
    notebook = read_notebook(path)
    previous = os.environ.get(PAGE_VARIABLE)
    os.environ[PAGE_VARIABLE] = page  # the kernel inherits it
    start = time.perf_counter()
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as err:
        lines = str(err).strip().splitlines()
        raise PageFailed(f"{page}: a cell raised:\n" + "\n".join(lines[-12:])) from None
    finally:
        if previous is None:
            os.environ.pop(PAGE_VARIABLE, None)
        else:
            os.environ[PAGE_VARIABLE] = previous
    cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    return Executed(page, time.perf_counter() - start, cells)
