"""What the book tests share besides fixtures: where the book is and which pages it has."""

from __future__ import annotations

from pathlib import Path

from nnbook.book.page_source import toc_pages

REPO = Path(__file__).resolve().parents[2]


def toc_files(toc: Path) -> list[str]:
    """Every page a Jupyter Book ``_toc.yml`` lists, root first, in reading order, as docnames."""
    return [page.relative_to(REPO).with_suffix("").as_posix() for page in toc_pages(REPO, toc)]


def is_executed(page: str) -> bool:
    """Whether a page has code cells (and so is executed by the build)."""
    return "```{code-cell}" in (REPO / f"{page}.md").read_text(encoding="utf-8")
