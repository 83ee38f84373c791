"""The site as a student reads it, measured in Chromium: at 1280 px in light mode the visible text
holds no raw TeX and no MathJax error, no visible cell does the book's bookkeeping, no output is a
glue repr, a path of the building machine, a warning or a long traceback, and tables are written
for people; in dark mode no image in an output is filtered; every figure's text is drawn in the
font the site serves, never in one of the machine's (so what follows holds on any machine); at
390 px every plotly figure keeps its title and legend inside itself, clear of the mode bar, with
room left for the plot. Each test lists every defect it finds, with its page, and fails when its
measurement found nothing to look at."""

from __future__ import annotations

import re
import time

import pytest

from nnbook.plotting import FIGURE_FONT
from test_site import WAIT_FOR_PAGE

DESKTOP, PHONE = (1280, 900), (390, 844)

TEXT = r"""
const article = document.querySelector("article.bd-article") || document.body;
const snippet = (text, i) => text.slice(Math.max(0, i - 40), i + 40).replace(/\s+/g, " ");

// Prose: the article without code, typeset math, figures and widgets.
const prose = article.cloneNode(true);
prose.querySelectorAll("pre, code, mjx-container, mjx-assistive-mml, script, style, svg, "
                       + ".cell_input, .nnbook-plotly, .headerlink").forEach(e => e.remove());
const text = prose.textContent;
const tex = [];
for (const m of text.matchAll(/\$|\\[a-zA-Z]+|\^\{|_\{/g)) tex.push(`"${m[0]}" in "${snippet(text, m.index)}"`);
const mathErrors = [...article.querySelectorAll("mjx-merror, [data-mjx-error]")]
  .map(e => e.getAttribute("data-mjx-error") || e.textContent);

// Visible code cells: the lesson, not the book's bookkeeping.
const bookkeeping = [...article.querySelectorAll(".cell_input")].flatMap(cell => {
  const code = cell.textContent;
  return [...code.matchAll(/\b(glue|claim)\(|nnbook\.book\.(glue|claims)\b|from myst_nb import[^\n]*\bglue\b/g)]
    .map(m => snippet(code, m.index));
});

// Outputs: what the reader's code printed or raised.
const outputs = [...article.querySelectorAll(".cell_output")];
const printed = outputs.flatMap(o => [...o.querySelectorAll("pre")]).map(p => p.textContent);
const glueReprs = printed.filter(t => /\{'[a-z]{2,3}_\w+':/.test(t)).map(t => t.slice(0, 80));
const machine = /\/(?:work|root|home|tmp|usr|opt)\/|site-packages|\.venv\b|ipykernel_\d+/;
const paths = printed.filter(t => machine.test(t)).map(t => snippet(t, t.search(machine)));
const warnings = printed.filter(t => /\b\w*Warning\b:/.test(t)).map(t => snippet(t, t.search(/Warning/)));
const errors = outputs.flatMap(o => [...o.querySelectorAll(".output.traceback, .output.error, "
                                                           + "[class*='traceback']")]);
// An error shown as a lesson is the reader's line and the message (which may be long: gradcheck
// prints two Jacobians); frames of a traceback are what the reader does not need.
const frame = /Traceback \(most recent call last\)|^\s*File "|^-+>|^\s*\d+ [^\n]*\(|site-packages/;
const tracebacks = errors.map(e => e.textContent.trim().split("\n").filter(l => l.trim()))
  .filter(lines => lines.some(l => frame.test(l)) || lines.filter(l => /^Cell In/.test(l)).length > 1)
  .map(lines => `${lines.length} lines: ${lines.at(-1).slice(0, 80)}`);

// Tables: headers in words, numbers as a person writes them. A snake_case name is fine where the
// page's visible code uses it (an attribute such as requires_grad); one the reader never saw in
// code (late_low_worst) is a machine's label. A float padded with zeros (10.000000) is a machine's.
const codeText = [...article.querySelectorAll(".cell_input, code")].map(c => c.textContent).join("\n");
const cells = [...article.querySelectorAll("table th, table td")].map(c => c.textContent.trim());
const tables = cells.filter(t => (/^[a-z]+(_[a-z0-9]+)+$/.test(t) && !codeText.includes(t))
                                 || /\.\d*000$/.test(t));

return {tex, mathErrors, bookkeeping, glueReprs, paths, warnings, tracebacks, tables,
        proseChars: text.length, codeCells: article.querySelectorAll(".cell_input").length,
        outputs: outputs.length, errorOutputs: errors.length, tableCells: cells.length};
"""

DARK = r"""
const images = [...document.querySelectorAll("article .cell_output img, article .cell_output svg image")];
return {images: images.length,
        filtered: images.map(i => [i.getAttribute("alt") || (i.getAttribute("src") || i.getAttribute("href") || "").split("/").pop(),
                                   getComputedStyle(i).filter])
                        .filter(([, f]) => f && f !== "none").map(([name, f]) => `${name}: ${f}`)};
"""

# Every line and marker of every figure against the page's background, in the theme it is
# measured in (WCAG contrast); a colour scale or a colour per point is not a trace's colour.
TRACE_CONTRAST = r"""
const ctx = document.createElement("canvas").getContext("2d");
const luminance = colour => {
  ctx.fillStyle = "#010203"; ctx.fillStyle = colour;
  const v = ctx.fillStyle;
  const rgb = v.startsWith("#") ? [1, 3, 5].map(i => parseInt(v.slice(i, i + 2), 16))
                                : v.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lin = rgb.map(c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
};
const background = luminance(getComputedStyle(document.body).backgroundColor);
const figures = [...document.querySelectorAll(".nnbook-plotly")].filter(gd => gd._fullData);
const traces = figures.flatMap(gd => gd._fullData.filter(t => t.visible === true).flatMap(t =>
  ["line", "marker"].filter(part => t.mode === undefined || t.mode.includes(part === "line" ? "lines" : "markers"))
    .map(part => t[part] && t[part].color).filter(c => typeof c === "string" && !/^rgba\(.*,\s*0\)$/.test(c))
    .map(c => ({name: `${(gd._fullLayout.title && gd._fullLayout.title.text || "untitled").replace(/<[^>]+>/g, " ").slice(0, 40)}: ${t.name || t.type} in ${c}`,
                ratio: (Math.max(luminance(c), background) + 0.05) / (Math.min(luminance(c), background) + 0.05)}))));
return {traces: traces.length,
        faint: traces.filter(t => t.ratio < 3).map(t => `${t.name} (${t.ratio.toFixed(1)}:1)`)};
"""

PHONE_FIGURES = r"""
const box = e => e.getBoundingClientRect();
const visible = e => e && e.getClientRects().length > 0 && box(e).width > 0;
const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1
                         && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
                          && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
const figures = [...document.querySelectorAll(".nnbook-plotly")].filter(visible);
const defects = figures.flatMap(gd => {
  const name = (gd._fullLayout.title && gd._fullLayout.title.text) || "untitled figure";
  const figure = box(gd.querySelector("svg.main-svg") || gd);
  const found = [];
  const title = gd.querySelector(".gtitle");
  const legend = gd.querySelector("g.legend");
  const modebar = gd.querySelector(".modebar");
  if (visible(title) && !inside(box(title), figure)) found.push("title outside the figure");
  if (visible(legend) && !inside(box(legend), figure)) found.push("legend outside the figure");
  if (visible(modebar)) {
    if (visible(title) && overlap(box(modebar), box(title))) found.push("mode bar over the title");
    if (visible(legend) && overlap(box(modebar), box(legend))) found.push("mode bar over the legend");
  }
  const notes = [...gd.querySelectorAll("g.annotation")].filter(visible);
  notes.forEach((a, i) => notes.slice(i + 1).forEach(b => {
    if (overlap(box(a), box(b))) found.push(`"${a.textContent}" runs into "${b.textContent}"`);
  }));
  const plot = gd._fullLayout._size.w;
  if (plot < 0.55 * figure.width) found.push(`${Math.round(plot)} px of plot in ${Math.round(figure.width)} px`);
  return found.map(f => `${name.replace(/<[^>]+>/g, " ").slice(0, 60)}: ${f}`);
});
const sliders = figures.filter(gd => (gd._fullLayout.sliders || []).length)
  .map(gd => { const s = gd._fullLayout.sliders[0]; return {active: s.active, steps: s.steps.length}; });
return {figures: figures.length, defects, sliders};
"""


# On a phone: no formula cut off at its line's end (it may scroll, as display math does), no
# page wider than the screen, no line of code wrapped to column 0 (code scrolls instead). Waits
# for nnbook.js to have fitted the page's inline math.
PHONE_TEXT = r"""
const done = arguments[arguments.length - 1];
(async () => {
  for (let i = 0; i < 200 && !document.documentElement.dataset.nnbookMath; i++) {
    await new Promise(r => setTimeout(r, 50));
  }
  const article = document.querySelector("article.bd-article");
  const scrolls = e => {
    for (let p = e; p && p !== article; p = p.parentElement) {
      if (/auto|scroll/.test(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const maths = [...article.querySelectorAll("mjx-container")]
    .filter(m => m.getBoundingClientRect().width > 0);
  const clipped = maths.filter(m => {
    const line = m.parentElement.closest("p, li, dd, dt, td, th, div, figcaption");
    return line && m.getBoundingClientRect().right > line.getBoundingClientRect().right + 1
      && !scrolls(m);
  }).map(m => `${Math.round(m.getBoundingClientRect().right - innerWidth)} px past the edge: `
               + (m.querySelector("mjx-assistive-mml") || m).textContent.slice(0, 60));
  const wide = document.documentElement.scrollWidth > document.documentElement.clientWidth + 1
    ? [`the page is ${document.documentElement.scrollWidth} px wide in a `
       + `${document.documentElement.clientWidth} px screen: `
       + [...document.querySelectorAll("body *")]
           .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                        && !scrolls(e))
           .slice(0, 3).map(e => `${e.tagName.toLowerCase()}.${e.className}`).join(", ")]
    : [];
  const code = [...article.querySelectorAll("div.highlight pre")]
    .filter(p => !p.closest(".cell_output") && p.getBoundingClientRect().width > 0);
  const wrapped = code.filter(p => {
    const style = getComputedStyle(p);
    const lines = p.textContent.replace(/\n$/, "").split("\n").length;
    const height = p.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return height / parseFloat(style.lineHeight) > lines + 0.5;
  }).map(p => p.textContent.split("\n")[0].slice(0, 60));
  const number = /^[-−+]?[\d.,]+(\s*×\s*10\S*)?\s*%?$/;
  const cells = [...article.querySelectorAll("td, th")].filter(c => number.test(c.textContent.trim())
                                                                 && c.getBoundingClientRect().width > 0);
  const broken = cells.filter(c => {  // the lines its text is laid out on
    const walker = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
    const tops = new Set();
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      if (!t.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(t);
      [...range.getClientRects()].forEach(r => tops.add(Math.round(r.top)));
    }
    return tops.size > 1;
  }).map(c => c.textContent.trim());
  done({maths: maths.length, clipped, wide, codeBlocks: code.length, wrapped,
        numbers: cells.length, broken,
        fitted: document.documentElement.dataset.nnbookMath || "never"});
})();
"""


def visit_all(built_book, browser, size, script, dark=False):
    """Each page at ``size``, once its figures are drawn and its math typeset, measured by
    ``script`` (JavaScript, or a function of the browser); in ``dark`` mode when asked."""
    previous = browser.driver.get_window_size()
    browser.driver.set_window_size(*size)
    try:
        reports = {}
        for page in built_book.pages:
            browser.get(f"{page}.html")
            assert browser.run_async(WAIT_FOR_PAGE) == "ok", f"{page} did not finish drawing"
            if dark:
                browser.run("document.documentElement.dataset.mode = 'dark';"
                            "document.documentElement.dataset.theme = 'dark';")
                time.sleep(0.3)
            reports[page] = script(browser) if callable(script) else browser.run(script)
        return reports
    finally:
        browser.run("document.documentElement.dataset.mode = 'light';"
                    "document.documentElement.dataset.theme = 'light';")
        browser.driver.set_window_size(previous["width"], previous["height"])


@pytest.fixture(scope="module")
def text_reports(built_book, browser):
    return visit_all(built_book, browser, DESKTOP, TEXT)


@pytest.fixture(scope="module")
def dark_reports(built_book, browser):
    return visit_all(built_book, browser, DESKTOP,
                     lambda b: {**b.run(DARK), **b.run(TRACE_CONTRAST)}, dark=True)


@pytest.fixture(scope="module")
def phone_reports(built_book, browser):
    return visit_all(built_book, browser, PHONE, PHONE_FIGURES)


FIGURE_TEXT = ".nnbook-plotly svg text, .nnbook-plotly svg tspan"

# Every figure's text, with the family its style names first and whether that font has loaded;
# folded "Going deeper" sections are opened first, so that their figures are laid out too.
FIGURE_TEXT_FAMILIES = r"""
const [selector, font] = arguments;
document.querySelectorAll("details.nnbook-deeper").forEach(d => { d.open = true; });
const first = family => family.split(",")[0].trim().replace(/^["']|["']$/g, "");
const texts = [...document.querySelectorAll(selector)];
return {texts: texts.map(t => t.textContent),
        families: texts.map(t => first(getComputedStyle(t).fontFamily)),
        loaded: texts.length === 0 || document.fonts.check(`16px "${font}"`)};
"""


def figure_fonts(browser) -> dict:
    """The fonts Chromium drew each figure's text with, as its DevTools report them
    (CSS.getPlatformFontsForNode: the font behind each glyph, and whether the page served it):
    text in another font than the book's (a family other than FIGURE_FONT, or FIGURE_FONT
    from the machine instead of the site), families named before it, and how many glyphs were
    measured. A figure drawn in a fallback font is laid out in that font's widths."""
    page = browser.run(FIGURE_TEXT_FAMILIES, FIGURE_TEXT, FIGURE_FONT)
    time.sleep(0.5)  # opened sections' figures are fitted to their width
    cdp = browser.driver.execute_cdp_cmd
    cdp("DOM.enable", {})
    cdp("CSS.enable", {})
    try:
        root = cdp("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        nodes = cdp("DOM.querySelectorAll", {"nodeId": root, "selector": FIGURE_TEXT})["nodeIds"]
        assert len(nodes) == len(page["texts"]), "the page changed while it was measured"
        drawn = [cdp("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"] for node in nodes]
    finally:  # the other tests run with DevTools' CSS agent off, as a reader's browser does
        cdp("CSS.disable", {})
        cdp("DOM.disable", {})
    fallback, glyphs = [], 0
    for fonts, text in zip(drawn, page["texts"]):
        for font in fonts:
            glyphs += font["glyphCount"]
            if font["familyName"] != FIGURE_FONT or not font["isCustomFont"]:
                fallback.append(f'"{text[:50]}": {font["glyphCount"]} glyphs in '
                                f'{font["familyName"]}' + ("" if font["isCustomFont"]
                                                           else " (the machine's)"))
    named = sorted({f for f in page["families"] if f != FIGURE_FONT})
    if not page["loaded"]:
        fallback.append(f"{FIGURE_FONT} has not loaded")
    return {"fallback": sorted(set(fallback)), "named": named, "glyphs": glyphs}


@pytest.fixture(scope="module")
def font_reports(built_book, browser):
    return visit_all(built_book, browser, DESKTOP, figure_fonts)


def listing(found: dict) -> str:
    return "\n".join(f"{page}: {len(items)}\n  " + "\n  ".join(map(str, items[:12]))
                     for page, items in found.items())


# What each text check looks for, and a count that proves it looked at something.
TEXT_CHECKS = {
    "raw_tex_in_the_text": ("tex", "raw TeX ($, \\command, ^{, _{) in the visible text", "proseChars", 10_000),
    "mathjax_errors": ("mathErrors", "MathJax errors", "proseChars", 10_000),
    "bookkeeping_in_visible_cells": ("bookkeeping", "glue/claim calls or imports in visible cells",
                                     "codeCells", 100),
    "glue_reprs_printed": ("glueReprs", "outputs that print glued names", "outputs", 100),
    "machine_paths_printed": ("paths", "outputs with a path of the building machine", "outputs", 100),
    "warnings_printed": ("warnings", "outputs that print a warning", "outputs", 100),
    "long_tracebacks": ("tracebacks", "errors shown with more than the lesson's lines",
                        "errorOutputs", 3),
    "tables_for_machines": ("tables", "table cells with snake_case names or padded floats",
                            "tableCells", 20),
}


def assert_none_found(reports: dict, kind: str, description: str, count: str, minimum: int):
    """No page's report lists a ``kind`` defect; and the pages held at least ``minimum`` of what
    the measurement looks at (``count``), so a measurement that sees nothing cannot pass."""
    seen = sum(report[count] for report in reports.values())
    assert seen >= minimum, f"only {seen} {count} on the site: the measurement is broken"
    found = {page: report[kind] for page, report in reports.items() if report[kind]}
    assert not found, f"{description}:\n{listing(found)}"


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("check", TEXT_CHECKS)
def test_what_the_reader_sees(text_reports, check):
    kind, description, count, minimum = TEXT_CHECKS[check]
    assert_none_found(text_reports, kind, description, count, minimum)


@pytest.mark.book
@pytest.mark.browser
def test_dark_mode_keeps_every_images_pixels(dark_reports):
    assert_none_found(dark_reports, "filtered", "images filtered in dark mode", "images", 10)


@pytest.mark.book
@pytest.mark.browser
def test_in_dark_mode_every_trace_stands_out_from_the_page(dark_reports):
    assert_none_found(dark_reports, "faint", "traces under 3:1 against the dark page", "traces",
                      100)


@pytest.mark.book
@pytest.mark.browser
def test_every_figures_text_is_drawn_in_the_font_the_site_serves(font_reports):
    # The phone's measurements below are only the same on every machine if this holds.
    assert_none_found(font_reports, "named", f"figure text whose style names another font "
                      f"than {FIGURE_FONT} first", "glyphs", 3_000)
    assert_none_found(font_reports, "fallback", f"figure text drawn in another font than the "
                      f"site's {FIGURE_FONT}", "glyphs", 3_000)


@pytest.mark.book
@pytest.mark.browser
def test_on_a_phone_every_figure_keeps_its_title_legend_and_plot(phone_reports):
    assert_none_found(phone_reports, "defects", f"figures at {PHONE[0]} px", "figures", 20)


@pytest.mark.book
@pytest.mark.browser
def test_the_gan_replays_open_at_their_last_step(phone_reports, built_book):
    if "book/gans" not in built_book.pages:
        pytest.skip("no GAN page")
    sliders = phone_reports["book/gans"]["sliders"]
    assert len(sliders) >= 2, sliders
    assert all(s["active"] == s["steps"] - 1 for s in sliders), sliders


@pytest.mark.book
@pytest.mark.browser
def test_the_quiz_typesets_math_in_question_options_and_feedback(built_book, browser):
    from selenium.webdriver.common.by import By

    if "book/backprop" not in built_book.pages:
        pytest.skip("no backpropagation page")
    browser.get("book/backprop.html")
    assert browser.run_async(WAIT_FOR_PAGE) == "ok"
    quiz = next(q for q in browser.driver.find_elements(By.CSS_SELECTOR, "div.nnbook-quiz")
                if "layer below" in q.text)
    question = quiz.find_element(By.CSS_SELECTOR, ".nnbook-quiz-question")
    assert question.find_elements(By.CSS_SELECTOR, "mjx-container"), question.text
    options = quiz.find_elements(By.CSS_SELECTOR, ".nnbook-quiz-option")
    assert all(o.find_elements(By.CSS_SELECTOR, "mjx-container") for o in options)
    right = next(o for o in options if o.get_attribute("data-correct") == "true")
    right.click()
    feedback = quiz.find_element(By.CSS_SELECTOR, ".nnbook-quiz-feedback")
    deadline = time.time() + 10
    while not feedback.find_elements(By.CSS_SELECTOR, "mjx-container") and time.time() < deadline:
        time.sleep(0.1)
    assert feedback.find_elements(By.CSS_SELECTOR, "mjx-container"), feedback.text
    assert "\\(" not in feedback.text and "$" not in feedback.text and "\\(" not in quiz.text


@pytest.mark.book
@pytest.mark.browser
def test_going_deeper_sections_are_folded_and_open_with_their_figures(built_book, browser):
    from selenium.webdriver.common.by import By

    heading = re.compile(r"<h[234][^>]*>Going deeper")
    pages = {page: len(heading.findall(built_book.page_path(page).read_text(encoding="utf-8")))
             for page in built_book.pages}
    pages = {page: n for page, n in pages.items() if n}
    assert sum(pages.values()) >= 5, f"too few 'Going deeper' sections on the site: {pages}"
    for page, n in pages.items():
        browser.get(f"{page}.html")
        assert browser.run_async(WAIT_FOR_PAGE) == "ok"
        folded = browser.driver.find_elements(By.CSS_SELECTOR, "details.nnbook-deeper")
        assert len(folded) == n, f"{page}: {len(folded)} of {n} sections folded"
        assert not any(d.get_attribute("open") for d in folded), page
        for details in folded:
            summary = details.find_element(By.CSS_SELECTOR, "summary")
            assert summary.text.startswith("Going deeper"), summary.text
            browser.run("arguments[0].scrollIntoView({block: 'center'});", summary)
            summary.click()
            assert details.get_attribute("open") is not None, f"{page}: {summary.text} did not open"
        time.sleep(0.5)
        widths = browser.run("""return [...document.querySelectorAll(
            'details.nnbook-deeper .nnbook-plotly svg.main-svg')].map(s => s.getBoundingClientRect().width);""")
        column = browser.run("return document.querySelector('article.bd-article').clientWidth;")
        assert all(w > 0.6 * column for w in widths), (page, widths, column)


@pytest.mark.book
@pytest.mark.browser
def test_the_execution_report_fits_the_column_in_short_rows(built_book, browser):
    if "book/execution_report" not in built_book.pages:
        pytest.skip("no execution report")
    previous = browser.driver.get_window_size()
    browser.driver.set_window_size(*DESKTOP)
    try:
        browser.get("book/execution_report.html")
        assert browser.run_async(WAIT_FOR_PAGE) == "ok"
        tables = browser.run("""return [...document.querySelectorAll("article table")].map(t => {
            const box = t.closest(".pst-scrollable-table-container, .table-wrapper") || t.parentElement;
            return {wide: t.scrollWidth - box.clientWidth,
                    rows: [...t.querySelectorAll("tbody tr")].map(r => r.getBoundingClientRect().height)};
        });""")
    finally:
        browser.driver.set_window_size(previous["width"], previous["height"])
    assert len(tables) >= 2 and all(t["rows"] for t in tables), tables
    assert all(t["wide"] <= 1 for t in tables), [t["wide"] for t in tables]
    tallest = max(h for t in tables for h in t["rows"])
    assert tallest <= 100, f"a row of the report is {tallest:.0f} px tall"  # 3 lines at most


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_on_a_phone_nothing_is_cut_off_or_wider_than_the_screen(built_book, browser, dark):
    reports = visit_all(built_book, browser, PHONE, lambda b: b.run_async(PHONE_TEXT), dark=dark)
    assert all(r["fitted"] != "never" for r in reports.values()), \
        {p: r["fitted"] for p, r in reports.items()}
    assert_none_found(reports, "clipped", f"formulas cut off at {PHONE[0]} px", "maths", 500)
    assert_none_found(reports, "wide", f"pages wider than the screen at {PHONE[0]} px",
                      "maths", 500)
    assert_none_found(reports, "wrapped", f"code wrapped to column 0 at {PHONE[0]} px",
                      "codeBlocks", 100)
    assert_none_found(reports, "broken", f"numbers broken over lines in tables at {PHONE[0]} px",
                      "numbers", 100)
