"""The stores' files: an unwritable or full store keeps the run shown
and says it was not kept, naming NNBOOK_CACHE and the folder; the doctor says the same; the
temporary file of a killed save is removed by the next save or load."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path

import pytest
import torch

from nnbook.engine import plan as planning
from nnbook.engine import runs, storage
from nnbook.engine.fit import TrainConfig
from nnbook.engine.runs import RunRecord, RunStore, train_cached
from nnbook.engine.tensor_data import TensorData
from nnbook.networks import mlp

CPU = torch.device("cpu")


def tiny_data() -> TensorData:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(32, 2, generator=g)
    return TensorData(X, (X[:, 0] > 0).long())


def train(store: RunStore):
    return train_cached(lambda: mlp((2, 3, 2), seed=0), tiny_data(),
                        TrainConfig(num_epochs=1, batch_size=8), device=CPU, store=store,
                        name="tiny")


@pytest.fixture
def mounted(tmp_path):
    """A small tmpfs mounted with ``options`` (root only; skipped where mounting is refused)."""
    mounts = []

    def mount(options: str) -> Path:
        folder = tmp_path / f"mnt{len(mounts)}"
        folder.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounts.append(folder)
        return folder

    yield mount
    for folder in mounts:
        subprocess.run(["umount", str(folder)], capture_output=True)


def problems() -> list[str]:
    return runs.reported_problems() + planning.reported_problems()


def check_not_kept(run, folder: Path) -> None:
    assert not run.from_cache and run.model is not None  # the run is shown all the same
    said = [p for p in problems() if "run tiny was trained but not kept" in p and str(folder) in p]
    assert said and "NNBOOK_CACHE" in said[-1]


def test_a_read_only_store_keeps_the_run_and_says_so(mounted, monkeypatch):
    folder = mounted("ro,size=64k")
    monkeypatch.setenv("NNBOOK_CACHE", str(folder))  # the plans cannot be kept either
    run = train(RunStore(folder / "runs"))
    check_not_kept(run, folder / "runs")
    assert any("is used but not kept" in p and "read-only" in p for p in problems())


def test_a_full_disk_keeps_the_run_and_says_so(mounted, monkeypatch):
    folder = mounted("size=16k")
    (folder / "runs").mkdir()
    with open(folder / "filler", "wb", buffering=0) as f:  # fill it to the last block
        with pytest.raises(OSError) as full:
            while True:
                f.write(b"\0" * 512)
    assert full.value.errno == errno.ENOSPC
    run = train(RunStore(folder / "runs"))
    check_not_kept(run, folder / "runs")
    assert any("the disk is full" in p for p in problems())
    assert not list((folder / "runs").glob(storage.TEMPORARY))  # nothing left half-written


@pytest.mark.parametrize("err", [errno.EACCES, errno.ENOSPC, errno.EROFS])
def test_any_write_error_is_a_store_not_writable_naming_the_setting(tmp_path, monkeypatch, err):
    # the same, where no tmpfs can be mounted: the write fails as a full or read-only disk does
    def fail(fd):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(storage.StoreNotWritable, match=r"cannot write to .*NNBOOK_CACHE"):
        RunStore(tmp_path / "runs").save(RunRecord("x", "k", {}, 0.0, "cpu", "float32", False, {}))
    assert not list((tmp_path / "runs").glob(storage.TEMPORARY))
    run = train(RunStore(tmp_path / "runs2"))
    check_not_kept(run, tmp_path / "runs2")


def test_the_doctor_names_an_unwritable_store(mounted, monkeypatch):
    from nnbook.book.tools.doctor import check_store

    folder = mounted("ro,size=64k")
    monkeypatch.setenv("NNBOOK_CACHE", str(folder / "runs"))
    check = check_store()
    assert not check.ok and str(folder / "runs") in check.detail and "NNBOOK_CACHE" in check.fix


def test_the_doctor_reports_the_size_of_the_store(tmp_path, monkeypatch):
    from nnbook.book.tools.doctor import check_store

    monkeypatch.setenv("NNBOOK_CACHE", str(tmp_path / "runs"))
    train(RunStore(tmp_path / "runs"))
    check = check_store()
    assert check.ok and "1 entries" in check.detail and "MB" in check.detail


def test_a_killed_save_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    store = RunStore(tmp_path / "runs")
    store.root.mkdir()
    dead = 2**22 + 7  # above Linux's largest pid: no process has it
    left = store.root / f".tiny-abc.pt.{dead}.x1y2.tmp"
    left.write_bytes(b"\0" * 1024)
    old = storage.STARTED - 60
    os.utime(left, (old, old))
    legacy = store.root / ".tiny-abc.pt.q9w8.tmp"  # the name before the writer's pid was in it
    legacy.write_bytes(b"\0")
    os.utime(legacy, (old, old))
    writing = store.root / f".tiny-def.pt.{os.getpid()}.z.tmp"  # a write in progress (ours)
    writing.write_bytes(b"\0")
    fresh = store.root / f".tiny-ghi.pt.{dead}.z.tmp"  # written after this process started
    fresh.write_bytes(b"\0")
    train(store)
    assert not left.exists() and not legacy.exists()
    assert writing.exists() and fresh.exists()


def test_a_load_removes_them_too(tmp_path):
    store = RunStore(tmp_path / "runs")
    store.root.mkdir()
    left = store.root / f".tiny-abc.pt.{2**22 + 7}.x.tmp"
    left.write_bytes(b"\0")
    os.utime(left, (time.time() - 3600, time.time() - 3600))
    assert store.load("tiny", "abc") is None
    assert not left.exists()
