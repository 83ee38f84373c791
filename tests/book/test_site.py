"""The built site: a strict build of the whole book, then every page checked in a browser that can
reach nothing but the local server (figures drawn, math typeset, no console errors, no requests to
other hosts, no serious accessibility violations), plus the site-wide features: self-check
questions, search, dark mode, provenance, the execution report, downloads and launch buttons.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from book_helpers import REPO, is_executed

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def soup(book, page: str) -> BeautifulSoup:
    return BeautifulSoup(book.page_path(page).read_text(encoding="utf-8"), "html.parser")


def article(doc: BeautifulSoup):
    return doc.select_one("article.bd-article") or doc


def page_in_toc(book, page: str) -> None:
    if page not in book.pages:
        pytest.skip(f"{page} is not in the table of contents yet")


# --- the strict build -----------------------------------------------------------------------------

@pytest.mark.book
def test_strict_build_succeeds_and_every_page_has_html(book):
    assert book.returncode == 0, "strict build failed:\n" + book.log[-6000:]
    missing = [page for page in book.pages if not book.page_path(page).is_file()]
    assert not missing, f"pages in the table of contents without HTML: {missing}"


# --- every page in the browser --------------------------------------------------------------------

WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const deadline = Date.now() + 45000;
function figuresDrawn() {
  return [...document.querySelectorAll(".nnbook-plotly")].every(d => d.querySelector("svg.main-svg"));
}
async function settle() {
  while (document.readyState !== "complete" || !figuresDrawn()) {
    if (Date.now() > deadline) return done("timeout");
    await new Promise(r => setTimeout(r, 100));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  done("ok");
}
settle();
"""

PAGE_FACTS = """
return {
  plotly: document.querySelectorAll(".nnbook-plotly").length,
  drawn: [...document.querySelectorAll(".nnbook-plotly")].filter(d => d.querySelector("svg.main-svg")).length,
  math: document.querySelectorAll("article .math").length,
  typeset: document.querySelectorAll("article mjx-container").length,
  rawMath: [...document.querySelectorAll("article .math")].filter(m => !m.querySelector("mjx-container")).length,
  brokenImages: [...document.querySelectorAll("article img")].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
  figureText: [...document.querySelectorAll(".nnbook-plotly svg text")].map(t => t.textContent),
};
"""

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))),
  e => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
"""


@pytest.fixture(scope="session")
def page_reports(built_book, browser):
    """Every page of the book loaded once in the browser, with what each check needs."""
    axe_source = AXE.read_text(encoding="utf-8")
    reports = {}
    for page in built_book.pages:
        browser.get(f"{page}.html")
        state = browser.run_async(WAIT_FOR_PAGE)
        facts = browser.run(PAGE_FACTS)
        errors, foreign = browser.console_errors(), browser.foreign_requests()
        # Last: axe fetches the page's stylesheets itself, resolving @import against the page.
        browser.run(axe_source)
        violations = browser.run_async(RUN_AXE)
        reports[page] = {"state": state, **facts, "violations": violations,
                         "errors": errors, "foreign": foreign}
    return reports


@pytest.mark.book
@pytest.mark.browser
def test_plotly_figures_are_drawn_offline(page_reports):
    bad = {p: f"{r['drawn']}/{r['plotly']} drawn ({r['state']})"
           for p, r in page_reports.items() if r["drawn"] != r["plotly"] or r["state"] != "ok"}
    assert not bad, bad
    assert sum(r["plotly"] for r in page_reports.values()) > 0, "no page has a plotly figure"


@pytest.mark.book
@pytest.mark.browser
def test_math_is_typeset_by_the_local_mathjax(page_reports):
    bad = {p: r for p, r in page_reports.items() if r["math"] and (not r["typeset"] or r["rawMath"])}
    assert not bad, {p: f"{r['rawMath']} of {r['math']} math elements not typeset" for p, r in bad.items()}
    assert sum(r["typeset"] for r in page_reports.values()) > 0, "no page has typeset math"


@pytest.mark.book
@pytest.mark.browser
def test_no_console_errors_and_no_broken_images(page_reports):
    errors = {p: r["errors"] for p, r in page_reports.items() if r["errors"]}
    assert not errors, json.dumps(errors, indent=1)
    broken = {p: r["brokenImages"] for p, r in page_reports.items() if r["brokenImages"]}
    assert not broken, broken


@pytest.mark.book
@pytest.mark.browser
def test_no_page_requests_another_host(page_reports):
    foreign = {p: r["foreign"] for p, r in page_reports.items() if r["foreign"]}
    assert not foreign, foreign


@pytest.mark.book
@pytest.mark.browser
def test_no_serious_accessibility_violations(page_reports):
    serious = {p: [v for v in r["violations"] if v["impact"] in BLOCKING]
               for p, r in page_reports.items()}
    serious = {p: v for p, v in serious.items() if v}
    assert not serious, json.dumps(serious, indent=1)


# --- accessibility in the HTML itself -------------------------------------------------------------

@pytest.mark.book
def test_every_figure_says_what_it_shows_in_alt_text_or_a_caption(built_book):
    missing = {}
    for page in built_book.pages:
        body = article(soup(built_book, page))
        for img in body.select("img"):
            figure = img.find_parent("figure")
            alt = (img.get("alt") or "").strip()
            # A file's name is what a screen reader says when a page gives no alt text.
            says_something = (len(alt.split()) >= 3 and alt != img.get("src")
                              and not re.search(r"\.(png|jpe?g|svg|gif)$", alt, re.I))
            if not says_something and not (figure and figure.find("figcaption")):
                missing.setdefault(page, []).append((img.get("src"), alt))
        for div in body.select(".nnbook-plotly"):
            if not (div.get("aria-label") or "").strip() or div.get("role") != "img":
                missing.setdefault(page, []).append(div.get("id"))
    assert not missing, missing


@pytest.mark.book
def test_headings_are_in_order(built_book):
    """One h1 per page, and no heading skips a level on the way down."""
    problems = {}
    for page in built_book.pages:
        levels = [int(h.name[1]) for h in article(soup(built_book, page)).find_all(re.compile("^h[1-6]$"))]
        if levels.count(1) != 1 or levels[0] != 1:
            problems[page] = f"h1 count {levels.count(1)}, first heading h{levels[0] if levels else '-'}"
        skips = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
        if skips:
            problems[page] = f"heading levels skip: {skips}"
    assert not problems, problems


# --- numbers as a person writes them --------------------------------------------------------------
#
# A page shows 0.001 or 10⁻³, never 1e-03 (nnbook.book.kernel.glue.readable writes them). The rule is about
# what the book prints and says, not about code: a reader types `lr=1e-3` in Python, so source code
# is left out (code cells' inputs, listings outside a cell's output, inline code), and so are
# tracebacks shown on purpose, whose text PyTorch writes. Everything else counts: prose, solutions,
# printed output, tables, figures' titles and labels. Below 0.001 scientific notation is allowed
# (readable writes 5.6 × 10⁻¹⁷; a float64 table may show 5.55e-17).

E_NOTATION = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?[eE][-+]\d+\b")
NOT_PRINTED = (".cell_input", "code.literal", ".highlight-ipythontb", "script", "style",
               "div[class*='highlight-']")


def printed_text(body) -> str:
    """The text of a page's article as a reader sees it printed, without source code."""
    body = BeautifulSoup(str(body), "html.parser")
    for element in body.select(", ".join(NOT_PRINTED)):
        if element.name == "div" and element.find_parent(class_="cell_output") is not None \
                and "highlight-ipythontb" not in element.get("class", []):
            continue  # a cell's printed output is highlighted too: it counts
        element.decompose()
    return " ".join(body.get_text(" ").split())


def figure_strings(body) -> list[str]:
    """The words of every plotly figure (titles, axis titles, trace names, annotations, hover
    text), read from its JSON: strings only, never the data, and never its binary arrays."""
    strings: list[str] = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("bdata", "template"):
                    walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            strings.append(value)

    for script in body.select("script.nnbook-plotly-data"):
        walk(json.loads(script.get_text()))
    return strings


def machine_numbers(text: str) -> list[str]:
    """Numbers written in e-notation whose size is at least 0.001."""
    return [m.group() for m in E_NOTATION.finditer(text) if abs(float(m.group())) >= 1e-3]


def test_machine_numbers_are_told_from_code_and_small_numbers():
    assert machine_numbers("a rate of 1e-03, raised to 5e-3, then 2.5E+02") == [
        "1e-03", "5e-3", "2.5E+02"]
    assert machine_numbers("5.6e-17 and 4.4e-11 are below a thousandth; 0.001 and 10⁻³ are "
                           "fine") == []
    assert machine_numbers("commit 5e32419, file run-1e3") == []  # no sign: not e-notation
    page = BeautifulSoup(
        "<article><p>rate <code class='docutils literal'>lr=1e-3</code> of 1e-02</p>"
        "<div class='cell'><div class='cell_input'><div class='highlight-ipython3'>"
        "<pre>TrainConfig(lr=3e-3)</pre></div></div><div class='cell_output'>"
        "<div class='output stream highlight-myst-ansi'><pre>lr 3e-03</pre></div>"
        "<div class='output traceback highlight-ipythontb'><pre>tensor([1.0e+00])</pre></div>"
        "</div></div><div class='highlight-default'><pre>h=1e-1</pre></div>"
        "<script class='nnbook-plotly-data' type='application/json'>"
        '{"data": [{"name": "lr 1e-01", "y": {"bdata": "5e+12", "dtype": "f8"}}],'
        ' "layout": {"title": {"text": "steps of 2e-2"}}}</script></article>', "html.parser")
    assert machine_numbers(printed_text(page)) == ["1e-02", "3e-03"]
    assert figure_strings(page) == ["lr 1e-01", "f8", "steps of 2e-2"]


@pytest.mark.book
def test_no_page_prints_a_number_of_a_thousandth_or_more_in_e_notation(built_book):
    found = {}
    for page in built_book.pages:
        body = article(soup(built_book, page))
        numbers = machine_numbers(printed_text(body))
        numbers += [f"{n} (figure)" for s in figure_strings(body) for n in machine_numbers(s)]
        if numbers:
            found[page] = numbers
    assert not found, f"write these with nnbook.notation.readable or glue(..., digits=2): {found}"


@pytest.mark.book
@pytest.mark.browser
def test_no_figure_draws_a_number_of_a_thousandth_or_more_in_e_notation(page_reports):
    """What plotly draws in the browser: tick labels too, which no JSON holds."""
    assert any(r["figureText"] for r in page_reports.values()), "no figure's text was read"
    found = {page: numbers for page, r in page_reports.items()
             if (numbers := [n for text in r["figureText"] for n in machine_numbers(text)])}
    assert not found, found


# --- self-check questions, torchviz, search, dark mode -------------------------------------------

@pytest.mark.book
@pytest.mark.browser
def test_quiz_marks_a_wrong_then_the_right_answer(built_book, browser):
    from selenium.webdriver.common.by import By

    page = next((p for p in built_book.pages
                 if article(soup(built_book, p)).select_one("div.nnbook-quiz")), None)
    assert page is not None, "no page has a self-check question"
    browser.get(f"{page}.html")
    quiz = browser.driver.find_element(By.CSS_SELECTOR, "div.nnbook-quiz")
    options = quiz.find_elements(By.CSS_SELECTOR, ".nnbook-quiz-option")
    wrong = next(o for o in options if o.get_attribute("data-correct") == "false")
    right = next(o for o in options if o.get_attribute("data-correct") == "true")
    feedback = quiz.find_element(By.CSS_SELECTOR, ".nnbook-quiz-feedback")

    wrong.click()
    assert "is-wrong" in feedback.get_attribute("class")
    assert feedback.text.strip() == wrong.get_attribute("data-feedback").strip()
    assert wrong.get_attribute("aria-pressed") == "true"

    right.click()
    assert "is-correct" in feedback.get_attribute("class")
    assert "is-wrong" not in feedback.get_attribute("class")
    assert feedback.text.startswith("Correct.")
    assert right.get_attribute("data-feedback").strip() in feedback.text
    assert wrong.get_attribute("aria-pressed") == "false"


@pytest.mark.book
@pytest.mark.browser
def test_torchviz_graphs_render_as_svg(built_book, browser):
    page_in_toc(built_book, "book/autodiff")
    browser.get("book/autodiff.html")
    images = browser.run("""
        return [...document.querySelectorAll("article .cell_output img")]
          .filter(i => i.src.endsWith(".svg"))
          .map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}));""")
    inline = browser.run("return document.querySelectorAll('article .cell_output svg g.node').length;")
    assert images or inline, "no SVG graph on the autodiff page"
    assert all(i["ok"] for i in images), images
    assert not browser.foreign_requests()


def search(browser, query: str) -> list[str]:
    browser.get(f"search.html?q={query}")
    return browser.run_async("""
        const done = arguments[arguments.length - 1];
        const deadline = Date.now() + 30000;
        (function poll() {
          const links = [...document.querySelectorAll("#search-results ul.search li a")];
          const finished = document.querySelector("#search-results p.search-summary");
          if ((finished && finished.textContent.trim()) || Date.now() > deadline)
            return done(links.map(a => a.getAttribute("href")));
          setTimeout(poll, 100);
        })();""")


@pytest.mark.book
@pytest.mark.browser
def test_search_works_offline(built_book, browser):
    hits = search(browser, "logistic")
    assert any(h.startswith("book/linear_decision.html") for h in hits), hits
    assert not browser.foreign_requests()


@pytest.mark.book
@pytest.mark.browser
def test_search_finds_the_backpropagation_page(built_book, browser):
    page_in_toc(built_book, "book/backprop")
    hits = search(browser, "backpropagation")
    assert any(h.startswith("book/backprop.html") for h in hits), hits


@pytest.mark.book
@pytest.mark.browser
def test_dark_mode_recolours_the_figures(built_book, browser):
    page = next((p for p in built_book.pages
                 if article(soup(built_book, p)).select_one(".nnbook-plotly")), None)
    assert page is not None
    browser.get(f"{page}.html")
    assert browser.run_async(WAIT_FOR_PAGE) == "ok"
    read = """
        const gd = document.querySelector(".nnbook-plotly");
        const img = document.querySelector("article .cell_output img");
        return {font: gd._fullLayout.font.color, grid: gd._fullLayout.xaxis.gridcolor,
                background: getComputedStyle(document.body).backgroundColor,
                filter: img ? getComputedStyle(img).filter : null};"""
    light = browser.run(read)
    # The theme's own switch: light -> dark -> auto, remembered in localStorage.
    browser.run("document.documentElement.dataset.mode = 'dark';"
                "document.documentElement.dataset.theme = 'dark';")
    time.sleep(0.5)
    dark = browser.run(read)
    assert dark["background"] != light["background"], "the page did not turn dark"
    assert dark["font"] != light["font"] and dark["grid"] != light["grid"], (light, dark)
    assert dark["font"].lower() in ("#ced6dd", "rgb(206, 214, 221)"), dark
    # Images keep their pixels: a photograph must not turn into its negative.
    assert dark["filter"] in (None, "none"), dark
    browser.run("document.documentElement.dataset.theme = 'light';")
    time.sleep(0.5)
    back = browser.run(read)
    assert back["font"].lower() in ("#2a3f5f", "rgb(42, 63, 95)"), back


# --- provenance and the execution report ----------------------------------------------------------

PROVENANCE = re.compile(r"Computed on (?P<device>.+?); precision (?P<precision>\w+)"
                        r"(?:; training (?:plan|runs in) (?P<plan>.+?))?; "
                        r"PyTorch (?P<torch>[\w.+]+); commit (?P<commit>[0-9a-f]{7,}|unknown).*?; "
                        r"executed (?P<when>\d{4}-\d\d-\d\d \d\d:\d\d UTC) in (?P<seconds>[\d.]+) s\.")


@pytest.mark.book
def test_every_executed_page_states_its_provenance(built_book):
    import torch

    executed = [p for p in built_book.pages if is_executed(p)]
    assert executed
    for page in built_book.pages:
        block = soup(built_book, page).select_one(".nnbook-provenance")
        if page not in executed:
            assert block is None, page
            continue
        assert block is not None, f"{page} has no provenance block"
        match = PROVENANCE.search(" ".join(block.get_text().split()))
        assert match, f"{page}: {block.get_text()!r}"
        assert match["torch"] == torch.__version__
        from nnbook.engine.device import describe

        assert match["device"] == describe().name, (page, match["device"])
        assert float(match["seconds"]) > 0
        assert "supported" not in block.get_text()  # no guess from a CPU flag
        if page == "book/fashion_cnn":  # a page that trains shows its run's measured plan
            assert match["plan"] and "thread" in match["plan"], match["plan"]


@pytest.mark.book
def test_execution_report_lists_every_executed_page(built_book):
    page_in_toc(built_book, "book/execution_report")
    doc = soup(built_book, "book/execution_report")
    table = doc.select_one("table.nnbook-exec-table")
    assert table is not None
    rows = {}
    for tr in table.select("tbody tr"):
        cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        href = tr.find("a")["href"].split("#")[0]
        rows[href] = cells
    executed = [p for p in built_book.pages if is_executed(p)]
    expected = {Path(p).name + ".html" for p in executed}
    assert {Path(h).name for h in rows} == expected
    for cells in rows.values():
        assert re.fullmatch(r"[\d.]+ s", cells[1]), cells
        assert cells[2] in ("this build", "cached"), cells
        assert cells[5] == "yes", cells
    assert "Pages were computed on" in doc.get_text()
    runs = doc.select("table.nnbook-runs-table tbody tr")
    for tr in runs:
        cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        assert cells[2] in ("trained", "loaded"), cells  # said in a word; explained above


# --- downloads and launch buttons -----------------------------------------------------------------

@pytest.mark.book
def test_each_page_downloads_as_notebook_and_source(built_book):
    for page in built_book.pages:
        doc = soup(built_book, page)
        links = {a.get("href", "").rsplit("/", 1)[-1] for a in doc.select(".dropdown-download-buttons a")}
        name = Path(page).name
        assert f"{name}.md" in links, (page, links)
        assert (built_book.html / "_sources" / f"{page}.md").is_file()
        if is_executed(page):
            assert f"{name}.ipynb" in links, (page, links)
            nb = nbformat.read(built_book.html / "_sources" / f"{page}.ipynb", as_version=4)
            sources = [c.source for c in nb.cells if c.cell_type == "code"]
            assert sources and not any(s.lstrip().startswith("# nnbook ") for s in sources), page


@pytest.mark.book
def test_launch_buttons_open_each_pages_notebook_in_the_repository(built_book):
    """Colab opens only .ipynb files, so every launch link must name the page's committed notebook
    (book/<page>.ipynb, generated from the page), in the repository and branch of _config.yml."""
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    tracked = set(subprocess.run(["git", "ls-files", "book"], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.split())
    executed = [p for p in built_book.pages if is_executed(p)]
    assert executed
    for page in executed:
        hrefs = [a.get("href", "") for a in soup(built_book, page).select("a")]
        colab = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{page}.ipynb"
        binder = f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=tree/{page}.ipynb"
        assert colab in hrefs, (page, colab)
        assert binder in hrefs, (page, binder)
        assert f"{page}.ipynb" in tracked, f"{page}.ipynb is not committed: the buttons would 404"
    for page in set(built_book.pages) - set(executed):  # nothing to run: no launch buttons
        assert not soup(built_book, page).select(".dropdown-launch-buttons"), page


@pytest.mark.book
def test_a_downloaded_notebook_runs_on_its_own(built_book, tmp_path):
    """The notebook a reader downloads runs in a fresh kernel anywhere nnbook is installed."""
    from nbclient import NotebookClient

    page = "book/linear_decision" if "book/linear_decision" in built_book.pages else next(
        p for p in built_book.pages if is_executed(p))
    source = built_book.html / "_sources" / f"{page}.ipynb"
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert any(o.get("data") for c in code for o in c.outputs), "the notebook produced nothing"


# --- exercises ------------------------------------------------------------------------------------

def chapters(book) -> list[str]:
    """The teaching chapters: executed pages other than the introduction."""
    return [p for p in book.pages[1:] if is_executed(p)]


@pytest.mark.book
def test_every_chapter_ends_with_exercises_and_hidden_solutions(built_book):
    problems = {}
    for page in chapters(built_book):
        body = article(soup(built_book, page))
        exercises = body.select("div.exercise")
        solutions = body.select("div.solution")
        if not exercises:
            problems[page] = "no exercise"
        elif not solutions or any("dropdown" not in s.get("class", []) for s in solutions):
            problems[page] = "solutions missing or not collapsed"
    assert not problems, problems


@pytest.mark.book
@pytest.mark.browser
def test_a_solution_opens_on_demand(built_book, browser):
    from selenium.webdriver.common.by import By

    page = next((p for p in chapters(built_book)
                 if article(soup(built_book, p)).select_one("div.solution.dropdown")), None)
    if page is None:
        pytest.skip("no chapter has a solution yet")
    browser.get(f"{page}.html")
    solution = browser.driver.find_element(By.CSS_SELECTOR, "div.solution.dropdown")
    body = solution.find_elements(By.CSS_SELECTOR, ":scope > :not(.admonition-title)")
    assert body and not any(el.is_displayed() for el in body), "the solution is open from the start"
    # The title holds a link back to the exercise: press the toggle button, not the title's middle.
    solution.find_element(By.CSS_SELECTOR, "button.toggle-button").click()
    time.sleep(0.5)
    assert any(el.is_displayed() for el in body), "the solution did not open"


# --- a textbook, not lecture notes ------------------------------------------------------------------

LECTURE_WORD = re.compile(r"\blectures?\b|\blecture's\b|\blectures'", re.I)


def _chapters() -> list[str]:
    from nnbook.book.page_source import page_facts

    return [f"book/{p.stem}" for p in sorted((REPO / "book").glob("*.md"))
            if "needs" in page_facts(p)]


def running_text(body) -> str:
    """What a chapter says in its own voice: the article, without margin notes, asides,
    admonitions titled "From the lectures", and the tabs that show the lectures' code."""
    body = BeautifulSoup(str(body), "html.parser")
    for note in body.select("aside, .margin, .sidebar"):
        note.decompose()
    for note in body.select(".admonition"):
        title = note.select_one(".admonition-title")
        if title and LECTURE_WORD.search(title.get_text()):
            note.decompose()
    for tabs in body.select(".sd-tab-set"):
        labels = tabs.select("label.sd-tab-label")
        contents = tabs.select(".sd-tab-content")
        for label, content in zip(labels, contents):
            if LECTURE_WORD.search(label.get_text()):
                label.decompose()
                content.decompose()
    for link in body.select("a.headerlink"):
        link.decompose()
    return body.get_text(" ")


def test_running_text_drops_margins_asides_and_lecture_tabs():
    html = """<article>
      <p>A network learns.</p>
      <aside class="margin sidebar"><p>From the lectures: the lecture did it by hand.</p></aside>
      <div class="admonition"><p class="admonition-title">From the lectures</p><p>lecture</p></div>
      <div class="sd-tab-set"><input/><label class="sd-tab-label">The lecture's code</label>
        <div class="sd-tab-content">lecture code</div>
        <label class="sd-tab-label">The book's code</label><div class="sd-tab-content">ours</div>
      </div>
      <div class="admonition note"><p class="admonition-title">Note</p><p>as the lecture said</p></div>
    </article>"""
    text = running_text(BeautifulSoup(html, "html.parser"))
    assert "A network learns." in text and "ours" in text
    assert LECTURE_WORD.findall(text) == ["lecture"]  # the note that is no aside is counted


@pytest.mark.book
def test_no_chapter_speaks_of_the_lecture_in_its_own_voice(built_book):
    chapters = _chapters()
    assert len(chapters) >= 15, chapters
    found = {}
    for page in chapters:
        text = " ".join(running_text(article(soup(built_book, page))).split())
        hits = [text[max(0, m.start() - 60):m.end() + 60] for m in LECTURE_WORD.finditer(text)]
        if hits:
            found[page] = hits
    assert not found, found
