"""Glue a result's numbers into a page's prose in one call, so a visible cell holds the lesson.

``glue_all("fc", result)`` glues every number, string and flag of a dataclass or mapping as
``fc_<field>``, with ``display=False``; the prose then writes {glue:text}`fc_test_accuracy:.1%`.

Values are glued as plain Python numbers. myst-nb reads a glued value back from its ``text/plain``
form with ``ast.literal_eval`` before formatting it, and NumPy 2 writes ``np.float64(0.5)`` there,
which a format such as ``:.1%`` cannot read: this is why a page should not glue NumPy or torch
scalars directly.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping

import numpy as np
import torch
from myst_nb import glue

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


def glue_all(prefix: str, result: object = None, /, **values: object) -> dict[str, object]:
    """Glue each scalar field of ``result`` and each keyword value as ``<prefix>_<name>``.

    Fields of ``result`` (a dataclass instance or a mapping) that are not a single number, string
    or flag (models, tensors, lists) are skipped: the prose cannot quote them. A keyword value is
    asked for by name, so one that is not a scalar is an error. Returns the glued names and values.
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
    return glued


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def readable(x: float, digits: int = 2) -> str:
    """``x`` as a person writes it, to ``digits`` significant digits: ``0.001``, ``0.5``,
    ``1,475,338``, and below a thousandth ``5.6 × 10⁻¹⁷`` or ``10⁻⁵``; never ``1e-03``."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    exponent = math.floor(math.log10(abs(x)))
    if abs(x) >= 1e-3:
        decimals = max(digits - 1 - exponent, 0)
        text = f"{round(x, decimals):,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa = round(x / 10 ** exponent, digits - 1)
    if abs(mantissa) >= 10:  # 9.96e-5 rounds up to 10.0 x 10^-5
        mantissa, exponent = mantissa / 10, exponent + 1
    power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
    if mantissa == 1:
        return power
    if mantissa == -1:
        return f"−{power}"
    return f"{mantissa:.{digits - 1}f}".rstrip("0").rstrip(".") + f" × {power}"


def glue_number(name: str, x: float, digits: int = 2) -> str:
    """Glue ``x`` as :func:`readable` writes it (quote it with ``{glue:text}`name```)."""
    text = readable(x, digits)
    glue(name, text, display=False)
    return text
