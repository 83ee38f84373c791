import re

import pytest

from nnbook.book.kernel.quiz import MultipleChoice, without_answer


def make(**kw):
    args = dict(question="2 + 2?", options=["3", "4", "5"], answer="4", explanation="Arithmetic.")
    return MultipleChoice(**{**args, **kw})


def test_exactly_the_answer_is_marked_correct():
    html = make()._repr_html_()
    flags = re.findall(r'data-correct="(true|false)"[^>]*>([^<]*)</button>', html)
    assert flags == [("false", "3"), ("true", "4"), ("false", "5")]
    assert 'data-feedback="Arithmetic."' in html


def test_hints_go_to_their_wrong_option():
    html = make(hints={"5": "One too many."})._repr_html_()
    assert re.search(r'data-correct="false" data-feedback="One too many.">5</button>', html)


def test_text_is_escaped():
    html = make(question="Is a < b?", options=["<b>", "c"], answer="c")._repr_html_()
    assert "<b>" not in html.replace("<button", "").split("nnbook-quiz-options")[1].split("</div>")[0] \
        .replace('"<', "")
    assert "&lt;b&gt;" in html and "a &lt; b" in html


def test_markdown_form_states_the_answer_for_print():
    md = make()._repr_markdown_()
    assert "*Answer:* 4." in md and "- 3" in md


def test_a_students_copy_of_the_markdown_form_stops_before_the_answer():
    md = make(question="Which?\n\nThink first.")._repr_markdown_()
    assert without_answer(md) == "**Self-check.** Which?\n\nThink first.\n\n- 3\n- 4\n- 5"


def test_computed_answers_are_coerced_to_text():
    q = MultipleChoice("count?", options=[30, 330], answer=330, explanation="x")
    assert q.answer == "330" and q.answer_index == 1


@pytest.mark.parametrize("kw, message", [
    (dict(answer="6"), "not among the options"),
    (dict(options=["4"]), "at least two"),
    (dict(options=["4", "4"]), "distinct"),
    (dict(hints={"7": "?"}), "do not exist"),
])
def test_malformed_questions_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        make(**kw)


def test_math_goes_to_mathjax_in_questions_options_and_feedback():
    q = make(question=r"What turns $\delta^{l+1}$ into $\delta^l$?",
             options=[r"$(w^{l+1})^\top$", "a < b"], answer=r"$(w^{l+1})^\top$",
             explanation=r"The factor $\sigma'(z^l)$ follows.")
    html = q._repr_html_()
    # The quiz is inside an element the site's MathJax processes, with its inline delimiters.
    assert re.search(r'class="nnbook-quiz[^"]*\btex2jax_process\b', html)
    assert r"\(\delta^{l+1}\)" in html and r"\((w^{l+1})^\top\)</button>" in html
    assert r'data-feedback="The factor \(\sigma&#x27;(z^l)\) follows."' in html
    assert "$" not in html and "a &lt; b" in html
    # The printed (PDF) form keeps the page's $...$, which the LaTeX build typesets.
    assert r"$\delta^{l+1}$" in q._repr_markdown_()


def test_a_dollar_sign_escaped_with_a_backslash_stays_text():
    html = make(question=r"Costs \$5 or \$6?")._repr_html_()
    assert r"\(" not in html
