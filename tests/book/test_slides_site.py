"""The slides, assembled from the built book as `make slides` does, in headless Chromium that can
reach no other host: every deck opens cleanly, every slide renders, the lecture decks have a
lecture's length, the keyboard reaches the end, a live widget and a question work on their slides,
the speaker notes are there, both themes draw the figures, in the site's font, and each PDF has a
page per slide."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from book_helpers import REPO
from nnbook.book.tools import slides
from nnbook.plotting import FIGURE_FONT
from test_reader_view import figure_fonts

pytestmark = [pytest.mark.book, pytest.mark.browser]

READY = """
const done = arguments[arguments.length - 1];
const deadline = Date.now() + 60000;
function ready() {
  return window.Reveal && Reveal.isReady()
    && [...document.querySelectorAll(".nnbook-plotly")].every(d => d.querySelector("svg.main-svg"))
    && [...document.querySelectorAll("[data-widget]")].every(w => w.dataset.widgetStarted)
    && window.MathJax && MathJax.startup && MathJax.startup.document;
}
(async () => {
  while (!ready()) {
    if (Date.now() > deadline) return done("timeout");
    await new Promise(r => setTimeout(r, 100));
  }
  await MathJax.startup.promise;
  done("ok");
})();
"""

FRAME = "return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))"


def deck_folder(built_book) -> Path:
    return built_book.out / "_build" / "slides"


@pytest.fixture(scope="module")
def decks(built_book):
    """The decks and their PDFs, written as `make slides` writes them: into _build/slides, and a
    copy without the instructor's PDFs into the built site's slides/."""
    out = deck_folder(built_book)
    shutil.rmtree(out, ignore_errors=True)
    counts = slides.build_decks(built_book.html, out, REPO)
    pages = slides.print_pdfs(out, shutil.which("chromium") or "chromium")
    shutil.rmtree(built_book.html / "slides", ignore_errors=True)
    shutil.copytree(out, built_book.html / "slides",
                    ignore=shutil.ignore_patterns(slides.INSTRUCTOR_PDFS))
    return counts, {path.stem: n for path, n in pages.items()}


def open_deck(browser, name: str, query: str = "") -> None:
    browser.get(f"slides/{name}.html{query}")
    assert browser.run_async(READY) == "ok", f"{name} did not finish drawing"


def test_every_deck_opens_offline_with_no_console_error(decks, browser):
    counts, _ = decks
    assert {d.name for d in slides.lecture_decks(REPO)} <= set(counts)
    assert len(counts) >= len(slides.lecture_decks(REPO)) + 10  # and a deck per chapter
    problems = {}
    for name in counts:
        open_deck(browser, name)
        errors, foreign = browser.console_errors(), browser.foreign_requests()
        if errors or foreign:
            problems[name] = (errors, foreign)
    assert not problems, problems


RENDERED = """
const problems = [];
document.querySelectorAll(".reveal .slides > section").forEach((slide, i) => {
  slide.querySelectorAll(".nnbook-plotly").forEach(d => {
    if (!d.querySelector("svg.main-svg")) problems.push([i, "figure not drawn"]);
  });
  slide.querySelectorAll("img").forEach(img => {
    if (!img.complete || img.naturalWidth === 0) problems.push([i, "image " + img.src]);
  });
  slide.querySelectorAll(".math").forEach(m => {
    if (!m.querySelector("mjx-container")) problems.push([i, "math " + m.textContent]);
  });
  if (!slide.querySelector(".deck-body") || slide.textContent.trim().length === 0)
    problems.push([i, "empty"]);
});
return problems;
"""


def test_every_slide_renders_its_figures_math_and_images(decks, browser):
    counts, _ = decks
    problems = {}
    for name in counts:
        open_deck(browser, name)
        found = browser.run(RENDERED)
        if found:
            problems[name] = found
    assert not problems, problems


def test_the_lectures_figures_are_drawn_in_the_sites_font(decks, browser):
    # The print view lays out every slide at once, so that each figure's text can be measured.
    found = {}
    for deck in slides.lecture_decks(REPO):
        open_deck(browser, deck.name, "?print-pdf")
        found[deck.name] = figure_fonts(browser)
    assert all(report["glyphs"] > 500 for report in found.values()), found
    wrong = {name: report["fallback"] + report["named"] for name, report in found.items()
             if report["fallback"] or report["named"]}
    assert not wrong, f"figure text not drawn in the site's {FIGURE_FONT}: {wrong}"


def test_every_mark_in_a_pages_source_makes_one_slide(decks):
    """What the teaching page's times are computed from (the marks in the sources) is what the
    decks show: a mark on a cell that shows nothing would make a slide nobody sees."""
    counts, _ = decks
    for deck in slides.chapter_decks(REPO):
        marked = sum(s.slides for s in slides.source_sections(REPO / "book" / f"{deck.name}.md"))
        assert counts[deck.name] == 1 + marked, deck.name


def test_each_lecture_deck_has_a_lectures_number_of_slides(decks, browser):
    counts, _ = decks
    for deck in slides.lecture_decks(REPO):
        open_deck(browser, deck.name)
        total = browser.run("return Reveal.getTotalSlides()")
        assert total == counts[deck.name]
        # the whole lecture, core and more: its tracks are what fits 50 or 75 minutes
        assert 20 <= total <= 80, (deck.name, total)


def test_the_keyboard_reaches_the_last_slide(decks, browser):
    from selenium.webdriver.common.keys import Keys

    name = slides.lecture_decks(REPO)[0].name
    open_deck(browser, name)
    body = browser.driver.find_element("css selector", "body")
    total = browser.run("return Reveal.getTotalSlides()")
    for _ in range(3 * total):  # a question's answer is one more press
        if browser.run("return Reveal.isLastSlide() && !Reveal.availableFragments().next"):
            break
        body.send_keys(Keys.ARROW_RIGHT)
    assert browser.run("return Reveal.getIndices().h") == total - 1
    assert browser.run("return Reveal.isLastSlide()")


def test_the_digit_pad_works_on_its_slide(decks, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    open_deck(browser, "mnist_mynet")
    index = browser.run("""return [...document.querySelectorAll('.reveal .slides > section')]
                           .findIndex(s => s.querySelector('[data-widget="digit-pad"]'))""")
    assert index >= 0, "no slide holds the digit pad"
    browser.run(f"Reveal.slide({index})")
    browser.run(FRAME)
    root = browser.driver.find_element("css selector", '[data-widget="digit-pad"]')
    output = root.find_element("css selector", "[data-widget-output]")
    before = output.text
    pad = root.find_element("css selector", "canvas[role=application]")
    (ActionChains(browser.driver).move_to_element_with_offset(pad, 0, -60).click_and_hold()
     .move_by_offset(3, 30).move_by_offset(3, 30).move_by_offset(3, 30).move_by_offset(3, 30)
     .release().perform())
    browser.run(FRAME)
    assert output.text != before and output.text.startswith("MyNet reads "), output.text
    # the arrows move the pad's cursor, and the deck stays on the pad's slide
    from selenium.webdriver.common.keys import Keys

    pad.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_DOWN, Keys.ESCAPE)
    browser.run(FRAME)
    assert browser.run("return Reveal.getIndices().h") == index
    assert not browser.run("return Reveal.isOverview()")
    assert not browser.console_errors()


def test_a_question_reveals_its_computed_answer_and_marks_a_choice(decks, browser):
    from selenium.webdriver.common.keys import Keys

    name = slides.lecture_decks(REPO)[0].name
    open_deck(browser, name)
    index = browser.run("""return [...document.querySelectorAll('.reveal .slides > section')]
                           .findIndex(s => s.dataset.kind === 'question')""")
    assert index >= 0, "the lecture has no question slide"
    browser.run(f"Reveal.slide({index})")
    answer = browser.driver.find_element(
        "css selector", ".reveal .slides > section.present .deck-answer")
    assert not answer.is_displayed() or "visible" not in answer.get_attribute("class")
    browser.driver.find_element("css selector", "body").send_keys(Keys.ARROW_RIGHT)
    browser.run(FRAME)
    assert "visible" in answer.get_attribute("class") and answer.text.startswith("Answer:")
    right = browser.driver.find_element(
        "css selector", '.reveal .slides > section.present [data-correct="true"]')
    right.click()
    feedback = browser.driver.find_element(
        "css selector", ".reveal .slides > section.present .nnbook-quiz-feedback")
    assert feedback.text.startswith("Correct.")


def test_every_deck_has_speaker_notes(decks, browser):
    counts, _ = decks
    for name in counts:
        open_deck(browser, name)
        notes = browser.run("""return [...document.querySelectorAll('.reveal .slides > section')]
                               .map(s => Reveal.getSlideNotes(s) || '')""")
        with_notes = [n for n in notes if len(n.split()) >= 5]
        assert len(with_notes) >= len(notes) / 2, (name, notes)


def test_the_notes_a_page_writes_are_the_speakers_in_each_lecture_deck(decks, built_book):
    # "% notes:" in a page's source is its slide's notes in the deck, and on no page of the site.
    from bs4 import BeautifulSoup

    for deck in slides.lecture_decks(REPO):
        html = (deck_folder(built_book) / f"{deck.name}.html").read_text()
        asides = [" ".join(a.get_text(" ").split())
                  for a in BeautifulSoup(html, "html.parser").select("aside.notes")]
        for page in deck.pages:
            written = [n for n in slides.written_notes(REPO / "book" / f"{page}.md") if n]
            site = (built_book.html / "book" / f"{page}.html").read_text()
            for notes in written:
                assert any(a.startswith(notes) for a in asides), (deck.name, notes)
                assert notes[:40] not in site, (page, notes)


def test_the_figures_follow_the_decks_theme(decks, browser):
    name = slides.lecture_decks(REPO)[0].name
    open_deck(browser, name, "?theme=light")
    colour = "return document.querySelector('.nnbook-plotly')._fullLayout.font.color"
    light = browser.run(colour)
    browser.driver.find_element("css selector", "body").send_keys("t")
    browser.run(FRAME)
    assert browser.run("return document.documentElement.dataset.theme") == "dark"
    assert browser.run("return document.getElementById('deck-theme').href").endswith("black.css")
    dark = browser.run(colour)
    assert light != dark
    assert not browser.console_errors()


def test_each_pdf_has_one_page_per_slide(decks, built_book):
    counts, laid_out = decks
    pdfinfo = shutil.which("pdfinfo")
    assert pdfinfo, "pdfinfo (poppler-utils) is needed to read the PDFs back"
    for name, count in counts.items():
        for folder in ("pdf", slides.INSTRUCTOR_PDFS):
            pdf = deck_folder(built_book) / folder / f"{name}.pdf"
            info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True,
                                  check=True)
            pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
            assert pages == count == laid_out[name], (folder, name, pages, count, laid_out[name])


def test_the_students_pdf_asks_and_only_the_instructors_answers(decks, built_book):
    for deck in slides.lecture_decks(REPO):
        text = {folder: subprocess.run(
            ["pdftotext", str(deck_folder(built_book) / folder / f"{deck.name}.pdf"), "-"],
            capture_output=True, text=True, check=True).stdout
            for folder in ("pdf", slides.INSTRUCTOR_PDFS)}
        assert "Self-check" in text["pdf"], deck.name  # the questions are there
        assert "Answer:" not in text["pdf"], deck.name
        assert text[slides.INSTRUCTOR_PDFS].count("Answer:") >= 3, deck.name


def test_each_track_is_a_deck_of_its_own_numbered_as_the_teaching_page_says(decks):
    counts, _ = decks
    tracks = slides.track_decks(REPO)
    assert {d.name for d in tracks} == {f"{lecture.name}-{m}" for lecture in
                                        slides.lecture_decks(REPO) for m in slides.TRACK_LENGTHS}
    for deck in tracks:
        numbers = slides.slide_numbers(deck, REPO)
        assert counts[deck.name] == max(n for found in numbers.values() for n in found), deck


# What each lecture teaches, and a piece of text that shows it on one of the deck's slides (as
# the deck holds it: code as typed, equations in their TeX source, before MathJax typesets them,
# a figure by the words a screen reader reads).
CORE = {
    "lecture-1": {
        "the logistic model": "scores each point with a weighted sum",
        "the network written as equations": r"A_1 = \sigma(W X + b_1)",
        "the autograd graph": ".next_functions",
        "the derivative by hand": r"\frac{dz}{d\theta}",
        "the training loop and its optimizer step": "optimizer.step()",
        "train()": "def train(",
        "test()": "def test(",
        "the FashionCNN class": "class FashionCNN(nn.Module):",
    },
    "lecture-2": {
        "the sigmoid neuron": r"\sigma(w \cdot x + b)",
        "the NAND question": "What does this perceptron output",
        "inputs as features, outputs as classes": "the number of output neurons is the number of classes",
        "the universal approximation theorem": "universal approximation theorem",
        "its caveats": "does not say",
        "the chain rule": r"\frac{\partial L}{\partial a^N}",
        "the four backpropagation equations": r"\delta^l_j",
        "depth against width": "Same budget: deep and exact",  # the figure's title
        "weight sharing": "weight sharing",
        "the output size of a convolution": r"\frac{n + 2p - k}{s}",
        "the classic-versus-CNN question": "Which has more parameters",
        "modules against functional code": "def tiny_net_functional(",
        "the MyNet class": "class MyNet(nn.Module):",
        "MNIST loading with ToTensor": "transform=ToTensor()",
        "the cross-entropy": r"-x_c + \log \sum_j e^{x_j}",
        "backward() and the optimizer step": "optimizer.step()",
        "the MNIST training loop": "loss.backward()",
        "the autoencoder's architecture": "self.encoder = nn.Sequential(",
        "the GAN game": r"\min_G \max_D V(D, G)",
        "the GAN's training step": "opt_g.step()",
    },
}


def test_the_core_of_each_lecture_is_on_a_slide(decks, built_book):
    from bs4 import BeautifulSoup

    missing = {}
    for name, topics in CORE.items():
        page = BeautifulSoup((built_book.html / "slides" / f"{name}.html").read_text(),
                             "html.parser")
        for notes in page.select(".reveal .slides > section aside.notes"):
            notes.decompose()  # on the slide itself, not only in the speaker's notes
        slides_text = [" ".join((s.get_text("", strip=False) + " " + " ".join(
                           tag["aria-label"] for tag in s.select("[aria-label]"))).split())
                       for s in page.select(".reveal .slides > section")]
        for topic, text in topics.items():
            if not any(" ".join(text.split()) in s for s in slides_text):
                missing.setdefault(name, []).append(topic)
    assert not missing, missing


def test_a_dark_deck_keeps_every_images_pixels(decks, browser):
    """The cameraman stays a photograph and MNIST's digits stay white on black."""
    filtered = {}
    for deck in slides.lecture_decks(REPO):
        open_deck(browser, deck.name, "?theme=dark")
        assert browser.run("return document.documentElement.dataset.theme") == "dark"
        found = browser.run("""return [...document.querySelectorAll('.reveal .deck-body img')]
            .map(i => [i.getAttribute('alt') || i.src.split('/').pop(), getComputedStyle(i).filter])
            .filter(([, f]) => f && f !== 'none')""")
        images = browser.run("return document.querySelectorAll('.reveal .deck-body img').length")
        assert images, f"{deck.name} has no image to look at"
        if found:
            filtered[deck.name] = found
    assert not filtered, filtered
