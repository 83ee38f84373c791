"""Render plotly figures from notebook outputs: interactive on the site, a PNG in the PDF.

Registered with MyST-NB through the ``myst_nb.mime_renderers`` entry point (see pyproject.toml);
the extension's :func:`setup` has every kernel the build starts emit its figures as plotly JSON.
The HTML is a ``<div>`` plus a call to ``Plotly.newPlot``; plotly.js itself is loaded once per page
from ``_static/plotly.min.js``. The figure's title becomes its accessible name. Both the site and
the PDF's images draw the figures' text in the font the site serves (``nnbook_figure_font``).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import html
import json
import os
import re
from pathlib import Path

from docutils import nodes

from nnbook.book.sphinxext.mime import json_output, priority_overrides
from nnbook.book.sphinxext.assets import figure_font, inline_font

MIME = "application/vnd.plotly.v1+json"
CONFIG = {"displaylogo": False, "responsive": True,
          # no buttons that upload to a cloud service: the book works offline and shares nothing
          "modeBarButtonsToRemove": ["sendDataToCloud", "sendChartToCloud", "select2d", "lasso2d"]}


def figure_title(fig: dict) -> str:
    """The figure's title as one line of words: its accessible name. (nnbook.plotting breaks a
    long title into lines with ``<br>``, for a phone's width.)"""
    title = fig.get("layout", {}).get("title", {})
    text = title.get("text") if isinstance(title, dict) else title
    return re.sub(r"\s*<br\s*/?>\s*", " ", str(text)) if text else "Interactive figure"


def figure_html(fig: dict, div_id: str) -> str:
    label = html.escape(figure_title(fig), quote=True)
    drawn = {"data": fig.get("data", []), "layout": fig.get("layout", {}), "config": CONFIG}
    if fig.get("frames"):  # a replay's snapshots (nnbook.plotting.snapshot_slider)
        drawn["frames"] = fig["frames"]
    payload = json.dumps(drawn).replace("</", "<\\/")
    height = fig.get("layout", {}).get("height") or 450
    return (
        f'<div class="nnbook-plotly" id="{div_id}" role="img" aria-label="{label}" '
        f'style="width:100%;min-height:{int(height)}px"></div>\n'
        f'<script type="application/json" class="nnbook-plotly-data" data-target="{div_id}">'
        f"{payload}</script>"
    )


_KALEIDO_SERVER = False

# plotly measures each label as it draws it, then serialises the figure to SVG and draws that
# as an image onto a canvas for the PNG. So kaleido's page carries the figures' font twice: in
# its head, so that labels are measured in it (every image waits until each face has loaded, as
# nnbook.js makes the site's figures wait), and inside every SVG it serialises, because an SVG
# drawn as an image uses no font of the page around it and loads nothing from outside itself
# (hence data: URLs). A font that fails to load leaves the image in the machine's fallback.
_CARRY_THE_FONT = """<script>
(function () {
  var css = document.getElementById("nnbook-figure-font").textContent;
  var faces = [];
  document.fonts.forEach(function (face) { faces.push(face.load()); });
  var ready = Promise.all(faces).catch(function () {});
  var toImage = Plotly.toImage;
  Plotly.toImage = function () {
    var args = arguments;
    return ready.then(function () { return toImage.apply(Plotly, args); });
  };
  var serialize = XMLSerializer.prototype.serializeToString;
  XMLSerializer.prototype.serializeToString = function (node) {
    var text = serialize.call(this, node);
    if (!node || node.nodeName !== "svg") return text;
    return text.replace(/^<svg[^>]*>/, function (tag) {
      return tag + "<style>" + css + "</style>";
    });
  };
})();
</script>"""


class FontPage:
    """kaleido's page (its ``page_generator``) with the figures' font, inlined
    (:func:`~nnbook.book.sphinxext.assets.inline_font`), and :data:`_CARRY_THE_FONT` after
    plotly.js."""

    def __init__(self, font_css: Path):
        self.font_css = Path(font_css)

    def generate_index(self) -> str:
        from kaleido import PageGenerator

        page = PageGenerator().generate_index()  # kaleido's own: its plotly.js and MathJax
        style = f'<style id="nnbook-figure-font">{inline_font(self.font_css)}</style>'
        return page.replace("</head>", style + _CARRY_THE_FONT + "</head>", 1)


def figure_image(fig: dict, format: str = "png", font_css: Path | None = None) -> bytes:
    """A static image of the figure (for LaTeX and PDF), drawn by kaleido, 900 px wide.

    kaleido drives a headless Chrome (found on the PATH, or at ``$BROWSER_PATH``); one browser is
    started for the whole build, which makes each figure a fraction of a second instead of seconds.
    With ``font_css``, the style sheet of the figures' font (``nnbook_figure_font``), that browser
    draws their text in it, as the site does (:class:`FontPage`); the first call decides.
    """
    global _KALEIDO_SERVER
    import warnings

    import kaleido
    import plotly.io as pio

    if not _KALEIDO_SERVER:
        page = {"page_generator": FontPage(font_css)} if font_css is not None else {}
        kaleido.start_sync_server(silence_warnings=True, **page)
        atexit.register(kaleido.stop_sync_server, silence_warnings=True)
        _KALEIDO_SERVER = True
    height = int(fig.get("layout", {}).get("height") or 450)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "kopts ignored when using a server"
        return pio.to_image(fig, format=format, width=900, height=height, scale=2)


def output_id(prefix: str, renderer, data) -> str:
    """A stable HTML id for one output of one cell: the same on every rebuild of the page, and
    different for every output, so a page's figures and widgets never share an id."""
    key = f"{renderer.source}:{data.cell_index}:{data.output_index}"
    return f"{prefix}-" + hashlib.sha1(key.encode()).hexdigest()[:12]


class PlotlyMimeRenderer:
    """MyST-NB mime render plugin for ``application/vnd.plotly.v1+json``."""

    mime_priority_overrides = priority_overrides(MIME)

    @staticmethod
    def handle_mime(renderer, data, inline):
        fig = json_output(data, inline, MIME)
        if fig is None:
            return None
        app = renderer.renderer.sphinx_env.app
        if app.builder.format == "html":
            div_id = output_id("plotly", renderer, data)
            return [nodes.raw(text=figure_html(fig, div_id), format="html",
                              classes=["output", "nnbook_plotly"])]
        from myst_nb.core.render import MimeData

        png = figure_image(fig, "png", figure_font(app))

        image = MimeData("image/png", base64.b64encode(png).decode(), cell_metadata=data.cell_metadata,
                         output_metadata=data.output_metadata, cell_index=data.cell_index,
                         output_index=data.output_index, line=data.line)
        return renderer.render_image(image)


def setup(app) -> None:
    # Every kernel the build starts inherits this: figures leave the kernel as plotly JSON.
    os.environ["PLOTLY_RENDERER"] = "plotly_mimetype"
