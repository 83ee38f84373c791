"""What a page says about itself, read from its source: its front matter's chapter facts, and the
table of contents that lists the pages.

A chapter is a page and a line in ``_toc.yml``. Whatever else the book needs to know about a
chapter, the chapter declares in its own front matter, under ``nnbook``::

    ---
    jupytext: ...
    kernelspec: ...
    nnbook:
      needs: [linear_decision]    # the chapters to read first (book/ names without .md)
    ---

A chapter that declares no ``needs`` needs the chapter before it in the table of contents (the
first chapter needs none). The lectures the book grew from are declared where they are taught,
in the front matter of the teaching page (``teaching``): each with its name, its title and its
pages in the lecture's own order. Nothing about a chapter is a constant in the library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

FRONT_MATTER_KEY = "nnbook"
TEACHING_PAGE = "book/teaching"


class PageSourceError(ValueError):
    """A page's front matter or the table of contents says something the book cannot use."""


def front_matter(text: str) -> dict:
    """The YAML between a page's opening ``---`` lines ({} without it)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            data = yaml.safe_load("\n".join(lines[1:end])) or {}
            return data if isinstance(data, dict) else {}
    return {}


def page_facts(path: Path) -> dict:
    """What ``path``'s front matter declares under ``nnbook`` ({} if nothing)."""
    facts = front_matter(path.read_text(encoding="utf-8")).get(FRONT_MATTER_KEY) or {}
    if not isinstance(facts, Mapping):
        raise PageSourceError(f"{path}: the front matter's {FRONT_MATTER_KEY!r} must be a "
                              f"mapping, not {facts!r}")
    return dict(facts)


def toc(root: Path, toc_file: Path | None = None) -> dict:
    """The table of contents (``root / "_toc.yml"`` unless ``toc_file`` is given), as YAML."""
    with open(toc_file or root / "_toc.yml", encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def chapter_needs(root: Path, toc_data: Mapping) -> dict[str, tuple[str, ...]]:
    """For each chapter of the table of contents (``book/<name>``, in reading order), the
    chapters it needs: its front matter's ``needs``, else the chapter before it. A chapter that
    needs a page that is not an earlier chapter is an error, naming both."""
    order = [entry["file"].removesuffix(".md") for part in toc_data.get("parts", [])
             for entry in part.get("chapters", [])]
    needs: dict[str, tuple[str, ...]] = {}
    for i, docname in enumerate(order):
        declared = page_facts(root / f"{docname}.md").get("needs")
        if declared is None:
            needs[docname] = (order[i - 1],) if i else ()
            continue
        if isinstance(declared, str) or not all(isinstance(n, str) for n in declared):
            raise PageSourceError(f"{docname}: needs must be a list of chapter names, not "
                                  f"{declared!r}")
        named = tuple(f"book/{n}" if "/" not in n else n for n in declared)
        for need in named:
            if need not in order[:i]:
                raise PageSourceError(f"{docname} needs {need}, which is not an earlier chapter "
                                      "of the table of contents")
        needs[docname] = named
    return needs


@dataclass(frozen=True)
class Lecture:
    """One of the lectures the book grew from: its deck's name, its title and its pages (names
    without folder), in the lecture's own order."""

    name: str
    title: str
    pages: tuple[str, ...]


def lectures(root: Path) -> tuple[Lecture, ...]:
    """The lectures the teaching page declares in its front matter (none without it)."""
    path = root / f"{TEACHING_PAGE}.md"
    if not path.is_file():
        return ()
    declared = page_facts(path).get("lectures") or []
    found = []
    for item in declared:
        try:
            lecture = Lecture(str(item["name"]), str(item["title"]),
                              tuple(str(p) for p in item["pages"]))
        except (KeyError, TypeError) as err:
            raise PageSourceError(f"{path}: each lecture needs a name, a title and its pages "
                                  f"({err!r} in {item!r})") from None
        missing = [p for p in lecture.pages if not (root / "book" / f"{p}.md").is_file()]
        if missing:
            raise PageSourceError(f"{path}: {lecture.name} lists pages that do not exist: "
                                  f"{', '.join(missing)}")
        found.append(lecture)
    return tuple(found)
