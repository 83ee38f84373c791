"""The teaching page's lecture tracks, and the notebooks it hands out.

``{lecture-track} lecture-1`` in a page writes, for one of the lectures the teaching page declares
in its front matter (:func:`nnbook.book.tools.slides.lecture_decks`), the links to its deck and the deck's PDF (``make slides`` puts them in the site's ``slides/``), a
table of the lecture's sections with their slides and estimated minutes and which of them make a
lecture of each length in :data:`~nnbook.book.tools.slides.TRACK_LENGTHS`, the exercises that fit as
homework, and the student notebooks of its pages. Everything is computed when the
page is read, from the pages' sources (:func:`nnbook.book.tools.slides.lecture_track`); the pages are
declared as the teaching page's dependencies, so a new slide mark updates the times.

At the end of an HTML build, the student and instructor notebooks of every executed page
(:func:`nnbook.book.tools.handouts.write_handouts`) are written into ``_build/handouts/``, and the
student notebooks, and only they, into the site's ``handouts/``.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from nnbook.book.page_source import TEACHING_PAGE
from nnbook.book.tools import slides

logger = logging.getLogger(__name__)


def _link(text: str, uri: str) -> nodes.reference:
    return nodes.reference("", text, refuri=uri, internal=False)


def _para(*parts) -> nodes.paragraph:
    para = nodes.paragraph()
    for part in parts:
        para += nodes.Text(part) if isinstance(part, str) else part
    return para


def _table(headers: list[str], rows: list[list], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["nnbook-track"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)

    def row(cells, header=False):
        tr = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += cell if isinstance(cell, nodes.Node) else _para(str(cell))
            tr += entry
        return tr

    head = nodes.thead()
    head += row([_para(h) for h in headers], header=True)
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += row(cells)
    group += body
    return table


def _minutes(value: float) -> str:
    return f"{value:.0f}"


def _slides(numbers: list[int]) -> str:
    """A section's slide numbers in a deck: "7", "7-9", or "" when the deck leaves it out."""
    if not numbers:
        return ""
    return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"


def titles_of(root: Path, page: str) -> str:
    return slides.page_title(root / "book" / f"{page}.md")


class LectureTrack(SphinxDirective):
    """``{lecture-track} <deck name>``: a lecture's tracks, deck, homework and notebooks."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        root = Path(self.env.srcdir)
        decks = {deck.name: deck for deck in slides.lecture_decks(root)}
        if name not in decks:
            raise self.error(f"no lecture named {name!r}; the teaching page's front matter "
                             f"declares {sorted(decks)}")
        deck = decks[name]
        for page in deck.pages:
            self.env.note_dependency(str(root / "book" / f"{page}.md"))
        # and the code that reads the marks and estimates the times: a change re-reads the page
        for path in (slides.__file__, __file__):
            self.env.note_dependency(path)
        here = Path(self.env.docname).parent
        up = "../" * len(here.parts)
        tracks = [slides.lecture_track(deck, root, minutes) for minutes in slides.TRACK_LENGTHS]
        everything = slides.lecture_sections(deck, root)
        full = slides.Track(deck, 0, tuple(everything))
        out: list[nodes.Node] = [_para(
            "Slides: ", _link(deck.title, f"{up}slides/{deck.name}.html"), " (",
            _link("PDF", f"{up}slides/pdf/{deck.name}.pdf"),
            f"; {sum(s.slides for s in everything) + len(deck.pages) + 1} slides, about "
            f"{_minutes(full.estimate)} minutes for all of them, estimated).")]
        decks = [track.as_deck() for track in tracks]
        out.append(_para("A deck for each shorter lecture, with only the sections it keeps: ",
                         *[part for i, (track, track_deck) in enumerate(zip(tracks, decks))
                           for part in ([", "] if i else []) + [
                               _link(f"{track.minutes} minutes",
                                     f"{up}slides/{track_deck.name}.html"),
                               f" ({_minutes(track.estimate)} estimated)"]],
                         "."))
        for track in tracks:
            if not track.fits:
                out.append(_para(
                    f"The {track.minutes}-minute lecture keeps only the sections its pages "
                    f"mark as never to drop, and they take about {_minutes(track.estimate)} "
                    "minutes: cut from them, or give the lecture more time."))
        longest = max(slides.TRACK_LENGTHS)
        if full.estimate > longest:
            cut = [s for s in everything if s not in tracks[-1].sections]
            out.append(_para(
                f"All of it takes longer than {longest} minutes: the {longest}-minute lecture "
                "leaves out " + "; ".join(f"{titles_of(root, s.page)}: {s.title}" for s in cut)
                + "."))
        numbers = [slides.slide_numbers(track_deck, root) for track_deck in decks]
        rows = []
        titles = {p: slides.page_title(root / "book" / f"{p}.md") for p in deck.pages}
        for section in everything:
            link = _link(f"{titles[section.page]}: {section.title}",
                         f"{up}book/{section.page}.html#{section.anchor}")
            marks = [_slides(n.get((section.page, section.title), [])) for n in numbers]
            rows.append([_para(link), section.slides, _minutes(slides.section_minutes(section)),
                         *marks])
        rows.append([_para(nodes.strong("", "Estimated total")), "",
                     _minutes(full.estimate),
                     *[_minutes(track.estimate) for track in tracks]])
        out.append(_table(["Section", "Slides", "Minutes",
                           *[f"{m}-minute lecture: its slides" for m in slides.TRACK_LENGTHS]],
                          rows, [50, 10, 10, 15, 15]))
        homework = nodes.bullet_list()
        handouts = nodes.bullet_list()
        for page in deck.pages:
            exercises = [e for s in slides.source_sections(root / "book" / f"{page}.md")
                         for e in s.exercises]
            if exercises:
                item = nodes.list_item()
                listed = "; ".join(exercises)
                item += _para(_link(titles[page], f"{up}book/{page}.html#exercises"), ": ",
                              listed if listed.endswith(".") else listed + ".")
                homework += item
            item = nodes.list_item()
            item += _para(titles[page], ": ",
                          _link("student notebook", f"{up}handouts/student/{page}.ipynb"),
                          " (the exercises, without solutions).")
            handouts += item
        out += [_para("Exercises that fit as homework, from the pages the lecture covers:"),
                homework,
                _para("Notebooks to hand out, one per page (without outputs: a student runs "
                      "them from the top; the instructor notebooks, with solutions, are made "
                      "beside the site, as the section on notebooks says):"),
                handouts]
        return out


class TrackEstimates(SphinxDirective):
    """``{track-estimates}``: how the lecture tracks' minutes are estimated, from the constants
    that compute them."""

    def run(self) -> list[nodes.Node]:
        return [_para(
            "The minutes are estimates, computed when the book is built from the slides each "
            f"section marks and the length of its prose: {slides.MINUTES_PER_SLIDE:g} minutes "
            f"a slide, {slides.MINUTES_PER_INTERACTIVE:g} for a self-check question or a live "
            f"widget (the class answers, or plays with it), a minute for every "
            f"{slides.SPOKEN_WORDS_PER_MINUTE} words of the section's text told around its slides, and "
            f"{slides.MINUTES_PER_PAGE:g} for each page's title slide. A shorter lecture never "
            "drops a section its page marks to keep; of the others it drops the \"Going "
            "deeper\" sections first, then those that show least per minute, keeping the "
            "questions and widgets longest, and a page's self-check questions go as soon as "
            "one of the sections they test goes.")]


def _write_handouts(app: Sphinx, exception: Exception | None) -> None:
    """Write the notebooks to hand out from the pages this build executed: both sets into
    ``_build/handouts`` (beside the site, never in it), and the student set into the site's
    ``handouts/``, which the lecture tracks link."""
    config = getattr(app.env, "mystnb_config", None)  # None: myst-nb executed nothing
    if exception is not None or app.builder.format != "html" or config is None:
        return
    if not (Path(app.srcdir) / f"{TEACHING_PAGE}.md").is_file():
        return  # a book without a teaching page hands nothing out
    from nnbook.book.tools.handouts import ExecutedBook, write_handouts

    executed = ExecutedBook(Path(config.output_folder), Path(config.execution_cache_path))
    outdir = Path(app.outdir)
    handouts = write_handouts(Path(app.srcdir), outdir.parent / "handouts",
                              site=outdir / "handouts", executed=executed)
    for reason in handouts.skipped:  # a page that did not execute: the build says why
        logger.warning(f"no notebooks to hand out: {reason}", type="nnbook", subtype="handouts")
    logger.info(f"notebooks to hand out: {len(handouts.written)} in "
                f"{outdir.parent / 'handouts'} (instructor/, with solutions, is not published); "
                f"the student set in {outdir / 'handouts'}")


def setup(app: Sphinx) -> dict:
    app.add_directive("lecture-track", LectureTrack)
    app.add_directive("track-estimates", TrackEstimates)
    app.connect("build-finished", _write_handouts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
