"""The PDF's shape: parts, the introduction as a chapter, the bibliography inside References.

Sphinx's LaTeX builder makes one document of the whole book. Three things come out wrong for a book
whose root page has sections of its own and whose bibliography is a page of it:

- The root page's title becomes the book's title, so its ``##`` sections stand at the same level
  as the other pages' titles: "How to read it" would print as a chapter. :class:`IntroAndParts`
  gathers the root page's own content into one chapter, "Introduction", whose sections they are.
- The table of contents' captions ("From lines to features", ...) group the chapters into parts
  on the site, but Sphinx drops them from the PDF, and takes the first one as the name of the
  contents page. :class:`IntroAndParts` prints each as a ``\\part`` before its chapters, and the
  contents page keeps its own name.
- Sphinx gathers every citation at the very end of the document (``BibliographyTransform``), under
  a heading of its own, after the back matter, leaving the References chapter empty.
  :class:`MarkBibliography` remembers where the bibliography stood and :class:`BibliographyInPlace`
  puts it back there; the preamble makes the list print without opening another chapter.

All three are changes to the LaTeX build only; the site is untouched.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.latex.nodes import thebibliography
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.texescape import escape

INTRO_TITLE = "Introduction"

# thebibliography (report class) opens with \chapter*{\bibname}: the References chapter is open
# already, so the list goes on in it. The environment is a group, so \chapter is redefined only
# inside it.
PREAMBLE = r"""
% nnbook: the bibliography prints inside the References chapter, not as a chapter of its own.
\makeatletter
\renewenvironment{sphinxthebibliography}[1]%
  {\renewcommand{\chapter}[2]{}\begin{thebibliography}{#1}}%
  {\end{thebibliography}}
\makeatother
"""


class bibliography_here(nodes.Element):  # noqa: N801 - docutils node classes are lower case
    """Where the bibliography was before Sphinx moved it to the end (LaTeX builds only)."""


class MarkBibliography(SphinxPostTransform):
    default_priority = 749  # just before Sphinx's BibliographyTransform (750) moves the citations
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        first = next(self.document.findall(nodes.citation), None)
        if first is not None:
            first.parent.insert(first.parent.index(first), bibliography_here())


class BibliographyInPlace(SphinxPostTransform):
    default_priority = 751
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        markers = list(self.document.findall(bibliography_here))
        bibliography = next(self.document.findall(thebibliography), None)
        if markers and bibliography is not None:
            bibliography.parent.remove(bibliography)
            markers[0].replace_self(bibliography)
            markers = markers[1:]
        for marker in markers:
            marker.parent.remove(marker)


def _holds_a_chapter(node: nodes.Node) -> bool:
    # findall visits the node itself too
    return next(node.findall(addnodes.start_of_file), None) is not None


class IntroAndParts(SphinxPostTransform):
    """The root page's own content as the first chapter, then each toctree's chapters as a part."""

    default_priority = 760
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        # Only the assembled book (the root document with the other pages inlined) has chapters.
        root = next((c for c in self.document.children if isinstance(c, nodes.section)), None)
        if root is None or not _holds_a_chapter(root):
            return
        children = list(root.children)
        start = next((i + 1 for i, c in enumerate(children) if isinstance(c, nodes.title)), 0)
        end = next((i for i, c in enumerate(children) if _holds_a_chapter(c)), len(children))
        self.add_parts([c for c in children[end:] if _holds_a_chapter(c)])
        own = children[start:end]
        if not own:
            return
        chapter = nodes.section(ids=["nnbook-introduction"], names=["nnbook-introduction"])
        chapter += nodes.title(INTRO_TITLE, INTRO_TITLE)
        for child in own:
            root.remove(child)
            chapter += child
        root.insert(start, chapter)

    def add_parts(self, groups: list[nodes.Element]) -> None:
        """A ``\\part`` with the caption of each toctree of the root page, before its chapters.

        Inlining the pages replaced the toctrees (and their captions), one group of chapters per
        toctree, in order; the captions are read back from the root page as it was read."""
        source = self.env.get_doctree(self.config.root_doc)
        captions = [t.get("caption") for t in source.findall(addnodes.toctree)]
        if len(captions) != len(groups) or not all(captions):
            return
        for caption, group in zip(captions, groups):
            group.insert(0, nodes.raw("", f"\\part{{{escape(caption)}}}\n", format="latex"))


def _keep_the_contents_name(app: Sphinx) -> None:
    # Sphinx names the contents page after the root's first toctree caption ("From lines to
    # features"); with parts, that caption is a part's title. An empty name keeps LaTeX's own
    # ("Contents", in the book's language).
    if app.builder.name == "latex":
        app.builder.get_contentsname = lambda indexfile: ""


def _on_config_inited(app: Sphinx, config) -> None:
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + PREAMBLE
    config.latex_elements = elements


def setup(app: Sphinx) -> None:
    app.add_node(bibliography_here)
    app.add_post_transform(MarkBibliography)
    app.add_post_transform(BibliographyInPlace)
    app.add_post_transform(IntroAndParts)
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _keep_the_contents_name)
