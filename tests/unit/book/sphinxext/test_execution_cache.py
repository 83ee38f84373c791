"""The execution cache (jupyter-cache, as myst-nb uses it) checked when a build starts: a truncated
cached notebook or database, as a CI cache restored from a killed job leaves it, is named and
rebuilt instead of breaking every later build with a raw traceback."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from nnbook.book.sphinxext import execution_cache


def page(text: str) -> nbformat.NotebookNode:
    """An executed page: one code cell and its output."""
    cell = nbformat.v4.new_code_cell(f"print({text!r})", execution_count=1, outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=text + "\n")])
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def served(folder, nb) -> nbformat.NotebookNode | None:
    """What myst-nb's cache mode does with a page (myst_nb/core/execute/cache.py): the cached
    execution merged into it, or None when there is none and the page must execute."""
    cache = get_cache(folder)
    try:
        cache.match_cache_notebook(nb)
    except KeyError:
        return None
    return cache.merge_match_into_notebook(nb)[1]


@pytest.fixture
def cache(tmp_path):
    """A jupyter-cache with two executed pages in it, as a build leaves it."""
    folder = tmp_path / "_build" / ".jupyter_cache"
    store = get_cache(folder)
    pages = {name: page(name) for name in ("alpha", "beta")}
    for name, nb in pages.items():
        store.cache_notebook_bundle(CacheBundleIn(nb, str(tmp_path / f"{name}.md")),
                                    check_validity=False)
    return folder, pages


def notebook_file(folder, nb):
    record = get_cache(folder).match_cache_notebook(nb)
    return folder / "executed" / record.hashkey / "base.ipynb"


def truncate(path):
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])


@pytest.fixture
def build_log(caplog):
    """The build log's INFO lines from this module (a Sphinx logger: it propagates only to here)."""
    caplog.set_level(logging.INFO, logger=execution_cache.logger.logger.name)
    return caplog


def start_build(folder, mode: str = "cache") -> None:
    """The extension's part of a build's start, on this cache."""
    config = SimpleNamespace(execution_mode=mode, execution_cache_path=str(folder))
    execution_cache.on_builder_inited(SimpleNamespace(env=SimpleNamespace(mystnb_config=config)))


def test_an_intact_cache_is_left_alone(cache):
    folder, pages = cache
    assert execution_cache.repair(folder) == []
    assert served(folder, pages["alpha"]).cells[0].outputs[0].text == "alpha\n"


def test_a_truncated_notebook_is_named_and_its_page_executes_again(cache, build_log):
    folder, pages = cache
    damaged = notebook_file(folder, pages["alpha"])
    truncate(damaged)
    with pytest.raises(nbformat.reader.NotJSONError):  # what broke the build
        served(folder, pages["alpha"])
    start_build(folder)
    assert f"notebook {damaged}" in build_log.text and "executes again" in build_log.text
    assert served(folder, pages["alpha"]) is None  # executed, not served
    assert served(folder, pages["beta"]).cells[0].outputs[0].text == "beta\n"


def test_a_record_whose_notebook_is_gone_executes_its_page_again(cache):
    folder, pages = cache
    notebook_file(folder, pages["beta"]).unlink()
    (message,) = execution_cache.repair(folder)
    assert "it is missing" in message
    assert served(folder, pages["beta"]) is None


@pytest.mark.parametrize("damage", ["truncated", "emptied"])
def test_a_damaged_database_is_moved_aside_and_the_cache_starts_afresh(cache, damage, build_log):
    folder, pages = cache
    database = folder / "global.db"
    if damage == "truncated":
        truncate(database)
    else:
        database.write_bytes(b"")
    with pytest.raises(Exception):  # sqlalchemy's error, or jupyter-cache's "may need clearing"
        served(folder, pages["alpha"])
    start_build(folder)
    assert f"database {database} is damaged" in build_log.text
    aside = folder.with_name(".jupyter_cache.damaged")
    assert (aside / "global.db").is_file()  # kept for a look, out of the build's way
    assert served(folder, pages["alpha"]) is None and served(folder, pages["beta"]) is None
    get_cache(folder).cache_notebook_bundle(CacheBundleIn(pages["alpha"], "alpha.md"),
                                            check_validity=False)
    assert served(folder, pages["alpha"]) is not None  # the new cache works


def test_only_the_cache_mode_is_checked(cache):
    folder, pages = cache
    truncate(notebook_file(folder, pages["alpha"]))
    start_build(folder, mode="force")  # every page executes; the cache is not read
    assert execution_cache.repair(folder) != []  # still there for a build in cache mode
