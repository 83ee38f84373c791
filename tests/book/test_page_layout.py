"""The layout of every page at 1280 x 900 in Chromium, measured: no code block that scrolls
sideways, no plotly legend over a colorbar, no display equation wider than the text column, no
log axis labelled with anything but plain decades, and no contour or heatmap that leaves part of
its axes blank. Each test lists every defect it finds, with its page."""

from __future__ import annotations

import pytest

from test_site import WAIT_FOR_PAGE

WIDTH, HEIGHT = 1280, 900

MEASURE = r"""
const visible = e => e.getClientRects().length > 0 && e.getBoundingClientRect().width > 0;
const box = e => e.getBoundingClientRect();
const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
                          && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
const figures = [...document.querySelectorAll(".nnbook-plotly")].filter(visible);
const title = gd => (gd._fullLayout.title && gd._fullLayout.title.text) || "untitled figure";

const code = [...document.querySelectorAll("article pre")].filter(visible)
  .filter(p => p.scrollWidth > p.clientWidth + 1)
  .map(p => `${p.scrollWidth - p.clientWidth} px too wide: `
            + p.textContent.split("\n").reduce((a, b) => b.length > a.length ? b : a, "").trim());

const legends = figures.flatMap(gd => {
  const legend = gd.querySelector("g.legend");
  if (!legend || !visible(legend)) return [];
  return [...gd.querySelectorAll("g.colorbar")].filter(c => overlap(box(legend), box(c)))
    .map(c => `${title(gd)}: legend "${legend.textContent}" over colorbar "${c.textContent}"`);
});

// MathJax 3 (CHTML or SVG): the container's first child is the typeset equation.
const equations = [...document.querySelectorAll("article mjx-container[display='true']")]
  .filter(visible).map(m => {
    const column = m.closest("article").querySelector("section, p") || m.closest("article");
    const width = m.firstElementChild.getBoundingClientRect().width;
    return {width, column: column.getBoundingClientRect().width,
            text: (m.getAttribute("aria-label") || m.textContent).slice(0, 80)};
  }).filter(e => e.width > e.column + 1)
  .map(e => `${Math.round(e.width)} px in a ${Math.round(e.column)} px column: ${e.text}`);

const axes = gd => Object.keys(gd._fullLayout).filter(k => /^[xy]axis\d*$/.test(k))
  .map(k => [k, gd._fullLayout[k]]);

const logTicks = figures.flatMap(gd => axes(gd).filter(([, ax]) => ax.type === "log")
  .map(([name, ax]) => [name, (ax._vals || []).map(v => v.text)])
  .map(([name, labels]) => ({name, labels, plain: labels.map(t => {
    const power = /^10<sup>(.*)<\/sup>$/.exec(t);
    const value = power ? 10 ** Number(power[1].replace("\u2212", "-"))
                        : Number(t.replace("\u2212", "-").replace(/,/g, ""));
    return t !== "" && Number.isFinite(value) && value > 0
           && Math.abs(Math.log10(value) - Math.round(Math.log10(value))) < 1e-9;
  })}))
  // Ticks placed on purpose (tickvals: the widths of a sweep) are the author's choice.
  .filter(a => gd._fullLayout[a.name].tickmode !== "array")
  .filter(a => a.labels.length === 0 || a.plain.includes(false))
  .map(a => `${title(gd)}: ${a.name} labelled "${a.labels.join(" ")}"`));

// Plotly may hold a trace's x and y as typed arrays (decoded from base64): flatten those too.
const flatten = v => ArrayBuffer.isView(v) || Array.isArray(v) ? Array.from(v).flatMap(flatten) : [v];
const span = values => {
  const flat = flatten(values).map(Number).filter(Number.isFinite);
  return flat.length ? [Math.min(...flat), Math.max(...flat)] : null;
};
const surfaces = figures.flatMap(gd => gd._fullData
  .filter(t => (t.type === "contour" || t.type === "heatmap") && t.visible === true)
  .flatMap(t => ["x", "y"].map(a => {
    const ax = gd._fullLayout[(t[a + "axis"] || a).replace(/^([xy])/, "$1axis")];
    const grid = span(t[a]);
    if (!ax || ax.type !== "linear" || !grid) return null;
    const [low, high] = [...ax.range].sort((p, q) => p - q);
    // A heatmap's cells reach half a step past its first and last grid values.
    const n = flatten(t[a]).length;
    const half = t.type === "heatmap" && n > 1 ? (grid[1] - grid[0]) / (n - 1) / 2 : 0;
    const slack = 0.005 * (high - low) + half;
    return grid[0] - slack <= low && grid[1] + slack >= high ? null
      : `${title(gd)}: ${t.type} "${t.name || ""}" covers ${a} in [${grid.map(v => +v.toFixed(3))}]`
        + ` but its axis runs over [${[low, high].map(v => +v.toFixed(3))}]`;
  })).filter(Boolean));

return {code, codeBlocks: document.querySelectorAll("article pre").length,
        legends, colorbars: document.querySelectorAll(".nnbook-plotly g.colorbar").length,
        equations, displayed: document.querySelectorAll("article mjx-container[display='true']").length,
        logTicks, surfaces};
"""


@pytest.fixture(scope="module")
def layouts(built_book, browser):
    """Every page measured once at 1280 x 900, after its figures are drawn and its math typeset."""
    size = browser.driver.get_window_size()
    browser.driver.set_window_size(WIDTH, HEIGHT)
    try:
        reports = {}
        for page in built_book.pages:
            browser.get(f"{page}.html")
            assert browser.run_async(WAIT_FOR_PAGE) == "ok", f"{page} did not finish drawing"
            reports[page] = browser.run(MEASURE)
        total = {kind: sum(len(r[kind]) for r in reports.values())
                 for kind in ("code", "legends", "equations", "logTicks", "surfaces")}
        print(f"\nlayout of {len(reports)} pages: "
              f"{sum(r['codeBlocks'] for r in reports.values())} code blocks, "
              f"{sum(r['displayed'] for r in reports.values())} display equations, "
              f"{sum(r['colorbars'] for r in reports.values())} colorbars; defects: {total}")
        return reports
    finally:
        browser.driver.set_window_size(size["width"], size["height"])


# What each test measures: the defects' key in a page's report, what they are, and a count that
# shows the measurement found what it looks at (a test that sees nothing must not pass).
CHECKS = {
    "code_blocks_scroll_sideways": ("code", f"code blocks wider than the column at {WIDTH} px",
                                    "codeBlocks", 100),
    "legends_cover_colorbars": ("legends", "legends that overlap a colorbar", "colorbars", 1),
    "equations_overflow_the_column": ("equations", "display equations wider than the text column",
                                      "displayed", 1),
    "log_axes_are_not_labelled_at_decades": ("logTicks", "log axes labelled with numbers that "
                                             "are not powers of ten", None, 0),
    "surfaces_leave_their_axes_blank": ("surfaces", "contours and heatmaps that leave part of "
                                        "their axes blank", None, 0),
}


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("check", CHECKS)
def test_no_page_has_layout_defects(layouts, check):
    kind, description, count, minimum = CHECKS[check]
    if count is not None:
        seen = sum(report[count] for report in layouts.values())
        assert seen >= minimum, f"only {seen} {count} found on the site: the measurement is broken"
    found = {page: report[kind] for page, report in layouts.items() if report[kind]}
    listing = "\n".join(f"{page}: {len(items)}\n  " + "\n  ".join(items)
                        for page, items in found.items())
    assert not found, f"{description}:\n{listing}"
