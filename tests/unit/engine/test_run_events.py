"""The run store's log of the runs a process used (nnbook.engine.runs.events), which each page's
provenance record names and ``python -m nnbook cache prune`` keeps by."""

from __future__ import annotations

import torch

from nnbook.engine import runs, storage
from nnbook.engine.runs import RunEvent, RunRecord, RunStore


def train(key: str) -> RunRecord:
    return RunRecord(name="tiny-run", key=key, metrics={"test_accuracy": 0.5}, wall_time=0.1,
                     device="cpu", precision="float32", channels_last=False, history={},
                     tensors={"weights.w": torch.ones(2)})


def new_events(before: int) -> list[RunEvent]:
    return runs.events()[before:]


def test_the_store_logs_each_run_it_trained_then_each_it_loaded(tmp_path):
    store = RunStore(tmp_path)
    before = len(runs.events())
    store.get_or_compute("tiny-run", {"lr": 0.1}, train)
    (path,) = tmp_path.glob("tiny-run-*.pt")
    assert new_events(before) == [RunEvent(path.name, "trained")]
    store.get_or_compute("tiny-run", {"lr": 0.1}, train)
    store.get_or_compute("tiny-run", {"lr": 0.1}, train)
    assert new_events(before) == [RunEvent(path.name, "trained"), RunEvent(path.name, "loaded"),
                                  RunEvent(path.name, "loaded")]


def test_a_damaged_entry_is_logged_as_trained_not_loaded(tmp_path):
    store = RunStore(tmp_path)
    store.get_or_compute("tiny-run", {"lr": 0.2}, train)
    (path,) = tmp_path.glob("tiny-run-*.pt")
    path.write_bytes(b"not a torch file")
    before = len(runs.events())
    store.get_or_compute("tiny-run", {"lr": 0.2}, train)
    assert new_events(before) == [RunEvent(path.name, "trained")]


def test_a_run_that_cannot_be_kept_is_still_logged_as_trained(tmp_path, monkeypatch):
    store = RunStore(tmp_path)

    def full(record):
        raise storage.StoreNotWritable("the disk is full")

    monkeypatch.setattr(store, "save", full)
    before = len(runs.events())
    record, from_cache = store.get_or_compute("tiny-run", {"lr": 0.3}, train)
    assert not from_cache and not list(tmp_path.iterdir())
    assert new_events(before) == [RunEvent(store.path("tiny-run", record.key).name, "trained")]


def test_the_log_is_a_copy_a_reader_cannot_change(tmp_path):
    RunStore(tmp_path).get_or_compute("tiny-run", {"lr": 0.4}, train)
    seen = runs.events()
    seen.clear()
    assert runs.events()
