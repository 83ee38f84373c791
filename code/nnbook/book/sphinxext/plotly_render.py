"""Render plotly figures from notebook outputs: interactive on the site, a PNG in the PDF.

Registered with MyST-NB through the ``myst_nb.mime_renderers`` entry point (see pyproject.toml);
the extension's :func:`setup` has every kernel the build starts emit its figures as plotly JSON.
The HTML is a ``<div>`` plus a call to ``Plotly.newPlot``; plotly.js itself is loaded once per page
from ``_static/plotly.min.js``. The figure's title becomes its accessible name.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import html
import json
import os
import re

from docutils import nodes

from nnbook.book.mime import json_output, priority_overrides

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


def figure_png(fig: dict) -> bytes:
    """A static PNG of the figure (for LaTeX and PDF), drawn by kaleido.

    kaleido drives a headless Chrome (found on the PATH, or at ``$BROWSER_PATH``); one browser is
    started for the whole build, which makes each figure a fraction of a second instead of seconds.
    """
    global _KALEIDO_SERVER
    import warnings

    import kaleido
    import plotly.io as pio

    if not _KALEIDO_SERVER:
        kaleido.start_sync_server(silence_warnings=True)
        atexit.register(kaleido.stop_sync_server, silence_warnings=True)
        _KALEIDO_SERVER = True
    height = int(fig.get("layout", {}).get("height") or 450)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "kopts ignored when using a server"
        return pio.to_image(fig, format="png", width=900, height=height, scale=2)


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
        builder = renderer.renderer.sphinx_env.app.builder
        if builder.format == "html":
            div_id = output_id("plotly", renderer, data)
            return [nodes.raw(text=figure_html(fig, div_id), format="html",
                              classes=["output", "nnbook_plotly"])]
        png = figure_png(fig)
        from myst_nb.core.render import MimeData

        image = MimeData("image/png", base64.b64encode(png).decode(), cell_metadata=data.cell_metadata,
                         output_metadata=data.output_metadata, cell_index=data.cell_index,
                         output_index=data.output_index, line=data.line)
        return renderer.render_image(image)


def setup(app) -> None:
    # Every kernel the build starts inherits this: figures leave the kernel as plotly JSON.
    os.environ["PLOTLY_RENDERER"] = "plotly_mimetype"
