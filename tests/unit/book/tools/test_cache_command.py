"""``python -m nnbook cache [prune]``: the store's size, entries and plans,
and pruning what no page of the last complete build used without touching what it did."""

from __future__ import annotations

import json
import os
import time
from types import SimpleNamespace

import pytest

from nnbook.__main__ import main
from nnbook.book.tools.cache import NoBuildError, build_records, prune
from nnbook.book.sphinxext import completed_build


# Keys as the store writes them: 32 hexadecimal digits (RunStore.path).
KEY_A, KEY_B, KEY_C, KEY_OLD = "a" * 32, "b" * 32, "c" * 32, "0123456789abcdef" * 2


def glue_file(root, page: str, runs: dict, when: float):
    """A page's glue file as myst-nb writes it, holding the provenance record's runs."""
    path = root / "_build" / "jupyter_execute" / "book" / f"{page}.glue.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = json.dumps({"device": "cpu", "runs": runs})
    path.write_text(json.dumps({"nnbook_provenance": {"data": {"text/plain": repr(record)}}}))
    os.utime(path, (when, when))
    return path


class Build:
    """A build of the book under ``root`` as the extension sees it: it starts, its pages write
    their records, and it ends, raising or warning or not (or is killed, and never ends)."""

    def __init__(self, root, pages: list[str], started: float):
        output = root / "_build" / "jupyter_execute"
        self.app = SimpleNamespace(_warncount=0, env=SimpleNamespace(
            mystnb_config=SimpleNamespace(output_folder=str(output)),
            nnbook_build_started=started, nnbook_provenance={p: {} for p in pages}))
        completed_build.on_builder_inited(self.app)

    def finish(self, exception: Exception | None = None, warnings: int = 0) -> None:
        self.app._warncount = warnings
        completed_build.on_build_finished(self.app, exception)


PAGES = ["book/learning_features", "book/fashion_cnn", "book/tensors"]


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
    used = entry(store, f"xor-4-sigmoid-{KEY_A}.pt", now - 7200)
    loaded = entry(store, f"FashionCNN-{KEY_B}.pt", now - 7200)
    old = entry(store, f"xor-4-sigmoid-{KEY_OLD}.pt", now - 7200, size=5000)
    newer = entry(store, f"notebook-{KEY_C}.pt", now)  # trained after the last build
    build = Build(tmp_path, PAGES, now - 4000)
    glue_file(tmp_path, "learning_features", {used.name: "trained"}, now - 3600)
    glue_file(tmp_path, "fashion_cnn", {loaded.name: "loaded"}, now - 3600)
    glue_file(tmp_path, "tensors", {}, now - 3600)  # a page that trains nothing
    build.finish()
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
    kept = entry(tmp_path / "cache", f"x-{KEY_A}.pt", time.time() - 7200)
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


def test_prune_touches_only_the_stores_own_entries(book):
    # A reader's own checkpoint in the store's folder is not an entry: only <name>-<32 hex>.pt,
    # the name RunStore.path gives, is the store's to remove.
    root, paths = book
    store, old = paths["old"].parent, time.time() - 7200
    theirs = [entry(store, name, old) for name in (
        "my-checkpoint.pt", "model-final.pt", f"best-{'A' * 32}.pt", f"short-{'0' * 31}.pt",
        f"{'a' * 32}.pt", f"dots.in-name-{'a' * 32}.pt")]
    removed, _ = prune(root)
    assert removed == [paths["old"]]
    assert all(path.exists() for path in theirs)


def test_the_entry_pattern_is_the_name_the_store_gives():
    from nnbook.engine.runs import RunStore, run_key
    from nnbook.engine.storage import is_run_entry

    store = RunStore("/nowhere")
    for name in ("FashionCNN", "xor 4/sigmoid", "ÉcoleNet", "a_b-c"):
        assert is_run_entry(store.path(name, run_key({"name": name})).name)
    assert not is_run_entry("my-checkpoint.pt")


def test_after_a_killed_build_prune_keeps_what_the_site_uses(book, capsys):
    # A build started, re-executed fashion_cnn under other code (its record now names another
    # entry), and was killed. The site still uses the last complete build's entries: prune used
    # to read the killed build's record and remove FashionCNN's entry, which the next build
    # then trained again.
    root, paths = book
    Build(root, PAGES, time.time())  # killed: it never finishes
    glue_file(root, "fashion_cnn", {f"FashionCNN-{'d' * 32}.pt": "trained"}, time.time())
    with pytest.raises(NoBuildError, match="did not complete"):
        prune(root)
    assert main(["cache", "prune", "--root", str(root)]) == 1
    assert "did not complete" in capsys.readouterr().err
    assert all(paths[k].exists() for k in ("used", "loaded", "old", "newer"))


@pytest.mark.parametrize("how", ["a cell raised (a warning, with --keep-going)", "an exception"])
def test_after_a_failed_build_prune_refuses_and_says_why(book, capsys, how):
    # The failing build's pages recorded only what they loaded before the failure: listing the
    # rest as unused, with no word that the build failed, invited removing the site's entries.
    root, paths = book
    build = Build(root, PAGES, time.time())
    glue_file(root, "learning_features", {paths["used"].name: "loaded"}, time.time())
    if how == "an exception":
        build.finish(exception=RuntimeError("the build stopped"))
    else:
        build.finish(warnings=1)
    assert main(["cache", "prune", "--dry-run", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "did not complete: it failed, warned" in err and "Nothing was removed" in err
    assert all(paths[k].exists() for k in ("used", "loaded", "old", "newer"))


def test_a_record_newer_than_the_complete_build_is_not_trusted(book):
    root, paths = book
    glue_file(root, "fashion_cnn", {}, time.time() + 60)  # rewritten since, by something else
    with pytest.raises(NoBuildError, match=r"book/fashion_cnn .* written after"):
        prune(root)
    assert paths["loaded"].exists() and paths["old"].exists()


def test_a_page_of_the_complete_build_without_its_record_stops_prune(book):
    root, paths = book
    (root / "_build" / "jupyter_execute" / "book" / "fashion_cnn.glue.json").unlink()
    with pytest.raises(NoBuildError, match="record of page book/fashion_cnn is missing"):
        prune(root)
    assert paths["loaded"].exists()


def test_only_the_pages_of_the_complete_build_count(book):
    # A page taken out of the book leaves its record behind; its runs are no longer used.
    root, paths = book
    glue_file(root, "removed_page", {paths["old"].name: "trained"}, time.time() - 3600)
    removed, _ = prune(root)
    assert removed == [paths["old"]]


def test_the_next_complete_build_lets_prune_run_again(book):
    root, paths = book
    Build(root, PAGES, time.time())  # killed
    with pytest.raises(NoBuildError):
        prune(root)
    build = Build(root, PAGES, time.time())
    build.finish()
    assert build_records(root).pages == 3
