"""What the book's two myst-nb mime renderers (plotly figures, live widgets) share: where their
JSON outputs rank among an output's forms, and reading that JSON."""

from __future__ import annotations

import json


def priority_overrides(mime: str) -> list[tuple[str, str, int]]:
    """Where a JSON output of ours goes in myst-nb's choice among an output's forms: ahead of
    text/html (30) on the site and of image/png (20) in the PDF."""
    return [("html", mime, 25), ("latex", mime, 15)]


def json_output(data, inline: bool, mime: str) -> dict | None:
    """The JSON content of a block (not inline) output of type ``mime``; None for any other."""
    if data.mime_type != mime or inline:
        return None
    return data.content if isinstance(data.content, dict) else json.loads(data.string)
