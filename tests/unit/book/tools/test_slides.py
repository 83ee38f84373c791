"""The slides: marks read from a page's source, slides read from a built page, decks written
offline, and the lecture tracks computed from the marks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nnbook.book.tools import slides
from nnbook.book.tools.slides import (Deck, Section, build_decks, lecture_track, page_slides,
                                section_minutes, slide_numbers, source_sections)

PAGE = """---
kernelspec:
  name: python3
---

(p)=
# A `page` title

:::{admonition} What you will learn
:class: tip
- one thing
:::

## First section

Some words here.

:::{div} slide
A marked sentence, with $x$ math.
:::

```{code-cell} ipython3
:tags: [hide-input, slide]

figure()
```

```{code-cell} ipython3
:tags: [remove-cell]

glue("x", 1)  # a slide tag in a comment: [slide]
```

## Second section

````{solution} ex
:class: dropdown

```{code-cell} ipython3
not a cell: inside a solution
```

~~~python
a code block in the solution, with its language
~~~
````

```{code-cell} ipython3
---
mystnb:
  image:
    alt: "x"
tags: [slide-code]
---
print(1)
```

```{code-cell} ipython3
:tags: [slide]

MultipleChoice("q", ["a", "b"], "a", "because")
```

## Exercises

```{exercise} Do a thing
:label: ex

Text.
```

```{exercise}
:label: ex2

Find weights and a bias for a two-input perceptron that computes AND.
```
"""


def write(tmp_path: Path, text: str = PAGE, name: str = "page") -> Path:
    path = tmp_path / "book" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_source_sections_count_every_kind_of_mark_and_nothing_else(tmp_path):
    sections = {s.title: s for s in source_sections(write(tmp_path))}
    assert list(sections) == ["A page title", "First section", "Second section", "Exercises"]
    assert sections["First section"].slides == 2  # the div and the tagged cell, not the comment
    assert sections["First section"].interactive == 0
    assert sections["Second section"].slides == 2  # slide-code in a YAML block, and a question
    assert sections["Second section"].interactive == 1
    assert sections["Exercises"].slides == 0
    assert sections["Exercises"].exercises == [
        "Do a thing", "Find weights and a bias for a two-input..."]
    assert sections["First section"].words == len("Some words here. A marked sentence, with "
                                                   "x math.".split())
    assert sections["First section"].anchor == "first-section"


def test_minutes_grow_with_slides_questions_and_prose():
    base = Section("p", "s", slides=2, interactive=0, words=0)
    assert section_minutes(base) == 2 * slides.MINUTES_PER_SLIDE
    assert section_minutes(Section("p", "s", slides=2, interactive=1)) > section_minutes(base)
    longer = Section("p", "s", slides=2, words=slides.SPOKEN_WORDS_PER_MINUTE * 3)
    assert section_minutes(longer) == pytest.approx(section_minutes(base) + 3)


def test_a_track_fits_its_minutes_keeps_the_book_order_and_keeps_questions(tmp_path, monkeypatch):
    parts = []
    for i in range(8):
        parts.append(f"## S{i}\n\n" + "word " * (100 * i) + "\n\n:::{div} slide\nx\n:::\n")
    parts.append("## Q\n\n```{code-cell} ipython3\n:tags: [slide]\n\n"
                 "MultipleChoice('q', ['a', 'b'], 'a', 'e')\n```\n")
    write(tmp_path, "# T\n\n" + "\n".join(parts), "one")
    deck = Deck("d", "D", ("one",))
    everything = lecture_track(deck, tmp_path, 10_000)
    assert [s.title for s in everything.sections] == [f"S{i}" for i in range(8)] + ["Q"]
    short = lecture_track(deck, tmp_path, 15)
    assert short.estimate <= 15 < everything.estimate
    titles = [s.title for s in short.sections]
    order = [s.title for s in everything.sections]
    assert "Q" in titles and titles == sorted(titles, key=order.index)
    assert "S7" not in titles  # the longest talk for one slide goes first
    # a "Going deeper" section goes before any section of the core path
    page = tmp_path / "book" / "one.md"
    page.write_text(page.read_text().replace("## S0", "## Going deeper: S0"))
    dropped = {s.title for s in lecture_track(deck, tmp_path, 10_000).sections} - {
        s.title for s in lecture_track(deck, tmp_path, 24).sections}
    assert dropped == {"Going deeper: S0"}


def test_a_track_never_drops_what_its_page_keeps_and_asks_nothing_it_did_not_teach(tmp_path):
    def section(name, words):
        return f"## {name}\n\n" + "word " * words + "\n\n:::{div} slide\nx\n:::\n"

    quiz = ("## Self-check\n\n```{code-cell} ipython3\n:tags: [slide]\n\n"
            "MultipleChoice('q', ['a', 'b'], 'a', 'e')\n```\n")
    front = "---\nnnbook:\n  keep_in_lecture: [Core]\n---\n"
    write(tmp_path, front + "# One\n\n" + section("Core", 900) + section("Extra", 100) + quiz,
          "one")
    write(tmp_path, "# Two\n\n" + section("Short", 10) + quiz, "two")
    deck = Deck("d", "D", ("one", "two"))
    everything = lecture_track(deck, tmp_path, 10_000)
    kept = {(s.page, s.title) for s in lecture_track(deck, tmp_path, 12).sections}
    # "Core" costs more than anything else per slide, but its page keeps it; dropping "Extra"
    # takes page one's self-check with it (it tests "Extra" too); page two keeps its own.
    assert ("one", "Core") in kept and ("one", "Extra") not in kept
    assert ("one", "Self-check") not in kept and ("two", "Self-check") in kept
    assert len(everything.sections) == 5
    tight = lecture_track(deck, tmp_path, 1)
    assert not tight.fits and {(s.page, s.title) for s in tight.sections} == {("one", "Core")}
    assert tight.as_deck().pages == ("one",) and tight.as_deck().name == "d-1"


def test_a_section_no_lecture_drops_must_be_a_section_of_the_page(tmp_path):
    from nnbook.book.page_source import PageSourceError

    front = "---\nkernelspec:\n  name: python3\nnnbook:\n  keep_in_lecture: {}\n---\n"
    write(tmp_path, PAGE.replace("---\nkernelspec:\n  name: python3\n---\n",
                                 front.format("[First section]")))
    assert slides.never_dropped(tmp_path, "page") == {"First section"}
    write(tmp_path, PAGE.replace("---\nkernelspec:\n  name: python3\n---\n",
                                 front.format("[First sektion]")))
    with pytest.raises(PageSourceError, match=r"First sektion.*not sections of the page"):
        slides.never_dropped(tmp_path, "page")
    write(tmp_path, PAGE.replace("---\nkernelspec:\n  name: python3\n---\n",
                                 front.format("First section")))
    with pytest.raises(PageSourceError, match="must be a list of section titles"):
        slides.never_dropped(tmp_path, "page")


def test_slide_numbers_follow_the_deck(tmp_path):
    write(tmp_path, "# One\n\n## A\n\n:::{div} slide\nx\n:::\n\n:::{div} slide\ny\n:::\n"
                    "\n## B\n\n:::{div} slide\nz\n:::\n", "one")
    write(tmp_path, "# Two\n\n## C\n\n:::{div} slide\nw\n:::\n", "two")
    full = Deck("d", "D", ("one", "two"))
    # 1: the deck's title; 2: page one's title; 3-4: A; 5: B; 6: page two's title; 7: C
    assert slide_numbers(full, tmp_path) == {("one", "A"): [3, 4], ("one", "B"): [5],
                                             ("two", "C"): [7]}
    track = Deck("t", "T", ("one", "two"), (("one", "B"), ("two", "C")))
    assert slide_numbers(track, tmp_path) == {("one", "B"): [3], ("two", "C"): [5]}



def test_a_title_the_site_curls_is_the_sections_title_in_a_track():
    """Sphinx prints the source's "book's" as "book\u2019s"; a track keeps the slide either way."""
    from nnbook.book.tools.slides import _plain

    assert _plain("Moving tensors to the book\u2019s device") == "Moving tensors to the book's device"
    assert _plain("The `C` of \u201cscikit-learn\u201d") == 'The C of "scikit-learn"'


def test_speaker_notes_are_a_few_lines_of_what_to_say():
    from nnbook.book.tools.slides import speaker_notes

    prose = ("Backpropagation computes every derivative in one sweep [ Rumelhart et al. , 1986 ]. "
             "The figure below shows the sweep. The lecture's slide had a slip. "
             + "Each layer passes its error back to the one before it. " * 10)
    notes = speaker_notes(prose)
    assert notes.startswith("Backpropagation computes every derivative in one sweep. Each layer")
    assert "Rumelhart" not in notes and "below" not in notes and "lecture" not in notes
    assert 20 <= len(notes.split()) <= 60 and notes.endswith(".")  # whole sentences
    assert speaker_notes("As shown below, x.") == "As shown below, x."  # nothing else to say
    assert speaker_notes("") == ""

SITE_PAGE = """<html><head><script>window.MathJax = {"options": {"x": 1}}</script></head><body>
<article class="bd-article"><section id="a-page">
<h1>A page<a class="headerlink" href="#a-page">#</a></h1>
<div class="tip admonition"><p class="admonition-title">What you will learn</p>
<ul><li><p>one thing</p></li></ul></div>
<p>The page's introduction.</p>
<section id="first-section"><h2>First section<a class="headerlink" href="#first-section">#</a></h2>
<p>Before the first slide, see <a class="reference internal" href="other.html#x">the other page</a>.</p>
<div class="slide docutils container"><p>A marked sentence <span class="math">\\(x\\)</span>.</p></div>
<p>Between the slides.</p>
<p>The code that draws it is this:</p>
<div class="cell tag_hide-input tag_slide docutils container">
<div class="cell_input docutils container"><pre>figure()</pre></div>
<div class="cell_output docutils container"><img alt="a plot" src="../_images/plot.png"></div>
</div>
<p>After the last slide.</p>
<div class="cell docutils container"><div class="cell_output docutils container">
<img alt="not on a slide" src="../_images/other.png"></div></div>
</section>
<section id="second"><h2>Second</h2>
<p>Try it.</p>
<div class="cell tag_remove-input tag_slide docutils container">
<div class="cell_output docutils container"><div class="output text_html">
<div class="nnbook-quiz"><p class="nnbook-quiz-question">Which?</p>
<button class="nnbook-quiz-option" data-correct="false" data-feedback="no">b</button>
<button class="nnbook-quiz-option" data-correct="true" data-feedback="Because.">a</button>
</div></div></div></div>
<div class="cell tag_slide-code docutils container">
<div class="cell_input docutils container"><pre>print(1)</pre></div>
<div class="cell_output docutils container"><div class="nnbook-plotly" id="plotly-1" style="width:100%;min-height:900px"></div>
<script type="application/json" class="nnbook-plotly-data" data-target="plotly-1">{"data": [], "layout": {"height": 900, "width": 1200}}</script>
<div class="nnbook-widget" data-widget="digit-pad"></div></div></div>
</section></section></article></body></html>
"""


def test_page_slides_take_the_marks_in_order_with_the_prose_around_them_as_notes():
    deck = page_slides(SITE_PAGE)
    assert [s.kind for s in deck] == ["title", "content", "content", "question", "widget"]
    title, sentence, figure, question, code = deck
    assert title.title == "A page" and "one thing" in title.body
    assert title.notes == "The page's introduction."
    no_intro = page_slides(SITE_PAGE.replace("<p>The page's introduction.</p>", ""))
    assert no_intro[0].notes == "What you will learn one thing"  # else what it will teach
    assert sentence.title == "First section" and "A marked sentence" in sentence.body
    assert "Before the first slide" in sentence.notes and "Between" not in sentence.notes
    assert "is this" not in "".join(s.notes for s in deck)  # what introduced omitted code
    assert "plot.png" in figure.body and "figure()" not in figure.body  # output only
    assert figure.notes == "Between the slides. After the last slide."
    assert "not on a slide" not in "".join(s.body for s in deck)
    # a slide with no text before it tells the text after it
    first = page_slides(re.sub(r"<p>Before the first slide.*?</p>", "", SITE_PAGE))
    assert (first[1].notes, first[2].notes) == ("Between the slides.", "After the last slide.")
    # the speaker's notes hold the computed answer
    assert question.title == "Second" and question.notes == "Try it. Answer: a. Because."
    assert "print(1)" in code.body and "nnbook-plotly" in code.body  # slide-code: code too


def test_notes_a_page_writes_for_a_slide_take_the_place_of_its_prose(tmp_path):
    # "% notes:" after a mark: that slide's notes (a comment: on no page, in no notebook)
    page = write(tmp_path, PAGE.replace(
        "A marked sentence, with $x$ math.\n:::",
        "A marked sentence, with $x$ math.\n% notes: Ask the class first.\n"
        "% notes: Two\n% minutes.\n\n% not notes\n:::").replace(
        'MultipleChoice("q", ["a", "b"], "a", "because")\n```',
        'MultipleChoice("q", ["a", "b"], "a", "because")\n```\n\n% notes: Wait for hands.'))
    written = slides.written_notes(page)
    assert written == ["Ask the class first. Two minutes.", None, None, "Wait for hands."]
    deck = page_slides(SITE_PAGE, [written[0], None, written[3], None])
    assert deck[1].notes == "Ask the class first. Two minutes."
    assert deck[2].notes == "Between the slides. After the last slide."  # the prose still
    assert deck[3].notes == "Wait for hands. Answer: a. Because."  # and the computed answer
    with pytest.raises(slides.SlideNotesError, match="marks 3 slides and its built page 4"):
        page_slides(SITE_PAGE, written[:3])


def test_notes_before_any_slide_are_refused_with_their_line(tmp_path):
    page = write(tmp_path, PAGE.replace("Some words here.", "% notes: for nothing\nSome words."))
    with pytest.raises(slides.SlideNotesError, match=r"page\.md, line \d+: '% notes:' comes "
                                                     "before any slide mark"):
        slides.written_notes(page)


def test_a_question_reveals_its_computed_answer_on_the_next_key_press():
    question = page_slides(SITE_PAGE)[3]
    html = slides._slide_html(question)
    assert '<p class="fragment deck-answer"><strong>Answer:</strong> a. Because.</p>' in html


def fake_reveal(tmp_path: Path) -> Path:
    reveal = tmp_path / "reveal.js"
    for name in ("dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
                 "dist/theme/black.css", "plugin/notes/notes.js"):
        (reveal / name).parent.mkdir(parents=True, exist_ok=True)
        (reveal / name).write_text("/* */")
    return reveal


def fake_site(tmp_path: Path) -> Path:
    site = tmp_path / "html"
    (site / "book").mkdir(parents=True)
    (site / "book" / "page.html").write_text(SITE_PAGE)
    (site / "_images").mkdir()
    (site / "_images" / "plot.png").write_bytes(b"png")
    (site / "_images" / "other.png").write_bytes(b"other")
    for name in ("plotly.min.js", "nnbook.js", "nnbook.css", "pygments.css", "widgets/nnlib.js",
                 "widgets/digit_pad.js", "widgets/widgets.css", "mathjax/tex-chtml.js",
                 "fonts/open-sans/400.css", "fonts/open-sans/files/latin.woff2"):
        (site / "_static" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "_static" / name).write_text("/* */")
    return site


def test_a_deck_is_written_with_everything_it_loads_beside_it(tmp_path):
    site, out = fake_site(tmp_path), tmp_path / "slides"
    deck = Deck("d", "The deck", ("page", "page"))
    counts = build_decks(site, out, tmp_path, fake_reveal(tmp_path), decks=[deck])
    assert counts == {"d": 1 + 2 * 5}  # the deck's title slide, then the page twice
    html = (out / "d.html").read_text()
    assert html.count('<section class="deck-') == 11
    # every slide with prose around it, and the deck's title slide with its chapters
    assert html.count('<aside class="notes">') == 9
    assert "The chapters of this lecture: A page; A page." in html
    assert '{"options": {"x": 1}}' in html  # the site's MathJax configuration
    assert 'src="_images/plot.png"' in html and (out / "_images" / "plot.png").read_bytes() == b"png"
    assert not (out / "_images" / "other.png").exists()  # only what the slides show
    assert "other.html" not in html and "the other page" in html  # a link to a page unwrapped
    # a figure is no taller than a slide has room for, and takes the slide's width
    data = re.search(r'<script[^>]*data-target="plotly-1"[^>]*>(.*?)</script>', html).group(1)
    fig = json.loads(data)
    assert fig["layout"]["height"] == slides.MAX_FIGURE_HEIGHT and "width" not in fig["layout"]
    loaded = [part.split('"')[0] for part in html.split('src="')[1:]]
    loaded += [part.split('"')[0] for part in html.split('rel="stylesheet" href="')[1:]]
    missing = [path for path in loaded if not (out / path).is_file()]
    assert not missing, missing
    assert "digit_pad.js" in html and "nnlib.js" in html
    # the figures' font, as on the site: its style sheet linked, the files it names beside it
    assert 'href="_static/fonts/open-sans/400.css"' in html
    assert (out / "_static" / "fonts" / "open-sans" / "files" / "latin.woff2").is_file()
    assert html.index("nnlib.js") < html.index("digit_pad.js")  # widgets register with nnlib
    # and nnbook.js reads the theme from it: deferred scripts run in the order they are listed
    assert html.index('src="_static/widgets/nnlib.js"') < html.index('src="_static/nnbook.js"')
    assert "d.html" in (out / "index.html").read_text()


def test_a_slide_that_would_load_from_another_host_stops_the_build(tmp_path):
    site = fake_site(tmp_path)
    page = site / "book" / "page.html"
    page.write_text(page.read_text().replace("../_images/plot.png", "https://example.org/x.png"))
    with pytest.raises(ValueError, match="another host"):
        build_decks(site, tmp_path / "out", tmp_path, fake_reveal(tmp_path),
                    decks=[Deck("d", "D", ("page",))])


def test_the_book_marks_a_reasonable_number_of_slides_for_each_lecture():
    root = Path(__file__).resolve().parents[4]
    for deck in slides.lecture_decks(root):
        marked = sum(s.slides for s in slides.lecture_sections(deck, root))
        total = marked + len(deck.pages) + 1  # a title slide per page, and the deck's own
        # the whole lecture, core and more: its tracks are what fits 50 or 75 minutes
        assert 20 <= total <= 80, (deck.name, total)
        for minutes in slides.TRACK_LENGTHS:
            track = lecture_track(deck, root, minutes)
            assert track.sections and track.estimate <= minutes, (deck.name, minutes)


def test_printing_without_chromedriver_says_what_to_install(tmp_path, monkeypatch):
    pytest.importorskip("selenium")
    from nnbook.book.tools import slides

    monkeypatch.setattr(slides.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="chromedriver.*apt-get install chromium-driver"):
        slides.print_pdfs(tmp_path)


def test_the_sites_copy_of_the_slides_leaves_the_instructors_pdfs_out(tmp_path, monkeypatch):
    from nnbook.__main__ import slides as slides_command

    site = tmp_path / "html"
    site.mkdir()
    (site / "index.html").write_text("<html></html>")

    def printed(out, chromium):
        for folder in ("pdf", slides.INSTRUCTOR_PDFS):
            (out / folder).mkdir()
            (out / folder / "d.pdf").write_bytes(b"%PDF")
        return {out / folder / "d.pdf": 1 for folder in ("pdf", slides.INSTRUCTOR_PDFS)}

    monkeypatch.setattr(slides, "build_decks", lambda site, out, root: (
        out.mkdir(parents=True), (out / "d.html").write_text("deck"), {"d": 1})[-1])
    monkeypatch.setattr(slides, "print_pdfs", printed)
    monkeypatch.setenv("BROWSER_PATH", "chromium")
    out = tmp_path / "slides"
    assert slides_command(tmp_path, site, out, pdf=True) == 0
    assert (out / slides.INSTRUCTOR_PDFS / "d.pdf").is_file()  # made for the instructor
    assert (site / "slides" / "pdf" / "d.pdf").is_file()
    assert not (site / "slides" / slides.INSTRUCTOR_PDFS).exists()  # and not published
