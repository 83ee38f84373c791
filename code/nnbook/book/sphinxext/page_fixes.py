"""Small corrections to every HTML page: the theme's light or dark mode follows the reader's
system setting, and bibliography entries get the ARIA role a list needs."""

from __future__ import annotations

from sphinx.application import Sphinx


def on_config_inited(app: Sphinx, config) -> None:
    # The theme follows the reader's system light or dark preference unless told otherwise; with
    # no default it logs "Got invalid theme mode" on a reader's first visit.
    config.html_context.setdefault("default_mode", "auto")


def fix_citation_roles(app: Sphinx, pagename: str, templatename: str, context: dict,
                       doctree) -> None:
    """Docutils writes bibliography entries as ``role="doc-biblioentry"`` inside a
    ``role="list"``: a list must hold list items (ARIA), so give them that role."""
    if "body" in context and 'role="doc-biblioentry"' in context["body"]:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Sphinx) -> None:
    app.connect("config-inited", on_config_inited)
    app.connect("html-page-context", fix_citation_roles)
