"""Live widgets: the book's own models, exported at build time and run in the page by plain JS.

A page's hidden cell (tagged ``remove-input``) calls :func:`show_widget`::

    show_widget("digit-pad", {"weights": {"fc1.weight": widget_array(w, "float16")}, ...},
                fallback_png=png_bytes, fallback_sentence="On the site, you can draw a digit.",
                label="Draw a digit for MyNet to read")

The cell's output is one mimebundle:

* ``application/vnd.nnbook.widget+json`` (:data:`MIME`): ``{"kind", "label", "data",
  "fallback"}``, where ``data`` is the payload with every array replaced by ``{"dtype", "shape", "base64"}``: the
  array's bytes, little-endian, C order, base64-encoded. dtypes: float64, float32, float16, uint8,
  int32. Arrays may sit anywhere in the payload (in dicts and lists); so may plain JSON values.
  ``fallback`` holds the PNG and the sentence below again, for the PDF (MyST-NB renders each item
  of a bundle on its own); the site's HTML leaves it out.
* ``image/png``: the static figure that stands in for the widget in the PDF and in notebooks.
* ``text/plain``: the one sentence that goes with it.

The weights live in the page's output, so they are cached with the page's execution; executed
again, the page exports the same bytes, since the payload comes from the cached run and the
encoding is deterministic (:func:`payload_json` sorts keys).

:class:`WidgetMimeRenderer` (registered as a ``myst_nb.mime_renderers`` entry point in
pyproject.toml) turns the bundle into, on the HTML builder::

    <div class="nnbook-widget" data-widget="KIND" id="widget-..." role="region" aria-label="LABEL">
      <p class="nnbook-widget-fallback">SENTENCE</p>
      <script type="application/json" class="nnbook-widget-data">{"data":..,"kind":..,"label":..}</script>
    </div>

and, on the LaTeX builder, the PNG followed by the sentence.

In the browser, ``_static/widgets/nnlib.js`` (loaded, like every ``widgets/*.js`` file, with
``defer`` by the Sphinx extension) finds each ``[data-widget]`` root once the page has loaded, parses
its data, decodes every array into ``{dtype, shape, data}`` (``data`` a Float32Array, or a
Float64Array for float64, Uint8Array, Int32Array) and calls the function that the widget's own file
registered with ``NNLib.register(KIND, function (root, data) {...})``. The root's fallback sentence
is removed before that call. A widget's element that shows its current result carries
``data-widget-output``. A widget's file also exports its pure functions for Node
(``if (typeof module !== "undefined") module.exports = ...``), which the parity tests call.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

MIME = "application/vnd.nnbook.widget+json"
DTYPES = ("float64", "float32", "float16", "uint8", "int32")


@dataclass(frozen=True)
class WidgetArray:
    """An array to export, with the dtype it is stored as (float16 halves the size of weights)."""

    values: np.ndarray
    dtype: str

    def encode(self) -> dict:
        if self.dtype not in DTYPES:
            raise ValueError(f"a widget array is one of {DTYPES}, not {self.dtype!r}")
        values = np.ascontiguousarray(self.values, dtype=np.dtype(self.dtype).newbyteorder("<"))
        return {"dtype": self.dtype, "shape": list(values.shape),
                "base64": base64.b64encode(values.tobytes()).decode("ascii")}


def as_numpy(values) -> np.ndarray:
    """A NumPy copy of an array or a tensor (detached, on the CPU)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def widget_array(values, dtype: str | None = None) -> WidgetArray:
    """``values`` (an array or a tensor) to export as ``dtype`` (default: its own dtype)."""
    values = as_numpy(values)
    return WidgetArray(values, dtype or values.dtype.name)


def decode_array(encoded: dict) -> np.ndarray:
    """The array :meth:`WidgetArray.encode` encoded (what the page's JS reads)."""
    raw = base64.b64decode(encoded["base64"])
    dtype = np.dtype(encoded["dtype"]).newbyteorder("<")
    return np.frombuffer(raw, dtype=dtype).reshape(encoded["shape"])


def encode_payload(value: Any) -> Any:
    """``value`` as JSON: arrays (WidgetArray, NumPy, tensors) encoded, the rest as it is."""
    if isinstance(value, WidgetArray):
        return value.encode()
    if isinstance(value, np.ndarray) or hasattr(value, "detach"):
        return widget_array(value).encode()
    if isinstance(value, dict):
        return {str(key): encode_payload(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_payload(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode_payload(value: Any) -> Any:
    """The payload with every encoded array decoded to NumPy (for tests and checks)."""
    if isinstance(value, dict):
        if set(value) == {"dtype", "shape", "base64"}:
            return decode_array(value)
        return {key: decode_payload(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_payload(item) for item in value]
    return value


def payload_json(bundle: dict) -> str:
    """The widget's JSON as the page stores it: sorted keys, no spaces, so the same payload is
    always the same bytes; ``</`` is escaped so that it cannot close the script element."""
    return json.dumps(bundle, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")


def figure_png(figure) -> bytes:
    """PNG bytes of a matplotlib figure (or bytes, passed through), with no timestamp in it."""
    if isinstance(figure, (bytes, bytearray)):
        return bytes(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight",
                   metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(figure)
    return buffer.getvalue()


def widget_bundle(kind: str, payload: dict, fallback_png, fallback_sentence: str, *,
                  label: str | None = None) -> dict:
    """The mimebundle :func:`show_widget` displays (see the module docstring)."""
    png = base64.b64encode(figure_png(fallback_png)).decode("ascii")
    return {
        MIME: {"kind": kind, "label": label or fallback_sentence,
               "data": encode_payload(payload),
               "fallback": {"png": png, "sentence": fallback_sentence}},
        "image/png": png,
        "text/plain": fallback_sentence,
    }


def show_widget(kind: str, payload: dict, fallback_png, fallback_sentence: str, *,
                label: str | None = None) -> dict:
    """Display a live widget in the page: ``kind`` names the JS widget (``data-widget``),
    ``payload`` its data, ``fallback_png`` (PNG bytes or a matplotlib figure) and
    ``fallback_sentence`` stand in for it in the PDF; ``label`` is its accessible name.
    Returns the bundle, whose size :func:`bundle_size` measures."""
    from IPython.display import display

    bundle = widget_bundle(kind, payload, fallback_png, fallback_sentence, label=label)
    display(bundle, raw=True)
    return bundle


def bundle_size(bundle: dict) -> int:
    """Bytes the widget's data adds to the HTML page (its fallback PNG stays out)."""
    return len(payload_json({"kind": bundle[MIME]["kind"], "label": bundle[MIME]["label"],
                             "data": bundle[MIME]["data"]}).encode())


# --- rendering, for myst-nb -------------------------------------------------------------------


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

    mime_priority_overrides = [
        ("html", MIME, 25),  # ahead of text/html (30) and image/png
        ("latex", MIME, 15),  # ahead of image/png (20)
    ]

    @staticmethod
    def handle_mime(renderer, data, inline):
        if data.mime_type != MIME or inline:
            return None
        import hashlib

        from docutils import nodes
        from myst_nb.core.render import MimeData

        widget = data.content if isinstance(data.content, dict) else json.loads(data.string)
        fallback = widget.get("fallback", {})
        builder = renderer.renderer.sphinx_env.app.builder
        if builder.format == "html":
            key = f"{renderer.source}:{data.cell_index}:{data.output_index}"
            element_id = "widget-" + hashlib.sha1(key.encode()).hexdigest()[:12]
            return [nodes.raw(text=widget_html(widget, element_id), format="html",
                              classes=["output", "nnbook_widget"])]
        image = MimeData("image/png", fallback["png"], cell_metadata=data.cell_metadata,
                         output_metadata=data.output_metadata, cell_index=data.cell_index,
                         output_index=data.output_index, line=data.line)
        return [*renderer.render_image(image), nodes.paragraph(text=fallback["sentence"])]
