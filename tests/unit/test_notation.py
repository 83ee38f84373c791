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


def test_a_tensor_that_requires_grad_is_read_without_a_warning():
    import warnings

    import torch

    x = torch.tensor(0.25, requires_grad=True) * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert readable(x) == "0.5"
