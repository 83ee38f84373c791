"""Sentences about results, checked when the page is built.

A page states a computed result in one of two ways: it glues the number, or it describes the
result in words ("the GAN covers two of the eight modes", "clearly below") and guards the sentence
with :func:`claim` in a hidden cell (``remove-cell``). The book is built on machines nobody saw;
when a result there no longer supports its sentence, the build fails with the sentence and the
value, instead of publishing a false statement::

    claim(report.modes_covered <= 2,
          "the closing says the collapsed GAN covers at most two modes", report.modes_covered)
"""

from __future__ import annotations


class ClaimError(AssertionError):
    """A sentence of the book is not supported by the result this build computed."""


def claim(holds: bool, sentence: str, value: object = None) -> None:
    """Fail the build unless ``holds``: the error names ``sentence`` and the ``value`` it is
    about, so the writer knows which sentence to check against which number."""
    if not isinstance(holds, bool):
        holds = bool(holds)  # numpy and torch booleans
    if holds:
        return
    shown = "" if value is None else f" The value computed in this build is {value!r}."
    raise ClaimError(f"A sentence of the book no longer holds: {sentence}.{shown} Rewrite the "
                     "sentence or glue the value, or find out why the result changed.")
