"""The alt text of images that notebook cells output.

myst-nb gives an output image the alt text its cell's metadata names, and otherwise none (a
reader's screen reader then says the file's name). A figure of the book's (:class:`
nnbook.images.ImageFigure`) says what it shows in its PNG output's metadata (``alt``); this
MyST-NB mime render plugin (registered through the ``myst_nb.mime_renderers`` entry point, see
pyproject.toml) renders the image as myst-nb does and gives it that sentence. An image without
one is left to myst-nb.
"""

from __future__ import annotations

from docutils import nodes

MIMES = ("image/png", "image/jpeg")


class ImageAltRenderer:
    """MyST-NB mime render plugin: an output image with the alt text its output carries."""

    mime_priority_overrides: list = []

    @staticmethod
    def handle_mime(renderer, data, inline):
        if data.mime_type not in MIMES or inline:
            return None
        alt = (data.output_metadata or {}).get(data.mime_type, {}).get("alt")
        if not alt:
            return None
        rendered = renderer.render_image(data)
        for node in rendered:
            for image in node.findall(nodes.image):
                image["alt"] = str(alt)
        return rendered
