"""Glue a page's computed values into its prose with one function, from a hidden cell.

``glue`` takes three forms::

    glue("fc_n_params", n_params)           # one value, as fc_n_params
    glue("fc", result)                      # every scalar field of a dataclass or mapping,
    glue("fc", n_params=n, share=s)         # or of the keywords, as fc_<field>
    glue("ad_error", error, digits=2)       # a number as a person writes it: 0.001, 5.6 × 10⁻¹⁷

The prose quotes them with {glue:text}`fc_n_params:,`. Values are glued as plain Python numbers
(``display=False``): myst-nb reads a glued value back from its ``text/plain`` form with
``ast.literal_eval`` before formatting it, and NumPy 2 writes ``np.float64(0.5)`` there, which a
format such as ``:.1%`` cannot read. With ``digits`` a number is glued as the text
:func:`nnbook.notation.readable` writes (never ``1e-03``), for prose that quotes it without a format.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping

import numpy as np
import torch
from myst_nb import glue as myst_glue

from nnbook.notation import readable

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
    raise TypeError(f"glue takes one number, string or flag, a dataclass instance or a mapping, "
                    f"not {type(result).__name__}")


def glue(name: str, value: object = None, /, digits: int | None = None, **values: object) -> None:
    """Glue ``value`` as ``name``; or, when ``value`` is a dataclass instance or a mapping, or
    keywords are given, each scalar field and keyword as ``<name>_<field>``.

    Fields of a result that are not a single number, string or flag (models, tensors, lists) are
    skipped: the prose cannot quote them. A value asked for by name (the single value, or a
    keyword) that is not one is an error. With ``digits``, numbers are glued as text written to
    that many significant digits by :func:`readable`. Returns None, so that a cell ending on it
    shows nothing: glued values are the prose's, never the page's output.
    """
    glued: dict[str, object] = {}
    single = value is not None and not values and plain_value(value) is not None
    if single:
        glued[name] = plain_value(value)
    elif value is not None:
        for field, item in _fields(value).items():
            plain = plain_value(item)
            if plain is not None:
                glued[f"{name}_{field}"] = plain
    for field, item in values.items():
        plain = plain_value(item)
        if plain is None:
            raise TypeError(f"cannot glue {name}_{field}: {type(item).__name__} is not one "
                            "number, string or flag")
        glued[f"{name}_{field}"] = plain
    if not glued and value is None:
        raise TypeError(f"glue({name!r}) was given nothing to glue")
    for key, plain in glued.items():
        if digits is not None and isinstance(plain, numbers.Real) and not isinstance(plain, bool):
            plain = readable(plain, digits)
        myst_glue(key, plain, display=False)

