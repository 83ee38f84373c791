"""Fixtures for the tests of the built book: one strict build per session, a local web server
and a headless Chromium that can reach nothing but that server.

The whole book is built once, from a clean output folder (its own execution cache included), by
``jupyter-book build <repo> -W -n --keep-going --path-output <tmp>``. Two settings help while
developing, and are never set by ``make test``:

* ``NNBOOK_TEST_BUILD=<folder>``: use a finished build in ``<folder>`` (a former ``--path-output``)
  instead of building;
* ``NNBOOK_TEST_TOC=<file>``: build with this table of contents instead of ``_toc.yml``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from book_helpers import REPO, toc_files

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def pytest_collection_modifyitems(config, items):
    # The PDF build needs TeX Live: it runs when asked for by name (-m pdf), or when the caller
    # says TeX Live is there (NNBOOK_TEST_PDF=1, as `make test` does after installing it).
    if "pdf" in (config.getoption("markexpr") or "") or os.environ.get("NNBOOK_TEST_PDF") == "1":
        return
    skip = pytest.mark.skip(reason="needs TeX Live: run `make test` or `make test-pdf`, "
                                   "or set NNBOOK_TEST_PDF=1")
    for item in items:
        if "pdf" in item.keywords:
            item.add_marker(skip)


# --- the book and its table of contents -----------------------------------------------------------

@dataclass
class Build:
    out: Path  # the --path-output folder
    toc: Path
    returncode: int
    log: str
    seconds: float

    @property
    def html(self) -> Path:
        return self.out / "_build" / "html"

    @property
    def pages(self) -> list[str]:
        return toc_files(self.toc)

    def page_path(self, page: str) -> Path:
        return self.html / f"{page}.html"


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Build:
    """The whole book, built strictly from a clean output folder."""
    toc = Path(os.environ.get("NNBOOK_TEST_TOC") or REPO / "_toc.yml")
    reuse = os.environ.get("NNBOOK_TEST_BUILD")
    if reuse:
        return Build(Path(reuse), toc, 0, "(reused build)", 0.0)
    out = tmp_path_factory.mktemp("book")
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(REPO),
               "-W", "-n", "--keep-going", "--path-output", str(out)]
    if os.environ.get("NNBOOK_TEST_TOC"):
        command += ["--toc", str(toc)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    print(f"\nbook build: {seconds:.0f} s, exit status {result.returncode}")
    return Build(out, toc, result.returncode, result.stdout + result.stderr, seconds)


@pytest.fixture(scope="session")
def built_book(book) -> Build:
    """The book, for tests that inspect its pages: they fail at once if it did not build."""
    if book.returncode != 0:
        pytest.fail("the book did not build; see test_strict_build_succeeds", pytrace=False)
    return book


# --- a local server and a browser that can reach nothing else --------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site(built_book):
    """The built site served on 127.0.0.1 at a free port; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(built_book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Browser:
    """A headless Chromium whose every non-local request fails, with its requests recorded."""

    def __init__(self, driver, base_url: str):
        self.driver = driver
        self.base = base_url
        self._requests: list[str] = []

    def get(self, path: str) -> None:
        self.drain()
        self._requests.clear()
        self.driver.get_log("browser")  # forget what earlier pages logged
        self.driver.get(self.base + path)

    def drain(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self._requests.append(message["params"]["request"]["url"])

    def foreign_requests(self) -> list[str]:
        """Requests since the last ``get`` to anything but the local server."""
        self.drain()
        local = urlsplit(self.base).netloc
        # chrome:// and the like are the browser's own pages (its error page), not the network.
        return [url for url in self._requests
                if urlsplit(url).scheme not in ("data", "blob", "about", "chrome", "chrome-error",
                                                "chrome-extension", "devtools")
                and urlsplit(url).netloc != local]

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def run(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def run_async(self, script: str, *args):
        return self.driver.execute_async_script(script, *args)


@pytest.fixture(scope="session")
def browser(site, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1024",
                 # Every host name fails to resolve; the site is reached by its IP address.
                 '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield Browser(driver, site)
    finally:
        driver.quit()
