"""The font the figures are drawn in is the book's own: pinned in package.json, copied into the
site's _static with every file its style sheet names, loaded by relative URLs only, and named
first by every styled figure. (That the browser then draws each figure's text in it is measured
on the built site, tests/book/test_reader_view.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import plotly.graph_objects as go
import pytest
import yaml
from sphinx.errors import ExtensionError

from nnbook.book.sphinxext import assets
from nnbook.plotting import FIGURE_FONT, style

ROOT = Path(__file__).resolve().parents[4]
CONFIGURED = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"][
    "nnbook_figure_font"]


def fake_app(confdir: Path, outdir: Path, font: str) -> SimpleNamespace:
    config = SimpleNamespace(nnbook_figure_font=font, nnbook_mathjax_dir="", html_static_path=[])
    css, js = [], []
    return SimpleNamespace(
        confdir=str(confdir), outdir=str(outdir), config=config, css=css, js=js,
        builder=SimpleNamespace(format="html"),
        add_css_file=lambda name, **kw: css.append(name),
        add_js_file=lambda name, **kw: js.append(name))


def urls(css_text: str) -> list[str]:
    return re.findall(r"url\(\s*[\"']?([^\"')]+)", css_text)


@pytest.fixture
def book_font() -> Path:
    css = ROOT / CONFIGURED
    if not css.is_file():
        pytest.skip(f"{CONFIGURED} is not installed: run `npm ci` (make test-unit does)")
    return css


def test_the_book_pins_the_font_package_it_names():
    # node_modules/<package>/<weight>.css: the package must come from the lock file, exactly
    package = Path(CONFIGURED).parent.relative_to("node_modules").as_posix()
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"][package]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), f"{package} {wanted}: pin it (--save-exact)"
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert lock[f"node_modules/{package}"]["version"] == wanted
    assert lock[f"node_modules/{package}"]["license"] == "OFL-1.1"  # free to ship with the site


def test_the_site_serves_the_figures_font_from_its_own_static_folder(book_font, tmp_path):
    app = fake_app(ROOT, tmp_path / "html", CONFIGURED)
    assets.on_builder_inited(app)
    assets.on_build_finished(app, None)
    static = tmp_path / "html" / "_static"
    [linked] = [name for name in app.css if name.startswith("fonts/")]
    served = static / linked
    text = served.read_text()
    # the family every styled figure names first, and nothing but that family
    assert set(re.findall(r"font-family:\s*['\"]?([^;'\"]+)", text)) == {FIGURE_FONT}
    found = urls(text)
    assert any(url.endswith(".woff2") for url in found)
    for url in found:
        # relative, and inside the font's folder: the same on any host, with no network
        assert not urlsplit(url).scheme and not url.startswith(("/", "//")) and ".." not in url
        copy = (served.parent / url).resolve()
        assert copy.is_relative_to(served.parent.resolve()) and copy.is_file(), url
        assert copy.read_bytes() == (book_font.parent / url).read_bytes(), url
    # the page links the style sheet by its place under _static, beside nnbook.css
    assert served.relative_to(static).as_posix() == linked and "nnbook.css" in app.css


def test_a_book_without_a_figure_font_ships_none(tmp_path):
    app = fake_app(ROOT, tmp_path / "html", "")
    assets.on_builder_inited(app)
    assets.on_build_finished(app, None)
    assert not (tmp_path / "html" / "_static" / "fonts").exists()
    assert not [name for name in app.css if name.startswith("fonts/")]


def font_package(tmp_path: Path, css: str) -> Path:
    package = tmp_path / "node_modules" / "some-font"
    (package / "files").mkdir(parents=True)
    (package / "files" / "a.woff2").write_bytes(b"wOF2")
    (tmp_path / "outside.woff2").write_bytes(b"wOF2")
    (package / "400.css").write_text(css)
    return package / "400.css"


@pytest.mark.parametrize("url", ["https://fonts.gstatic.com/s/a.woff2", "//cdn.example/a.woff2",
                                 "/files/a.woff2", "../../outside.woff2", "./files/missing.woff2"])
def test_a_font_that_is_not_a_file_beside_its_style_sheet_stops_the_build(tmp_path, url):
    css = font_package(tmp_path, f"@font-face {{ font-family: 'X'; src: url({url}); }}")
    app = fake_app(tmp_path, tmp_path / "html", str(css.relative_to(tmp_path)))
    with pytest.raises(ExtensionError, match=re.escape(url)):
        assets.on_builder_inited(app)


def test_a_font_beside_its_style_sheet_is_copied_with_it(tmp_path):
    css = font_package(tmp_path, "@font-face { font-family: 'X'; src: url('./files/a.woff2'); }")
    app = fake_app(tmp_path, tmp_path / "html", str(css.relative_to(tmp_path)))
    assets.on_builder_inited(app)
    assets.on_build_finished(app, None)
    assert "fonts/some-font/400.css" in app.css
    assert (tmp_path / "html/_static/fonts/some-font/files/a.woff2").read_bytes() == b"wOF2"


def test_a_missing_font_package_says_how_to_install_it(tmp_path):
    app = fake_app(tmp_path, tmp_path / "html", "node_modules/@fontsource/open-sans/400.css")
    with pytest.raises(ExtensionError, match="npm ci"):
        assets.on_builder_inited(app)


def test_every_styled_figure_names_the_books_font_first_and_keeps_its_own_sizes():
    fig = go.Figure(layout=dict(font=dict(size=11)))
    fig = style(fig, title="A title").to_plotly_json()
    font = fig["layout"]["font"]
    assert font["family"].split(",")[0].strip(" '\"") == FIGURE_FONT
    assert font["size"] == 11


def test_the_inlined_font_loads_nothing_from_outside_itself(book_font):
    # What kaleido's page writes into every SVG it paints for the PDF (plotly_render.FontPage)
    sheet, inlined = book_font.read_text(), assets.inline_font(book_font)
    found = urls(inlined)
    assert len(found) == sheet.count("@font-face") == inlined.count("@font-face")
    assert all(url.startswith("data:font/woff2;base64,") for url in found)
    assert inlined.count("unicode-range") == sheet.count("unicode-range")  # subsets kept apart
    assert set(re.findall(r"font-family:\s*['\"]?([^;'\"]+)", inlined)) == {FIGURE_FONT}
