"""One rule for every setting, and data messages that say what is really wrong:
an unknown NNBOOK_PROGRESS is an error like an unknown NNBOOK_PLAN; a link that leads
nowhere is not 'missing', an empty file is not a 'wrong MD5', and a gzip is never inflated past
what a data set's file can hold."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from nnbook.engine import data as datasets
from nnbook.engine import settings
from nnbook.engine.fit import wants_progress_bar

STEM = "train-images-idx3-ubyte"


@pytest.mark.parametrize("value, expected", [("1", True), ("0", False), ("", None)])
def test_progress_takes_one_or_zero(monkeypatch, value, expected):
    monkeypatch.setenv("NNBOOK_PROGRESS", value)
    assert settings.progress_override() is expected


@pytest.mark.parametrize("name, value, allowed", [
    ("NNBOOK_PROGRESS", "maybe", "1, 0"),
    ("NNBOOK_PROGRESS", "yes please", "1, 0"),
    ("NNBOOK_PLAN", "fastest", "auto, fixed, measure"),
])
def test_an_unknown_value_is_an_error_naming_the_allowed_ones(monkeypatch, name, value, allowed):
    monkeypatch.setenv(name, value)
    read = {"NNBOOK_PROGRESS": wants_progress_bar, "NNBOOK_PLAN": settings.plan_mode}[name]
    with pytest.raises(ValueError, match=rf"\${name} is '{value}', but it must be one of {allowed}"):
        read()


def only_check(tiny, stem=STEM):
    return datasets.check_file(tiny.chosen, stem, tiny.spec)


def test_a_link_loop_is_not_reported_missing(tiny):
    tiny.write(tiny.chosen)
    path = tiny.chosen / f"{STEM}.gz"
    path.unlink()
    other = tiny.chosen / "elsewhere.gz"
    other.symlink_to(path)
    path.symlink_to(other)  # path -> elsewhere.gz -> path
    [check] = only_check(tiny)
    assert check.status == "unreadable" and "leads nowhere" in check.detail
    assert "missing" not in check.describe()


def test_an_empty_file_is_reported_empty(tiny):
    tiny.write(tiny.chosen)
    (tiny.chosen / f"{STEM}.gz").write_bytes(b"")
    [check] = only_check(tiny)
    assert check.status == "corrupt" and "empty (0 bytes)" in check.detail
    assert "MD5" not in check.detail


def zeros_gzip(n_bytes: int) -> bytes:
    """A gzip of ``n_bytes`` zeros, made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * 2**20
    parts = [packer.compress(chunk) for _ in range(n_bytes // len(chunk))]
    return b"".join(parts) + packer.flush()


def test_a_gzip_is_decompressed_with_a_size_cap(tiny):
    tiny.write(tiny.chosen)
    (tiny.chosen / f"{STEM}.gz").write_bytes(zeros_gzip(190 * 2**20))
    tracemalloc.start()
    try:
        [check] = only_check(tiny)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert check.status == "corrupt" and "decompresses to more than" in check.detail
    assert peak < 2 * datasets.MAX_CONTENT_BYTES < 190 * 2**20  # never the whole 190 MB


def test_a_real_file_is_within_the_cap():
    assert datasets.decompress(gzip.compress(b"x" * 1000)) == b"x" * 1000
    assert datasets.MAX_CONTENT_BYTES > 47_040_016  # Fashion-MNIST's largest file
