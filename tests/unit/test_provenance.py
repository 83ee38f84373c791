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
                                              is_hidden_cell, load_run, read_record, run_summary)

# Runs the hidden cells as the kernel would: the recorder first, then a page that trains through
# the run cache, then the provenance cell (with myst-nb's glue replaced by a print).
KERNEL = """
import json, sys, types
import torch
fake = types.ModuleType("myst_nb")
fake.glue = lambda name, value, display=True: print("GLUE", name, value)
sys.modules["myst_nb"] = fake
cells = json.loads(sys.argv[1])
namespace = {}
exec(cells["recorder"], namespace)
from nnbook.engine.runs import RunRecord, RunStore


def train(key):
    return RunRecord(name="tiny-run", key=key, metrics={"test_accuracy": 0.75}, wall_time=1.5,
                     device="cpu", precision="float32", channels_last=False, history={},
                     tensors={"weights.w": torch.ones(2)})


RunStore().get_or_compute("tiny-run", {"lr": 0.1}, train)
exec(cells["provenance"], namespace)
"""


def run_kernel(cache_dir) -> tuple[dict, str]:
    """The record the provenance cell glued, and what else the kernel printed."""
    cells = json.dumps({"recorder": RECORDER_SOURCE, "provenance": PROVENANCE_SOURCE})
    env = {**os.environ, "NNBOOK_CACHE": str(cache_dir), "NNBOOK_DEVICE": "cpu"}
    result = subprocess.run([sys.executable, "-c", KERNEL, cells], env=env, capture_output=True,
                            text=True, check=True)
    line = next(l for l in result.stdout.splitlines() if l.startswith(f"GLUE {GLUE_KEY} "))
    return json.loads(line.split(" ", 2)[2]), result.stdout.replace(line, "") + result.stderr


def test_provenance_cell_records_device_torch_and_the_runs_a_page_used(tmp_path):
    import torch

    first, _ = run_kernel(tmp_path)
    assert first["device"] == "cpu" and first["device_name"].startswith("CPU")
    assert first["torch"] == torch.__version__ and first["dtype"] == "float32"
    assert first["executed_at"].endswith("+00:00")
    (entry,) = first["runs"]
    assert entry.startswith("tiny-run-") and entry.endswith(".pt")
    assert first["runs"][entry] == "trained"
    assert first["run_problems"] == []
    # A second kernel finds the run in the cache: it is recorded as loaded, not trained.
    second, _ = run_kernel(tmp_path)
    assert second["runs"] == {entry: "loaded"}


def test_a_damaged_entry_goes_into_the_record_for_the_build_log(tmp_path):
    first, _ = run_kernel(tmp_path)
    (entry,) = first["runs"]
    (tmp_path / entry).write_bytes(b"not a torch file")
    record, printed = run_kernel(tmp_path)
    assert record["runs"] == {entry: "trained"}  # retrained
    (problem,) = record["run_problems"]
    assert entry in problem
    # What the kernel prints is the page's output: the problem belongs in the build log only.
    assert entry not in printed, printed


def test_read_record_reads_what_myst_nb_wrote_to_the_glue_file(tmp_path):
    record = {"device": "cpu", "torch": "2.0", "runs": {}}
    text = repr(json.dumps(record))  # glue stores a string's repr as text/plain
    glue = {GLUE_KEY: {"output_type": "display_data", "metadata": {},
                       "data": {"text/plain": text}}}
    path = tmp_path / "page.glue.json"
    path.write_text(json.dumps(glue))
    assert read_record(path) == record
    assert read_record(tmp_path / "missing.glue.json") is None


def test_run_summary_reads_a_stored_record(tmp_path):
    run_kernel(tmp_path)
    (path,) = tmp_path.glob("tiny-run-*.pt")
    assert run_summary(load_run(path)) == {"accuracy": 0.75, "test_loss": None, "wall_time": 1.5,
                                           "device": "cpu", "precision": "float32", "plan": ""}
    assert load_run(tmp_path / "tiny-run-0123.pt") is None


@pytest.mark.parametrize("source, hidden", [
    (PROVENANCE_SOURCE, True), (RECORDER_SOURCE, True),
    (f"{FINGERPRINT_MARK}: x\n# nnbook.a 1", True),
    ("import numpy as np", False), ("# nnbook is the library", False)])
def test_bookkeeping_cells_are_recognised(source, hidden):
    assert is_hidden_cell(source) is hidden


def test_the_provenance_line_shows_each_runs_plan_not_a_cpu_flag():
    from nnbook.book.sphinxext.provenance import provenance_node
    from nnbook.engine.plan import Plan

    plan = Plan(precision="bfloat16", channels_last=True, threads=2, how="stored")
    record = {"device_name": "CPU (Test, 2 cores)", "dtype": "float32", "bf16": True,
              "commit": "abc", "run_summaries": {
                  "a.pt": {"precision": "bfloat16 autocast", "plan": plan.describe()},
                  "b.pt": {"precision": "float32", "plan": ""}}}
    text = provenance_node(record).astext()
    assert "bfloat16 autocast, channels-last, 2 threads, eager" in text
    assert "measured earlier on this machine" in text
    assert "supported" not in text  # no more "(bfloat16 supported)" guessed from a flag
