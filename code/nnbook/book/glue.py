"""Glue a result's numbers into a page's prose in one call, from a hidden cell beside the lesson.

``glue_all("fc", result)`` glues every number, string and flag of a dataclass or mapping as
``fc_<field>``, with ``display=False``; the prose then writes {glue:text}`fc_test_accuracy:.1%`.

Values are glued as plain Python numbers. myst-nb reads a glued value back from its ``text/plain``
form with ``ast.literal_eval`` before formatting it, and NumPy 2 writes ``np.float64(0.5)`` there,
which a format such as ``:.1%`` cannot read: this is why a page should not glue NumPy or torch
scalars directly.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping

import numpy as np
import torch
from myst_nb import glue

from nnbook.numbers import readable  # re-exported: pages and glue_number write numbers alike

GLUEABLE = (bool, numbers.Number, str)


def plain_value(value: object) -> bool | int | float | complex | str | None:
    """``value`` as a plain Python scalar, or None if it is not one number, string or flag.

    NumPy scalars, 0-d arrays and one-element tensors become the Python number they hold.
    """
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else None
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item() if value.size == 1 else None
    if isinstance(value, GLUEABLE):
        return value
    return None


def _fields(result: object) -> dict[str, object]:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    if isinstance(result, Mapping):
        return dict(result)
    raise TypeError(f"glue_all takes a dataclass instance or a mapping, not {type(result).__name__}")


def glue_all(prefix: str, result: object = None, /, **values: object) -> None:
    """Glue each scalar field of ``result`` and each keyword value as ``<prefix>_<name>``.

    Fields of ``result`` (a dataclass instance or a mapping) that are not a single number, string
    or flag (models, tensors, lists) are skipped: the prose cannot quote them. A keyword value is
    asked for by name, so one that is not a scalar is an error. Returns None, so that a cell that
    ends on it shows nothing: glued values are the prose's, never the page's output.
    """
    candidates = _fields(result) if result is not None else {}
    glued: dict[str, object] = {}
    for name, value in candidates.items():
        plain = plain_value(value)
        if plain is not None:
            glued[f"{prefix}_{name}"] = plain
    for name, value in values.items():
        plain = plain_value(value)
        if plain is None:
            raise TypeError(f"cannot glue {prefix}_{name}: {type(value).__name__} is not one "
                            "number, string or flag")
        glued[f"{prefix}_{name}"] = plain
    for name, plain in glued.items():
        glue(name, plain, display=False)


def glue_number(name: str, x: float, digits: int = 2) -> str:
    """Glue ``x`` as :func:`readable` writes it (quote it with ``{glue:text}`name```)."""
    text = readable(x, digits)
    glue(name, text, display=False)
    return text
