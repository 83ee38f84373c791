"""What a page's fingerprint holds besides its code: the torch version, for every page, and, for a
page that loads data sets, the identity of the data the build finds. Without them, NNBOOK_DATA
pointing at a corrupt file, or the data set removed, gave a green build from cached pages, and an
execution cache restored on CI would serve pages executed under another torch."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
import torch

from nnbook.book.sphinxext.fingerprints import (FINGERPRINT_MARK, build_torch_version,
                                                on_config_inited, on_source_read)
from nnbook.engine import data as datasets
from page_text import FRONT_MATTER

LOADS = FRONT_MATTER + """
# Loads

```{code-cell} ipython3
from nnbook.engine.data import load_fashion_mnist

data = load_fashion_mnist()
```
"""
DRAWS = (FRONT_MATTER
         + "\n# Draws\n\n```{code-cell} ipython3\nfrom nnbook.plotting import style\n```\n")


def fingerprint(text: str, tmp_path) -> str:
    """The fingerprint cell a build started now appends to ``text``."""
    config = SimpleNamespace(nnbook_tracked_packages=["nnbook"])
    env = SimpleNamespace(doc2path=lambda name: str(tmp_path / f"{name}.md"), myst_config=None,
                          note_dependency=lambda path: None)
    app = SimpleNamespace(env=env, config=config, srcdir=str(tmp_path))
    on_config_inited(app, config)  # what the build finds when it starts
    source = [text]
    on_source_read(app, "page", source)
    cell = source[0][source[0].index(FINGERPRINT_MARK):]
    return cell[:cell.index("```")]


@pytest.fixture
def only_tiny(tiny, monkeypatch):
    """The tiny data set as the only one the book knows, with NNBOOK_DATA set to an empty
    folder and a good system copy."""
    monkeypatch.setattr(datasets, "SPECS", {tiny.spec.name: tiny.spec})
    monkeypatch.delenv("NNBOOK_DEVICE", raising=False)
    tiny.write(tiny.system)
    return tiny


def test_a_page_that_loads_data_re_executes_when_its_data_is_damaged_or_gone(only_tiny, tmp_path):
    tiny = only_tiny
    good = fingerprint(LOADS, tmp_path)
    assert fingerprint(LOADS, tmp_path) == good  # the same data: served from the cache

    # NNBOOK_DATA now holds a copy with a truncated file: the page must execute, so that the
    # loader stops the build naming the file, instead of a cached page passing.
    tiny.write(tiny.chosen)
    tiny.truncate(tiny.chosen / "train-images-idx3-ubyte.gz")
    corrupt = fingerprint(LOADS, tmp_path)
    assert corrupt != good
    with pytest.raises(datasets.DataFolderError, match="train-images-idx3-ubyte.gz"):
        datasets.load(tiny.spec, download=False)

    shutil.rmtree(tiny.chosen)
    shutil.rmtree(tiny.system)  # the data set removed
    assert fingerprint(LOADS, tmp_path) not in (good, corrupt)
    assert f"# data {tiny.spec.name} " in good


def test_a_file_damaged_in_place_changes_the_identity(only_tiny):
    # The same name and size, one byte flipped: the MD5 sees it where sizes would not.
    archive = only_tiny.system / "t10k-labels-idx1-ubyte.gz"
    before = datasets.identity(only_tiny.spec)
    blob = bytearray(archive.read_bytes())
    blob[20] ^= 0xFF
    archive.write_bytes(bytes(blob))
    assert datasets.identity(only_tiny.spec) != before


def test_a_page_that_loads_no_data_keeps_its_fingerprint_when_the_data_changes(only_tiny,
                                                                              tmp_path):
    before = fingerprint(DRAWS, tmp_path)
    assert "# data" not in before
    shutil.rmtree(only_tiny.system)
    assert fingerprint(DRAWS, tmp_path) == before


def test_the_torch_version_is_a_plain_string():
    # torch.__version__ is a TorchVersion: as a configuration value of another type than its
    # default's, Sphinx warned about it, and the strict build failed.
    assert type(build_torch_version()) is str and build_torch_version() == torch.__version__


def test_every_page_holds_the_torch_version(only_tiny, tmp_path, monkeypatch):
    before = {page: fingerprint(page, tmp_path) for page in (LOADS, DRAWS)}
    assert all(f"# torch {torch.__version__}\n" in cell for cell in before.values())
    monkeypatch.setattr(torch, "__version__", "9.9.9")
    for page, cell in before.items():
        assert fingerprint(page, tmp_path) != cell


def test_the_identity_reads_the_files_as_they_are(only_tiny, monkeypatch):
    # Taken once a build, at its start: each file hashed as it is (0.05 s for Fashion-MNIST),
    # never decompressed and verified as loading does (0.45 s).
    def decompressing(*args, **kwargs):
        raise AssertionError("the identity decompressed a file")

    monkeypatch.setattr(datasets, "decompress", decompressing)
    monkeypatch.setattr(datasets.gzip, "GzipFile", decompressing)
    assert len(datasets.identity(only_tiny.spec)) == 16
