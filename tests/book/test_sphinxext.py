"""The Sphinx extension, in builds of a tiny book: the execution cache that fingerprints keep
fresh, and the build errors that stop a build before any page executes. (The fingerprints'
pure functions are tested in tests/unit/book/sphinxext/test_fingerprints.py.)"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnbook.book.sphinxext.fingerprints import FINGERPRINT_MARK
from nnbook.book.sphinxext.plotly_render import figure_html
from page_text import FRONT_MATTER, book_config

PAGE = FRONT_MATTER + """
# {title}

```{{code-cell}} ipython3
{code}
```
"""


def test_plotly_html_is_labelled_and_safe():
    fig = {"data": [{"type": "scatter", "y": [1, 2]}],
           "layout": {"title": {"text": "A <b>title</b>"}, "height": 300}}
    out = figure_html(fig, "plotly-1")
    assert 'role="img" aria-label="A &lt;b&gt;title&lt;/b&gt;"' in out
    assert 'data-target="plotly-1"' in out and "min-height:300px" in out
    fig["layout"]["title"]["text"] = "</script><script>alert(1)</script>"
    assert "</script><script>" not in figure_html(fig, "p").split("application/json")[1][:-9]



def test_plotly_html_keeps_a_replays_frames():
    # A replay's slider animates to frames (nnbook.plotting.snapshot_slider): without them in
    # the page, the slider would move and the figure stay still.
    frames = [{"name": "0", "data": [{"y": [3, 4]}], "traces": [0]}]
    fig = {"data": [{"type": "scatter", "y": [1, 2]}], "layout": {}, "frames": frames}
    payload = figure_html(fig, "p").split('data-target="p">')[1].removesuffix("</script>")
    assert json.loads(payload)["frames"] == frames
    assert "frames" not in figure_html({"data": [], "layout": {}}, "q")

def run_build(book: Path, out: Path, env: dict) -> subprocess.CompletedProcess:
    jb = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run([str(jb), "build", str(book), "-W", "-n", "--keep-going",
                           "--path-output", str(out)], env=env, capture_output=True, text=True)


def build(book: Path, out: Path, env: dict) -> str:
    result = run_build(book, out, env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def page_text(out: Path, name: str) -> str:
    return (out / "_build" / "html" / f"{name}.html").read_text()


def tiny_book(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text(book_config(
        "nnbook_tracked_packages: [tinylib]\nnb_execution_raise_on_error: true"))
    (book / "_toc.yml").write_text("format: jb-book\nroot: uses\nchapters:\n  - file: other\n")
    return book


def build_with_other_page(tmp_path, code: str) -> tuple[subprocess.CompletedProcess, str]:
    """The tiny book with a page that runs fine and another whose one cell is ``code``, built:
    the result and its whole log."""
    book = tiny_book(tmp_path)
    (book / "uses.md").write_text(PAGE.format(title="Uses", code="print('fine')"))
    (book / "other.md").write_text(PAGE.format(title="Other", code=code))
    result = run_build(book, tmp_path / "out", {**os.environ, "PYTHONPATH": str(tmp_path / "lib")})
    return result, result.stdout + result.stderr


def test_a_cell_that_raises_fails_the_build_with_its_traceback(tinylib, tmp_path):
    result, log = build_with_other_page(tmp_path, "def broken():\n    return 1 / 0\n\nbroken()")
    assert result.returncode != 0
    assert "ZeroDivisionError" in log and "broken()" in log  # the traceback, not just a verdict


CLAIM = """\
:tags: [remove-cell]

from nnbook.book.kernel.claims import claim

modes_covered = 2
claim(modes_covered <= {bound}, "other says the collapsed GAN covers at most {bound} modes",
      modes_covered)"""


def test_a_false_claim_fails_the_build_naming_the_sentence_and_the_value(tinylib, tmp_path):
    book = tiny_book(tmp_path)
    (book / "uses.md").write_text(PAGE.format(title="Uses", code="print('fine')"))
    other = book / "other.md"
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "lib")}
    out = tmp_path / "out"

    # A claim that holds: the strict build passes and the reader sees nothing of it.
    other.write_text(PAGE.format(title="Other", code=CLAIM.format(bound=2)))
    build(book, out, env)
    assert "covers at most" not in page_text(out, "other")

    # The result no longer supports the sentence: the build fails and says which and why.
    other.write_text(PAGE.format(title="Other", code=CLAIM.format(bound=1)))
    touch_later(other)
    result = run_build(book, out, env)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "ClaimError" in log, log[-3000:]
    assert "other says the collapsed GAN covers at most 1 modes" in log
    assert "The value computed in this build is 2." in log


def executed(log: str) -> set[str]:
    """The pages a build executed (rather than took from the execution cache), from its log."""
    return set(re.findall(r"(\w+)\.md: Executing notebook", log))


def token(out: Path, name: str) -> str:
    """The random token a page printed when it last really ran."""
    return re.search(r"token: ([0-9a-f]{32})", page_text(out, name)).group(1)


def touch_later(path: Path) -> None:
    later = time.time() + 5  # an mtime that Sphinx cannot mistake for the last build's
    os.utime(path, (later, later))


# The imports cell is tagged and spreads its import over three lines: the former fingerprint read
# neither, and left alpha and beta out of this page's fingerprint.
USES = """\
:tags: [hide-input]

from tinylib.alpha import (
    MESSAGE,
)
import uuid
print('message:', MESSAGE, 'token:', uuid.uuid4().hex)"""

GLOSSARY = """\
# Glossary

Every page links here and the glossary links every page, as in the book: {doc}`uses`,
{doc}`other`.
"""


def test_only_what_changed_re_executes_and_the_whole_book_stays_strict(tinylib, tmp_path):
    book = tiny_book(tmp_path)
    (book / "_toc.yml").write_text("format: jb-book\nroot: uses\nchapters:\n  - file: other\n"
                                   "  - file: glossary\n")
    (book / "glossary.md").write_text(GLOSSARY)
    (book / "uses.md").write_text(PAGE.format(title="Uses", code=USES))
    # "other" imports nothing tracked.
    (book / "other.md").write_text(PAGE.format(
        title="Other", code="import uuid\nprint('token:', uuid.uuid4().hex)"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "lib")}
    out = tmp_path / "out"

    assert executed(build(book, out, env)) == {"uses", "other"}
    first = {name: token(out, name) for name in ("uses", "other")}
    assert "message: first" in page_text(out, "uses")
    assert FINGERPRINT_MARK not in page_text(out, "uses")  # the cell is hidden

    # Nothing changed: both pages come from the cache.
    assert executed(build(book, out, env)) == set()

    # A comment in beta, which "uses" imports only through alpha: nothing to redo.
    beta = tinylib / "beta.py"
    beta.write_text("# what the page prints\nMESSAGE = 'first'\n")
    touch_later(beta)
    assert executed(build(book, out, env)) == set()

    # Its code: "uses" re-executes with the new module, "other" stays cached.
    beta.write_text("MESSAGE = 'second'\n")
    touch_later(beta)
    assert executed(build(book, out, env)) == {"uses"}
    assert "message: second" in page_text(out, "uses")
    assert token(out, "other") == first["other"]
    uses_token = token(out, "uses")

    # Editing one page and building the whole book again (the README's recipe for working on a
    # page) executes that page alone, and passes -W. Prose alone executes nothing.
    other = book / "other.md"
    other.write_text(other.read_text().replace("# Other", "# Other, edited"))
    touch_later(other)
    assert executed(build(book, out, env)) == set()
    assert "Other, edited" in page_text(out, "other")
    other.write_text(other.read_text().replace("print('token:'", "print('edited', 'token:'"))
    touch_later(other)
    assert executed(build(book, out, env)) == {"other"}
    assert "edited token:" in page_text(out, "other")
    assert token(out, "uses") == uses_token


def test_a_cell_that_is_not_python_stops_the_build_naming_page_and_cell(tinylib, tmp_path):
    result, log = build_with_other_page(tmp_path, "from tinylib.alpha import (MESSAGE,\nprint(MESSAGE)")
    assert result.returncode != 0
    assert "other.md: code cell 1 (line 14) cannot be read as Python" in log, log[-3000:]
    assert "other" not in executed(log)


def test_asking_for_cuda_without_it_fails_at_once_even_from_the_cache(tinylib, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    book = tiny_book(tmp_path)
    (book / "uses.md").write_text(PAGE.format(title="Uses", code="print('fine')"))
    (book / "other.md").write_text(PAGE.format(title="Other", code="print('fine too')"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "lib")}
    env.pop("NNBOOK_DEVICE", None)
    out = tmp_path / "out"
    build(book, out, env)  # every page is in the execution cache now

    start = time.perf_counter()
    result = run_build(book, out, {**env, "NNBOOK_DEVICE": "cuda"})
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "CUDA was requested" in log and "unset NNBOOK_DEVICE or set it to 'cpu'" in log
    assert executed(log) == set() and "Using cached notebook" not in log
    assert seconds < 60, seconds  # at start-up, not after reading the book
