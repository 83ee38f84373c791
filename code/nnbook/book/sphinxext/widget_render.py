"""The live widgets on the site and in the PDF: a myst-nb mime renderer for the bundle that
:func:`nnbook.book.kernel.widgets.show_widget` displays in a page's kernel (the bundle's format is
described there)."""

from __future__ import annotations

import html
from typing import ClassVar

from nnbook.book.kernel.widgets import MIME, payload_json
from nnbook.book.sphinxext.mime import json_output, priority_overrides


def widget_html(widget: dict, element_id: str) -> str:
    """The widget's root element on the site (see the module docstring); the fallback PNG stays
    out of it."""
    sentence = widget["fallback"]["sentence"]
    site = {key: value for key, value in widget.items() if key != "fallback"}
    kind = html.escape(str(widget["kind"]), quote=True)
    label = html.escape(str(widget["label"]), quote=True)
    return (
        f'<div class="nnbook-widget" data-widget="{kind}" id="{element_id}" role="region" '
        f'aria-label="{label}">\n'
        f'<p class="nnbook-widget-fallback">{html.escape(sentence)}</p>\n'
        f'<script type="application/json" class="nnbook-widget-data">'
        f"{payload_json(site)}</script>\n</div>"
    )


class WidgetMimeRenderer:
    """MyST-NB mime render plugin for :data:`MIME`: the live widget on the site, its PNG and
    sentence in the PDF.

    MyST-NB renders each item of a bundle on its own and picks one per builder afterwards, so the
    widget's item carries its own fallback (``"fallback": {"png", "sentence"}``); the site's HTML
    leaves it out."""

    mime_priority_overrides: ClassVar[list[tuple[str, str, int]]] = priority_overrides(MIME)

    @staticmethod
    def handle_mime(renderer, data, inline):
        widget = json_output(data, inline, MIME)
        if widget is None:
            return None
        from docutils import nodes
        from myst_nb.core.render import MimeData

        from nnbook.book.sphinxext.plotly_render import output_id

        fallback = widget.get("fallback", {})
        builder = renderer.renderer.sphinx_env.app.builder
        if builder.format == "html":
            element_id = output_id("widget", renderer, data)
            return [nodes.raw(text=widget_html(widget, element_id), format="html",
                              classes=["output", "nnbook_widget"])]
        image = MimeData("image/png", fallback["png"], cell_metadata=data.cell_metadata,
                         output_metadata=data.output_metadata, cell_index=data.cell_index,
                         output_index=data.output_index, line=data.line)
        return [*renderer.render_image(image), nodes.paragraph(text=fallback["sentence"])]
