"""A page's source, read in one place: the table of contents that lists the pages, each page's
cells as myst-nb reads them, the structure of its markdown (headings, fenced blocks, directives
and their options, displayed maths, prose), and its front matter's chapter facts. The reading
map (:mod:`~nnbook.book.reading`), the slides, the formatter and the hand-outs consume this
reading; none walks the page grammar itself.

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

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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
    path = toc_file or root / "_toc.yml"
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise PageSourceError(f"{path} not found: run this from the book's root folder, where "
                              "_config.yml and _toc.yml are") from None


def toc_pages(root: Path, toc_file: Path | None = None) -> list[Path]:
    """The files the table of contents lists, root first, in reading order; a name without a
    suffix is a ``.md`` file."""
    data = toc(root, toc_file)
    names: list[str] = [data["root"]] if "root" in data else []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for key, value in node.items():
                if key != "root":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return [(root / name) if Path(name).suffix else (root / name).with_suffix(".md")
            for name in names]


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


# --- cells, as myst-nb reads them -------------------------------------------------------------------

CODE_OPTION = re.compile(r"^:[\w-]+:")


@dataclass(frozen=True)
class Cell:
    """A cell of a page as myst-nb reads it."""

    kind: str  # "markdown" or "code"
    source: str  # a code cell's without its MyST options
    tags: tuple[str, ...]
    line: int  # 1-based: a code cell's opening fence; a markdown cell's first line
    # 0-based line indices in the page, end excluded: a code cell's code without its options and
    # the blank lines after them; a markdown cell's text
    span: tuple[int, int]


def read_notebook(path: Path):
    """The page at ``path`` as the notebook myst-nb executes (hidden cells included)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=str(path))


def page_cells(text: str, path: str | Path | None = None, md_config=None) -> list[Cell]:
    """The cells of the MyST page ``text``, read by myst-nb's own reader, so option lines and
    YAML option blocks are never taken for code; each with where its source sits in the page.
    (A page without the jupytext header is one markdown cell: myst-nb does not execute it.)"""
    from myst_nb.core.read import MystMetadataParsingError, read_myst_markdown_notebook

    try:
        notebook = read_myst_markdown_notebook(text, config=md_config, add_source_map=True,
                                               path=str(path) if path else None)
    except MystMetadataParsingError as err:
        raise PageSourceError(f"{path or 'a page'}: {err}") from err
    lines = text.split("\n")
    cells = []
    for cell, start in zip(notebook.cells, notebook.metadata["source_map"]):
        tags = tuple(cell.metadata.get("tags", ()))
        if cell.cell_type == "code":
            # the fence is the line before ``start``; the options follow it, then blank lines
            i = start
            if i < len(lines) and lines[i].rstrip() == "---":  # a YAML options block
                i += 1
                while i < len(lines) and lines[i].rstrip() != "---":
                    i += 1
                i += 1
            while i < len(lines) and CODE_OPTION.match(lines[i]):
                i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            fence = FENCE.match(lines[start - 1])["fence"]
            end = next((n for n in range(i, len(lines)) if is_closing(lines[n], fence)),
                       len(lines))
            cells.append(Cell("code", cell.source, tags, start, (min(i, end), end)))
        elif cell.cell_type == "markdown":
            first = cell.source.split("\n", 1)[0]
            i = next((n for n in range(start, len(lines)) if lines[n] == first), start)
            cells.append(Cell("markdown", cell.source, tags, i + 1,
                              (i, i + len(cell.source.split("\n")))))
    return cells


# --- the markdown's structure -----------------------------------------------------------------------

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:.-]+)\}\s*(?P<argument>.*)$")
HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")
MATH_END = re.compile(r"\$\$\s*(\([^()]*\))?\s*$")  # a displayed equation's end, and label
TARGET = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
# Blocks whose content is not markdown: code, maths and included files.
LITERAL = {"", "math", "literalinclude", "code-block", "code", "sourcecode"}
# The words of prose: letters (with inner apostrophes and hyphens), or a number.
WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?|\d[\d,.]*")


def count_words(text: str) -> int:
    return len(WORD.findall(text))


@dataclass
class Block:
    """A fenced block: a directive (``name``) or a plain code block (``name`` "")."""

    fence: str
    name: str
    argument: str
    options: dict[str, str]
    line: int  # of its opening fence, 1-based
    language: str = ""  # a plain code block's info string
    content: list[str] = field(default_factory=list)  # its lines, nested blocks' included

    @property
    def literal(self) -> bool:
        """Whether its content is not markdown (a colon fence without a directive's name is a
        container, as MyST reads it)."""
        return self.name in LITERAL and not (not self.name and self.fence[0] == ":")


@dataclass(frozen=True)
class Event:
    """One thing met walking a markdown cell (:func:`markdown_events`).

    ``kind`` is ``"heading"`` (``level``, ``text`` the title), ``"open"`` and ``"close"`` (a
    block that holds markdown: ``block``), ``"literal"`` (a code, maths or include block, met
    whole at its closing fence: ``block``), ``"math"`` (a ``$$`` equation), ``"indented"`` (a
    line of an indented code block in a directive), ``"comment"`` (a MyST comment, ``%``, which
    no reader sees: ``text`` after the ``%``), ``"target"`` (``(label)=``: ``text`` the label) or
    ``"prose"`` (a line of text). ``blocks`` are
    the blocks it is in, outermost first (for "open" and "close", not the block itself)."""

    kind: str
    line: int
    text: str = ""
    blocks: tuple[Block, ...] = ()
    block: Block | None = None
    level: int = 0
    raw: str = ""  # a "math" event's lines as written, without the equation's label


def _options(lines: list[str], i: int) -> tuple[dict[str, str], int]:
    """A directive's options from ``lines[i]`` on (a ``---`` YAML block, then ``:key: value``
    lines), each value as text, and the line after them."""
    options = {}
    if i < len(lines) and lines[i].strip() == "---":
        end = next((n for n in range(i + 1, len(lines)) if lines[n].strip() == "---"), None)
        if end is not None:
            block = yaml.safe_load("\n".join(lines[i + 1:end])) or {}
            if isinstance(block, Mapping):
                options = {str(key): str(value) for key, value in block.items()}
                i = end + 1
    while i < len(lines) and (option := OPTION.match(lines[i])):
        options[option["key"]] = option["value"].strip()
        i += 1
    return options, i


def is_closing(line: str, fence: str) -> bool:
    """Whether ``line`` closes a block opened with ``fence``."""
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def markdown_events(markdown: str, first_line: int = 1) -> Iterator[Event]:
    """The structure of one markdown cell (``first_line``: its first line in the page), in order.
    A directive's options are read into its block; a heading inside a block is prose."""
    stack: list[Block] = []
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        line, number = lines[i], first_line + i
        stripped = line.strip()
        i += 1
        for block in stack:
            if not (block is stack[-1] and is_closing(line, block.fence)):
                block.content.append(line)
        if stack and stack[-1].literal:  # inside code or maths: collect it
            if is_closing(line, stack[-1].fence):
                block = stack.pop()
                yield Event("literal", block.line, blocks=tuple(stack), block=block)
            continue
        if stripped.startswith("$$"):  # a displayed equation, up to "$$" or "$$ (label)"
            body, raw = [stripped[2:]], [line]
            while not MATH_END.search(body[-1]) and i < len(lines):
                body.append(lines[i])
                raw.append(lines[i])
                for block in stack:
                    block.content.append(lines[i])
                i += 1
            body[-1], raw[-1] = MATH_END.sub("", body[-1]), MATH_END.sub("$$", raw[-1])
            yield Event("math", number, "\n".join(body).rstrip(), tuple(stack),
                        raw="\n".join(raw))
            continue
        fence = FENCE.match(line)
        if fence and stack and is_closing(line, stack[-1].fence):
            block = stack.pop()
            yield Event("close", number, blocks=tuple(stack), block=block)
            continue
        if fence:
            directive = DIRECTIVE.match(fence["info"].strip())
            if directive:
                options, after = _options(lines, i)
                for block in stack:
                    block.content += lines[i:after]
                i = after
                block = Block(fence["fence"], directive["name"], directive["argument"].strip(),
                              options, number)
            else:
                block = Block(fence["fence"], "", "", {}, number,
                              language=fence["info"].strip())
            if not block.literal:
                yield Event("open", number, blocks=tuple(stack), block=block)
            stack.append(block)
            continue
        heading = HEADING.match(line)
        if heading and not stack:
            yield Event("heading", number, heading["title"], level=len(heading["level"]))
            continue
        if stripped.startswith("%"):  # a MyST comment: on no page, in no notebook
            yield Event("comment", number, stripped[1:].strip(), tuple(stack))
            continue
        if target := TARGET.match(stripped):  # a label for what follows
            yield Event("target", number, target["label"], tuple(stack))
            continue
        if line.startswith("    ") and stack and stack[-1].name == "solution":
            yield Event("indented", number, line[4:], tuple(stack))
            continue
        yield Event("prose", number, line, tuple(stack))


def page_events(text: str, path: str | Path | None = None) -> Iterator[tuple[Cell, Event | None]]:
    """Each markdown cell's events and each code cell (with ``None``) of a page, in page order."""
    for cell in page_cells(text, path):
        if cell.kind == "code":
            yield cell, None
        else:
            for event in markdown_events(cell.source, cell.line):
                yield cell, event


def page_blocks(text: str, name: str) -> list[Block]:
    """The page's ``{name}`` directives, whole, in the order they close."""
    return [event.block for _, event in page_events(text)
            if event is not None and event.kind == "close" and event.block.name == name]
