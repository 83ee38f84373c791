"""The notebook a reader downloads (nnbook.book.sphinxext.downloads) leaves out the build's own
cells and nothing else."""

from __future__ import annotations

import pytest

from nnbook.book.sphinxext.downloads import is_hidden_cell
from nnbook.book.sphinxext.fingerprints import FINGERPRINT_MARK
from nnbook.book.sphinxext.provenance import RECORD_SOURCE, START_SOURCE


@pytest.mark.parametrize("source, hidden", [
    (RECORD_SOURCE, True), (START_SOURCE, True),
    (f"{FINGERPRINT_MARK}: x\n# nnbook.a 1", True),
    ("import numpy as np", False), ("# nnbook is the library", False),
    ("import nnbook.book.kernel.provenance_record as p\np.start()", False)])
def test_bookkeeping_cells_are_recognised(source, hidden):
    assert is_hidden_cell(source) is hidden
