"""The scripts the book ships to the browser (the site's nnbook.js, the live widgets, the slides'
deck.js): one dialect, one way for a widget to register, and nnlib.js loaded before the scripts
that read it."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import MagicMock

import pytest
from nnbook.book import sphinxext
from nnbook.book.tools.slides import DECK_STATIC
from node_js import WIDGETS, node_eval
from pygments.lexers import JavascriptLexer
from pygments.token import Keyword, Name, Punctuation, String, Text

SCRIPTS = sorted(WIDGETS.parent.rglob("*.js")) + sorted(DECK_STATIC.glob("*.js"))
WIDGET_KINDS = {"digit_pad.js": "digit-pad", "latent_explorer.js": "latent-explorer",
                "xor_playground.js": "xor-playground"}


def es2015_syntax(source: str) -> list[str]:
    """The forms of ES2015 syntax in ``source`` that an ES5 parser refuses: let and const, arrow
    functions, template literals, spread and rest, for-of, class declarations and destructuring
    declarations (its strings, regular expressions and comments apart)."""
    tokens = [(kind, value) for kind, value in JavascriptLexer().get_tokens(source)
              if kind not in Text and kind not in String.Doc and "Comment" not in str(kind)]
    found = []
    for k, (kind, value) in enumerate(tokens):
        following = tokens[k + 1] if k + 1 < len(tokens) else (None, "")
        if kind in Keyword and value in ("let", "const"):
            found.append(value)
        elif kind in Keyword and value == "class" and following[0] in Name:
            found.append("class " + following[1])  # ``class:`` as a property name is ES5
        elif kind in Keyword and value == "of":
            found.append("for-of")
        elif kind in Punctuation and value in ("=>", "..."):
            found.append(value)
        elif kind in String.Backtick:
            found.append("template literal")
        elif kind in Keyword.Declaration and value == "var" and following[1] in ("[", "{"):
            found.append("destructuring")
    return sorted(set(found))


def test_the_checker_finds_each_es2015_form():
    source = ("let a = 1; const b = [...c]; var f = (x) => `${x}`; for (var k of ks) {}"
              "class Point {} var [p, q] = r; var s = {'class': 1, class: 2};"
              "var ok = 'const => `' + /let/.test(x); // const in a comment")
    assert es2015_syntax(source) == sorted(
        ["let", "const", "...", "=>", "template literal", "for-of", "class Point",
         "destructuring"])


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_every_script_is_es5(path: Path):
    # One dialect for every script the book ships, as browsers and readers see in nnbook.js
    assert es2015_syntax(path.read_text(encoding="utf-8")) == [], path.name


def test_every_widget_file_registers_with_nnlib_what_it_exports_for_node():
    """In a page (no ``module``) a widget's file calls NNLib.register(kind, init) and nothing
    else; in Node it exports that same init beside its pure functions."""
    assert sorted(path.name for path in WIDGETS.glob("*.js")) == sorted(
        [*WIDGET_KINDS, "nnlib.js"])
    files = {name: (WIDGETS / name).read_text(encoding="utf-8") for name in WIDGET_KINDS}
    got = node_eval(
        "var vm = require('vm'), out = {};"
        "Object.keys(data).forEach(function (name) {"
        " var registered = [], exported = load(name);"
        " var window = {NNLib: {register: function (kind, init) {"
        "  registered.push([kind, String(init)]); }}};"
        " vm.runInNewContext(data[name], {window: window});"
        " out[name] = {registered: registered, init: String(exported.init),"
        "  globals: Object.keys(window)};"
        "});"
        "return out;", files)
    for name, kind in WIDGET_KINDS.items():
        assert got[name]["registered"] == [[kind, got[name]["init"]]], name
        assert got[name]["globals"] == ["NNLib"], name


def test_the_site_loads_nnlib_before_the_scripts_that_read_it():
    # nnbook.js reads the theme with NNLib.isDark, and the widgets register with NNLib: all
    # deferred, so they run in the order the page lists them.
    registry = MagicMock()
    sphinxext.setup(registry)
    handlers = [call.args[1] for call in registry.connect.call_args_list
                if call.args[0] == "builder-inited"]
    scripts = []
    app = MagicMock()
    app.builder.format = "html"
    app.config.html_static_path = []
    app.config.nnbook_mathjax_dir = ""
    app.config.nnbook_figure_font = ""
    app.add_js_file.side_effect = lambda name, **kwargs: scripts.append(name)
    for handler in handlers:
        handler(app)
    assert "nnbook.js" in scripts
    assert scripts.index("widgets/nnlib.js") < scripts.index("nnbook.js")
    for name in WIDGET_KINDS:
        assert scripts.index("widgets/nnlib.js") < scripts.index(f"widgets/{name}")


WAIT_FOR_THE_FONT = r"""
const vm = require('vm');
const tick = () => new Promise((resolve) => setImmediate(resolve));
async function page(outcome) {
  const log = [], pending = [], timers = [];
  const face = (family) => ({family, load() {
    log.push('load ' + family);
    return new Promise((resolve, reject) => pending.push({resolve, reject}));
  }});
  const faces = ['"Open Sans"', 'Open Sans', 'Other'].map(face);  // two subsets, another font
  const figure = (id) => ({dataset: {target: id}, textContent: JSON.stringify(
    {data: [], config: {}, layout: {font: {family: '"Open Sans", verdana, arial, sans-serif'}}})});
  const target = () => ({dataset: {}, setAttribute() {}});
  const targets = {a: target(), b: target()};
  const document = {
    readyState: 'complete', documentElement: {}, addEventListener() {},
    fonts: {forEach: (callback) => faces.forEach(callback)},
    querySelectorAll: (s) => (s === 'script.nnbook-plotly-data' ? [figure('a'), figure('b')] : []),
    getElementById: (id) => targets[id],
  };
  const window = {NNLib: {isDark: () => false}, addEventListener() {}, Plotly: {newPlot(gd) {
    log.push('draw'); return Promise.resolve();
  }}};
  vm.runInNewContext(data.source, {
    window, document, location: {hash: ''}, console: {error: () => log.push('error')},
    MutationObserver: function () { this.observe = () => {}; },
    setTimeout: (callback, ms) => timers.push({callback, ms}),
  });
  await tick();
  const before = log.slice();
  let between = null;
  if (outcome === 'loads') {
    pending[0].resolve();
    await tick();
    between = log.slice();
    pending[1].resolve();
  } else if (outcome === 'fails') {
    pending[1].reject(new Error('404'));
  } else {
    timers.forEach((timer) => timer.callback());
  }
  await tick();
  await tick();
  return {before, between, after: log, waits: timers.map((timer) => timer.ms)};
}
return Promise.all(['loads', 'fails', 'never loads'].map(page));
"""


def test_figures_are_drawn_once_the_font_they_name_has_loaded():
    # plotly keeps the widths it measured as it drew: a figure drawn before its font loaded is
    # laid out in the machine's fallback. Drawn with a fallback all the same when the font fails
    # or takes too long: a figure in another font is better than none.
    source = (sphinxext.assets.STATIC / "nnbook.js").read_text(encoding="utf-8")
    loads, fails, never = node_eval(WAIT_FOR_THE_FONT, {"source": source})
    # every subset of the figures' font is asked for, and nothing else, before any drawing
    assert loads["before"] == fails["before"] == ['load "Open Sans"', "load Open Sans"]
    assert "draw" not in loads["between"]  # one subset loaded is not enough
    assert loads["after"].count("draw") == 2 and "error" not in loads["after"]
    assert fails["after"].count("draw") == 2 and "error" in fails["after"]
    assert never["after"].count("draw") == 2 and never["waits"] == [10000]
