"""Self-check questions that work on a static site: no server, no network.

A question is built in a code cell, usually from a value the library computed, so the correct answer
is never typed by hand. On the site it renders as buttons; ``_static/nnbook.js`` marks the reader's
choice right or wrong and shows the explanation. In the PDF it prints with its answer.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

# Inline math in a question is written as in the pages, $\delta^l$. On the site it is handed to
# MathJax with the delimiters the site's MathJax looks for, \( and \), inside an element that the
# site's MathJax is told to process (its class tex2jax_process).
_INLINE_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")


def site_text(text: str) -> str:
    """``text`` escaped for HTML, with its ``$...$`` math in MathJax's ``\\(...\\)``."""
    return html.escape(_INLINE_MATH.sub(lambda m: rf"\({m.group(1)}\)", text), quote=True)


ANSWER_MARK = "*Answer:*"  # where the markdown form of a question turns to its answer


def without_answer(markdown: str) -> str:
    """The markdown form of a question (:meth:`MultipleChoice._repr_markdown_`, as an executed
    page's output holds it) up to its answer: the question and its options, for a student."""
    return markdown.split(f"\n\n{ANSWER_MARK}", 1)[0]


@dataclass(frozen=True)
class MultipleChoice:
    """One question with several options, exactly one of them ``answer``.

    ``explanation`` is shown once the right answer is picked; ``hints`` maps a wrong option to what
    is wrong with it (a generic nudge is shown for wrong options without a hint).
    """

    question: str
    options: tuple[str, ...]
    answer: str
    explanation: str
    hints: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        options = tuple(str(o) for o in self.options)
        object.__setattr__(self, "options", options)
        object.__setattr__(self, "answer", str(self.answer))
        if len(options) < 2:
            raise ValueError(f"a multiple-choice question needs at least two options, got {options}")
        if len(set(options)) != len(options):
            raise ValueError(f"options must be distinct, got {options}")
        if self.answer not in options:
            raise ValueError(f"the answer {self.answer!r} is not among the options {options}")
        unknown = set(self.hints) - set(options)
        if unknown:
            raise ValueError(f"hints given for options that do not exist: {sorted(unknown)}")

    @property
    def answer_index(self) -> int:
        return self.options.index(self.answer)

    def _repr_html_(self) -> str:
        buttons = []
        for option in self.options:
            correct = option == self.answer
            feedback = self.explanation if correct else self.hints.get(
                option, "Not quite. Look again at how the value is computed, then try another option.")
            buttons.append(
                f'<button type="button" class="nnbook-quiz-option" '
                f'data-correct="{str(correct).lower()}" data-feedback="{site_text(feedback)}">'
                f"{site_text(option)}</button>"
            )
        return (
            '<div class="nnbook-quiz tex2jax_process mathjax_process" role="group" '
            'aria-label="Self-check question">'
            f'<p class="nnbook-quiz-question"><strong>Self-check.</strong> {site_text(self.question)}</p>'
            f'<div class="nnbook-quiz-options">{"".join(buttons)}</div>'
            '<p class="nnbook-quiz-feedback" role="status" aria-live="polite"></p>'
            "</div>"
        )

    def _repr_markdown_(self) -> str:
        # Used by the PDF build, where nothing can be clicked: the answer follows the options.
        options = "\n".join(f"- {o}" for o in self.options)
        return (f"**Self-check.** {self.question}\n\n{options}\n\n"
                f"{ANSWER_MARK} {self.answer}. {self.explanation}")

    def __repr__(self) -> str:
        return f"MultipleChoice({json.dumps(self.question)}, answer={self.answer!r})"
