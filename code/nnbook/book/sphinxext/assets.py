"""What each page loads, all from the site itself: plotly.js, MathJax, the figures' font, the
site's own script and style sheet, and the live widgets' files, each once.

plotly.js is copied once into ``_static/`` from the installed plotly package, MathJax from
``nnbook_mathjax_dir`` and the figures' font (its style sheet and the files it names) from
``nnbook_figure_font``; no page loads anything from another host. Every script and style sheet
in ``static/widgets/`` is added to each page (:mod:`nnbook.book.kernel.widgets` renders the widgets'
outputs). Repeated script and style entries are dropped.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

STATIC = Path(__file__).parent / "static"


def plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ExtensionError(f"plotly.min.js is missing from the installed plotly package "
                             f"({path}); "
                             "reinstall plotly (`make book` does).")
    return path


def mathjax_dir(app: Sphinx) -> Path:
    folder = Path(app.confdir, app.config.nnbook_mathjax_dir)
    if not (folder / "tex-chtml.js").is_file():
        raise ExtensionError(
            f"MathJax was not found at {folder} (nnbook_mathjax_dir). The book typesets math "
            "with a local MathJax so that it works offline: run `npm ci` in the book's folder "
            "(`make book` does this)."
        )
    return folder


def figure_font(app: Sphinx) -> Path | None:
    """The style sheet of the font the figures are drawn in (``nnbook_figure_font``, one weight
    of a font package from npm, such as ``@fontsource/open-sans/400.css``), checked; None when the
    book names none, and its figures are drawn in whatever font the reader's machine has."""
    if not app.config.nnbook_figure_font:
        return None
    css = Path(app.confdir, app.config.nnbook_figure_font)
    if not css.is_file():
        raise ExtensionError(
            f"The figures' font was not found at {css} (nnbook_figure_font). The book serves the "
            "font its figures are drawn in, so that their text is the same on every machine: run "
            "`npm ci` in the book's folder (`make book` does this).")
    font_files(css)
    return css


_URL = re.compile(r"url\(\s*([\"']?)(.*?)\1\s*\)")


def font_files(css: Path) -> list[str]:
    """The files a font's style sheet loads, by the relative URLs it names them with. Each must
    be a file under the style sheet's folder: copied beside it, the site requests nothing from
    another host and works wherever it is served from, or opened as files."""
    folder = css.parent.resolve()
    urls = sorted({url for _, url in _URL.findall(css.read_text(encoding="utf-8"))})
    for url in urls:
        path = (folder / url).resolve()
        if (urlsplit(url).scheme or url.startswith("/") or not path.is_relative_to(folder)
                or not path.is_file()):
            raise ExtensionError(f"{css} loads {url}, which is not a file in its folder: the site "
                                 "serves the figures' font itself, from relative URLs.")
    return urls


def inline_font(css: Path) -> str:
    """The font's style sheet with each face's first file (the woff2 of a font package) written
    into it as a data: URL, for a page or an SVG image that may load nothing else
    (:mod:`~nnbook.book.sphinxext.plotly_render`, for the PDF's figures)."""
    font_files(css)  # only files beside it

    def inline(face: re.Match) -> str:
        url = _URL.search(face.group(0)).group(2)
        kind = Path(url).suffix.lstrip(".")
        data = base64.b64encode((css.parent / url).read_bytes()).decode("ascii")
        return re.sub(r"src:[^;}]*", f"src: url(data:font/{kind};base64,{data}) format('{kind}')",
                      face.group(0))

    return re.sub(r"@font-face\s*{[^}]*}", inline, css.read_text(encoding="utf-8"))


def font_static_path(css: Path) -> str:
    """Where the site serves a font's style sheet, under ``_static``: ``fonts/<its package's
    folder>/<its name>``, with the files it names beside it as in the package."""
    return f"fonts/{css.parent.name}/{css.name}"


def copy_font(css: Path, static: Path) -> None:
    """The font's style sheet and every file it names, into ``static`` (the site's ``_static``)."""
    target = (static / font_static_path(css)).parent
    for name in [css.name, *font_files(css)]:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(css.parent / name, target / name)


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    app.config.html_static_path.append(str(STATIC))
    css = figure_font(app)
    if css is not None:
        app.add_css_file(font_static_path(css))
    app.add_css_file("nnbook.css")
    app.add_js_file("plotly.min.js")
    add_widget_assets(app)  # before nnbook.js, which reads the theme from nnlib.js
    app.add_js_file("nnbook.js", defer="defer")
    plotly_js()
    if app.config.nnbook_mathjax_dir:
        mathjax_dir(app)


def add_widget_assets(app: Sphinx) -> None:
    """Every file of ``static/widgets/`` on every page (:mod:`nnbook.book.kernel.widgets`): nnlib.js
    first, since the widgets' files register with it as they load; all deferred."""
    folder = STATIC / "widgets"
    scripts = sorted(folder.glob("*.js"), key=lambda path: (path.name != "nnlib.js", path.name))
    for path in scripts:
        app.add_js_file(f"widgets/{path.name}", defer="defer")
    for path in sorted(folder.glob("*.css")):
        app.add_css_file(f"widgets/{path.name}")


def sync_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest``, skipping files that are already there with the same size."""
    for path in src.rglob("*"):
        if path.is_dir():
            continue
        target = dest / path.relative_to(src)
        if target.is_file() and target.stat().st_size == path.stat().st_size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(plotly_js(), static / "plotly.min.js")
    if app.config.nnbook_mathjax_dir:
        sync_tree(mathjax_dir(app), static / "mathjax")
    css = figure_font(app)
    if css is not None:
        copy_font(css, static)


def dedupe_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop repeated script and style entries. sphinx-thebe and sphinx-togglebutton register their
    inline configuration scripts twice under jupyter-book, and a second ``const THEBE_JS_URL``
    is a SyntaxError in every page's console."""
    for key in ("script_files", "css_files"):
        seen, unique = set(), []
        for asset in context.get(key, []):
            attributes = getattr(asset, "attributes", {})
            ident = (getattr(asset, "filename", str(asset)) or "",  # None and "" alike: inline
                     tuple(sorted((k, str(v)) for k, v in attributes.items())))
            if ident not in seen:
                seen.add(ident)
                unique.append(asset)
        context[key] = unique


def setup(app: Sphinx) -> None:
    app.add_config_value("nnbook_mathjax_dir", "", "html")
    # "env": the PDF's figures are drawn in it too, as pages are read (plotly_render)
    app.add_config_value("nnbook_figure_font", "", "env")
    app.connect("builder-inited", on_builder_inited)
    app.connect("build-finished", on_build_finished)
    app.connect("html-page-context", dedupe_assets, priority=900)
