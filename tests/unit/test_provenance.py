"""Provenance on the build's side (nnbook.book.sphinxext.provenance): the cells it adds to a page,
the environment it keeps, and the line under each page, without building a book."""

from __future__ import annotations

from types import SimpleNamespace

import torch

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
                         history={}, tensors={"weights.w": torch.ones(2)})

    RunStore(tmp_path).get_or_compute("tiny-run", {"lr": 0.1}, train)
    (path,) = tmp_path.glob("tiny-run-*.pt")
    assert run_summary(load_run(path)) == {"accuracy": 0.75, "test_loss": None, "wall_time": 1.5,
                                           "device": "cpu", "precision": "float32", "plan": ""}
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
