"""A synthetic data set in MNIST's file format, for testing how data sets are found and checked
without any real data set on the machine; and a cache folder of the test session's own."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from nnbook.engine import data as datasets


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file (the MNIST format) holding ``array`` as uint8."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@dataclasses.dataclass
class TinyData:
    """A four-file data set with its own published digests, and the folders it may live in."""

    spec: datasets.DatasetSpec
    arrays: dict[str, np.ndarray]  # stem -> the array its file holds
    content: dict[str, bytes]  # stem -> the IDX file
    archives: dict[str, bytes]  # stem -> the published .gz archive
    chosen: Path  # $NNBOOK_DATA/<Name>/raw
    default: Path  # the default data folder's <Name>/raw (under a temporary XDG_CACHE_HOME)
    system: Path  # the spec's system copy

    def write(self, folder: Path, form: str = "gz", stems=None) -> Path:
        """Put the original files (``gz`` archives or ``raw`` extracted) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for stem in stems or self.content:
            if form == "gz":
                (folder / f"{stem}.gz").write_bytes(self.archives[stem])
            else:
                (folder / stem).write_bytes(self.content[stem])
        return folder

    @staticmethod
    def truncate(path: Path) -> None:
        """Damage ``path`` as an interrupted copy does: keep only its first half."""
        blob = path.read_bytes()
        path.write_bytes(blob[:len(blob) // 2])

    @staticmethod
    def snapshot(path: Path) -> tuple[bytes, int]:
        """What must not change about a file: its bytes and its modification time."""
        return path.read_bytes(), path.stat().st_mtime_ns


def tiny_data(tmp_path: Path, monkeypatch, name: str = "Tiny") -> TinyData:
    """:class:`TinyData` named ``name``, with NNBOOK_DATA set to an empty temporary folder."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 6),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3),
    }
    content = {stem: idx_bytes(a) for stem, a in arrays.items()}
    archives = {stem: gzip.compress(c, mtime=0) for stem, c in content.items()}
    spec = datasets.DatasetSpec(
        name=name, classes=tuple("abcdefghij"),
        gz_md5={s: hashlib.md5(b).hexdigest() for s, b in archives.items()},
        content_md5={s: hashlib.md5(b).hexdigest() for s, b in content.items()},
        system_dirs=(tmp_path / "system",), system_fix="install the tiny package",
    )
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # never the reader's ~/.cache
    return TinyData(spec, arrays, content, archives, chosen=tmp_path / "data" / name / "raw",
                    default=tmp_path / "cache" / "nnbook" / "data" / name / "raw",
                    system=tmp_path / "system")


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> TinyData:
    return tiny_data(tmp_path, monkeypatch)


@pytest.fixture
def make_tiny(tmp_path, monkeypatch):
    """:func:`tiny_data` under another name (torchvision's classes are found by name)."""
    return lambda name: tiny_data(tmp_path, monkeypatch, name)


def _session_cache_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "nnbook-cache"


@pytest.fixture(scope="session", autouse=True)
def session_cache_for_every_scope(tmp_path_factory):
    """The session's cache folder from the session's start, before any module- or session-scoped
    fixture trains (a function-scoped setting would come too late for them, and their plans would
    land in the reader's ~/.cache)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNBOOK_CACHE", str(_session_cache_folder(tmp_path_factory)))
        patch.delenv("NNBOOK_PLAN", raising=False)
        yield


@pytest.fixture(autouse=True)
def session_cache(tmp_path_factory, monkeypatch):
    """Every training run plans (:mod:`nnbook.engine.plan`) and may store runs: both go to a
    folder of this test session, never the reader's ~/.cache. Plans are shared by the session's
    tests, as a reader's are shared by the book's pages. (Set again for each test, which may
    change it.)"""
    folder = _session_cache_folder(tmp_path_factory)
    monkeypatch.setenv("NNBOOK_CACHE", str(folder))
    monkeypatch.delenv("NNBOOK_PLAN", raising=False)
    return folder
