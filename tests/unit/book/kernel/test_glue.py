"""glue against myst-nb itself: what it records is what a {glue:text} role can format."""

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from myst_nb.core.variables import format_plain_text
from myst_nb.ext.glue import GLUE_PREFIX

from nnbook.book.kernel.glue import glue


@dataclass
class Result:
    accuracy: np.float64
    n_test: int
    device: str
    loss: torch.Tensor
    curve: list
    model: torch.nn.Module


@pytest.fixture
def glued_records(tmp_path, monkeypatch):
    """Run glue as a cell would; return the records it made, name -> text/plain."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))  # the shell's history stays in tmp_path
    InteractiveShell.instance()

    def run(*args, **kwargs):
        with capture_output() as captured:
            value = glue(*args, **kwargs)
        records = {}
        for output in captured.outputs:
            # Glued values are records only: a page shows nothing for them.
            assert set(output.data) == {GLUE_PREFIX + "text/plain"}
            records[output.metadata["scrapbook"]["name"]] = output.data[GLUE_PREFIX + "text/plain"]
        # The last expression of a cell is shown under it: glue's must be nothing at all.
        assert value is None
        return records

    return run


def test_scalar_fields_are_glued_under_the_prefix(glued_records):
    result = Result(accuracy=np.float64(0.875), n_test=1000, device="cpu",
                    loss=torch.tensor(0.25), curve=[1.0, 0.5], model=torch.nn.Linear(1, 1))
    records = glued_records("fc", result)
    # the list and the model are not glued
    assert records == {"fc_accuracy": "0.875", "fc_n_test": "1000", "fc_device": "'cpu'",
                       "fc_loss": "0.25"}


def test_records_format_as_the_prose_asks(glued_records):
    records = glued_records("x", {"share": np.float64(0.875), "count": np.int64(60000),
                                     "seconds": torch.tensor(2.5), "device": "cuda"})
    assert format_plain_text(records["x_share"], ".1%") == "87.5%"
    assert format_plain_text(records["x_count"], ",") == "60,000"
    assert format_plain_text(records["x_seconds"], ".0f") == "2"
    assert format_plain_text(records["x_device"], "") == "cuda"


def test_a_numpy_scalar_glued_directly_cannot_be_formatted(glued_records):
    """Why glue converts: myst-nb's own glue keeps NumPy 2's repr, which ':.1%' rejects."""
    from myst_nb import glue
    with capture_output() as captured:
        glue("raw", np.float64(0.875), display=False)
    with pytest.raises(ValueError):
        format_plain_text(captured.outputs[0].data[GLUE_PREFIX + "text/plain"], ".1%")


def test_keyword_values_join_the_fields_and_must_be_scalars(glued_records):
    records = glued_records("ae", {"error": 0.01}, code_size=32)
    assert records == {"ae_error": "0.01", "ae_code_size": "32"}
    with pytest.raises(TypeError, match="bp_curve"):
        glued_records("bp", curve=[1, 2])
    with pytest.raises(TypeError, match="dataclass instance or a mapping"):
        glued_records("bp", [1, 2])


def test_one_value_is_glued_under_its_own_name(glued_records):
    assert glued_records("fc_n_params", np.int64(1_475_338)) == {"fc_n_params": "1475338"}
    assert glued_records("lf_seconds", torch.tensor(2.5)) == {"lf_seconds": "2.5"}
    with pytest.raises(TypeError, match="nothing to glue"):
        glued_records("empty")


def test_digits_glue_a_number_as_a_person_writes_it(glued_records):
    records = glued_records("ad_error", np.float64(5.6e-17), digits=2)
    assert format_plain_text(records["ad_error"], "") == "5.6 × 10⁻¹⁷"
    records = glued_records("lr", {"lecture": 0.01, "book": 0.001, "steps": 40}, digits=1)
    assert {k: format_plain_text(v, "") for k, v in records.items()} == {
        "lr_lecture": "0.01", "lr_book": "0.001", "lr_steps": "40"}
    # A string or a flag is glued as it is, digits or not.
    assert glued_records("d", {"device": "cpu", "ok": True}, digits=2) == {
        "d_device": "'cpu'", "d_ok": "True"}
