"""``python -m nnbook cache [prune]`` (issue 22, defect 8): the store's size, entries and plans,
and pruning what no page of the last build used without touching what it did."""

from __future__ import annotations

import json
import os
import time

import pytest

from nnbook.__main__ import main
from nnbook.book.cache import NoBuildError, build_records, prune


def glue_file(root, page: str, runs: dict, when: float):
    """A page's glue file as myst-nb writes it, holding the provenance record's runs."""
    path = root / "_build" / "jupyter_execute" / "book" / f"{page}.glue.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = json.dumps({"device": "cpu", "runs": runs})
    path.write_text(json.dumps({"nnbook_provenance": {"data": {"text/plain": repr(record)}}}))
    os.utime(path, (when, when))
    return path


def entry(store, name: str, when: float, size: int = 100):
    store.mkdir(parents=True, exist_ok=True)
    path = store / name
    path.write_bytes(b"\0" * size)
    os.utime(path, (when, when))
    return path


@pytest.fixture
def book(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBOOK_CACHE", str(tmp_path / "cache"))
    now = time.time()
    store = tmp_path / "cache"
    used = entry(store, "xor-4-sigmoid-aaa.pt", now - 7200)
    loaded = entry(store, "FashionCNN-bbb.pt", now - 7200)
    old = entry(store, "xor-4-sigmoid-old.pt", now - 7200, size=5000)
    newer = entry(store, "notebook-ccc.pt", now)  # trained after the last build
    glue_file(tmp_path, "learning_features", {used.name: "trained"}, now - 3600)
    glue_file(tmp_path, "fashion_cnn", {loaded.name: "loaded"}, now - 3600)
    glue_file(tmp_path, "tensors", {}, now - 3600)  # a page that trains nothing
    plan = store / "plans" / "plan-x.json"
    plan.parent.mkdir()
    plan.write_text("{}")
    return tmp_path, dict(used=used, loaded=loaded, old=old, newer=newer, plan=plan)


def test_prune_removes_only_what_no_page_used(book):
    root, paths = book
    removed, freed = prune(root)
    assert removed == [paths["old"]] and freed == 5000
    assert not paths["old"].exists()
    assert all(paths[k].exists() for k in ("used", "loaded", "newer", "plan"))


def test_a_dry_run_removes_nothing(book):
    root, paths = book
    removed, _ = prune(root, dry_run=True)
    assert removed == [paths["old"]] and paths["old"].exists()


def test_without_a_build_nothing_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBOOK_CACHE", str(tmp_path / "cache"))
    kept = entry(tmp_path / "cache", "x-1.pt", time.time() - 7200)
    with pytest.raises(NoBuildError, match="make book"):
        prune(tmp_path)
    assert kept.exists()
    assert main(["cache", "prune", "--root", str(tmp_path)]) == 1 and kept.exists()


def test_the_records_are_read_from_every_page(book):
    root, paths = book
    records = build_records(root)
    assert records.pages == 3 and records.used == {paths["used"].name, paths["loaded"].name}


def test_the_command_reports_size_entries_and_plans(book, capsys):
    root, paths = book
    assert main(["cache", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "4 entries, 0.0 MB" in out and "1 plans" in out and "NNBOOK_CACHE" in out
    assert main(["cache", "prune", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"removed {paths['old']}" in out and "3 entries" in out
