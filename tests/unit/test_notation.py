"""readable writes numbers as a person does, never in e-notation."""

import pytest

from nnbook.notation import readable


@pytest.mark.parametrize("x, digits, text", [
    (0.001, 2, "0.001"), (1e-3, 1, "0.001"), (0.005, 2, "0.005"), (0.5, 2, "0.5"),
    (2e-3, 2, "0.002"), (0.0123, 2, "0.012"), (1475338, 2, "1,475,338"), (12.345, 3, "12.3"),
    (1e-5, 2, "10⁻⁵"), (5.6e-17, 2, "5.6 × 10⁻¹⁷"), (9.96e-5, 2, "10⁻⁴"), (-2.5e-7, 2, "-2.5 × 10⁻⁷"),
    (0, 2, "0"), (3.0, 2, "3"),
])
def test_readable_numbers(x, digits, text):
    assert readable(x, digits) == text
    assert "e-" not in readable(x, digits)
