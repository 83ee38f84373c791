"""Numbers written as a person writes them: ``0.001``, ``1,475,338``, ``5.6 × 10⁻¹⁷``, never
``1e-03``. The book prints, glues and labels its numbers with :func:`readable`."""

from __future__ import annotations

import math

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def readable(x: float, digits: int = 2) -> str:
    """``x`` as a person writes it, to ``digits`` significant digits: ``0.001``, ``0.5``,
    ``1,475,338``, and below a thousandth ``5.6 × 10⁻¹⁷`` or ``10⁻⁵``; never ``1e-03``."""
    x = float(x.detach() if hasattr(x, "detach") else x)  # a tensor that requires grad too
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
