"""Sentences about results, checked when the page is built.

A page states a computed result in one of two ways: it glues the number, or it describes the
result in words ("the GAN covers two of the eight modes", "clearly below") and guards the sentence
with :func:`claim` in a hidden cell (``remove-cell``). The book is built on machines nobody saw;
when a result there no longer supports its sentence, the build fails with the sentence and the
value, instead of publishing a false statement::

    claim(report.modes_covered <= 2, "the collapsed GAN covers at most two modes",
          report.modes_covered)

With ``NNBOOK_CLAIMS_LOG`` set to a file, every claim checked adds a line to it (page,
sentence, whether it held, the value), so that a claim's margin can be compared across the
machines a book is built on.
"""

from __future__ import annotations

import json
import os

from nnbook.engine import settings


class ClaimError(AssertionError):
    """A sentence of the book is not supported by the result this build computed."""


def claim(holds: bool, sentence: str, value: object = None) -> None:
    """Fail the build unless ``holds``: the error names the page, ``sentence`` and the ``value``
    it is about, so the writer knows which sentence to check against which number.

    The page is the one being executed: the book's Sphinx extension names it in the kernel's
    environment (``NNBOOK_PAGE``) before the page runs, so a sentence never repeats its page.
    """
    if not isinstance(holds, bool):
        holds = bool(holds)  # numpy and torch booleans
    page = os.environ.get("NNBOOK_PAGE")
    log = settings.claims_log()
    if log is not None:  # how far each claim is from failing, to compare machines
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"page": page, "sentence": sentence, "holds": holds,
                                "value": repr(value)[:2000]}) + "\n")
    if holds:
        return
    where = f"the page {page}" if page else "the book"
    shown = "" if value is None else f" The value computed in this build is {value!r}."
    raise ClaimError(f"A sentence of {where} no longer holds: {sentence}.{shown} Rewrite the "
                     "sentence or glue the value, or find out why the result changed.")
