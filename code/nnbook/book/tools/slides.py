"""Slides from the built site: a reveal.js deck for each lecture and each chapter.

A page marks what goes on a slide in its own source, so a page stays one file:

* prose, an equation, a list or an included source (``{literalinclude}``) inside
  ``:::{div} slide`` ... ``:::`` becomes one slide (on the site the block reads as the text around
  it), also inside another directive, such as a tab holding the lecture's code;
* a code cell tagged ``slide`` puts its output on a slide (a figure, a printed result, a live
  widget, a self-check question); ``slide-code`` puts the cell's code above its output.

A slide's title is the heading of its section; the section's other prose, from the slide before
to the next one, becomes the slide's speaker notes, cut to the first sentences a speaker takes
in at a glance. Where the page's prose will not do, the page writes the notes itself: a MyST
comment ``% notes: ...`` after a slide mark (inside a slide block, or after a slide cell) is that
slide's notes, in place of the prose: what to say, what to ask and how long. Comments show on
no page and in no notebook. Every page opens with a title slide holding its "What you will
learn" list.

Nothing is executed again: :func:`build_decks` reads the pages of the built site
(``_build/html``, which ``make book`` writes from the executed pages), so every figure, glued
number, diagram and widget on a slide is the one on the page. The decks load reveal.js from the
pinned npm package (``node_modules/reveal.js``) and plotly.js, MathJax, the figures' font and
the widgets' scripts from the site's ``_static``, all copied beside the decks: they open offline,
from a file or any server, and draw their figures' text as the site does. :func:`print_pdfs`
prints each deck through reveal.js's print view with Chromium.

:func:`source_sections` reads the same marks from the page sources, which is what the lecture
tracks of the teaching page are computed from (:mod:`nnbook.book.sphinxext.teaching`).
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from nnbook.book import reading
from nnbook.book.page_source import (Block, Cell, PageSourceError, count_words, lectures,
                                     page_events, page_facts, toc_pages)

SLIDE_TAGS = ("slide", "slide-code")
DECK_WIDTH, DECK_HEIGHT = 1280, 800
# A figure on a slide keeps its own height up to this many pixels, so a title fits above it.
MAX_FIGURE_HEIGHT = 560


@dataclass(frozen=True)
class Deck:
    """One deck: its file name (without ``.html``), its title and its pages, in order; a track's
    deck shows only the ``sections`` it keeps, as (page, section title) pairs."""

    name: str
    title: str
    pages: tuple[str, ...]  # docnames without folder: "linear_decision"
    sections: tuple[tuple[str, str], ...] | None = None  # None: every section


def lecture_decks(root: Path) -> list[Deck]:
    """A deck for each lecture the book grew from, as the teaching page declares them
    (:func:`nnbook.book.page_source.lectures`), its pages in the lecture's own order."""
    return [Deck(lecture.name, lecture.title, lecture.pages) for lecture in lectures(root)]


def chapter_decks(root: Path) -> list[Deck]:
    """A deck for every page of the table of contents that marks at least one slide."""
    decks = []
    for page in toc_pages(root):
        if page.suffix != ".md" or not page.is_file():
            continue
        sections = source_sections(page)
        if any(s.slides for s in sections):
            decks.append(Deck(page.stem, page_title(page), (page.stem,)))
    return decks


# --- the marks, read from a page's source ---------------------------------------------------------

@dataclass
class Section:
    """A ``##`` section of a page as its source reads: what it puts on slides, and how long its
    prose is."""

    page: str
    title: str
    slides: int = 0  # marked slides
    interactive: int = 0  # of them, live widgets and self-check questions
    words: int = 0  # prose outside code cells
    exercises: list[str] = field(default_factory=list)  # titles of its {exercise} blocks

    @property
    def anchor(self) -> str:
        from docutils.nodes import make_id

        return make_id(_plain(self.title))


def _plain(markdown: str) -> str:
    """A heading's text as the site shows it: no backticks, no role markup, and straight quotes
    (Sphinx curls the source's ``'``, so a title read from the site and one read from the
    source compare equal only with both made straight)."""
    text = re.sub(r"\{[\w:-]+\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", markdown)
    text = text.translate(_STRAIGHT_QUOTES)
    return text.replace("`", "").replace("*", "").strip()


_STRAIGHT_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def page_title(page: Path) -> str:
    """The page's title as the site shows it (its ``#`` heading, read by
    :func:`nnbook.book.reading.page_title`), or its file name when it has none."""
    return _plain(reading.page_title(page.read_text(encoding="utf-8"))) or page.stem


def source_sections(page: Path) -> list[Section]:
    """The ``##`` sections of a MyST page with their slide marks (``:::{div} slide`` blocks and
    code cells tagged ``slide`` or ``slide-code``), the words of their prose and their
    exercises, read by :mod:`nnbook.book.page_source`. Text before the first ``##`` heading
    belongs to a section named after the page's title."""
    sections = [Section(page.stem, page_title(page))]
    untitled: Block | None = None  # an exercise without a title, named by its first words
    for cell, event in page_events(page.read_text(encoding="utf-8"), page):
        section = sections[-1]
        if event is None:
            _count_cell(section, cell)
        elif event.kind == "heading" and event.level == 2:
            sections.append(Section(page.stem, _plain(event.text)))
        elif event.kind == "open" and event.block.name == "div":
            section.slides += "slide" in event.block.argument.split()
        elif event.kind == "open" and event.block.name == "exercise":
            section.exercises.append(_plain(event.block.argument))
            untitled = None if event.block.argument else event.block
        elif event.kind == "prose":
            section.words += count_words(reading.prose_text(event.text))
            if untitled is not None and untitled in event.blocks and event.text.strip():
                words = _plain(event.text).split()
                section.exercises[-1] = " ".join(words[:8]) + ("..." if len(words) > 8 else "")
                untitled = None
    if not sections[0].slides and not sections[0].words:
        sections.pop(0)
    return sections


NOTES_MARK = "notes:"


class SlideNotesError(ValueError):
    """A page's written notes belong to no slide."""


def written_notes(page: Path) -> list[str | None]:
    """For each slide mark of ``page``, in order, the notes the page writes for it (a comment
    ``% notes: ...`` after the mark, before the next, with the comment lines right below it), or
    None."""
    notes: list[str | None] = []
    last = None  # the line of the notes' last comment
    for cell, event in page_events(page.read_text(encoding="utf-8"), page):
        if event is not None and event.kind == "comment" and last is not None and (
                event.line == last + 1 and not event.text.lower().startswith(NOTES_MARK)):
            notes[-1] = f"{notes[-1]} {event.text}".strip()
            last = event.line
            continue
        last = None
        if event is None:
            if set(cell.tags) & set(SLIDE_TAGS):
                notes.append(None)
        elif event.kind == "open" and event.block.name == "div" and (
                "slide" in event.block.argument.split()):
            notes.append(None)
        elif event.kind == "comment" and event.text.lower().startswith(NOTES_MARK):
            text = event.text[len(NOTES_MARK):].strip()
            if not notes:
                raise SlideNotesError(f"{page}, line {event.line}: '% notes:' comes before any "
                                      "slide mark; write it after the slide it is for")
            notes[-1] = " ".join(filter(None, [notes[-1], text]))
            last = event.line
    return notes


def _count_cell(section: Section, cell: Cell) -> None:
    if not set(cell.tags) & set(SLIDE_TAGS):
        return
    section.slides += 1
    if "MultipleChoice(" in cell.source or re.search(r"\bshow_\w+\(", cell.source):
        section.interactive += 1


# --- the decks, assembled from the built site --------------------------------------------------------

@dataclass
class Slide:
    title: str
    body: str  # HTML
    notes: str = ""  # plain text
    kind: str = "content"  # "title", "content", "question", "widget"
    section: str = ""  # the title of the page's ## section it is in ("" for a page's title)


def _soup(text: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(text, "html.parser")


def _text(node) -> str:
    for link in node.select("a.headerlink"):
        link.decompose()
    return " ".join(node.get_text(" ").split())


def _is_mark(node) -> bool:
    classes = node.get("class") or []
    if "slide" in classes and node.name == "div" and "cell" not in classes:
        return True
    return "cell" in classes and any(f"tag_{tag}" in classes for tag in SLIDE_TAGS)


def _marks_in(node) -> list:
    """The slide marks in ``node`` that are not inside a subsection of it."""
    if getattr(node, "name", None) is None:
        return []
    if _is_mark(node):
        return [node]
    found = []
    for child in node.children:
        if getattr(child, "name", None) == "section":
            continue
        found += _marks_in(child)
    return found


def _mark_body(mark) -> tuple[str, str]:
    """A mark's slide HTML and its kind."""
    classes = mark.get("class") or []
    if "cell" in classes:
        if "tag_slide-code" in classes:
            body = copy.copy(mark)
        else:
            body = mark.find(class_="cell_output") or mark
        html = body.decode_contents() if body is mark else str(body)
    else:
        html = mark.decode_contents()
    kind = "content"
    if "nnbook-quiz" in html:
        kind = "question"
    elif "data-widget=" in html:
        kind = "widget"
    return html, kind


_NOTE_TAGS = ("p", "ul", "ol", "dl", "blockquote")


def _section_slides(section, page_title: str, top: str = "") -> list[Slide]:
    heading = section.find(["h1", "h2", "h3", "h4"], recursive=False)
    title = _text(copy.copy(heading)) if heading else page_title
    if heading is not None and heading.name in ("h1", "h2"):
        top = title  # the ## section (or the page's own text before the first) it belongs to
    slides: list[Slide] = []
    notes: list[str] = []
    for child in section.children:
        name = getattr(child, "name", None)
        if name is None or child is heading:
            continue
        if name == "section":
            if slides and notes:
                slides[-1].notes = " ".join(filter(None, [slides[-1].notes, *notes]))
            notes = []  # without a slide before it, the text is the title slide's
            slides += _section_slides(child, page_title, top)
            continue
        marks = _marks_in(child)
        if not marks:
            if name in _NOTE_TAGS or "admonition" in (child.get("class") or []):
                text = _text(copy.copy(child))
                if not text.endswith(":"):  # it introduces code or a figure the notes leave out
                    notes.append(text)
            continue
        for mark in marks:
            body, kind = _mark_body(mark)
            own = [s for s in slides if s.title == title]
            if own and not own[-1].notes and notes:
                # the text after a slide that had none before it is that slide's to tell
                own[-1].notes, notes = " ".join(notes), []
            slides.append(Slide(title, body, " ".join(notes), kind, top))
            notes = []
    if slides and notes:
        slides[-1].notes = " ".join(filter(None, [slides[-1].notes, *notes]))
    return slides


NOTES_WORDS = 60  # what a speaker takes in at a glance: three to five lines of a presenter view
_CITATION = re.compile(r"\s*\[[^\[\]]*?\d{4}[a-z]?\s*\]")  # "[ Rumelhart et al. , 1986 ]"
_POINTING = re.compile(r"\b(below|above|the lectures?(?:'s?)?)\b", re.IGNORECASE)


def speaker_notes(text: str, words: int = NOTES_WORDS) -> str:
    """What to say on a slide, from the page's prose around it: without citations, without the
    sentences that point at the page's layout ("below", "above") or at the lectures, which a
    room does not see, and only the first whole sentences, up to about ``words`` words."""
    text = " ".join(_CITATION.sub("", text).split())
    sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(\"$`])", text) if s]
    said = [s for s in sentences if not _POINTING.search(s)] or sentences[:1]
    kept: list[str] = []
    for sentence in said:
        if kept and len(" ".join(kept + [sentence]).split()) > words:
            break
        kept.append(sentence)
    return " ".join(kept)


def page_slides(html_text: str, written: list[str | None] | None = None) -> list[Slide]:
    """The slides of one built page: its title slide, then one slide per mark, in page order.
    ``written``: the notes the page's source writes for each mark (:func:`written_notes`), which
    take the place of those from its prose."""
    soup = _soup(html_text)
    article = soup.select_one("article.bd-article") or soup.select_one("main") or soup
    top = article.find("section")
    if top is None:
        return []
    heading = top.find("h1")
    title = _text(copy.copy(heading)) if heading else ""
    learn = next((a for a in top.select("div.admonition")
                  if "what you will learn" in _text(copy.copy(a.find(class_="admonition-title")
                                                             or a)).lower()), None)
    intro = ""
    if learn is not None:
        points = learn.find(["ul", "ol"])
        intro = str(points) if points else "".join(
            str(p) for p in learn.find_all("p") if "admonition-title" not in (p.get("class") or []))
    first = Slide(title, f'<div class="deck-learn">{intro}</div>' if intro else "", "", "title")
    notes = [_text(copy.copy(p)) for p in top.find_all("p", recursive=False)]
    first.notes = " ".join(notes) or (_text(copy.copy(learn)) if learn is not None else "")
    slides = _section_slides(top, title)
    for slide in (first, *slides):
        slide.notes = speaker_notes(slide.notes)
    if written is not None and any(written):
        if len(written) != len(slides):
            raise SlideNotesError(f"{title}: the page's source marks {len(written)} slides and "
                                  f"its built page {len(slides)}; build the site again")
        for slide, notes in zip(slides, written):
            if notes:
                slide.notes = notes
    for slide in slides:  # the speaker has the answer in the notes before the class does
        if slide.kind == "question":
            answer = _soup(_answer_fragment(slide.body)).get_text(" ")
            slide.notes = " ".join(filter(None, [slide.notes, " ".join(answer.split())]))
    for slide in slides:  # the title slide's own section: its slides are titled by the page
        if slide.title == title and slide.kind == "title":
            slide.kind = "content"
    return [first, *slides]


def _answer_fragment(body: str) -> str:
    """For a self-check question: the computed answer and its explanation, revealed on the next
    key press, as the lectures' in-class questions were."""
    soup = _soup(body)
    right = soup.select_one('.nnbook-quiz-option[data-correct="true"]')
    if right is None:
        return ""
    return (f'<p class="fragment deck-answer"><strong>Answer:</strong> {right.decode_contents()}. '
            f'{right.get("data-feedback", "")}</p>')


# --- the deck's HTML -------------------------------------------------------------------------------

_MATHJAX_DEFAULT = ('{"options": {"processHtmlClass": '
                    '"tex2jax_process|mathjax_process|math|output_area"}}')


def _mathjax_config(html_text: str) -> str:
    match = re.search(r"<script>window\.MathJax = (\{.*?\})</script>", html_text)
    return match.group(1) if match else _MATHJAX_DEFAULT


class _Assets:
    """Copies what a deck's slides point at from the site into the decks' folder, once."""

    def __init__(self, site: Path, out: Path):
        self.site, self.out = site, out

    def localise(self, fragment: str, page_url: str) -> str:
        """``fragment``'s images and files rewritten to the decks' folder, links to the site's
        pages unwrapped (a slide is not a place to navigate from), anchors dropped."""
        soup = _soup(fragment)
        for link in soup.select("a.headerlink"):
            link.decompose()
        for node in soup.find_all(["img", "source", "a"]):
            attr = "href" if node.name == "a" else "src"
            url = node.get(attr)
            if not url:
                continue
            if re.match(r"^[a-z][a-z0-9+.-]*:", url) or url.startswith("//"):
                if node.name != "a":
                    raise ValueError(f"{page_url}: a slide would load {url} from another host")
                continue  # a link to another site stays a link
            path = posixpath.normpath(posixpath.join(posixpath.dirname(page_url),
                                                     url.split("#")[0]))
            if node.name == "a" and (not url.split("#")[0] or path.endswith(".html")):
                node.unwrap()
                continue
            source = self.site / path
            if source.is_file():
                target = self.out / path
                if not target.is_file():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
                node[attr] = path
        for node in soup.select("script.nnbook-plotly-data"):
            fig = json.loads(node.string)
            layout = fig.setdefault("layout", {})
            height = min(int(layout.get("height") or 450), MAX_FIGURE_HEIGHT)
            layout["height"] = height
            layout.pop("width", None)
            node.string = json.dumps(fig).replace("</", "<\\/")
            target = soup.find(id=node.get("data-target"))
            if target is not None:
                target["style"] = f"width:100%;min-height:{height}px"
        return str(soup)


def _slide_html(slide: Slide) -> str:
    import html

    classes = f"deck-{slide.kind}"
    heading = "h1" if slide.kind == "title" else "h2"
    answer = _answer_fragment(slide.body) if slide.kind == "question" else ""
    notes = f'<aside class="notes">{html.escape(slide.notes)}</aside>' if slide.notes else ""
    return (f'<section class="{classes}" data-kind="{slide.kind}">'
            f"<{heading}>{html.escape(slide.title)}</{heading}>"
            f'<div class="deck-body">{slide.body}</div>{answer}{notes}</section>')


def deck_html(deck: Deck, slides: list[Slide], mathjax_config: str, widget_files: list[str],
              style_sheets: list[str]) -> str:
    import html

    styles = "".join(f'<link rel="stylesheet" href="_static/{name}">' for name in style_sheets)
    scripts = "".join(f'<script defer src="_static/widgets/{name}"></script>'
                      for name in widget_files)
    body = "\n".join(_slide_html(slide) for slide in slides)
    return f"""<!DOCTYPE html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(deck.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="_static/reveal/reveal.css">
<link rel="stylesheet" href="_static/reveal/theme/white.css" id="deck-theme">
<link rel="stylesheet" href="_static/pygments.css">
<link rel="stylesheet" href="_static/nnbook.css">
{styles}
<link rel="stylesheet" href="_static/deck.css">
<script>window.MathJax = {mathjax_config}</script>
<script defer src="_static/mathjax/tex-chtml.js"></script>
<script src="_static/plotly.min.js"></script>
</head>
<body>
<div class="reveal"><div class="slides">
{body}
</div></div>
<script src="_static/reveal/reveal.js"></script>
<script src="_static/reveal/plugin/notes/notes.js"></script>
{scripts}
<script defer src="_static/nnbook.js"></script>
<script src="_static/deck.js" data-width="{DECK_WIDTH}" data-height="{DECK_HEIGHT}"></script>
</body>
</html>
"""


DECK_STATIC = Path(__file__).parent / "slides_static"


def _copy_static(site: Path, reveal: Path, out: Path) -> tuple[list[str], list[str]]:
    static = out / "_static"
    for name in ("plotly.min.js", "nnbook.js", "nnbook.css", "pygments.css"):
        source = site / "_static" / name
        if not source.is_file():
            raise FileNotFoundError(f"{source} is missing: build the site first (make book)")
        static.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, static / name)
    for folder in ("widgets", "fonts"):  # fonts: the figures' font (sphinxext.assets)
        if (site / "_static" / folder).is_dir():
            shutil.copytree(site / "_static" / folder, static / folder, dirs_exist_ok=True)
    # MathJax: the component the decks load and the folders it loads from, not the other
    # combined components (the site's copy is 24 MB, this one a third of it).
    mathjax = site / "_static" / "mathjax"
    if mathjax.is_dir():
        shutil.copytree(mathjax, static / "mathjax", dirs_exist_ok=True,
                        ignore=lambda folder, names: [
                            n for n in names if Path(folder) == mathjax
                            and n.endswith(".js") and n != "tex-chtml.js"])
    dist = reveal / "dist"
    if not (dist / "reveal.js").is_file():
        raise FileNotFoundError(f"reveal.js was not found in {reveal}: run `npm ci` "
                                "(make slides does)")
    (static / "reveal").mkdir(parents=True, exist_ok=True)
    for name in ("reveal.js", "reveal.css"):
        shutil.copy2(dist / name, static / "reveal" / name)
    shutil.copytree(dist / "theme", static / "reveal" / "theme", dirs_exist_ok=True)
    (static / "reveal" / "plugin" / "notes").mkdir(parents=True, exist_ok=True)
    shutil.copy2(reveal / "plugin" / "notes" / "notes.js",
                 static / "reveal" / "plugin" / "notes" / "notes.js")
    for path in DECK_STATIC.iterdir():
        shutil.copy2(path, static / path.name)
    widgets = static / "widgets"
    scripts = sorted((p.name for p in widgets.glob("*.js")), key=lambda n: (n != "nnlib.js", n))
    styles = [p.relative_to(static).as_posix()
              for p in sorted(static.glob("fonts/*/*.css")) + sorted(widgets.glob("*.css"))]
    return scripts, styles


def build_decks(site: Path, out: Path, root: Path, reveal: Path | None = None,
                decks: list[Deck] | None = None) -> dict[str, int]:
    """Write a deck for each lecture and chapter from the built site ``site`` (``_build/html``)
    into ``out``; returns each deck's number of slides."""
    site, out, root = Path(site), Path(out), Path(root)
    if decks is None:
        decks = lecture_decks(root) + track_decks(root) + chapter_decks(root)
    scripts, styles = _copy_static(site, Path(reveal or root / "node_modules" / "reveal.js"), out)
    assets = _Assets(site, out)
    cache: dict[str, tuple[list[Slide], str]] = {}
    counts = {}
    for deck in decks:
        slides: list[Slide] = []
        mathjax = _MATHJAX_DEFAULT
        for page in deck.pages:
            url = f"book/{page}.html"
            if url not in cache:
                text = (site / url).read_text(encoding="utf-8")
                source = root / "book" / f"{page}.md"
                page_list = page_slides(text, written_notes(source) if source.is_file() else None)
                for slide in page_list:
                    slide.body = assets.localise(slide.body, url)
                cache[url] = (page_list, _mathjax_config(text))
            page_list, mathjax = cache[url]
            slides += [copy.deepcopy(slide) for slide in page_list
                       if deck.sections is None or slide.kind == "title"
                       or (page, _plain(slide.section)) in deck.sections]
        if len(deck.pages) > 1:
            titles = [s.title for s in slides if s.kind == "title"]
            slides.insert(0, Slide(deck.title, "", "The chapters of this lecture: "
                                   + "; ".join(titles) + ".", "title"))
        (out / f"{deck.name}.html").write_text(
            deck_html(deck, slides, mathjax, scripts, styles), encoding="utf-8")
        counts[deck.name] = len(slides)
    (out / "index.html").write_text(_index_html(decks, counts), encoding="utf-8")
    return counts


def _index_html(decks: list[Deck], counts: dict[str, int]) -> str:
    import html

    items = "".join(
        f'<li><a href="{d.name}.html">{html.escape(d.title)}</a> ({counts[d.name]} slides; '
        f'<a href="pdf/{d.name}.pdf">PDF</a>)</li>' for d in decks)
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Slides</title>'
            '<link rel="icon" href="data:,"></head><body><h1>Slides</h1>'
            '<p>Press S in a deck for the speaker notes, T for the dark theme, '
            'Esc for an overview.</p>'
            f"<ul>{items}</ul></body></html>\n")


_PRINT_READY = """
const done = arguments[arguments.length - 1];
const deadline = Date.now() + 60000;
function ready() {
  const figures = [...document.querySelectorAll(".nnbook-plotly")];
  return window.Reveal && Reveal.isReady() && document.querySelector(".pdf-page")
    && figures.every(d => d.querySelector("svg.main-svg"))
    && (!window.MathJax || !MathJax.startup || MathJax.startup.promise);
}
(async () => {
  while (!ready()) {
    if (Date.now() > deadline) return done("timeout");
    await new Promise(r => setTimeout(r, 100));
  }
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  await document.fonts.ready;
  await new Promise(r => setTimeout(r, 500));
  done(document.querySelectorAll(".pdf-page").length);
})();
"""


INSTRUCTOR_PDFS = "pdf-instructor"  # beside the students' pdf/, and never copied into the site


def print_pdfs(out: Path, chromium: str = "chromium", names: list[str] | None = None,
               chromedriver: str | None = None) -> dict[Path, int]:
    """Each deck of ``out`` printed through reveal.js's print view (``?print-pdf``) by headless
    Chromium, once its figures are drawn and its math typeset, one page per slide, twice: for
    students into ``out/pdf/<deck>.pdf``, the questions without their answers, and for the
    instructor into ``out/pdf-instructor/<deck>.pdf``, with them. Returns each PDF's page count
    as reveal.js laid it out."""
    import base64

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    out = Path(out)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(chromium) or chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={DECK_WIDTH},{DECK_HEIGHT}"):
        options.add_argument(flag)
    driver_path = chromedriver or shutil.which("chromedriver")
    if driver_path is None:
        raise FileNotFoundError("printing the decks needs chromedriver, which is not on PATH: "
                                "`make slides` installs it with Chromium (Debian: apt-get install "
                                "chromium-driver), or pass its path")
    service = Service(driver_path)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(90)
    written = {}
    try:
        for folder, query in (("pdf", "&answers=no"), (INSTRUCTOR_PDFS, "")):
            (out / folder).mkdir(exist_ok=True)
            for name in names or sorted(p.stem for p in out.glob("*.html") if p.stem != "index"):
                driver.get((out / f"{name}.html").resolve().as_uri() + "?print-pdf" + query)
                pages = driver.execute_async_script(_PRINT_READY)
                if pages == "timeout":
                    raise RuntimeError(f"{name}.html did not finish drawing for the PDF")
                pdf = driver.execute_cdp_cmd("Page.printToPDF", {
                    "printBackground": True, "preferCSSPageSize": True,
                    "displayHeaderFooter": False})
                path = out / folder / f"{name}.pdf"
                path.write_bytes(base64.b64decode(pdf["data"]))
                written[path] = pages
    finally:
        driver.quit()
    return written


# --- lecture tracks: which sections make a lecture of a given length ------------------------------

# How long a section takes to teach, estimated: each slide, a question or live widget a while
# longer (the class answers, or plays), and the section's prose, told around its slides.
MINUTES_PER_SLIDE = 1.5
MINUTES_PER_INTERACTIVE = 3.0
SPOKEN_WORDS_PER_MINUTE = 300  # of prose told around the slides, faster than it is read
MINUTES_PER_PAGE = 1.0  # the page's title slide and what it will teach
TRACK_LENGTHS = (50, 75)


def section_minutes(section: Section) -> float:
    """The estimated time to teach ``section`` from its slides (see the constants above)."""
    plain = section.slides - section.interactive
    return (plain * MINUTES_PER_SLIDE + section.interactive * MINUTES_PER_INTERACTIVE
            + section.words / SPOKEN_WORDS_PER_MINUTE)


@dataclass(frozen=True)
class Track:
    """The sections of a lecture that fit ``minutes``, in the lecture's order."""

    deck: Deck
    minutes: int
    sections: tuple[Section, ...]

    @property
    def estimate(self) -> float:
        pages = {s.page for s in self.sections}
        return sum(map(section_minutes, self.sections)) + MINUTES_PER_PAGE * len(pages)

    @property
    def fits(self) -> bool:
        return self.estimate <= self.minutes

    def as_deck(self) -> Deck:
        """The track as a deck of its own: the lecture's pages it keeps a section of, and only
        the sections it keeps."""
        pages = tuple(p for p in self.deck.pages if any(s.page == p for s in self.sections))
        return Deck(f"{self.deck.name}-{self.minutes}",
                    f"{self.deck.title} ({self.minutes} minutes)", pages,
                    tuple((s.page, s.title) for s in self.sections))


def lecture_sections(deck: Deck, root: Path) -> list[Section]:
    """The sections of a lecture's pages that put something on a slide, in order."""
    return [s for page in deck.pages for s in source_sections(root / "book" / f"{page}.md")
            if s.slides]


SELF_CHECK = "self-check"  # a page's section of questions: they test the page's core path


def never_dropped(root: Path, page: str) -> set[str]:
    """The titles of the sections a page says no lecture drops (its front matter's
    ``nnbook: keep_in_lecture: [...]``); a title that is no section of the page is an error."""
    path = root / "book" / f"{page}.md"
    kept = page_facts(path).get("keep_in_lecture") or []
    if isinstance(kept, str) or not all(isinstance(title, str) for title in kept):
        raise PageSourceError(f"{path}: keep_in_lecture must be a list of section titles, not "
                              f"{kept!r}")
    titles = {section.title for section in source_sections(path)}
    unknown = sorted(set(kept) - titles)
    if unknown:
        raise PageSourceError(f"{path}: keep_in_lecture names {unknown}, which are not sections "
                              f"of the page (its sections: {sorted(titles)})")
    return set(kept)


def _is_deeper(section: Section) -> bool:
    return section.title.lower().startswith("going deeper")


def lecture_track(deck: Deck, root: Path, minutes: int) -> Track:
    """The sections of ``deck`` that fit ``minutes``, in the lecture's order: all of them when
    they fit; otherwise sections are dropped one at a time, never one its page says a lecture
    keeps: "Going deeper" sections first (they are off the core path), then the one that shows
    least per minute. A page's self-check questions test its core path, so they go as soon as
    one of the page's core sections goes: no track asks about what it did not teach. When only
    sections to keep are left the track is over its time, and says so (:attr:`Track.fits`)."""
    kept = lecture_sections(deck, root)
    kept_titles = {page: never_dropped(root, page) for page in deck.pages}  # once per page
    keep = {(s.page, s.title) for s in kept if s.title in kept_titles[s.page]}

    def value(item):
        index, section = item
        # "Going deeper" first; then questions and widgets last; then fewest slides per minute
        # first; later sections first
        return (not _is_deeper(section), section.interactive > 0,
                section.slides / max(section_minutes(section), 0.1), -index)

    while Track(deck, minutes, tuple(kept)).estimate > minutes:
        candidates = [(i, s) for i, s in enumerate(kept) if (s.page, s.title) not in keep]
        if not candidates:
            break
        index, dropped = min(candidates, key=value)
        kept.pop(index)
        if dropped.title.lower() != SELF_CHECK and not _is_deeper(dropped):
            kept = [s for s in kept
                    if not (s.page == dropped.page and s.title.lower() == SELF_CHECK)]
    return Track(deck, minutes, tuple(kept))


def track_decks(root: Path) -> list[Deck]:
    """A deck for each lecture's track of each length of :data:`TRACK_LENGTHS`."""
    return [lecture_track(deck, root, minutes).as_deck()
            for deck in lecture_decks(root) for minutes in TRACK_LENGTHS]


def slide_numbers(deck: Deck, root: Path) -> dict[tuple[str, str], list[int]]:
    """The numbers of each section's slides in ``deck`` as the deck shows them: the deck's title
    slide first (a lecture's), then each page's title slide and the slides of its sections."""
    number = 1 if len(deck.pages) > 1 else 0
    numbers: dict[tuple[str, str], list[int]] = {}
    for page in deck.pages:
        number += 1  # the page's title slide
        for section in source_sections(root / "book" / f"{page}.md"):
            if deck.sections is not None and (page, section.title) not in deck.sections:
                continue
            numbers[(page, section.title)] = list(range(number + 1, number + 1 + section.slides))
            number += section.slides
    return numbers
