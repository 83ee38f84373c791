"""The provenance cells and the execution report's readers, without building a book."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from nnbook.book.sphinxext import FINGERPRINT_MARK
from nnbook.book.sphinxext.provenance import (GLUE_KEY, PROVENANCE_SOURCE, RECORDER_SOURCE,
                                         is_hidden_cell, read_record, run_summary)

# Runs the hidden cells as the kernel would: the recorder first, then a page that trains through
# the run cache, then the provenance cell (with myst-nb's glue replaced by a print).
KERNEL = """
import json, sys, types
fake = types.ModuleType("myst_nb")
fake.glue = lambda name, value, display=True: print("GLUE", name, value)
sys.modules["myst_nb"] = fake
cells = json.loads(sys.argv[1])
namespace = {}
exec(cells["recorder"], namespace)
from nnbook.engine.runs import RunCache
cache = RunCache()
cache.get_or_compute("tiny-run", {"lr": 0.1}, lambda: {"history": {"test_accuracy": [0.5, 0.75]}})
exec(cells["provenance"], namespace)
"""


def run_kernel(cache_dir) -> dict:
    cells = json.dumps({"recorder": RECORDER_SOURCE, "provenance": PROVENANCE_SOURCE})
    env = {**os.environ, "NNBOOK_CACHE": str(cache_dir), "NNBOOK_DEVICE": "cpu"}
    out = subprocess.run([sys.executable, "-c", KERNEL, cells], env=env, capture_output=True,
                         text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith(f"GLUE {GLUE_KEY} "))
    return json.loads(line.split(" ", 2)[2])


def test_provenance_cell_records_device_torch_and_the_runs_a_page_used(tmp_path):
    import torch

    first = run_kernel(tmp_path)
    assert first["device"] == "cpu" and first["device_name"].startswith("CPU")
    assert first["torch"] == torch.__version__ and first["dtype"] == "float32"
    assert first["executed_at"].endswith("+00:00")
    (entry,) = first["runs"]
    assert entry.startswith("tiny-run-") and entry.endswith(".pt")
    assert first["runs"][entry] == "trained"
    # A second kernel finds the run in the cache: it is recorded as loaded, not trained.
    second = run_kernel(tmp_path)
    assert second["runs"] == {entry: "loaded"}


def test_read_record_reads_what_myst_nb_wrote_to_the_glue_file(tmp_path):
    record = {"device": "cpu", "torch": "2.0", "runs": {}}
    text = repr(json.dumps(record))  # glue stores a string's repr as text/plain
    glue = {GLUE_KEY: {"output_type": "display_data", "metadata": {},
                       "data": {"text/plain": text}}}
    path = tmp_path / "page.glue.json"
    path.write_text(json.dumps(glue))
    assert read_record(path) == record
    assert read_record(tmp_path / "missing.glue.json") is None


def test_run_summary_finds_accuracy_and_time_in_a_training_payload():
    import torch

    payload = {"weights": {"fc.acc_weight": torch.ones(3)},
               "history": {"config": {"precision": "auto", "device": "cuda"},
                           "test_accuracy": [0.5, 0.875], "wall_time": 12.5, "device": "cpu",
                           "precision": "float32", "epoch_losses": [1.0, 0.5]},
               "test_outputs": torch.zeros(2, 2), "_key": "abc"}
    assert run_summary(payload) == {"accuracy": 0.875, "test_loss": None, "wall_time": 12.5,
                                    "device": "cpu", "precision": "float32"}
    autoencoder = {"history": {"test_loss": [0.2, 0.05], "wall_time": 3.0}}
    summary = run_summary(autoencoder)
    assert summary["accuracy"] is None and summary["test_loss"] == 0.05


@pytest.mark.parametrize("source, hidden", [
    (PROVENANCE_SOURCE, True), (RECORDER_SOURCE, True), (f"{FINGERPRINT_MARK}: x\n# nnbook.a 1", True),
    ("import numpy as np", False), ("# nnbook is the library", False)])
def test_bookkeeping_cells_are_recognised(source, hidden):
    assert is_hidden_cell(source) is hidden
