"""Format the code cells of the book's pages to the text column with ``ruff format``.

A page's ``{code-cell}`` holds MyST options (``:tags: [...]`` lines or a ``---`` YAML block) and
then Python. Only the Python is formatted; the options are kept byte for byte. Cells that use
IPython syntax (``%magic``, ``!shell``, ``?help``) are not Python, so they are left as written.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from nnbook.book.page_source import page_cells, toc_pages

LINE_LENGTH = 80  # the text column holds about 80 characters of code at 1280 px
IPYTHON = re.compile(r"^\s*[%!]|^\s*[\w.]*\?{1,2}\s*$")


class FormatError(RuntimeError):
    """ruff could not format a cell: it is not valid Python, or ruff is missing."""


def ruff_command() -> list[str]:
    """ruff from the running Python's environment (the .venv), else from the PATH."""
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.is_file() else shutil.which("ruff")
    if found is None:
        raise FormatError("ruff is not installed: pip install -r requirements.txt")
    # --isolated: the cells follow this column width, whatever a pyproject.toml nearby says.
    return [found, "format", "--isolated", f"--line-length={LINE_LENGTH}", "-"]


def format_source(source: str) -> str:
    """``source`` as ``ruff format`` writes it at the column width, without a final newline."""
    if not source.strip() or any(IPYTHON.search(line) for line in source.splitlines()):
        return source
    result = subprocess.run(ruff_command(), input=source, capture_output=True, text=True)
    if result.returncode != 0:
        raise FormatError(result.stderr.strip())
    return result.stdout.rstrip("\n")


def format_page(text: str) -> str:
    """A page's text with every code cell's Python formatted and everything else unchanged."""
    lines = text.split("\n")
    spans = [cell.span for cell in page_cells(text) if cell.kind == "code"]
    for start, end in reversed(spans):
        source = "\n".join(lines[start:end])
        lines[start:end] = format_source(source).split("\n") if source else []
    return "\n".join(lines)


def book_pages(root: Path) -> list[Path]:
    """The pages of the table of contents that are MyST files."""
    return [page for page in toc_pages(root) if page.suffix == ".md" and page.is_file()]


def format_pages(root: Path, check: bool) -> list[Path]:
    """The pages whose cells are not formatted; rewritten in place unless ``check``."""
    changed = []
    for path in book_pages(root):
        text = path.read_text(encoding="utf-8")
        try:
            formatted = format_page(text)
        except FormatError as err:
            raise FormatError(f"{path}: {err}") from err
        if formatted != text:
            changed.append(path)
            if not check:
                path.write_text(formatted, encoding="utf-8")
    return changed
