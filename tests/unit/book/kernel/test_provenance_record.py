"""The provenance record a page's kernel glues (nnbook.book.kernel.provenance_record), run in a separate
process as the kernel runs it: the build's hidden cells, a page that trains through the run store
in between."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

from nnbook.book.kernel.provenance_record import GLUE_KEY, read_record, runs_used
from nnbook.book.sphinxext.fingerprints import TRAINING_MODULES
from nnbook.book.sphinxext.provenance import RECORD_SOURCE, START_SOURCE
from nnbook.engine.sources import closure, imports_in_source

# Runs the hidden cells as the kernel would: the start cell first, then a page that trains through
# the run cache, then the record cell (with myst-nb's glue replaced by a print).
KERNEL = """
import json, sys, types
import torch
fake = types.ModuleType("myst_nb")
fake.glue = lambda name, value, display=True: print("GLUE", name, value)
sys.modules["myst_nb"] = fake
cells = json.loads(sys.argv[1])
namespace = {}
exec(cells["start"], namespace)
from nnbook.engine.runs import RunRecord, RunStore


def train(key):
    return RunRecord(name="tiny-run", key=key, metrics={"test_accuracy": 0.75}, wall_time=1.5,
                     device="cpu", precision="float32", channels_last=False, history={},
                     tensors={"weights.w": torch.ones(2)})


RunStore().get_or_compute("tiny-run", {"lr": 0.1}, train)
exec(cells["record"], namespace)
"""


def run_kernel(cache_dir) -> tuple[dict, str]:
    """The record the record cell glued, and what else the kernel printed."""
    cells = json.dumps({"start": START_SOURCE, "record": RECORD_SOURCE})
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
    assert (tmp_path / entry).is_file()  # the name the cache command prunes by
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


def test_a_run_trained_once_is_trained_whatever_else_the_page_did_with_it():
    events = [SimpleNamespace(entry="b.pt", how="loaded"), SimpleNamespace(entry="a.pt",
                                                                             how="loaded"),
              SimpleNamespace(entry="b.pt", how="trained"), SimpleNamespace(entry="b.pt",
                                                                              how="loaded")]
    assert runs_used(events) == {"a.pt": "loaded", "b.pt": "trained"}
    assert list(runs_used(events)) == ["a.pt", "b.pt"]
    assert runs_used([]) == {}


def test_the_hidden_cells_are_one_import_and_one_call_that_train_nothing():
    # The kernel's code is a module with tests, not Python inside strings; and a page that does
    # not train must not get the run store or the planner into its fingerprint through them.
    for source in (START_SOURCE, RECORD_SOURCE):
        code = [line for line in source.splitlines() if not line.startswith("#")]
        assert len(code) == 2, source
        names = imports_in_source(source)
        assert names == {"nnbook.book.kernel.provenance_record"}
        assert not TRAINING_MODULES & set(closure(names))
