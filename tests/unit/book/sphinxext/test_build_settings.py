"""The settings a build runs under, made definite when it starts (the extension's
``config-inited``): one run store and one data folder for the build, its kernels, the doctor and
the cache command, and a wrong value stopping the build with its message alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import nnbook.book.sphinxext as extension
from nnbook.book.tools import cache
from nnbook.book.tools.doctor import check_store
from nnbook.engine import settings
from page_text import book_config


class RecordingApp:
    """Enough of a Sphinx application for the extension's ``setup``: it keeps the handlers each
    feature connects, and calls those of an event in Sphinx's order (by priority, then in the
    order they were connected)."""

    def __init__(self):
        self.handlers: list[tuple[int, int, str, object]] = []
        extension.setup(self)

    def connect(self, event: str, handler, priority: int = 500) -> None:
        self.handlers.append((priority, len(self.handlers), event, handler))

    def __getattr__(self, name):  # add_config_value, add_directive, ...: nothing to keep
        return lambda *args, **kwargs: None

    def emit(self, event: str, *args) -> None:
        for _, _, name, handler in sorted(self.handlers, key=lambda h: h[:2]):
            if name == event:
                handler(self, *args)


def start_build() -> SimpleNamespace:
    """The build's start, up to its configuration: every ``config-inited`` handler."""
    config = SimpleNamespace(latex_elements={}, html_context={})
    RecordingApp().emit("config-inited", config)
    return config


KERNEL = """
import json
from nnbook.engine import settings
print(json.dumps([str(settings.run_store_root()), str(settings.data_root())]))
"""


def kernel_folders(cwd: Path) -> list[str]:
    """The run store and data folder a page's kernel uses: a fresh process in the page's
    folder, with the build's environment."""
    result = subprocess.run([sys.executable, "-c", KERNEL], cwd=cwd, env=dict(os.environ),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_relative_folders_are_one_store_for_the_build_its_kernels_doctor_and_cache(
        tmp_path, monkeypatch):
    # The build runs where `make` ran; kernels run in book/. A relative NNBOOK_CACHE gave the
    # kernels book/relstore while the doctor and the cache command reported ./relstore.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNBOOK_CACHE", "relstore")
    monkeypatch.setenv("NNBOOK_DATA", "reldata")
    monkeypatch.delenv("NNBOOK_DEVICE", raising=False)
    (tmp_path / "book").mkdir()
    store, data = tmp_path / "relstore", tmp_path / "reldata"

    start_build()
    assert kernel_folders(tmp_path / "book") == [str(store), str(data)]
    assert f"run store  {store} " in cache.report()
    assert f"runs {store}:" in check_store().detail
    assert settings.run_store_root() == store and settings.data_root() == data


def test_absolute_and_unset_folders_are_left_as_they_are(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBOOK_CACHE", str(tmp_path / "store"))
    monkeypatch.delenv("NNBOOK_DATA", raising=False)
    monkeypatch.delenv("NNBOOK_DEVICE", raising=False)
    assert settings.make_paths_absolute() == {}
    start_build()
    assert os.environ["NNBOOK_CACHE"] == str(tmp_path / "store") and "NNBOOK_DATA" not in os.environ


@pytest.mark.parametrize("name, value, allowed", [
    ("NNBOOK_PROGRESS", "maybe", "1, 0"),  # read only when a run trains, pages later
    ("NNBOOK_PLAN", "bogus", "auto, fixed, measure"),
    ("NNBOOK_DEVICE", "tpu", "'cpu' or 'cuda'"),
])
def test_a_wrong_setting_stops_the_build_at_its_start_with_its_message(monkeypatch, name, value,
                                                                       allowed):
    monkeypatch.delenv("NNBOOK_DEVICE", raising=False)
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        start_build()
    message = str(stopped.value.code)
    assert name in message and repr(value) in message and allowed in message


def test_a_wrong_setting_ends_a_real_build_without_a_traceback(tmp_path):
    # jupyter-book re-raises any exception from the build as a RuntimeError of its own: the
    # message came first, then about 45 lines of two tracebacks.
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text(book_config())
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    (book / "index.md").write_text("# Index\n\nHello.\n")
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "NNBOOK_PLAN": "bogus"}
    result = subprocess.run([str(jb), "build", str(book), "-W", "-n", "--keep-going"], env=env,
                            capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "$NNBOOK_PLAN is 'bogus', but it must be one of auto, fixed, measure" in log
    assert "Traceback" not in log, log[-3000:]
