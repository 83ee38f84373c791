"""The plotly renderer names each figure by its title, as one line of words."""

import plotly.graph_objects as go

from nnbook.book.sphinxext.plotly_render import figure_html, figure_title
from nnbook.plotting import style


def test_a_wrapped_title_is_one_line_of_words_in_the_figures_accessible_name():
    title = "The test images at their two-dimensional codes, coloured by label"
    fig = style(go.Figure(), title=title).to_plotly_json()
    assert "<br>" in fig["layout"]["title"]["text"]  # wrapped for a phone
    assert figure_title(fig) == title
    assert f'aria-label="{title}"' in figure_html(fig, "p")
    assert figure_title({"layout": {"title": {"text": "a<br>b <br/> c"}}}) == "a b c"
    assert figure_title({"layout": {}}) == "Interactive figure"
