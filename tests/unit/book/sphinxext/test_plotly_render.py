"""The plotly renderer names each figure by its title, as one line of words, and draws the
PDF's images in the site's font."""

import io
import re
import shutil
from pathlib import Path

import kaleido
import numpy as np
import plotly.graph_objects as go
import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image

from nnbook.book.sphinxext import plotly_render
from nnbook.book.sphinxext.plotly_render import figure_html, figure_image, figure_title
from nnbook.plotting import FIGURE_FONT, style
from test_figure_font import CONFIGURED, ROOT


def test_a_wrapped_title_is_one_line_of_words_in_the_figures_accessible_name():
    title = "The test images at their two-dimensional codes, coloured by label"
    fig = style(go.Figure(), title=title).to_plotly_json()
    assert "<br>" in fig["layout"]["title"]["text"]  # wrapped for a phone
    assert figure_title(fig) == title
    assert f'aria-label="{title}"' in figure_html(fig, "p")
    assert figure_title({"layout": {"title": {"text": "a<br>b <br/> c"}}}) == "a b c"
    assert figure_title({"layout": {}}) == "Interactive figure"


def font_metrics(font_file: Path, text: str, size: float) -> tuple[float, float]:
    """How far ``text`` advances at ``size`` px in a font file, and how wide its ink is (from
    the first glyph's left edge to the last one's right edge), from the font's own metrics
    (kerning aside)."""
    font = TTFont(font_file)
    cmap, metrics, glyphs = font.getBestCmap(), font["hmtx"], font.getGlyphSet()
    names = [cmap[ord(c)] for c in text]
    bounds = []
    for name in (names[0], names[-1]):
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        bounds.append(pen.bounds)
    advance = sum(metrics[name][0] for name in names)
    ink = advance - metrics[names[-1]][0] + bounds[1][2] - bounds[0][0]
    scale = size / font["head"].unitsPerEm
    return advance * scale, ink * scale


@pytest.fixture(scope="module")
def font_css() -> Path:
    """The figures' font, with kaleido started afresh to draw in it (and stopped after)."""
    css = ROOT / CONFIGURED
    if not css.is_file():
        pytest.skip(f"{CONFIGURED} is not installed: run `npm ci`")
    if not (shutil.which("chromium") or shutil.which("google-chrome")):
        pytest.skip("kaleido needs Chromium")
    plotly_render._KALEIDO_SERVER = False
    yield css
    kaleido.stop_sync_server(silence_warnings=True)
    plotly_render._KALEIDO_SERVER = False


def latin(css: Path) -> Path:
    [path] = (css.parent / "files").glob("*-latin-400-normal.woff")
    return path


def test_the_pdfs_figures_are_laid_out_in_the_sites_font(font_css):
    # plotly places a horizontal legend's second item after the first one's text, measured in
    # the font it was drawn in: two images whose first names differ tell how wide the difference
    # was, which the font's own metrics predict.
    long, short = "Decision boundary of a network", "b"

    def second_item_x(first: str) -> float:
        fig = style(go.Figure([go.Scatter(y=[1, 2], name=first), go.Scatter(y=[2, 1], name="c")]),
                    title="A title")
        svg = figure_image(fig.to_plotly_json(), "svg", font_css).decode()
        assert FIGURE_FONT in svg
        return float(re.findall(r'class="traces" transform="translate\(([\d.]+),', svg)[1])

    measured = second_item_x(long) - second_item_x(short)
    expected = font_metrics(latin(font_css), long, 12)[0] - font_metrics(latin(font_css), short,
                                                                         12)[0]
    assert abs(measured - expected) < 1.5, (measured, expected)  # plotly's 12 px legend


def test_the_pdfs_figures_are_painted_in_the_sites_font(font_css):
    # The PNG is the figure's SVG painted as an image, which sees no font of the page: the ink
    # of a large word must be as wide as the font's own outlines make it.
    text, size, scale = "Decision boundary", 48, 2
    fig = style(go.Figure())
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=size, color="black"))
    png = Image.open(io.BytesIO(figure_image(fig.to_plotly_json(), "png", font_css)))
    alpha = np.asarray(png.convert("RGBA"))[:, :, 3]
    columns = np.flatnonzero((alpha > 128).any(axis=0))
    measured = columns[-1] - columns[0] + 1
    expected = font_metrics(latin(font_css), text, size * scale)[1]
    assert abs(measured - expected) < 0.015 * expected, (measured, expected)
