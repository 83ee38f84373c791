"""Provenance on the build's side (nnbook.book.sphinxext.provenance): the cells it adds to a page,
the environment it keeps, and the line under each page, without building a book."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from docutils import nodes

from nnbook.book.sphinxext.fingerprints import code_cells
from nnbook.book.sphinxext.provenance import (RECORD_SOURCE, START_SOURCE, ProvenanceCollector,
                                              add_cells, load_run, provenance_node, records,
                                              run_summary)
from nnbook.engine.runs import RunRecord, RunStore
from test_fingerprints import FRONT_MATTER

PAGE = FRONT_MATTER + """
# A page

Prose.

```{code-cell} ipython3
import torch
```

```{code-cell} ipython3
x = torch.ones(2)
```
"""


def test_run_summary_reads_a_stored_record(tmp_path):
    def train(key):
        return RunRecord(name="tiny-run", key=key, metrics={"test_accuracy": 0.75},
                         wall_time=1.5, device="cpu", precision="float32", channels_last=False,
                         history={}, tensors={"weights.w": torch.ones(2)},
                         created="2026-03-02T11:00:05+00:00")

    RunStore(tmp_path).get_or_compute("tiny-run", {"lr": 0.1}, train)
    (path,) = tmp_path.glob("tiny-run-*.pt")
    assert run_summary(load_run(path)) == {
        "name": "tiny-run", "accuracy": 0.75, "test_loss": None, "wall_time": 1.5,
        "device": "cpu", "precision": "float32", "plan": "",
        "trained_at": "2026-03-02T11:00:05+00:00"}
    assert load_run(tmp_path / "tiny-run-0123.pt") is None


def test_the_provenance_line_shows_each_runs_plan_not_a_cpu_flag():
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


CNN = "fashion-cnn-" + "0" * 32 + ".pt"
MLP = "mnist-mynet-" + "1" * 32 + ".pt"


def page_record(runs: dict[str, str], summaries: dict[str, dict]) -> dict:
    return {"device_name": "CPU (Test, 2 cores)", "dtype": "float32", "torch": "2.x",
            "commit": "abc", "executed_at": "2026-03-02T12:00:00+00:00", "runtime": 7.04,
            "runs": runs, "run_summaries": summaries}


def test_the_provenance_tells_a_loaded_runs_training_time_from_the_pages_execution_time():
    # A page executed in 7 s shows a network that trained for 82 s: the line must say both, and
    # that the run was loaded, trained an hour before, not trained while the page executed.
    record = page_record({CNN: "loaded", MLP: "trained"}, {
        CNN: {"name": "fashion-cnn", "accuracy": 0.9223, "wall_time": 82.4,
              "trained_at": "2026-03-02T11:00:05+00:00"},
        MLP: {"name": "mnist-mynet", "accuracy": 0.977, "wall_time": 25.2,
              "trained_at": "2026-03-02T11:59:40+00:00"}})
    block = provenance_node(record)
    first, runs = block.children
    assert first.astext().endswith("executed 2026-03-02 12:00 UTC in 7.0 s.")
    items = [item.astext() for item in runs.findall(nodes.list_item)]
    assert items == [
        "fashion-cnn (test accuracy 92.2%): trained for 82 s on 2026-03-02 11:00 UTC, "
        "loaded when the page executed",
        "mnist-mynet (test accuracy 97.7%): trained for 25 s while the page executed"]


def test_a_run_whose_entry_is_gone_is_still_named():
    record = page_record({CNN: "loaded"}, {CNN: {}})
    (item,) = provenance_node(record).findall(nodes.list_item)
    assert item.astext() == "fashion-cnn: trained on unknown, loaded when the page executed"


def test_a_page_without_runs_has_no_run_list():
    block = provenance_node(page_record({}, {}))
    assert len(block.children) == 1 and not list(block.findall(nodes.list_item))


def test_many_runs_are_counted_not_listed():
    runs = {f"autoencoder-{k}-{k:032x}.pt": "trained" if k < 3 else "loaded" for k in range(8)}
    summaries = {e: {"name": e.rsplit("-", 1)[0], "wall_time": 10.0,
                     "trained_at": f"2026-03-02T1{k}:00:00+00:00"}
                 for k, e in enumerate(runs)}
    block = provenance_node(page_record(runs, summaries))
    assert not list(block.findall(nodes.list_item))
    text = block.children[1].astext()
    assert text.startswith("This page shows 8 training runs (autoencoder-0, autoencoder-1, ")
    assert text.endswith("80 s of training in all: 3 trained while the page executed; 5 loaded "
                         "when the page executed, trained between 2026-03-02 13:00 UTC and "
                         "2026-03-02 17:00 UTC.")


def test_a_page_that_trains_starts_with_the_start_cell_and_every_page_ends_with_the_record():
    first = code_cells(PAGE)[0].line
    trains, added = add_cells(PAGE, first, trains=True)
    assert added == [START_SOURCE, RECORD_SOURCE]
    sources = [cell.source for cell in code_cells(trains)]
    assert sources == [START_SOURCE, "import torch", "x = torch.ones(2)", RECORD_SOURCE]
    assert all(":tags: [remove-cell]" in trains.split(s)[0].rsplit("```{code-cell}", 1)[1]
               for s in (START_SOURCE, RECORD_SOURCE))
    draws, added = add_cells(PAGE, first, trains=False)
    assert added == [RECORD_SOURCE]
    assert [cell.source for cell in code_cells(draws)] == sources[1:]


def env_with(pages: dict[str, dict]) -> SimpleNamespace:
    return SimpleNamespace(nnbook_provenance=dict(pages))


def test_parallel_readers_records_are_merged_for_their_own_pages_only():
    collector = ProvenanceCollector()
    main = env_with({"a": {"runtime": 1.0}})
    reader = env_with({"b": {"runtime": 2.0}, "c": {"runtime": 3.0}})
    collector.merge_other(None, main, {"b"}, reader)
    assert records(main) == {"a": {"runtime": 1.0}, "b": {"runtime": 2.0}}
    collector.merge_other(None, main, {"d"}, SimpleNamespace())  # a reader that kept nothing
    assert set(records(main)) == {"a", "b"}
    collector.clear_doc(None, main, "a")
    assert set(records(main)) == {"b"}
