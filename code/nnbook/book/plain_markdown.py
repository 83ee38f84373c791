"""A page's MyST Markdown as plain Markdown, for the notebooks handed out to a class.

Jupyter shows MyST's roles and directives as the text they are written in: a glued value as
``{glue:text}`key:.1%` ``, an included function as the directive that names it. A hand-out's
text goes through :func:`plain_markdown` first, which writes what the book's site shows:

- a glued value, as the build computed and formatted it (myst-nb's own formatting);
- ``{ref}``, ``{term}`` and ``{cite:p}`` as links into the published site (:class:`BookLinks`);
- a ``{literalinclude}`` as a code block of what it includes (as :mod:`nnbook.book.reading`
  reads it: ``:pyobject:``, ``:start-at:``, ``:end-at:``, ``:dedent:``, ...);
- an admonition, exercise, dropdown or tab as a bold title and its text; a solution likewise for
  the instructor and not at all for the student; a margin note, sidebar or "From the lectures"
  aside as a quoted note; a ``{div}`` (a slide's block) as its content; a figure as a Markdown
  image with its caption; targets ``(label)=`` and comments ``%`` not at all.

What cannot be written plainly raises :class:`MarkdownError`, naming the page: a hand-out is
never given out with a gap where the site has a value, a link or code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nnbook.book.page_source import OPTION, markdown_events, page_blocks, page_events


class MarkdownError(RuntimeError):
    """A page's text holds something that cannot be written as plain Markdown."""


# A role, or a code span: the code span is matched so that a role written inside one (as a page
# about the book shows its syntax) stays as it is.
INLINE = re.compile(r"\{(?P<role>[\w:.-]+)\}(?P<ticks>`+)(?P<content>.+?)(?P=ticks)"
                    r"|(?P<code>(?P<code_ticks>`+).+?(?P=code_ticks))", re.S)
EXPLICIT = re.compile(r"^(?P<text>.+?)\s*<(?P<target>[^<>]+)>$", re.S)  # {ref}`text <label>`

ADMONITIONS = {"admonition", "note", "tip", "hint", "important", "warning", "caution",
               "attention", "danger", "error", "seealso", "topic", "dropdown", "toggle",
               "card", "exercise", "solution"}
ASIDES = {"margin", "sidebar", "aside", "epigraph", "pull-quote"}
CONTAINERS = {"div", "container", "tab-set", "grid", "grid-item", "grid-item-card", "only",
              "rst-class", "cssclass"}
CODE = {"code-block", "code", "sourcecode"}
SITE_ONLY = {"glossary", "bibliography", "toctree", "tableofcontents", "contents"}
LANGUAGES = {".py": "python", ".js": "javascript", ".sh": "bash", ".toml": "toml",
             ".yml": "yaml", ".yaml": "yaml", ".json": "json", ".md": "markdown"}


@dataclass(frozen=True)
class BookLinks:
    """Where the published book shows what a page refers to: its pages' labels, its glossary's
    terms and its bibliography, under the site's address ``site`` (ending in "/")."""

    site: str
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # label: (doc, title)
    terms: Mapping[str, str] = field(default_factory=dict)  # term, lower case: its anchor
    glossary: str | None = None  # the page that holds the glossary ("book/glossary")
    references: str | None = None  # the page that holds the bibliography
    citations: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # key: (who, year)

    def page(self, doc: str, anchor: str = "") -> str:
        return f"{self.site}{doc}.html" + (f"#{anchor}" if anchor else "")


def _make_id(text: str) -> str:
    """The HTML id Sphinx gives ``text`` (a label, ``term-<Term>``)."""
    from sphinx.util.nodes import _make_id as sphinx_make_id

    return sphinx_make_id(text)


def _plain_title(title: str) -> str:
    """A heading as a link's text: no code marks, emphasis or roles."""
    title = INLINE.sub(lambda m: m["content"] or m["code"].strip("`"), title)
    return re.sub(r"[*_`]", "", title).strip()


def _page_labels(text: str, doc: str) -> dict[str, tuple[str, str]]:
    """The ``(label)=`` targets of a page's source, each with the heading it stands before."""
    labels: dict[str, tuple[str, str]] = {}
    pending: list[str] = []
    for _, event in page_events(text):
        if event is None or event.kind == "comment" or (
                event.kind == "prose" and not event.text.strip()):
            continue
        if event.kind == "target":
            pending.append(event.text)
            continue
        title = _plain_title(event.text) if event.kind == "heading" else doc
        labels.update((label, (doc, title)) for label in pending)
        pending = []
    labels.update((label, (doc, doc)) for label in pending)
    return labels


def _glossary_terms(text: str) -> dict[str, str]:
    """A page's ``{glossary}`` terms (lines at the start of its body), lower case, with the
    anchor Sphinx gives each."""
    glossaries = page_blocks(text, "glossary")
    if not glossaries:
        return {}
    terms = {}
    for line in glossaries[0].content:
        if line.strip() and not line[0].isspace() and not OPTION.match(line):
            terms[line.strip().lower()] = _make_id(f"term-{line.strip()}")
    return terms


def _latex_text(text: str) -> str:
    from pybtex.richtext import Text

    return Text.from_latex(text).render_as("text")


def _author_year(entry) -> tuple[str, str]:
    """An entry as the site cites it (sphinxcontrib-bibtex's author-year style): "Cox",
    "Minsky and Papert", "Rumelhart et al."; and its year."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [_latex_text(" ".join(person.last_names)) for person in people]
    who = (last[0] if len(last) == 1 else f"{last[0]} and {last[1]}" if len(last) == 2
           else f"{last[0]} et al." if last else "")
    return who, entry.fields.get("year", "")


def book_links(root: Path, pages: list[Path], site: str, bibfiles: list[Path]) -> BookLinks:
    """The :class:`BookLinks` of a book: the labels of ``pages`` (the table of contents'),
    the terms of the page that holds a ``{glossary}``, the entries of ``bibfiles``."""
    labels: dict[str, tuple[str, str]] = {}
    terms: dict[str, str] = {}
    glossary = references = None
    for page in pages:
        if not page.is_file():
            continue
        text = page.read_text(encoding="utf-8")
        doc = page.relative_to(root).with_suffix("").as_posix()
        labels.update(_page_labels(text, doc))
        if page_blocks(text, "glossary"):
            glossary, terms = doc, _glossary_terms(text)
        if page_blocks(text, "bibliography"):
            references = doc
    citations = {}
    if bibfiles:
        from pybtex.database import parse_file

        for bibfile in bibfiles:
            for key, entry in parse_file(str(bibfile)).entries.items():
                citations[key] = _author_year(entry)
    return BookLinks(site=site, labels=labels, terms=terms, glossary=glossary,
                     references=references, citations=citations)


@dataclass(frozen=True)
class PageText:
    """What the text of one page needs to be written plainly: the page (its folder resolves a
    ``{literalinclude}``), the values the build glued on it (myst-nb's glue data: key to its
    output), the book's links, whether solutions are kept, and where the repository's files are
    served (a figure's image)."""

    page: Path
    glue: Mapping[str, Mapping] = field(default_factory=dict)
    links: BookLinks = BookLinks(site="")
    solutions: bool = True
    files: str = ""  # the repository's files at the hand-out's commit, ending in "/"

    def error(self, what: str) -> MarkdownError:
        return MarkdownError(f"{self.page}: {what}")


# --- roles ----------------------------------------------------------------------------------------

def _glue_text(key_format: str, kind: str, page: PageText) -> str:
    from myst_nb.core.variables import format_plain_text

    key, spec = key_format, ""
    if kind == "text" and ":" in key_format:  # a format, after the last colon (as myst-nb reads it)
        key, spec = key_format.rsplit(":", 1)
    if "::" in key:
        raise page.error(f"{{glue}}`{key_format}` quotes another page's value; a hand-out "
                         "quotes its own page's only")
    output = page.glue.get(key)
    if output is None:
        raise page.error(f"no value glued as {key!r} in the build: build the book first "
                         "(make book), then write the hand-outs")
    data = output.get("data", {})
    if kind == "md" and "text/markdown" in data:
        return data["text/markdown"]
    if "text/plain" not in data:
        raise page.error(f"the value glued as {key!r} has no text")
    return format_plain_text(data["text/plain"], spec or ("s" if kind == "text" else ""))


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})"


def _role(name: str, content: str, page: PageText) -> str:
    links = page.links
    explicit = EXPLICIT.match(content)
    text, target = (explicit["text"], explicit["target"]) if explicit else (None, content)
    if name in ("glue", "glue:", "glue:any", "glue:text", "glue:md"):
        return _glue_text(content, name.partition(":")[2] or "text", page)
    if name in ("ref", "numref"):
        if target not in links.labels:
            raise page.error(f"{{{name}}}`{content}`: no page of the book has the label {target!r}")
        doc, title = links.labels[target]
        return _link(text or title, links.page(doc, _make_id(target)))
    if name == "term":
        target = " ".join(target.split())  # a term may break across lines, as Sphinx reads it
        anchor = links.terms.get(target.lower())
        if anchor is None or links.glossary is None:
            raise page.error(f"{{term}}`{content}`: the glossary has no term {target!r}")
        return _link(text or target, links.page(links.glossary, anchor))
    if name.startswith("cite"):
        cited = []
        for key in (k.strip() for k in content.split(",")):
            if key not in links.citations:
                raise page.error(f"{{{name}}}`{content}`: no bibliography entry {key!r}")
            who, year = links.citations[key]
            label = (f"{who} ({year})" if name.startswith("cite:t") else
                     f"{who}, {year}" if who else year)
            cited.append(_link(label, links.page(links.references)) if links.references
                         else label)
        return "; ".join(cited) if name.startswith("cite:t") else f"({'; '.join(cited)})"
    if name == "math":
        return f"${content}$"
    if name == "eq":
        return f"({content})"
    if name in ("doc", "download", "any", "py:func", "py:class", "py:mod"):
        raise page.error(f"{{{name}}}`{content}` cannot be written as a link yet")
    return text or content  # {abbr}, {sub}, {sup}, {kbd}, ...: what they show


def plain_inline(text: str, page: PageText) -> str:
    """``text`` with its roles written as the site shows them; code spans left as they are."""
    def replace(match: re.Match) -> str:
        if match["code"]:
            return match["code"]
        return _role(match["role"], match["content"], page)

    return INLINE.sub(replace, text)


# --- directives -----------------------------------------------------------------------------------

def _titled(title: str, content: str) -> list[str]:
    return [f"**{title}**", "", content] if content.strip() else [f"**{title}**"]


def _quoted(content: str) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in content.split("\n")]


def _code_block(code: str, language: str) -> list[str]:
    fence = "```"
    while fence in code:
        fence += "`"
    return [f"{fence}{language}", code.rstrip("\n"), fence]


def _directive(name: str, argument: str, options: Mapping[str, str], body: list[str],
               page: PageText) -> list[str]:
    title = plain_inline(argument, page).strip()
    if name == "literalinclude":
        from nnbook.book.reading import included_source

        path = page.page.parent / argument.strip()
        try:
            code = included_source(path, options)
        except (OSError, LookupError) as err:
            raise page.error(f"{{literalinclude}} {argument}: {err}") from None
        language = options.get("language") or LANGUAGES.get(path.suffix, "")
        return _code_block(code, language)
    if name in CODE:
        return _code_block("\n".join(body), argument.strip() or options.get("language", ""))
    if name == "math":
        return ["$$", "\n".join(body).strip(), "$$"]
    if name in ("figure", "image"):
        url = (argument.strip() if re.match(r"^\w+://", argument.strip()) else
               page.files + _repository_path(page.page.parent / argument.strip(), page))
        caption = plain_markdown("\n".join(body), page).strip()
        alt = options.get("alt") or caption.split("\n")[0] or Path(argument).stem
        return [f"![{alt}]({url})"] + (["", f"*{caption}*"] if caption else [])
    if name in SITE_ONLY:
        return []
    content = plain_markdown("\n".join(body), page).strip("\n")
    if name == "solution" and not page.solutions:
        return []
    if name == "exercise":
        return _titled(f"Exercise: {title}" if title else "Exercise.", content)
    if name == "solution":
        return _titled("Solution.", content)
    if name in ASIDES or title.lower().startswith("from the lectures"):
        return _quoted("\n".join(_titled(title, content) if title else [content]))
    if name in ADMONITIONS or name == "tab-item":
        return _titled(title or name.replace("-", " ").capitalize(), content)
    return [content]  # a div (a slide's block), a tab set, a grid, or a directive we do not know


def _repository_path(path: Path, page: PageText) -> str:
    """``path`` relative to the repository (the folder above the page's ``book/``)."""
    root = page.page.parent.parent
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise page.error(f"{path} is outside the repository") from None


def plain_markdown(text: str, page: PageText) -> str:
    """The MyST Markdown ``text`` of a page as plain Markdown: see the module's docstring. The
    text is read by :func:`nnbook.book.page_source.markdown_events`; a block is written whole
    when it closes, its content through this function again."""
    out: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            out.extend(plain_inline("\n".join(prose), page).split("\n"))
            prose.clear()

    for event in markdown_events(text):
        if event.blocks or event.kind in ("comment", "target"):
            continue  # inside a block: written with the block; a comment or target: never
        if event.kind in ("prose", "indented"):
            prose.append(event.text if event.kind == "prose" else "    " + event.text)
            continue
        if event.kind == "heading":
            prose.append(f"{'#' * event.level} {event.text}")
            continue
        if event.kind == "open":
            continue
        flush()
        if event.kind == "math":  # displayed maths: as it is
            out.append(event.raw)
            continue
        block = event.block
        if not block.name and block.literal:  # code: as it is
            out += [f"{block.fence}{block.language}", *block.content, block.fence]
            continue
        if not block.name:  # a colon fence without a directive: its content
            out += ["", plain_markdown("\n".join(block.content), page), ""]
            continue
        body = list(block.content)
        while body and not body[0].strip():
            body.pop(0)
        # a block of its own, apart from what comes before and after
        out += ["", *_directive(block.name, block.argument, block.options, body, page), ""]
    flush()
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", "\n".join(out)).strip("\n")
