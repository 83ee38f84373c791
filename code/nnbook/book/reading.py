"""What a reader meets on a page, read from its source: the book's map with a reading time per
chapter, and the words of the build's machinery that only one chapter may use.

A page is split as myst-nb splits it, into markdown cells and code cells with their tags. What a
reader sees of it (:func:`visible_pieces`):

- prose: the markdown, without front matter, MyST comments (``%``), targets (``(label)=``),
  directive option lines and the targets of roles (a ``{glue:text}`` value, a ``{ref}`` or a
  ``{cite:p}`` counts as one word);
- maths: each displayed equation (a ``$$`` block or a ``{math}`` directive) is one piece;
- code: every code cell not tagged ``remove-cell`` or ``remove-input``, the code blocks of the
  prose (fenced, or indented in a solution), and the library source a ``{literalinclude}`` shows
  (``:pyobject:`` resolved, as Sphinx does);
- the self-check: each ``MultipleChoice(`` question (its cell's input is hidden, the question
  shows).

A piece is on the page's core path unless it is in a "Going deeper" section (under a heading,
or in a directive whose title, starts with "Going deeper", up to the next heading of the same or
a higher level), in a collapsed directive (``{solution}``, ``{dropdown}``, ``{toggle}``, or any
directive with ``:class: dropdown``), or is the code of a cell tagged ``hide-input`` or
``hide-cell``.
"""

from __future__ import annotations

import ast
import io
import math
import re
import textwrap
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nnbook.book.page_source import (HEADING, Block, Cell, chapter_needs, count_words,
                                     markdown_events, page_cells)

# Reading speeds of the map. Technical prose is read at about 200 words a minute (textbook
# readers' usual rate, well below the 250 of light prose); code is read line by line.
WORDS_PER_MINUTE = 200
CODE_LINES_PER_MINUTE = 10
MINUTES_PER_EQUATION = 0.5
MINUTES_PER_QUESTION = 1.0

# What the first chapter needs; every other chapter needs earlier chapters
# (:func:`nnbook.book.page_source.chapter_needs`).
FIRST_NEEDS = "Python, NumPy, and the idea of a derivative"

HIDDEN_TAGS = {"remove-cell", "remove-input"}
COLLAPSED_TAGS = {"hide-input", "hide-cell"}
COLLAPSED_DIRECTIVES = {"solution", "dropdown", "toggle"}
DEEPER = re.compile(r"^\s*going deeper", re.IGNORECASE)
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`")
SHOWN_ROLES = {"term", "math", "abbr", "sub", "sup", "kbd"}  # roles that show their content
QUESTION = re.compile(r"\bMultipleChoice\(")


@dataclass(frozen=True)
class Piece:
    """Something a reader sees on a page."""

    kind: str  # "prose", "code", "math" or "question"
    text: str
    core: bool  # on the page's core path
    line: int  # where it starts in the page (markdown cells) or its cell's first line


def pyobject_source(source: str, dotted: str) -> str:
    """The source of the class or function ``dotted`` (``Trainer.step``) in ``source``, as a
    ``{literalinclude}`` with ``:pyobject:`` shows it (decorators included)."""
    scope: list[ast.stmt] = ast.parse(source).body
    node = None
    for name in dotted.split("."):
        node = next((n for n in scope if isinstance(n, (ast.ClassDef, ast.FunctionDef,
                                                        ast.AsyncFunctionDef))
                     and n.name == name), None)
        if node is None:
            raise LookupError(f"no {dotted} in the included file")
        scope = node.body
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return "\n".join(source.splitlines()[start - 1:node.end_lineno])


def included_source(path: Path, options: Mapping[str, str]) -> str:
    """What a ``{literalinclude}`` of the file ``path`` shows with its ``options``:
    ``:pyobject:``, the line selections of :func:`selected_lines`, then ``:dedent:``, as Sphinx
    applies them. Raises ``OSError`` for a file that cannot be read, ``LookupError`` for a
    ``:pyobject:`` it does not define."""
    source = path.read_text(encoding="utf-8")
    if "pyobject" in options:
        source = pyobject_source(source, options["pyobject"])
    return dedented(selected_lines(source, options), options.get("dedent"))


def dedented(text: str, dedent: str | None) -> str:
    """``text`` as ``:dedent: N`` shows it: N characters of leading white space off every line
    (no more than a line has); ``:dedent:`` without a number removes the indent all lines share."""
    if dedent is None:
        return text
    if not dedent.strip():
        return textwrap.dedent(text)
    n = int(dedent)
    return "\n".join(line[min(n, len(line) - len(line.lstrip())):] for line in text.split("\n"))


def _included(argument: str, options: Mapping[str, str], page_dir: Path | None) -> str:
    """What a ``{literalinclude}`` shows; "" when the file cannot be found here."""
    if page_dir is None:
        return ""
    path = page_dir / argument.strip()
    if not path.is_file():
        return ""
    return included_source(path, options)


def selected_lines(source: str, options: Mapping[str, str]) -> str:
    """The lines of ``source`` a ``{literalinclude}`` keeps with ``:lines:``, ``:start-at:``,
    ``:start-after:``, ``:end-at:`` and ``:end-before:``, as Sphinx reads them."""
    lines = source.splitlines()
    if "lines" in options:
        keep: list[int] = []
        for part in options["lines"].split(","):
            first, _, last = part.strip().partition("-")
            start = int(first) if first else 1
            stop = int(last) if last else (len(lines) if _ else start)
            keep += range(start, stop + 1)
        lines = [lines[i - 1] for i in keep if 0 < i <= len(lines)]
    start = 0
    for option, offset in (("start-at", 0), ("start-after", 1)):
        if option in options:
            start = next((i + offset for i, line in enumerate(lines)
                          if options[option] in line), len(lines))
    stop = len(lines)
    for option, offset in (("end-at", 1), ("end-before", 0)):
        if option in options:
            stop = next((i + offset for i, line in enumerate(lines) if i >= start
                         and options[option] in line), len(lines))
    return "\n".join(lines[start:stop])


def prose_text(markdown: str) -> str:
    """Markdown as a reader reads it: roles that show something else reduced to one word."""

    def role(match: re.Match) -> str:
        name, content = match["role"], match["content"]
        if name in SHOWN_ROLES:
            return re.sub(r"\s*<[^>]*>$", "", content)  # {term}`text <Term>` shows "text"
        label = re.match(r"^(?P<text>.+?)\s*<[^>]*>$", content)
        return label["text"] if label else "X"  # a ref, a glued value, a citation: one word

    text = ROLE.sub(role, markdown)
    return re.sub(r"`([^`]*)`", r"\1", text)


def _markdown_pieces(cell: Cell, deeper_level: int | None,
                     page_dir: Path | None) -> tuple[list[Piece], int | None]:
    """The pieces of one markdown cell; ``deeper_level`` is the level of the "Going deeper"
    heading in force (None: none), returned as it stands at the end of the cell."""
    pieces: list[Piece] = []
    prose: list[str] = []
    prose_line = cell.line
    prose_core = True

    def core_in(blocks) -> bool:
        return deeper_level is None and not any(_collapsed(block) for block in blocks)

    def flush_prose() -> None:
        text = prose_text("\n".join(prose)).strip()
        if text:
            pieces.append(Piece("prose", text, prose_core, prose_line))
        prose.clear()

    def add_prose(text: str, number: int, core: bool) -> None:
        nonlocal prose_line, prose_core
        if not prose:
            prose_line, prose_core = number, core
        prose.append(text)

    for event in markdown_events(cell.source, cell.line):
        if event.kind in ("comment", "target"):
            continue  # on no page
        if event.kind == "prose":
            add_prose(event.text, event.line, core_in(event.blocks))
            continue
        flush_prose()
        if event.kind == "literal":
            block = event.block
            core = core_in((*event.blocks, block))
            if block.name == "literalinclude":
                text = _included(block.argument, block.options, page_dir)
                if text:
                    pieces.append(Piece("code", text, core, block.line))
            else:
                pieces.append(Piece("math" if block.name == "math" else "code",
                                    "\n".join(block.content), core, block.line))
        elif event.kind == "math":
            pieces.append(Piece("math", event.text, core_in(event.blocks), event.line))
        elif event.kind == "indented":
            pieces.append(Piece("code", event.text, core_in(event.blocks), event.line))
        elif event.kind == "open" and event.block.argument:
            # a directive's title is read, as part of what the directive holds
            add_prose(event.block.argument, event.line, core_in((*event.blocks, event.block)))
        elif event.kind == "heading":
            if deeper_level is not None and event.level <= deeper_level:
                deeper_level = None
            if DEEPER.match(event.text):
                deeper_level = event.level
            add_prose(event.text, event.line, core_in(()))
            flush_prose()
    flush_prose()
    return pieces, deeper_level


def _collapsed(block: Block) -> bool:
    """Whether a block is off the core path: collapsed, or titled "Going deeper"."""
    return (block.name in COLLAPSED_DIRECTIVES or "dropdown" in block.options.get("class", "")
            or bool(DEEPER.match(block.argument)))


def visible_pieces(text: str, path: str | Path | None = None) -> list[Piece]:
    """Everything a reader sees of the page ``text`` (read from ``path``, whose folder resolves
    ``{literalinclude}``), in order. The module docstring says what counts."""
    page_dir = Path(path).parent if path is not None else None
    pieces: list[Piece] = []
    deeper_level: int | None = None
    for cell in page_cells(text, path):
        if cell.kind == "markdown":
            found, deeper_level = _markdown_pieces(cell, deeper_level, page_dir)
            pieces += found
            continue
        tags = set(cell.tags)
        core = deeper_level is None
        if "remove-cell" not in tags:
            questions = len(QUESTION.findall(cell.source))
            pieces += [Piece("question", "", core, cell.line)] * questions
        if not tags & HIDDEN_TAGS:
            pieces.append(Piece("code", cell.source, core and not tags & COLLAPSED_TAGS,
                                cell.line))
    return pieces


# --- reading time ---------------------------------------------------------------------------------


def code_lines(text: str) -> int:
    """Lines a reader reads: not blank."""
    return sum(1 for line in text.splitlines() if line.strip())


def reading_minutes(pieces: Iterable[Piece]) -> float:
    """Minutes to read the core path of a page, at the speeds above."""
    minutes = 0.0
    for piece in pieces:
        if not piece.core:
            continue
        if piece.kind == "prose":
            minutes += count_words(piece.text) / WORDS_PER_MINUTE
        elif piece.kind == "code":
            minutes += code_lines(piece.text) / CODE_LINES_PER_MINUTE
        elif piece.kind == "math":
            minutes += MINUTES_PER_EQUATION
        elif piece.kind == "question":
            minutes += MINUTES_PER_QUESTION
    return minutes


def rounded_minutes(minutes: float) -> int:
    """A reading time as a reader is told it: whole minutes, rounded up to five above 10."""
    if minutes <= 10:
        return max(1, math.ceil(minutes))
    return 5 * math.ceil(minutes / 5)


# --- the map --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    docname: str  # "book/neurons"
    title: str
    minutes: int  # reading time of the core path, rounded
    needs: tuple[str, ...]  # docnames


@dataclass(frozen=True)
class Part:
    caption: str
    chapters: tuple[Chapter, ...]


def page_title(text: str) -> str:
    for line in text.splitlines():
        heading = HEADING.match(line)
        if heading and len(heading["level"]) == 1:
            return heading["title"].strip()
    return ""


def book_map(root: Path, toc: Mapping, *, skip_parts: Iterable[str] = ()) -> list[Part]:
    """The parts of the table of contents ``toc`` (``_toc.yml`` read as YAML) and their
    chapters, each with its title, its core path's reading time and what it needs (its front
    matter's ``needs``, :func:`nnbook.book.page_source.chapter_needs`)."""
    needs = chapter_needs(root, toc)
    skip = set(skip_parts)
    parts = []
    for part in toc.get("parts", []):
        if part.get("caption") in skip:
            continue
        chapters = []
        for entry in part.get("chapters", []):
            docname = entry["file"].removesuffix(".md")
            path = root / f"{docname}.md"
            text = path.read_text(encoding="utf-8")
            minutes = reading_minutes(visible_pieces(text, path))
            chapters.append(Chapter(docname, page_title(text), rounded_minutes(minutes),
                                    needs[docname]))
        parts.append(Part(part.get("caption", ""), tuple(chapters)))
    return parts


# --- the machinery's words ------------------------------------------------------------------------

# Words that explain how the book is built rather than the concept of a page. Only the chapter
# "How this book is built" (and the execution report, which is the machinery's own output) may
# use them; tests/unit/book/test_reading.py scans every other page.
MACHINERY_WORDS = re.compile(
    r"\b(run[ -]stores?|run[ -]cache|training[ -]cache|cach(?:e|es|ed|ing)|train_cached|"
    r"RunStore|PlanStore|TrainConfig|plan(?:s|ner|ners|ned|ning)?|FFTW|cuDNN|provenance)\b",
    re.IGNORECASE)
# In visible code, constructing a TrainConfig is the lesson (hyperparameters); what may not be
# seen is the store's and the planner's own interface.
MACHINERY_NAMES = {"train_cached", "RunStore", "PlanStore", "cache_root", "plan_for",
                   "choose_plan"}
MACHINERY_ATTRIBUTES = {"plan", "from_cache", "key_parts", "record"}


def _code_words(source: str) -> Iterable[str]:
    """The words a reader reads in code: comments and string literals (docstrings included),
    and the names of the machinery's interface."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        yield from MACHINERY_WORDS.findall(source)  # not Python: read it as prose
        return
    previous = None
    for token in tokens:
        if token.type in (tokenize.COMMENT, tokenize.STRING) or (
                token.type == getattr(tokenize, "FSTRING_MIDDLE", -1)):
            yield from (w for w in MACHINERY_WORDS.findall(token.string)
                        if w.lower() != "trainconfig")
            if token.type == tokenize.STRING:  # an f-string's fields, one token before 3.12
                for field in re.findall(r"\{([^{}]*)\}", token.string):
                    yield from (name for dot, name in re.findall(r"(\.?)(\w+)", field)
                                if name in MACHINERY_NAMES
                                or (dot and name in MACHINERY_ATTRIBUTES))
        elif token.type == tokenize.NAME:
            after_dot = previous is not None and previous.string == "."
            if token.string in MACHINERY_NAMES or (after_dot
                                                   and token.string in MACHINERY_ATTRIBUTES):
                yield token.string
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token


def machinery_words(pieces: Iterable[Piece]) -> list[tuple[int, str]]:
    """Each word of the machinery a reader meets in ``pieces``, with its line."""
    found = []
    for piece in pieces:
        if piece.kind == "prose":
            found += [(piece.line, w) for w in MACHINERY_WORDS.findall(piece.text)]
        elif piece.kind == "code":
            found += [(piece.line, w) for w in _code_words(piece.text)]
    return found
